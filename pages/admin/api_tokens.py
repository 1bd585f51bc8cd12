"""Admin: tokens of the read API (issue, list with their use, expire, revoke)."""
from app.ui.admin.api_tokens_view import render
from app.ui.core.session import require_page

render(require_page("api_tokens"))
