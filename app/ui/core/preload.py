"""The script chunks of the staff start pages, fetched by the sign-in page while the user types.

Streamlit's frontend loads an element's code only when the first message with that element
arrives. After a sign-in the start page's charts (Vega-Lite, ~1.2 MB of script), figures,
pickers and buttons were fetched only then, one more wave of requests after the page's own
run, on the sign-in's critical path (docs/PERFORMANCE.md, sign-in). The sign-in page names them
(``<link rel="modulepreload">``, drawn by ``page_scripts.PRELOAD``), so a browser that has not
cached them yet has them by the time the user has typed the password: the same files, from the
app's own ``static/js`` (allowed by the nginx Content-Security-Policy's ``script-src 'self'``),
fetched earlier. Only the sign-in page does it: citizens never sign in.

The chunk names carry a content hash that changes with each Streamlit release, so they are
found in the installed package (nginx serves a copy of the same files, deploy/prepare_static.py):
the chunk of each element below, and what it imports, found by following its imports.
"""
from __future__ import annotations

import functools
import re
from pathlib import Path

from app.core.static_bundle import chunk_named, import_closure

# The elements of the start pages, by the name of their chunk before its content hash: the
# sidebar menu (st.page_link, st.button), the pickers and switches (st.selectbox, st.toggle),
# the figures (st.metric), the charts (st.altair_chart: its chunk, the loader of Vega-Embed and
# what that loader imports lazily), the Markdown's emoji plug-in (which the frontend loads lazily,
# and did after each sign-in traced) and the commune staff's report form
# (number inputs, multiselect, text area, photo upload and photos).
START_PAGE_ELEMENTS = ("PageLink", "Button", "Selectbox", "Checkbox", "Metric",
                       "ArrowVegaLiteChart", "loadVegaEmbed", "embed", "vega-interpreter",
                       "remark-emoji", "NumberInput", "Multiselect", "TextArea", "FileUploader",
                       "ImageList")
_MODULEPRELOAD_RE = re.compile(r'<link\b[^>]*\brel="modulepreload"[^>]*\bhref="\.?/?static/js/'
                               r'([\w.-]+\.js)"')
_MAIN_SCRIPT_RE = re.compile(r'<script\b[^>]*\btype="module"[^>]*\bsrc="\.?/?static/js/'
                             r'([\w.-]+\.js)"')


def static_dir() -> Path:
    import streamlit
    return Path(streamlit.__file__).resolve().parent / "static"


@functools.lru_cache(maxsize=1)
def start_page_chunks(root: Path | None = None) -> tuple[str, ...]:
    """File names (in ``static/js``) of the start pages' chunks that the page itself does not
    load at once (index.html's own modulepreload list and main script), in load order; empty
    if the bundle is not laid out as expected (nothing is preloaded then, nothing breaks)."""
    root = root or static_dir()
    js = root / "static" / "js"
    try:
        index = (root / "index.html").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    have = set(_MODULEPRELOAD_RE.findall(index)) | set(_MAIN_SCRIPT_RE.findall(index))
    roots = [n for n in (chunk_named(js, element) for element in START_PAGE_ELEMENTS) if n]
    return tuple(import_closure(js, roots, have))
