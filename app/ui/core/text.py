"""Showing user-typed or admin-edited text as text, never as Markdown or HTML."""
from __future__ import annotations

import re

# Markdown and HTML syntax (brackets also stop Streamlit's directives such as ":red[...]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$!])")
# GitHub-flavoured Markdown turns "http://...", "www...." and "name@host" into links by
# itself, after escapes are read (a backslash does not stop it): an invisible word joiner
# (U+2060) inside each such start leaves the text as it reads and makes no link
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=[a-z]:)(?=//)|(?<=\bwww)(?=\.)|(?=@)")


def md_escape(text: object) -> str:
    """Escape Markdown/HTML-significant characters so Streamlit renders `text` literally: no
    image, link (written or automatic), HTML, heading, list or directive comes out of it, and
    it reads as typed."""
    s = "" if text is None else str(text)
    s = _AUTOLINK.sub(WORD_JOINER, s)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    # a leading "1." or "-" would start a list; a leading ">" a quote (already escaped); a line
    # of "=" or "-" under text a heading
    s = re.sub(r"^(\s*)(\d+)\.", r"\1\2\\.", s, flags=re.M)
    s = re.sub(r"^(\s*)([-+=])", r"\1\\\2", s, flags=re.M)
    return s
