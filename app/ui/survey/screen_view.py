"""The office screen (``/man-hinh-qr``): a QR code that changes for every citizen (issue 15).

Made for a tablet or a TV at the one-stop counter, in a browser in full screen or kiosk mode,
signed in with the commune's screen-only account. A fragment reruns every second
(``live_fragment``): when the code shown was opened on a phone, or is about to expire, it draws
a fresh one (app/survey/kiosk.py), so the next citizen in the queue scans their own. Today's
counts (codes shown, opened, verified sheets) are read every few seconds.

When the server cannot be reached, Streamlit greys the page and shows its own small banner;
a constant page script (``page_scripts.SCREEN_WATCH``) also covers the screen with a plain
Vietnamese notice that the printed QR code still works, and takes it away once the server
answers again (a restarted server gives the browser a new session: a new code is drawn).
"""
from __future__ import annotations

import html
import io
import secrets
import time

import streamlit as st
from sqlalchemy.exc import OperationalError

from app.core import clock
from app.core.auth import AuthError, Scope
from app.core.fmt import fmt_date, fmt_int
from app.core.i18n import t
from app.core.reference import find_commune
from app.survey import kiosk
from app.survey.responses import DatabaseBusy
from app.ui.core import page_scripts
from app.ui.core.session import live_fragment

TICK_S = 1.0
COUNTS_EVERY_S = 5.0
QR_PX = 560

SCREEN_CSS = """
<style>
header[data-testid="stHeader"], section[data-testid="stSidebar"],
div[data-testid="stSidebarCollapsedControl"] { display: none; }
.block-container { padding: 1.2rem 2rem 0.5rem 2rem; max-width: 100%; }
.qcdc-screen-title { font-size: 2.6rem; font-weight: 800; line-height: 1.15; margin: 0 0 0.4rem 0; }
.qcdc-screen-commune { font-size: 2rem; font-weight: 700; color: #0b3d91; margin-bottom: 1rem; }
.qcdc-screen-step { font-size: 1.7rem; line-height: 1.35; margin: 0.3rem 0; }
.qcdc-screen-counts { font-size: 1.3rem; color: #333; margin-top: 1.4rem; }
.qcdc-screen-note { font-size: 1.2rem; color: #555; margin-top: 0.6rem; }
div[data-testid="stImage"] img { image-rendering: pixelated; }
div[data-qcdc-offline] { display: none; position: fixed; inset: 0; z-index: 1000000;
  background: rgba(255, 255, 255, 0.96); align-items: center; justify-content: center;
  text-align: center; padding: 3rem; }
div[data-qcdc-offline] div { max-width: 900px; font-size: 2.2rem; line-height: 1.4;
  color: #5c1a00; border: 6px solid #e0a800; border-radius: 16px; padding: 2.5rem; background: #fff8e1; }
div[data-testid="stElementContainer"]:has(script[data-qcdc]) { display: none; }
</style>
"""


def _qr_png(url: str) -> bytes:
    from app.admin.qr import qr_image
    modules = qr_image(url, box_size=1)
    img = modules.resize((QR_PX, QR_PX), 0)  # nearest neighbour: sharp modules
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _screen_id() -> str:
    sid = st.session_state.get("screen_id")
    if sid is None:
        sid = st.session_state["screen_id"] = secrets.token_urlsafe(12)
    return sid


def render(scope: Scope) -> None:
    st.html(SCREEN_CSS)
    st.html(f'<div data-qcdc-offline role="alert"><div>{t("screen.offline")}</div></div>')
    st.html(page_scripts.html_with_script(page_scripts.SCREEN_WATCH, {"qcdc-watch": 1}),
            unsafe_allow_javascript=True)
    try:
        commune = find_commune(kiosk.screen_commune(scope))
    except AuthError as exc:
        st.error(str(exc))
        st.stop()
    _screen(scope, commune.full_name if commune else "")
    if scope.role == "commune":  # the commune team's own tablet: a way back to its pages
        st.page_link("pages/commune/report.py", label=t("screen.back"),
                     icon=":material/arrow_back:")


@live_fragment(run_every=TICK_S)
def _screen(scope: Scope, commune_name: str) -> None:
    shown: kiosk.ShownCode | None = st.session_state.get("screen_code")
    try:
        if kiosk.needs_new_code(scope, shown):
            shown = kiosk.issue_code(scope, _screen_id())
            st.session_state["screen_code"] = shown
            st.session_state["screen_counts_at"] = 0.0
    except (OperationalError, DatabaseBusy):
        pass  # the code on screen stays; the next tick tries again
    left, right = st.columns([5, 6], gap="large", vertical_alignment="center")
    with right:
        st.html(f'<p class="qcdc-screen-title">{t("screen.title")}</p>'
                f'<p class="qcdc-screen-commune">{html.escape(commune_name)}</p>')
        if shown is None:
            st.html(f'<p class="qcdc-screen-step">{t("screen.no_campaign")}</p>')
        else:
            st.html("".join(f'<p class="qcdc-screen-step">{t(k)}</p>'
                            for k in ("screen.step1", "screen.step2", "screen.step3")))
        _counts(scope)
    with left:
        if shown is not None:
            png = st.session_state.get("screen_png")
            if png is None or png[0] != shown.id:
                png = (shown.id, _qr_png(shown.url))
                st.session_state["screen_png"] = png
            st.image(png[1], width=QR_PX)
            # what a test or an inspector reads: the code's number, not the code
            # the code is readable in the page as it is in the QR code (tests read it)
            st.html(f'<p class="qcdc-screen-note" data-qcdc-code-id="{shown.id}" '
                    f'data-qcdc-code="{shown.code}">{t("screen.one_each")}</p>')


def _counts(scope: Scope) -> None:
    now = time.monotonic()
    held = st.session_state.get("screen_counts")
    if held is None or now - st.session_state.get("screen_counts_at", 0.0) >= COUNTS_EVERY_S:
        try:
            held = kiosk.screen_counts(scope)
        except (OperationalError, DatabaseBusy):  # a busy database: the last counts stay
            held = held or kiosk.DayCounts()
        st.session_state["screen_counts"] = held
        st.session_state["screen_counts_at"] = now
    text = t("screen.counts", day=fmt_date(clock.today()), shown=fmt_int(held.shown),
             opened=fmt_int(held.opened), verified=fmt_int(held.verified))
    st.html(f'<p class="qcdc-screen-counts" data-qcdc="screen-counts">{text}</p>')
