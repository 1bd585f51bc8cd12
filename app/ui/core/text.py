"""Showing user-typed or admin-edited text as text, never as Markdown or HTML."""
from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$!])")


def md_escape(text: object) -> str:
    """Escape Markdown/HTML-significant characters so Streamlit renders `text` literally."""
    s = "" if text is None else str(text)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    # a leading "1." or "-" would start a list; a leading ">" a quote (already escaped)
    s = re.sub(r"^(\s*)(\d+)\.", r"\1\2\\.", s, flags=re.M)
    s = re.sub(r"^(\s*)([-+])", r"\1\\\2", s, flags=re.M)
    return s
