"""Admin: user accounts (list, create, edit, disable, reset password) and the one-time bulk
creation of accounts for every district and commune."""
from app.ui.admin.users_view import render
from app.ui.core.session import require_page

render(require_page("users"))
