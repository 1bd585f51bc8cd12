"""Submit handling and the thank-you screen of the public survey (kept out of the page file).

A sheet is known by its submission token from the moment its form is first shown: the token
lives in the server session and in the citizen's browser (app/ui/survey/browser_memory.py), so
whatever happens to the connection or the server, the page can ask the database whether the
sheet is already stored (``recover_stored_submission``) and a second tap, a retry after a
server restart or a reload stores nothing twice.
"""
from __future__ import annotations

import logging
from contextlib import nullcontext

import streamlit as st
from sqlalchemy.exc import OperationalError

from app.core.campaigns import ActiveCampaign
from app.core.fmt import fmt_date, fmt_datetime
from app.core.i18n import t
from app.survey import admission, kiosk
from app.survey.questionnaire import Definition
from app.survey.responses import CLOSED, DatabaseBusy, Signals, find_by_token, new_submission_token, submit_response
from app.ui.core.text import md_escape
from app.ui.survey import browser_memory
from app.ui.survey.gate import storing_answers
from app.ui.survey.survey_form import clear_answers, collect_answers

log = logging.getLogger("qcdc.survey")


def prefix_for(campaign_id: int, commune_code: str) -> str:
    return f"svy{campaign_id}_{commune_code}"


def _token(prefix: str) -> str:
    """This sheet's submission token: the session's, else the one this browser kept from an
    earlier visit of the same form (then the database is asked once whether it is stored),
    else a new one. The browser is told to keep it (``remember_sheet``)."""
    key = f"{prefix}__token"
    token = st.session_state.get(key)
    if token is None:
        kept = None
        if f"{prefix}__cookie_read" not in st.session_state:  # once: the cookie the browser
            st.session_state[f"{prefix}__cookie_read"] = True  # sent when this page opened
            kept = browser_memory.read(browser_memory.token_cookie(prefix))
        if kept is not None:
            st.session_state[f"{prefix}__check"] = "kept"
        token = kept or new_submission_token()
        st.session_state[key] = token
    return token


def take_kiosk_code(prefix: str, campaign_id: int, commune_code: str) -> None:
    """The office screen's one-time code in the address (``ma=``), read once per session.

    Opened first here, the code belongs to a new sheet with its own token (this browser may
    have sent an earlier citizen's sheet); a reload of that sheet's page finds the same token
    (the session's or the cookie's) and resumes it. Any other code (reused, expired, forged)
    changes nothing: the form works as from the printed QR and the sheet is stored as not
    verified, without a word to the citizen (app/survey/kiosk.py)."""
    raw = st.query_params.get_all("ma")
    code = raw[0] if raw else None
    if not code or st.session_state.get(f"{prefix}__ma_seen") == code:
        return
    kept = st.session_state.get(f"{prefix}__token") or browser_memory.read(
        browser_memory.token_cookie(prefix))
    try:
        opening = kiosk.open_code(campaign_id, commune_code, code, kept)
    except (OperationalError, DatabaseBusy):
        log.warning("could not open a screen code for %s", commune_code)
        return  # tried again on the next run; the form works meanwhile
    st.session_state[f"{prefix}__ma_seen"] = code
    log.info("screen code for %s: %s", commune_code, opening.status)
    if opening.token is None:
        return
    st.session_state[f"{prefix}__ma"] = code
    if opening.token != st.session_state.get(f"{prefix}__token"):
        for k in ("__done", "__errors", "__started", "__check", "__tapped"):
            st.session_state.pop(f"{prefix}{k}", None)
        st.session_state[f"{prefix}__token"] = opening.token
        st.session_state[f"{prefix}__cookie_read"] = True
    if opening.status == kiosk.RESUMED:
        st.session_state[f"{prefix}__check"] = "kept"  # stored already? the thank-you screen


def remember_sheet(prefix: str) -> None:
    """The browser keeps this sheet's token and its own anonymous id (cookies)."""
    browser_memory.remember({browser_memory.token_cookie(prefix): _token(prefix),
                             browser_memory.BROWSER_COOKIE: browser_memory.browser_id()})


def _signals(prefix: str) -> Signals:
    """This session's integrity signals (app/survey/responses.py ``Signals``): the session, the
    browser's anonymous id (its ``qcdc_b`` cookie, else nginx's ``qcdc_route``, else a new one:
    ``browser_memory.browser_id``), the request's user agent, language and address, and the
    coarse facts the browser reports through ``st.context`` (time zone, its offset, locale).
    Each is read on its own: one that cannot be read is left out (logged), and the sheet is
    stored with the others."""
    def read(name: str, get):
        try:
            return get()
        except Exception:  # never Streamlit's rerun/stop (BaseException): those end the run
            log.warning("integrity signal %s unavailable; the sheet is stored without it", name,
                        exc_info=True)
            return None

    def text(v: object) -> str | None:
        return v[:512] if isinstance(v, str) else None

    def session_id() -> str | None:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        return getattr(get_script_run_ctx(), "session_id", None)

    headers = read("headers", lambda: st.context.headers) or {}
    offset = read("timezone_offset", lambda: st.context.timezone_offset)
    return Signals(session_id=text(read("session", session_id)),
                   user_agent=text(read("user_agent", lambda: headers.get("User-Agent"))),
                   accept_language=text(read("accept_language",
                                             lambda: headers.get("Accept-Language"))),
                   client_ip=text(read("ip_address", lambda: st.context.ip_address)),
                   started_at=read("started_at",
                                   lambda: st.session_state.get(f"{prefix}__started")),
                   browser_id=text(read("browser_id", browser_memory.browser_id)),
                   timezone=text(read("timezone", lambda: st.context.timezone)),
                   timezone_offset=offset if isinstance(offset, int) else None,
                   locale=text(read("locale", lambda: st.context.locale)))


def handle_submit(active: ActiveCampaign, commune_code: str, prefix: str,
                  holding_slot: bool = False) -> None:
    """Form callback: runs once per tap, before the rerun that draws the result (and, after a
    server restart, from the page itself, which already holds an admission slot:
    ``submit_without_callback``)."""
    st.session_state[f"{prefix}__tapped"] = True
    if st.session_state.get(f"{prefix}__done"):
        return  # a second tap after success: nothing to do
    st.session_state[f"{prefix}__check"] = "tapped"  # from now on, look for the stored sheet
    # Everything the write needs is read from the session first: once the browser asks for
    # another run (a reconnect, a second tap), every session-state access ends this one, and
    # the answers must still be stored; the next run finds them by their token.
    answers = collect_answers(active.definition, prefix)
    token, signals = _token(prefix), _signals(prefix)
    code = st.session_state.get(f"{prefix}__ma")
    try:
        # answers go before newcomers' forms, except those already waiting long (admission.py);
        # the widget values stay in the form either way
        with storing_answers(), _slot(holding_slot) as ticket:
            if ticket is None:
                log.warning("server busy on submit for %s", commune_code)
                st.session_state[f"{prefix}__errors"] = {"_": t("common.server_busy")}
                return
            result = submit_response(active, commune_code, answers, token, signals,
                                     is_demo=False, kiosk_code=code)
    except DatabaseBusy:
        log.warning("database busy on submit for %s", commune_code)
        st.session_state[f"{prefix}__errors"] = {"_": t("common.db_busy")}
        st.toast(t("common.db_busy"), icon=":material/hourglass_top:")
        return
    if result.ok:
        st.session_state.pop(f"{prefix}__errors", None)
        st.session_state[f"{prefix}__done"] = _done(result.response_id, result.submitted_at,
                                                    token)
    elif result.status == CLOSED:
        st.session_state[f"{prefix}__errors"] = {"_": t("survey.closed_now")}
    else:
        st.session_state[f"{prefix}__errors"] = result.errors
        st.session_state[f"{prefix}__errors_seq"] = st.session_state.get(
            f"{prefix}__errors_seq", 0) + 1


def _slot(holding_slot: bool):
    if holding_slot:
        return nullcontext(True)
    return admission.gate().slot(admission.PRIORITY)


def _done(response_id: int, submitted_at, token: str, earlier: bool = False) -> dict:
    """What the thank-you screen shows: the time and a short reference of the answers, and
    whether the sheet was sent on an earlier visit of this browser."""
    return {"id": response_id, "at": fmt_datetime(submitted_at), "ref": token[:8].upper(),
            "earlier": earlier}


def recover_stored_submission(prefix: str) -> bool:
    """The thank-you screen for a sheet already stored under this form's token.

    Two cases. A submit run cut short (the connection dropped, the browser asked for a new
    run) still finishes its database write, but its session-state changes after the write
    may be lost; the next run finds the answers by their token. And a browser that kept the
    token of a sheet it sent (a reload, a new tab, a retry after a server restart) is told
    that the sheet was received instead of being offered an empty form to send again. The
    database is asked only in those cases: after a tap, and once for a kept token."""
    check = st.session_state.get(f"{prefix}__check")
    if not check or st.session_state.get(f"{prefix}__done"):
        return False
    token = st.session_state.get(f"{prefix}__token")
    if not token:
        return False
    try:
        found = find_by_token(token)
    except OperationalError:  # the form stays; tapping again stores the answers once
        log.warning("could not look up submission token for %s", prefix)
        return False
    if found is None:
        if check == "kept":
            st.session_state.pop(f"{prefix}__check", None)  # a form not sent yet: go on with it
        return False
    st.session_state.pop(f"{prefix}__errors", None)
    st.session_state[f"{prefix}__done"] = _done(found[0], found[1], token,
                                                earlier=check == "kept")
    log.info("found a stored submission for %s (%s)", prefix, check)
    return True


def submit_without_callback(active: ActiveCampaign, commune_code: str, prefix: str,
                            submitted: bool) -> None:
    """A tap whose callback Streamlit did not call: the first tap after a server restart.

    The browser reconnects to a new server session that has not drawn the form yet, so the
    form's callback is unknown to it; the tap reruns the page with the button pressed and the
    answers, but no callback. Store them here (same token, so never twice) and redraw."""
    tapped = st.session_state.pop(f"{prefix}__tapped", False)
    if submitted and not tapped and not st.session_state.get(f"{prefix}__done"):
        handle_submit(active, commune_code, prefix, holding_slot=True)
        st.session_state.pop(f"{prefix}__tapped", None)
        st.rerun()


def show_header(commune, campaign=None, intro: str | None = None) -> None:
    """The page's heading, the commune and its district, and with a campaign its dates and
    the questionnaire's introduction: one Markdown element (each element is one more message
    to every citizen's phone, and server work; docs/PERFORMANCE.md)."""
    parts = [f"# {t('survey.heading')}", f"### {md_escape(commune.full_name)}",
             f":gray[{md_escape(commune.district_full_name)}]"]
    if campaign is not None:
        parts.append(":gray[" + t("survey.campaign_dates", start=fmt_date(campaign.start_date),
                                  end=fmt_date(campaign.end_date)) + "]")
    if intro:
        parts.append(md_escape(intro))
    st.markdown("\n\n".join(parts))


def show_thanks(prefix: str, defn: Definition, commune) -> bool:
    done = st.session_state.get(f"{prefix}__done")
    if not done:
        return False
    show_header(commune)
    st.success(f"### {t('survey.thanks_title')}", icon=":material/check_circle:")
    st.write(t("survey.thanks_body", time=done["at"], ref=done["ref"]))
    if done.get("earlier"):
        st.info(t("survey.received_earlier"), icon=":material/info:")
    if st.button(t("survey.thanks_again"), key=f"{prefix}__again"):
        clear_answers(defn, prefix)
        for k in ("__done", "__token", "__errors", "__started", "__check", "__tapped", "__ma"):
            st.session_state.pop(f"{prefix}{k}", None)
        st.rerun()  # the next form draws a new token, which the browser then keeps
    return True
