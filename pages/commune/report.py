"""Commune working group: the daily report of one campaign day, with photos."""
from app.ui.operations.report_view import render
from app.ui.core.session import require_page

render(require_page("report"))
