"""Small helpers for the Excel files the app writes (openpyxl)."""
from __future__ import annotations

from typing import Any, Iterable


def append_row(ws, values: Iterable[Any]) -> None:
    """``ws.append`` that keeps text as text: openpyxl would store a string starting with "="
    as a formula, so a typed name or label like "=HYPERLINK(...)" could run in Excel; text
    starting with "=", "+", "-" or "@" is quote-prefixed (app/sanitize.py)."""
    from app.core.spreadsheet import excel_text, neutralise_row
    ws.append([excel_text(v) for v in values])
    neutralise_row(ws)


def csv_safe(value: Any) -> Any:
    """A CSV cell that spreadsheet programs will not evaluate as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
