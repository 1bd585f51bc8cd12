"""Admin: questionnaire builder (questions, options, pillars, scores), preview as a citizen sees
it, saving as a new version, and XLSForm import/export."""
from app.ui.admin.questionnaire_view import render
from app.ui.core.session import require_page

render(require_page("questionnaire"))
