"""Cleaning the free text typed by citizens and staff before it is stored.

``clean_text``: free text that may run over several lines (survey answers, achievements, notes):
NFC, no control, format (bidi overrides, zero-width) or unassigned characters except new lines
and tabs, trimmed. ``clean_line``: one line (names, phone numbers, cells of uploaded workbooks):
the same, with every line break or tab turned into a space and runs of spaces made one; None and
pandas' NaN give "". Showing text safely is another matter: ``app.ui.core.text.md_escape``;
writing it to Excel or CSV: ``app.core.spreadsheet``.
"""
from __future__ import annotations

import re
import unicodedata

_CONTROL_OK = {"\n", "\t"}
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = "\t\n\r\x0b\x0c"


def clean_text(value: str) -> str:
    """Free text as typed, minus control, bidi-override and unassigned characters."""
    value = unicodedata.normalize("NFC", value)
    value = _BIDI.sub("", value)
    out = []
    for ch in value:
        cat = unicodedata.category(ch)
        if ch in _CONTROL_OK or not (cat.startswith("C")):
            out.append(ch)
    return "".join(out).strip()


def clean_line(value: object) -> str:
    """One line of text: NFC, single spaces, no control or invisible format characters (they
    would break the Excel exports and can hide text)."""
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = "".join(" " if ch in _LINE_BREAKS else ch for ch in text
                   if ch in _LINE_BREAKS or not unicodedata.category(ch).startswith("C"))
    return " ".join(text.split())
