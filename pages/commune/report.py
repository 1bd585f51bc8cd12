"""Commune working group: the daily report of one campaign day, with photos."""
from app.ui.core.session import require_page
from app.ui.operations.report_view import render

render(require_page("report"))
