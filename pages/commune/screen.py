"""Office screen: a QR code for the commune's survey that changes for every citizen (issue 15).
Opened by the commune's screen-only account (or its working group) on a tablet or TV."""
from app.ui.core.session import require_page
from app.ui.survey.screen_view import render

render(require_page("screen"))
