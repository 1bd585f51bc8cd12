"""What a citizen's own browser remembers between visits of the survey: two first-party cookies.

* ``qcdc_t_<form>``: the submission token of the sheet being answered on this browser for one
  campaign and commune (``svy<campaign>_<commune>``). The server draws it when the form is first
  shown and the page's script stores it, so that the answers keep their token after a reload,
  a reconnect to a restarted server or a new tab: a sheet already stored is found by it (the
  citizen is told it was received) and a retry stores nothing twice (app/survey/responses.py,
  ``submit_response`` is idempotent on the token). It names a sheet, not a person: the token is
  random and was already stored with the sheet.
* ``qcdc_b``: an anonymous, random browser identifier for the integrity checks (stored only as
  a keyed hash with the sheet, never shown).

Streamlit reads cookies from the request that opened the page's connection
(``st.context.cookies``) and cannot set them; the page sets them with a constant script
(app/ui/core/page_scripts.py, allowed by the nginx Content-Security-Policy), drawn only when a
value changes. A browser that refuses cookies still answers
normally; it is only not recognised on its next visit.
"""
from __future__ import annotations

import re
import secrets

import streamlit as st

from app.ui.core import page_scripts

BROWSER_COOKIE = "qcdc_b"
NGINX_ROUTE_COOKIE = "qcdc_route"  # set by the shipped nginx (deploy/), a fallback browser id
TOKEN_DAYS = 14      # longer than a campaign's window: a reload days later still recognises it
BROWSER_DAYS = 60
_VALUE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_SENT = "qcdc_cookies_sent"  # what this session told the browser to keep



def token_cookie(form: str) -> str:
    return f"qcdc_t_{form}"


def read(name: str) -> str | None:
    """A cookie the browser sent when it opened this connection, if it looks like ours."""
    try:
        value = st.context.cookies.get(name)
    except Exception:  # outside a browser session (AppTest): no cookies
        return None
    return value if isinstance(value, str) and _VALUE.match(value) else None


def browser_id() -> str:
    """This browser's anonymous id: the one it already has, else a new one (remembered by
    ``remember``)."""
    value = st.session_state.get(BROWSER_COOKIE)
    if value is None:
        value = read(BROWSER_COOKIE) or read(NGINX_ROUTE_COOKIE) or secrets.token_urlsafe(16)
        st.session_state[BROWSER_COOKIE] = value
    return value


def remember(values: dict[str, str | None]) -> None:
    """Have the browser keep these cookies (None: forget it). Draws a hidden script element
    only when a value differs from what this session already told the browser (a script runs
    once per distinct content), so most runs draw nothing."""
    sent: dict = st.session_state.setdefault(_SENT, {})
    wanted = {k: v for k, v in values.items() if v is None or _VALUE.match(v)}
    if all(k in sent and sent[k] == v for k, v in wanted.items()):
        return
    sent.update(wanted)
    _draw(sent)


def _draw(values: dict[str, str | None]) -> None:
    cookies = {name: [value, BROWSER_DAYS if name == BROWSER_COOKIE else TOKEN_DAYS]
               for name, value in sorted(values.items())}
    # hidden by the public pages' style (app/ui/core/layout.py): it takes no room on the phone
    st.html(page_scripts.html_with_script(page_scripts.COOKIES, {"qcdc-cookies": cookies}),
            unsafe_allow_javascript=True)
