"""One PDF document set-up for every PDF the app writes (results report, QR codes, nominations):
A4, the embedded DejaVu fonts (Vietnamese diacritics print correctly, no font is fetched),
margins, page breaks and the document's metadata. fpdf2 is imported only when a PDF is made."""
from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FONT_ITALIC = FONT_DIR / "DejaVuSans-Oblique.ttf"  # place and date lines of official documents
FONT = "DejaVu"


def set_up(pdf, *, title: str, margins: tuple[float, float, float],
           page_break: float | None, author: str | None = None) -> None:
    """Fonts, margins (left, top, right, mm), automatic page break (its bottom margin, or None
    for none) and metadata of a new fpdf2 document (before its first page)."""
    pdf.add_font(FONT, "", str(FONT_REGULAR))
    pdf.add_font(FONT, "B", str(FONT_BOLD))
    pdf.add_font(FONT, "I", str(FONT_ITALIC))
    pdf.set_margins(*margins)
    if page_break is None:
        pdf.set_auto_page_break(False)
    else:
        pdf.set_auto_page_break(True, margin=page_break)
    pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_creator("QCDC Survey")
    pdf.set_lang("vi")


def keep_with_next(pdf, needed: float) -> None:
    """Start a new page unless `needed` mm (a heading and the first lines of what follows it)
    still fit above the bottom margin: a heading never stands alone at a page foot."""
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
