"""Board: nominations of outstanding collectives and individuals (suggestions from the data,
the proposed → shortlisted → approved/rejected workflow, the final list of 3–5 and its export)."""
from app.ui.board.nominations_view import render
from app.ui.core.session import require_page

render(require_page("nominations"))
