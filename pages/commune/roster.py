"""Commune working group: the helper roster and duty schedule, Excel import, publishing."""
from app.ui.operations.roster_view import render
from app.ui.core.session import require_page

render(require_page("roster"))
