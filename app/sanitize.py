"""Text typed by citizens or staff, made safe for the files the app writes.

Excel: a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage return)
could be read as a formula: openpyxl itself stores a string starting with ``=`` as a formula, and
Excel re-parses any such text as soon as someone edits the cell or saves the sheet as CSV
("formula injection", e.g. ``=HYPERLINK("http://evil", "Bấm vào đây")``). ``neutralise_cell``
keeps the cell's value exactly as typed, stores it as text and sets Excel's *quote prefix* (the
leading apostrophe Excel shows in the formula bar), so the text stays text even when edited.
Characters that XML cannot hold (control characters) are dropped.

Importable without Streamlit; works with normal and write-only openpyxl cells.
"""
from __future__ import annotations

import re
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


def csv_text(value: Any) -> Any:
    """A CSV cell that spreadsheet programs will not evaluate: a leading apostrophe."""
    if looks_like_formula(value):
        return "'" + value
    return value
