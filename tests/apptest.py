"""Helpers for Streamlit AppTest tests that drive the real entry script and pages."""
from __future__ import annotations

import html
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def app_for(page: str | None = None, *, user: str | None = None,
            query: dict | None = None, timeout: float = 30) -> AppTest:
    """An AppTest of streamlit_app.py, optionally signed in as `user` and switched to the page
    file `page` (e.g. "pages/public/survey.py") with query parameters."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout)
    if user:
        at.session_state["qcdc_user"] = user
    if query:
        for k, v in query.items():
            at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def texts(at: AppTest) -> str:
    """All visible text of the last run (markdown, titles, alerts, captions, and the text of
    st.html blocks without their tags, styles and scripts), one blob."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning",
                 "info", "success", "exception"):
        for el in getattr(at, kind, []):
            parts.append(str(getattr(el, "value", "")))
    # st.html blocks (a question's own error sits above its options), without their markup
    # and without scripts and styles (the public pages' style shares the demo banner's block),
    # as a reader sees them
    for el in at.get("html"):
        body = re.sub(r"(?is)<(style|script)\b.*?</\1>", "", str(el.value))
        parts.append(html.unescape(re.sub(r"<[^>]+>", "", body)))
    # without the invisible word joiners md_escape puts in addresses (app/ui/core/text.py)
    return "\n".join(parts).replace("\u2060", "")


def answer_all(at: AppTest, defn, *, skip: set[str] = frozenset(), choice: int = 0) -> AppTest:
    """Answer every question of the survey form in `at` (option number `choice` of each closed
    question, one checkbox per multiple-choice question), except the question ids in `skip`."""
    for r in at.radio:
        q = _question_for_key(defn, r.key)
        if q is None or q.id in skip:
            continue
        if q.type == "rating":
            r.set_value(list(range(q.scale_min, q.scale_max + 1))[choice % (q.scale_max - q.scale_min + 1)])
        else:
            r.set_value(q.options[choice % len(q.options)].value)
    for cb in at.checkbox:
        q = _question_for_key(defn, (cb.key or "").split("__")[0])
        if q is None or q.id in skip:
            continue
        value = cb.key.split("__", 1)[1]
        if value == q.options[0].value:
            cb.check()
    return at


def _question_for_key(defn, key: str | None):
    if not key:
        return None
    for q in defn.all_questions:
        if key.endswith("_" + q.id):
            return q
    return None


def submit_button(at: AppTest):
    for b in at.button:
        if "Gửi phiếu" in str(b.label):
            return b
    raise AssertionError("no submit button on the page")
