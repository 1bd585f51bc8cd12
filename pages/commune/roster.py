"""Commune working group: the helper roster and duty schedule, Excel import, publishing."""
from app.ui.core.session import require_page
from app.ui.operations.roster_view import render

render(require_page("roster"))
