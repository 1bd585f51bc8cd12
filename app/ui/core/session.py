"""Streamlit glue for start-up, sign-in state and page guards.

The signed-in user's scope is rebuilt from the database on every run (a disabled account or a
changed role takes effect at once); the browser only holds a signed cookie
(streamlit-authenticator's JWT) naming the user. Citizens without that cookie never load the
authenticator, so the public survey stays light.

Signing out ends the session on the server too (``app.auth.sign_out_everywhere``): a cookie the
browser kept, or another open tab, is refused from then on, as after a password change or reset
or when the account is disabled. A session lasts ``session_hours`` from its sign-in, whether it
was restored from the cookie or not.
"""
from __future__ import annotations

import functools
import time

import streamlit as st

from app.core import access
from app.core.auth import (
    ANONYMOUS,
    SCREEN_ONLY,
    Scope,
    attempt_sign_in,
    cookie_token,
    get_user,
    scope_for,
    session_revoked,
    sign_out_everywhere,
    user_from_cookie,
)
from app.core.i18n import t
from app.core.settings import load_settings
from app.survey import admission
from app.ui.core import page_scripts

_KEY_USER = "qcdc_user"
_KEY_SINCE = "qcdc_signed_in_at"
_KEY_SCOPE = "qcdc_scope"
_KEY_COOKIE = "qcdc_sign_in_cookie"  # the signed cookie this tab's browser is told to keep
# set when this session's sign-in ended during a run (expired, revoked, disabled): the entry
# script then shows the sign-in page, whatever page the tab was on
SESSION_ENDED = "qcdc_session_ended"


@st.cache_resource(show_spinner=False)
def boot() -> dict:
    """Migrate and seed once per server process."""
    from app.core.startup import ensure_ready
    return ensure_ready(load_settings().demo_mode)


@st.cache_resource(show_spinner=False)
def settings():
    return load_settings()


def _authenticator():
    import streamlit_authenticator as stauth

    from app.core.auth import list_credentials
    cfg = settings()
    return stauth.Authenticate(list_credentials(), cfg.cookie_name, cfg.cookie_key,
                               cookie_expiry_days=cfg.session_hours / 24.0,
                               login_sleep_time=0)


def _restore_from_cookie() -> None:
    """If the browser holds a valid, unrevoked sign-in cookie, restore that user's session."""
    cfg = settings()
    token = st.context.cookies.get(cfg.cookie_name)
    if not isinstance(token, str) or not token:
        return
    if st.session_state.get("qcdc_signed_out"):
        return
    # signature, expiry, account state and server-side revocation; the user name comes from the
    # signed token only, never from session keys
    found = user_from_cookie(token, cfg.cookie_key, cfg.session_hours)
    if found is None:
        return
    user, issued_at = found
    st.session_state[_KEY_USER] = user.username
    st.session_state[_KEY_SINCE] = issued_at  # the cookie's sign-in time: no lifetime extension
    # streamlit-authenticator's own keys, so that signing out deletes its cookie
    st.session_state["authentication_status"] = True
    st.session_state["username"] = user.username
    st.session_state["name"] = user.name
    st.session_state["roles"] = [user.role]
    st.session_state["logout"] = False


def current_scope() -> Scope:
    """The signed-in user's scope, or ANONYMOUS."""
    username = st.session_state.get(_KEY_USER)
    if not username:
        _restore_from_cookie()
        username = st.session_state.get(_KEY_USER)
    if not username:
        return ANONYMOUS
    since = st.session_state.setdefault(_KEY_SINCE, time.time())
    if time.time() - since > settings().session_hours * 3600:
        sign_out(expired=True, revoke=False)
        st.session_state[SESSION_ENDED] = True
        return ANONYMOUS
    user = get_user(username)
    if user is None or not user.active or session_revoked(user, since):
        # disabled, signed out elsewhere, password changed or reset
        sign_out(revoke=False)
        st.session_state["qcdc_flash"] = t("auth.session_ended")
        st.session_state[SESSION_ENDED] = True
        return ANONYMOUS
    if st.session_state.pop("qcdc_renew_cookie", False):
        _issue_cookie(username, since)
    st.session_state["qcdc_must_change"] = bool(user.must_change_password
                                                and user.role != SCREEN_ONLY)
    scope = scope_for(user)
    st.session_state[_KEY_SCOPE] = scope  # what this run's page (and its fragments) serve
    return scope


# The password checks of the sign-in page: one at a time per process, in a gate of their own
# (never the citizens' slot: streamlit_app.py does not gate the sign-in page). bcrypt releases
# the interpreter lock, so one check at a time keeps at most one core busy with them whatever
# the number of attempts; a failure's delay is waited after the check has left the gate.
SIGNIN_WAIT_S = 15.0
_signin_gate = admission.Gate(concurrency=1, max_wait_s=SIGNIN_WAIT_S,
                              priority_wait_s=SIGNIN_WAIT_S, initial_hold_s=0.25)


def live_fragment(run_every=None):
    """``st.fragment(run_every=...)`` for signed-in pages: every rerun of the fragment checks the
    session as a full run does (``current_scope``: expiry, a disabled account, a changed
    password or role, signing out elsewhere). If it no longer holds the scope the page was drawn
    for, the whole app reruns, which shows the sign-in page (``require_page``), and the
    fragment draws nothing. A fragment's rerun runs only the fragment, never the entry script
    or the page's ``require_page``: without this check a tab left open kept receiving fresh
    figures after the account was disabled. Use it for every fragment
    (``tests/test_fragment_revocation.py`` checks that nothing calls st.fragment directly)."""
    def decorate(body):
        @st.fragment(run_every=run_every)
        @functools.wraps(body)
        def guarded(*args, **kwargs):
            drawn_for = st.session_state.get(_KEY_SCOPE)
            if _in_fragment_rerun() and current_scope() != drawn_for:
                st.rerun(scope="app")
            return body(*args, **kwargs)
        return guarded
    return decorate


def _in_fragment_rerun() -> bool:
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def do_sign_in(username: str, password: str) -> str | None:
    """Check the password; on success set the session and the cookie the browser is to keep
    (``keep_sign_in_cookie``, drawn with the next page). Returns an error text."""
    with _signin_gate.slot(admission.NEW) as ticket:
        if ticket is None:
            return t("auth.busy")
        result = attempt_sign_in(username, password)
    if not result.ok:
        time.sleep(result.delay)  # holding no slot, no connection
        return result.message
    user = result.user
    st.session_state[_KEY_USER] = user.username
    st.session_state[_KEY_SINCE] = time.time()
    st.session_state.pop("qcdc_signed_out", None)
    # streamlit-authenticator's own session keys, so that signing out deletes the cookie
    st.session_state["authentication_status"] = True
    st.session_state["username"] = user.username
    st.session_state["name"] = user.name
    st.session_state["roles"] = [user.role]
    st.session_state.setdefault("logout", False)
    st.session_state["logout"] = False
    _issue_cookie(user.username, st.session_state[_KEY_SINCE])
    return None


def _issue_cookie(username: str, issued_at: float) -> None:
    cfg = settings()
    st.session_state[_KEY_COOKIE] = cookie_token(username, cfg.cookie_key, cfg.session_hours,
                                                 issued_at)


def keep_sign_in_cookie() -> None:
    """Have the browser keep this session's sign-in cookie, so that a reload or a new tab stays
    signed in (``_restore_from_cookie``). Drawn by the entry script in the sidebar of every
    signed-in page, a hidden element with a constant page script (app/ui/core/page_scripts.py,
    allowed by the nginx Content-Security-Policy): the script runs when the element first
    appears and again only if the cookie changes (a renewal), so the first page after signing
    in writes it while it is drawn.

    Before, streamlit-authenticator's cookie component wrote it: two component frames to load
    (one reading every cookie, one writing), and a run of the sign-in page after each answer
    before the start page could be drawn (docs/PERFORMANCE.md, sign-in)."""
    token = st.session_state.get(_KEY_COOKIE)
    if not token:
        return
    cfg = settings()
    with st.sidebar:
        st.html(page_scripts.html_with_script(
            page_scripts.SIGN_IN_COOKIE,
            {"qcdc-sign-in": [cfg.cookie_name, token, int(cfg.session_hours * 3600)]}),
            unsafe_allow_javascript=True)


def renew_session() -> None:
    """After the user changed their own password (which revoked every session): keep this one,
    with a new sign-in time and a new cookie (set on the next run)."""
    if st.session_state.get(_KEY_USER):
        st.session_state[_KEY_SINCE] = time.time()
        st.session_state["qcdc_renew_cookie"] = True


def sign_out(expired: bool = False, revoke: bool = True) -> None:
    """End this session. `revoke` (the sign-out button) also ends the user's other sessions and
    makes any copy of the cookie worthless; internal endings (expiry, a disabled or revoked
    account) pass revoke=False."""
    username = st.session_state.get(_KEY_USER)
    if revoke and username:
        try:
            sign_out_everywhere(username)
        except Exception:  # the database is busy: this session still ends below
            pass
    # st.context.cookies holds the cookies of the page load only: a cookie set after it (by the
    # sign-in of this very session) must be deleted too
    if settings().cookie_name in st.context.cookies or st.session_state.get("authentication_status"):
        try:
            authenticator = _authenticator()
            if st.session_state.get("authentication_status"):
                authenticator.logout(location="unrendered")
            else:
                authenticator.cookie_controller.delete_cookie()
        except Exception:
            pass
    for key in (_KEY_USER, _KEY_SINCE, _KEY_SCOPE, _KEY_COOKIE, "authentication_status", "username", "name",
                "roles", "qcdc_must_change"):
        st.session_state.pop(key, None)
    st.session_state["qcdc_signed_out"] = True
    if expired:
        st.session_state["qcdc_flash"] = t("auth.session_expired")


def require_page(key: str) -> Scope:
    """Guard at the top of every non-public page: stops the script unless the role may see it."""
    scope = current_scope()
    spec = access.page(key)
    if not access.allowed(spec, scope.role):
        from app.ui.core import entry
        if scope.role == "public" and entry.running_through_entry():
            # a staff address opened before signing in: sign in, then land on it
            st.session_state["qcdc_next"] = key
            st.session_state["qcdc_flash"] = t("auth.sign_in_first")
            st.switch_page(access.page("login").path)
        st.error(t("common.not_allowed"))
        st.stop()
    return scope
