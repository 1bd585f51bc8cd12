"""QR codes for the per-commune survey links: labelled PNGs, a ZIP of them, and a printable PDF.

Every commune (xã, phường, thị trấn) gets its own QR code pointing at ``/survey?xa=<code>``.
The QR symbol of each URL is computed once (cached) and reused for the PNG files, the ZIP and
the PDF, so a full export of the 209 communes takes a few seconds of one core.

``commune`` arguments are duck-typed: any object with ``code``, ``full_name`` and
``district_full_name`` attributes (SQLModel row, dataclass, namedtuple, SimpleNamespace).
"""
from __future__ import annotations

import io
import re
import threading
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import qrcode
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from app.core import pdf as pdf_setup

ROOT = Path(__file__).resolve().parents[2]
FONT_REGULAR, FONT_BOLD = pdf_setup.FONT_REGULAR, pdf_setup.FONT_BOLD  # also for the PNG labels

DEFAULT_PDF_TITLE = "Mã QR khảo sát PKS 03 theo xã, phường, thị trấn"

# PNG geometry (pixels). The QR symbol incl. its 4-module quiet zone is scaled to ~600 px with an
# integer number of pixels per module, so module edges stay sharp when printed.
PNG_TARGET_PX = 600
PNG_DPI = 200  # 600 px at 200 dpi prints ~7.6 cm wide: easy to scan from arm's length
QR_BORDER = 4  # modules; the minimum quiet zone required by the QR spec
# Pixels per module for the image embedded in the PDF (printed ~42 mm wide, >= ~190 dpi).
PDF_BOX_PX = 8

# FreeType faces are shared (cached) between Streamlit sessions' threads: draw one label at a time.
_RENDER_LOCK = threading.Lock()

_CODE_RE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")

Progress = Callable[[int, int], None]


class CommuneLike(Protocol):
    code: str
    full_name: str
    district_full_name: str


# --------------------------------------------------------------------------------------------
# URL and QR symbol
# --------------------------------------------------------------------------------------------

def survey_url(base_url: str, code: str) -> str:
    """The public survey link of one commune."""
    return f"{base_url.rstrip('/')}/survey?xa={code}"


def _short_url(url: str) -> str:
    """The URL without its scheme, for printing under a code."""
    return re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", url)


def _check_code(code: str) -> str:
    code = str(code)
    if not _CODE_RE.match(code):
        # The code ends up in a file name and a URL: refuse anything unusual.
        raise ValueError(f"Mã đơn vị không hợp lệ: {code!r}")
    return code


def _nfc(text: object) -> str:
    # Decomposed (NFD) Vietnamese renders badly without a text shaper; always draw NFC.
    return unicodedata.normalize("NFC", str(text or "")).strip()


@lru_cache(maxsize=1024)
def _qr_modules(url: str) -> Image.Image:
    """The QR symbol of ``url`` (error correction M, with quiet zone) at one pixel per module.

    Cached: callers must not modify the returned image (only ``resize``/``copy`` it).
    """
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_BORDER)
    qr.add_data(url)
    qr.make(fit=True)
    matrix = qr.get_matrix()  # includes the border
    n = len(matrix)
    data = bytes(0 if dark else 255 for row in matrix for dark in row)
    return Image.frombytes("L", (n, n), data)


def qr_image(url: str, box_size: int | None = None) -> Image.Image:
    """The QR code of ``url`` as a grayscale PIL image, ``box_size`` pixels per module
    (default: the largest integer giving about ``PNG_TARGET_PX`` pixels in total)."""
    modules = _qr_modules(url)
    n = modules.width
    if box_size is None:
        box_size = max(1, round(PNG_TARGET_PX / n))
    return modules.resize((n * box_size, n * box_size), Image.NEAREST)


# --------------------------------------------------------------------------------------------
# Labelled PNG
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_w: float) -> list[str]:
    """Greedy word wrap of ``text`` to ``max_w`` pixels."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if not current or font.getlength(candidate) <= max_w:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines or [""]


def _fit_lines(text: str, bold: bool, size: int, max_w: float, max_lines: int = 2,
               min_size: int = 14) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """Fit ``text`` in ``max_w`` pixels: one line if shrinking the font by at most a fifth is
    enough, else wrapped to ``max_lines`` lines, shrinking further down to ``min_size``."""
    one_line = size
    while one_line >= size * 0.8:
        font = _font(bold, one_line)
        if font.getlength(text) <= max_w:
            return font, [text]
        one_line -= 2
    while True:
        font = _font(bold, size)
        lines = _wrap(text, font, max_w)
        fits = len(lines) <= max_lines and all(font.getlength(ln) <= max_w for ln in lines)
        if fits or size <= min_size:
            return font, lines
        size -= 2


def _labelled_image(url: str, code: str, full_name: str, district: str) -> Image.Image:
    """The QR code with the commune name, district and code printed under it."""
    qr = qr_image(url)
    width = qr.width
    margin = max(12, width // 25)
    max_w = width - 2 * margin
    # (font, lines, gap before this block)
    blocks = [
        (*_fit_lines(full_name, True, 40, max_w), 0),
        (*_fit_lines(district, False, 30, max_w), 6),
        (*_fit_lines(f"Mã: {code}", False, 28, max_w, max_lines=1), 10),
    ]
    line_gap = 6
    text_h = 0
    for font, lines, gap in blocks:
        ascent, descent = font.getmetrics()
        text_h += gap + len(lines) * (ascent + descent) + (len(lines) - 1) * line_gap
    bottom_pad = qr.width // 12  # ~ the QR quiet zone, so the label sits centred in white
    img = Image.new("L", (width, qr.height + text_h + bottom_pad), 255)
    img.paste(qr, (0, 0))
    draw = ImageDraw.Draw(img)
    # The quiet zone under the symbol already separates it from the text.
    y = qr.height - qr.width // 30
    for font, lines, gap in blocks:
        ascent, descent = font.getmetrics()
        y += gap
        for i, line in enumerate(lines):
            if i:
                y += line_gap
            draw.text((width / 2, y), line, font=font, fill=0, anchor="ma")
            y += ascent + descent
    return img


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    # Level 3: ~35 % faster than the default 6 for ~30 % larger files (~14 kB each).
    img.save(buf, format="PNG", dpi=(PNG_DPI, PNG_DPI), compress_level=3)
    return buf.getvalue()


@lru_cache(maxsize=512)
def _labelled_png(url: str, code: str, full_name: str, district: str) -> bytes:
    # Cached so that writing the files, the ZIP and a preview in one session render each once.
    with _RENDER_LOCK:
        img = _labelled_image(url, code, full_name, district)
    return _png_bytes(img)


def qr_png(base_url: str, commune: CommuneLike) -> bytes:
    """PNG (~600 px wide) of the commune's QR code with its name, district and code under it."""
    code = _check_code(commune.code)
    return _labelled_png(
        survey_url(base_url, code), code, _nfc(commune.full_name), _nfc(commune.district_full_name)
    )


def _unique(communes: Iterable[CommuneLike]) -> list[CommuneLike]:
    items = list(communes)
    seen: set[str] = set()
    for c in items:
        code = _check_code(c.code)
        if code in seen:
            raise ValueError(f"Mã đơn vị bị trùng: {code}")
        seen.add(code)
    return items


def _render_pngs(base_url: str, items: Sequence[CommuneLike],
                 progress: Progress | None) -> Iterator[tuple[CommuneLike, bytes]]:
    """Yield (commune, PNG bytes) in input order, reporting progress after each one.

    Deliberately single-threaded: QR encoding is pure Python (GIL-bound), so threads gain
    little, and the server's other core is better left to the citizens filling in the survey.
    """
    total = len(items)
    for i, c in enumerate(items, 1):
        yield c, qr_png(base_url, c)
        if progress:
            progress(i, total)


def write_pngs(base_url: str, communes: Iterable[CommuneLike], out_dir: Path,
               progress: Progress | None = None) -> list[Path]:
    """Write ``out_dir/<code>.png`` for every commune; return the paths in input order."""
    items = _unique(communes)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for c, png in _render_pngs(base_url, items, progress):
        path = out_dir / f"{c.code}.png"
        path.write_bytes(png)
        paths.append(path)
    return paths


def zip_pngs(base_url: str, communes: Iterable[CommuneLike],
             progress: Progress | None = None) -> bytes:
    """A ZIP archive holding ``<code>.png`` for every commune."""
    items = _unique(communes)
    buf = io.BytesIO()
    # PNG is already compressed: store, don't deflate again.
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for c, png in _render_pngs(base_url, items, progress):
            zf.writestr(f"{c.code}.png", png)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Printable PDF
# --------------------------------------------------------------------------------------------

# A4 portrait layout, millimetres.
_PAGE_W, _PAGE_H = 210.0, 297.0
_MARGIN_X = 12.0
_COLS, _ROWS = 3, 4
_GRID_TOP = 29.0
_GRID_BOTTOM = _PAGE_H - 14.0
_CELL_W = (_PAGE_W - 2 * _MARGIN_X) / _COLS
_CELL_H = (_GRID_BOTTOM - _GRID_TOP) / _ROWS
_QR_MM = 42.0


class _QrPdf(FPDF):
    def __init__(self, title: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc_title = title
        pdf_setup.set_up(self, title=title, margins=(_MARGIN_X, 10, _MARGIN_X), page_break=None)

    def header(self) -> None:
        self.set_xy(_MARGIN_X, 9)
        self.set_font("DejaVu", "B", 10)
        self.set_text_color(60)
        self.cell(_PAGE_W - 2 * _MARGIN_X, 5, self.doc_title, align="C")
        self.set_draw_color(160)
        self.set_line_width(0.2)
        self.line(_MARGIN_X, 15.5, _PAGE_W - _MARGIN_X, 15.5)
        self.set_text_color(0)

    def footer(self) -> None:
        self.set_xy(_MARGIN_X, _PAGE_H - 10)
        self.set_font("DejaVu", "", 8)
        self.set_text_color(90)
        self.cell(_PAGE_W - 2 * _MARGIN_X, 4, f"Trang {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0)

    def fit_font(self, text: str, style: str, size: float, max_w: float,
                 min_size: float = 6.5) -> float:
        """Set the largest font size <= ``size`` at which ``text`` fits in ``max_w`` mm."""
        while True:
            self.set_font("DejaVu", style, size)
            if self.get_string_width(text) <= max_w or size <= min_size:
                return size
            size -= 0.5


def _district_heading(pdf: _QrPdf, district: str, count: int, continued: bool) -> None:
    pdf.set_xy(_MARGIN_X, 18)
    pdf.set_font("DejaVu", "B", 13)
    text = district + (" (tiếp theo)" if continued else f" ({count} đơn vị)")
    pdf.cell(_PAGE_W - 2 * _MARGIN_X, 8, text, align="L")


def _pdf_cell(pdf: _QrPdf, x: float, y: float, url: str, code: str, name: str,
              qr_img: Image.Image) -> None:
    # Light dashed frame as a cutting guide.
    pdf.set_draw_color(185)
    pdf.set_line_width(0.15)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=1.2, gap=1.2)
        pdf.rect(x + 1, y + 1, _CELL_W - 2, _CELL_H - 2)
    inner_w = _CELL_W - 6
    pdf.image(qr_img, x=x + (_CELL_W - _QR_MM) / 2, y=y + 2.5,
              w=_QR_MM, h=_QR_MM)
    # Name: one line if it fits at >= 8.5 pt, otherwise two lines.
    ty = y + 2.5 + _QR_MM + 0.5
    pdf.fit_font(name, "B", 10.5, inner_w, min_size=8.5)
    if pdf.get_string_width(name) <= inner_w:
        pdf.set_xy(x + 3, ty + 2)
        pdf.cell(inner_w, 5, name, align="C")
    else:
        pdf.set_xy(x + 3, ty - 0.5)
        pdf.multi_cell(inner_w, 4.3, name, align="C", max_line_height=4.3)
    pdf.set_xy(x + 3, ty + 9)
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(inner_w, 4.5, f"Mã: {code}", align="C")
    short = _short_url(url)
    pdf.fit_font(short, "", 7.5, inner_w, min_size=5)
    pdf.set_text_color(40, 40, 120)
    pdf.set_xy(x + 3, ty + 13.5)
    pdf.cell(inner_w, 4, short, align="C", link=url)
    pdf.set_text_color(0)


def _group_by_district(items: Sequence[CommuneLike]) -> list[tuple[str, list[CommuneLike]]]:
    """Group communes by district, keeping the input order of districts and communes."""
    groups: dict[str, list[CommuneLike]] = {}
    for c in items:
        groups.setdefault(_nfc(c.district_full_name), []).append(c)
    return list(groups.items())


def qr_pdf(base_url: str, communes: Iterable[CommuneLike], title: str = DEFAULT_PDF_TITLE,
           progress: Progress | None = None) -> bytes:
    """A4 PDF of all QR codes, grouped by district (each district starts on a new page),
    3 x 4 codes per page, with name, code and link under each code; DejaVu fonts embedded."""
    items = _unique(communes)
    pdf = _QrPdf(_nfc(title))
    total = len(items)
    done = 0
    per_page = _COLS * _ROWS
    if not items:
        pdf.add_page()
        pdf.set_xy(_MARGIN_X, 20)
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(_PAGE_W - 2 * _MARGIN_X, 8, "Chưa có đơn vị nào.", align="L")
    for district, group in _group_by_district(items):
        for start in range(0, len(group), per_page):
            pdf.add_page()
            _district_heading(pdf, district or "(Chưa rõ huyện)", len(group), start > 0)
            for k, c in enumerate(group[start:start + per_page]):
                row, col = divmod(k, _COLS)
                x = _MARGIN_X + col * _CELL_W
                y = _GRID_TOP + row * _CELL_H
                url = survey_url(base_url, c.code)
                # 1-bit image: embedded losslessly and compactly (CCITT G4 or Flate).
                img = qr_image(url, PDF_BOX_PX).convert("1", dither=Image.Dither.NONE)
                _pdf_cell(pdf, x, y, url, c.code, _nfc(c.full_name), img)
                done += 1
                if progress:
                    progress(done, total)
    return bytes(pdf.output())


def export_all(base_url: str, communes: Iterable[CommuneLike], out_dir: Path,
               title: str = DEFAULT_PDF_TITLE,
               progress: Progress | None = None) -> tuple[list[Path], Path]:
    """Write every ``<code>.png`` and ``qr_codes.pdf`` into ``out_dir`` (e.g. ``assets/qr``).

    Progress counts PNGs then PDF cells, so ``total`` is twice the number of communes.
    """
    items = _unique(communes)
    n = len(items)

    def png_step(done: int, _total: int) -> None:
        if progress:
            progress(done, 2 * n)

    def pdf_step(done: int, _total: int) -> None:
        if progress:
            progress(n + done, 2 * n)

    paths = write_pngs(base_url, items, out_dir, png_step)
    pdf_path = Path(out_dir) / "qr_codes.pdf"
    pdf_path.write_bytes(qr_pdf(base_url, items, title, pdf_step))
    return paths, pdf_path
