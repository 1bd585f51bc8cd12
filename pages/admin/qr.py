"""Admin: the communes' QR codes, the printable PDF list, a ZIP of the PNGs and the A4 posters,
with the app's public address (QCDC_PUBLIC_URL)."""
from app.ui.admin.qr_view import render
from app.ui.core.session import require_page

render(require_page("qr"))
