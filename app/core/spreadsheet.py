"""Spreadsheet safety: text typed by citizens or staff, made safe for the Excel and CSV files
the app writes, and uploaded workbooks checked before they are opened.

One rule for every file: ``looks_like_formula`` (``FORMULA_START``). Excel cells go through
``append_row`` / ``safe_cell`` / ``neutralise_cell``, CSV cells through ``csv_text``.

Excel: a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage return)
could be read as a formula: openpyxl itself stores a string starting with ``=`` as a formula, and
Excel re-parses any such text as soon as someone edits the cell or saves the sheet as CSV
("formula injection", e.g. ``=HYPERLINK("http://evil", "Bấm vào đây")``). ``neutralise_cell``
keeps the cell's value exactly as typed, stores it as text and sets Excel's *quote prefix* (the
leading apostrophe Excel shows in the formula bar), so the text stays text even when edited.
Characters that XML cannot hold (control characters) are dropped.

Uploaded workbooks: ``xlsx_problem`` refuses, before any parsing, a file that is empty, too
big, an old binary .xls, not a zip, or a zip that would expand to too much (a "zip bomb").

Importable without Streamlit; works with normal and write-only openpyxl cells.
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def excel_text(value: Any) -> Any:
    """A string without the control characters an .xlsx file cannot store; other values as is."""
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    return value


def looks_like_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def neutralise_cell(cell) -> None:
    """Make an openpyxl cell holding text safe: never a formula, quote-prefixed when it starts
    like one (the value itself is unchanged)."""
    value = cell.value
    if not isinstance(value, str):
        return
    clean = excel_text(value)
    if clean != value:
        cell.value = clean
    if looks_like_formula(clean):
        cell.data_type = "s"
        cell.quotePrefix = True


def safe_cell(ws, value: Any):
    """A write-only cell for `value` when it needs neutralising, else the value itself (fast
    path for numbers and ordinary text)."""
    value = excel_text(value)
    if not looks_like_formula(value):
        return value
    from openpyxl.cell import WriteOnlyCell
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def neutralise_row(ws, row: int | None = None) -> None:
    """Neutralise every text cell of a worksheet row (default: the last one appended)."""
    for cell in ws[row or ws.max_row]:
        neutralise_cell(cell)


def append_row(ws, values) -> None:
    """``ws.append`` that keeps text as text: openpyxl would store a string starting with "="
    as a formula, so a typed name or label like "=HYPERLINK(...)" could run in Excel."""
    ws.append([excel_text(v) for v in values])
    neutralise_row(ws)


def csv_text(value: Any) -> Any:
    """A CSV cell that spreadsheet programs will not evaluate: a leading apostrophe."""
    if looks_like_formula(value):
        return "'" + value
    return value


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003) and other OLE files


def xlsx_problem(data: bytes, *, max_bytes: int, max_unzipped: int) -> str | None:
    """Why `data` must not be opened as an .xlsx workbook, or None: "empty", "too_big" (the
    file, or what it would expand to), "xls" (old binary format) or "not_xlsx"."""
    if not data:
        return "empty"
    if len(data) > max_bytes:
        return "too_big"
    if data[:8] == OLE_MAGIC:
        return "xls"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
                return "not_xlsx"
            if len(infos) > 10_000 or sum(i.file_size for i in infos) > max_unzipped:
                return "too_big"
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return "not_xlsx"
    return None


csv_safe = csv_text  # its name in the flat layout (app.sheets.csv_safe)
