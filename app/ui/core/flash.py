"""Messages that outlive ``st.rerun()``.

A message drawn just before ``st.rerun()`` never reaches the browser: the rerun starts a new
page at once and the user sees the same form as before, as if nothing had happened (a password
change looked like a failure). Pages therefore queue what they want to say with
``rerun_with(message)`` (or ``flash(message)`` then their own rerun); the entry script
(streamlit_app.py) shows the queue at the top of the next runs of the same page, as a message
and, the first time, as a toast that is seen wherever the page is scrolled to.

A message stays for ``SHOW_SECONDS`` rather than one run: a run that follows by itself (the
sign-in cookie being renewed after a password change, a component answering) would otherwise
wipe it before it is read. A new message replaces the old ones; another page does not show them.
"""
from __future__ import annotations

import time
from typing import NoReturn

import streamlit as st

_KEY = "qcdc_flash_after_rerun"
SHOW_SECONDS = 15.0
KINDS = ("success", "info", "warning", "error")
_ICONS = {"success": ":material/check_circle:", "info": ":material/info:",
          "warning": ":material/warning:", "error": ":material/error:"}


def flash(message: str, kind: str = "success") -> None:
    """Queue `message` for the next run of this session (it replaces messages already shown)."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    queue = st.session_state.get(_KEY)
    if not queue or queue["until"] is not None:  # those shown already make way
        queue = {"messages": [], "page": None, "until": None}
        st.session_state[_KEY] = queue
    queue["messages"].append((kind, str(message)))


def flash_all(messages: list[tuple[str, str]]) -> None:
    """Queue several (kind, message) pairs in order."""
    for kind, message in messages:
        flash(message, kind)


def rerun_with(message: str | None = None, kind: str = "success") -> NoReturn:
    """Queue `message` (if any) and rerun the app: the message shows on the new page."""
    if message:
        flash(message, kind)
    st.rerun()


def pending() -> list[tuple[str, str]]:
    """The queued messages, without taking them (tests, and pages that need to know)."""
    queue = st.session_state.get(_KEY)
    return list(queue["messages"]) if queue else []


def show_flashes(page: str | None = None) -> None:
    """Show the messages queued by an earlier run of this page (for SHOW_SECONDS)."""
    queue = st.session_state.get(_KEY)
    if not queue:
        return
    now = time.monotonic()
    first_time = queue["until"] is None
    if first_time:
        queue["until"], queue["page"] = now + SHOW_SECONDS, page
    elif now > queue["until"] or queue["page"] != page:
        st.session_state.pop(_KEY, None)
        return
    for kind, text in queue["messages"]:
        getattr(st, kind)(text, icon=_ICONS[kind])
    first = queue["messages"][0] if queue["messages"] else None
    if first_time and first and first[0] in ("success", "info"):
        st.toast(first[1], icon=_ICONS[first[0]])
