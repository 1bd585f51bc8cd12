"""Admin: the audit log, filterable by actor, action, entity and dates, with before/after."""
from app.ui.admin.audit_log_view import render
from app.ui.core.session import require_page

render(require_page("audit"))
