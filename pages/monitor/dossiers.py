"""District and province staff: the one-stop office's own count of dossiers received per
commune and day (an independent count of visits), imported from Excel and compared with the
reported visits and the answers."""
from app.ui.core.session import require_page
from app.ui.operations.dossiers_view import render

render(require_page("dossiers"))
