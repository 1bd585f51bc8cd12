"""Make sure every page runs through streamlit_app.py's st.navigation.

Streamlit treats an app with a ``pages/`` folder beside the entry script as an old-style (v1)
multipage app until the entry script first calls ``st.navigation``. If the first visitor after a
restart opens ``/survey`` directly, Streamlit would run ``pages/survey.py`` on its own, skipping
start-up and the role checks. ``guard()`` at the top of every page detects that case, switches
Streamlit to st.navigation mode for the whole process and reruns through the entry script.

The check is per run, not per process: when many citizens arrive in the first second after a
restart, several sessions start in the old mode before the first one flips the switch, and each
of them must be sent back through the entry script (else they would query a database that
start-up has not created yet).
"""
from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

_ASKED = "qcdc_asked_url_path"
_run = threading.local()  # Streamlit runs every session's script in its own thread


@contextmanager
def through_entry() -> Iterator[None]:
    """Mark the page run started by the entry script (streamlit_app.py)."""
    _run.via_entry = True
    try:
        yield
    finally:
        _run.via_entry = False


def guard() -> None:
    """Call first on every page: rerun through the entry script if this run bypassed it."""
    if getattr(_run, "via_entry", False):
        return
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    ctx = get_script_run_ctx()
    page_file = sys._getframe(1).f_globals.get("__file__")
    if ctx is None or page_file is None or _same_file(page_file, ctx.main_script_path):
        return  # the page file is the app being run (a test of one page): nothing to route
    PagesManager.uses_pages_directory = False
    # page files are named by their URL (docs/DEVELOPING.md): remember which one was asked for
    st.session_state[_ASKED] = os.path.splitext(os.path.basename(page_file))[0]
    st.rerun()


def requested_url_path() -> str | None:
    """The URL path this run was asked for ("tong-quan" for /tong-quan), if the browser named
    one (a typed or bookmarked address; links inside the app name a page by its hash)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    ctx = get_script_run_ctx()
    name = getattr(getattr(ctx, "pages_manager", None), "intended_page_name", None)
    asked = st.session_state.pop(_ASKED, None)  # a first visit sent back through the entry
    if isinstance(name, str) and name.strip("/"):
        return name.strip("/")
    return asked if isinstance(asked, str) and asked else None


def running_through_entry() -> bool:
    return bool(getattr(_run, "via_entry", False))


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)
