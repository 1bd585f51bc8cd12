"""Shared page furniture: the demo banner and the phone-friendly style of public pages."""
from __future__ import annotations

import base64
from pathlib import Path

import streamlit as st

from app.core.i18n import t

# The tab icon as a data: URL, built once per process. Given a file path, st.set_page_config
# would resolve, read and hash the file and register a media file on every run of every
# session (about 8 % of the server's CPU under a burst of citizens, bench/survey_load.py).
FAVICON = "data:image/png;base64," + base64.b64encode(
    (Path(__file__).resolve().parents[3] / "assets" / "favicon.png").read_bytes()).decode()

# High contrast, large touch targets for cheap phones in sunlight. CSS only, no script.
PUBLIC_CSS = """
<style>
header[data-testid="stHeader"] { display: none; }
.block-container { padding-top: 1.2rem; padding-left: 0.9rem; padding-right: 0.9rem; max-width: 760px; }
.stMarkdown p, .stCaption p { font-size: 1.05rem; }
div[role="radiogroup"] label { padding: 0.45rem 0.3rem; min-height: 44px; align-items: center; }
div[role="radiogroup"] label p, div[data-testid="stCheckbox"] label p { font-size: 1.05rem; line-height: 1.35; }
div[data-testid="stCheckbox"] label { padding: 0.35rem 0; min-height: 40px; }
.stFormSubmitButton button, .stButton button { min-height: 52px; font-size: 1.1rem; font-weight: 600; }
h1 { font-size: 1.7rem !important; } h2 { font-size: 1.35rem !important; } h3 { font-size: 1.2rem !important; }
.qcdc-q { font-weight: 600; margin-top: 0.6rem; }
.qcdc-err { color: #8c1d18; background: #fdecea; border-left: 4px solid #b3261e;
            padding: 0.45rem 0.7rem; border-radius: 4px; font-weight: 600; font-size: 1.05rem; }
div[data-testid="stElementContainer"]:has(script[data-qcdc]) { display: none; }
</style>
"""


def public_style() -> None:
    """The public pages' style, for a page the entry script did not style (not found)."""
    st.html(PUBLIC_CSS)


def demo_banner_html() -> str:
    return ('<div role="status" data-qcdc="demo-banner" style="background:#fff3cd;color:#5c3c00;'
            'border:2px solid #e0a800;padding:0.4rem 0.7rem;border-radius:6px;font-weight:700;'
            f'font-size:0.9rem;margin-bottom:0.5rem">{t("demo.banner")}</div>')


def page_top(demo_mode: bool, public: bool) -> None:
    """The top of every page, drawn by the entry script: the demo banner in demo mode, and
    for public pages their style, in one element (every element is a message to every
    citizen's phone and costs the server; docs/PERFORMANCE.md)."""
    body = (PUBLIC_CSS if public else "") + (demo_banner_html() if demo_mode else "")
    if body:
        st.html(body)
