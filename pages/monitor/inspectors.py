"""Leaders and cadres assigned to direct, inspect and supervise: the communes and days they cover.
Province-wide roles keep the whole list; a district committee keeps its own district's."""
from app.ui.core.session import require_page
from app.ui.operations.inspectors_view import render

render(require_page("inspectors"))
