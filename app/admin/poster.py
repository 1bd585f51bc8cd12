"""A4 posters for the one-stop offices: each commune's QR code with a call to action.

One page per commune, printable in black and white on an office printer: who is asking and why,
the QR code large enough to scan from a metre away, what to do in three steps, that it is
anonymous, where to find help, the survey dates and the link typed out for those who cannot
scan. Vietnamese text with the embedded DejaVu fonts (``app/core/pdf.py``).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from datetime import date

from fpdf import FPDF
from PIL import Image

from app.admin.qr import CommuneLike, _check_code, _short_url, qr_image, survey_url
from app.core import pdf as pdf_setup
from app.core.fmt import fmt_date
from app.core.i18n import t

_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN = 14.0
_QR_MM = 118.0
_RED = (179, 38, 30)


def _nfc(text: object) -> str:
    return unicodedata.normalize("NFC", str(text or "")).strip()


def _fit(pdf: FPDF, text: str, style: str, size: float, max_w: float, min_size: float) -> None:
    while True:
        pdf.set_font("DejaVu", style, size)
        if pdf.get_string_width(text) <= max_w or size <= min_size:
            return
        size -= 0.5


def _poster_page(pdf: FPDF, base_url: str, commune: CommuneLike, start: date | None,
                 end: date | None, demo: bool) -> None:
    code = _check_code(commune.code)
    url = survey_url(base_url, code)
    name, district = _nfc(commune.full_name), _nfc(commune.district_full_name)
    width = _PAGE_W - 2 * _MARGIN
    pdf.add_page()
    # frame
    pdf.set_draw_color(*_RED)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, _PAGE_W - 16, _PAGE_H - 16)
    pdf.set_line_width(0.2)
    if demo:
        pdf.set_xy(_MARGIN, 10)
        pdf.set_font("DejaVu", "B", 9)
        pdf.set_text_color(150, 90, 0)
        pdf.cell(width, 5, t("poster.demo"), align="C")
    pdf.set_text_color(0)
    pdf.set_xy(_MARGIN, 16)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(width, 6, t("poster.issuer"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(_MARGIN)
    _fit(pdf, name.upper(), "B", 20, width, 12)
    pdf.set_text_color(*_RED)
    pdf.cell(width, 10, name.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.set_x(_MARGIN)
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(width, 6, district, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_x(_MARGIN)
    pdf.set_font("DejaVu", "B", 17)
    pdf.multi_cell(width, 8, t("poster.call"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(_MARGIN)
    pdf.set_font("DejaVu", "", 11.5)
    pdf.multi_cell(width, 6, t("poster.why"), align="C", new_x="LMARGIN", new_y="NEXT")
    # the code
    y = pdf.get_y() + 3
    img = qr_image(url, 10).convert("1", dither=Image.Dither.NONE)
    pdf.image(img, x=(_PAGE_W - _QR_MM) / 2, y=y, w=_QR_MM, h=_QR_MM)
    y += _QR_MM + 1
    pdf.set_xy(_MARGIN, y)
    short = _short_url(url)
    _fit(pdf, short, "B", 13, width, 8)
    pdf.cell(width, 6, short, align="C", link=url, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    # three steps
    pdf.set_font("DejaVu", "", 12)
    for i, step in enumerate((t("poster.step1"), t("poster.step2"), t("poster.step3")), 1):
        pdf.set_x(_MARGIN + 12)
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(9, 6.5, f"{i}.")
        pdf.set_font("DejaVu", "", 12)
        pdf.multi_cell(width - 24, 6.5, step, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_x(_MARGIN)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(width, 6, t("poster.anonymous"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(_MARGIN)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(width, 6, t("poster.help"), align="C", new_x="LMARGIN", new_y="NEXT")
    # dates and footer at the bottom of the frame
    pdf.set_xy(_MARGIN, _PAGE_H - 30)
    if start and end:
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(width, 6, t("poster.dates", start=fmt_date(start), end=fmt_date(end)),
                 align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(_MARGIN, _PAGE_H - 21)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.set_text_color(90)
    pdf.cell(width, 4.5, t("poster.footer", code=code), align="C")
    pdf.set_text_color(0)


def poster_pdf(base_url: str, communes: Iterable[CommuneLike], *, start: date | None = None,
               end: date | None = None, demo: bool = False,
               progress: Callable[[int, int], None] | None = None) -> bytes:
    """One A4 page per commune (in the order given)."""
    items = list(communes)
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf_setup.set_up(pdf, title=t("poster.title"), margins=(_MARGIN, 12, _MARGIN),
                     page_break=None)
    for i, c in enumerate(items, 1):
        _poster_page(pdf, base_url, c, start, end, demo)
        if progress:
            progress(i, len(items))
    if not items:
        pdf.add_page()
        pdf.set_font("DejaVu", "", 12)
        pdf.cell(0, 10, t("poster.none"))
    return bytes(pdf.output())
