"""Submit handling and the thank-you screen of the public survey (kept out of the page file)."""
from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import OperationalError

from app.core.campaigns import ActiveCampaign
from app.core.fmt import fmt_datetime
from app.core.i18n import t
from app.survey import admission
from app.survey.questionnaire import Definition
from app.survey.responses import CLOSED, DatabaseBusy, Signals, find_by_token, new_submission_token, submit_response
from app.ui.survey.gate import storing_answers
from app.ui.survey.survey_form import clear_answers, collect_answers

log = logging.getLogger("qcdc.survey")


def prefix_for(campaign_id: int, commune_code: str) -> str:
    return f"svy{campaign_id}_{commune_code}"


def _token(prefix: str) -> str:
    key = f"{prefix}__token"
    if key not in st.session_state:
        st.session_state[key] = new_submission_token()
    return st.session_state[key]


def _signals(prefix: str) -> Signals:
    ctx = None
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        ctx = get_script_run_ctx()
    except Exception:
        pass
    headers = st.context.headers

    def text(v: object) -> str | None:
        return v[:512] if isinstance(v, str) else None
    return Signals(session_id=text(getattr(ctx, "session_id", None)),
                   user_agent=text(headers.get("User-Agent")),
                   accept_language=text(headers.get("Accept-Language")),
                   client_ip=text(st.context.ip_address),
                   started_at=st.session_state.get(f"{prefix}__started"))


def handle_submit(active: ActiveCampaign, commune_code: str, prefix: str) -> None:
    """Form callback: runs once per tap, before the rerun that draws the result."""
    if st.session_state.get(f"{prefix}__done"):
        return  # a second tap after success: nothing to do
    answers = collect_answers(active.definition, prefix)
    try:
        # answers go before newcomers' forms; the widget values stay in the form either way
        with storing_answers(), admission.gate().slot(admission.PRIORITY) as ticket:
            if ticket is None:
                log.warning("server busy on submit for %s", commune_code)
                st.session_state[f"{prefix}__errors"] = {"_": t("common.server_busy")}
                return
            result = submit_response(active, commune_code, answers, _token(prefix),
                                     _signals(prefix), is_demo=False)
    except DatabaseBusy:
        log.warning("database busy on submit for %s", commune_code)
        st.session_state[f"{prefix}__errors"] = {"_": t("common.db_busy")}
        st.toast(t("common.db_busy"), icon=":material/hourglass_top:")
        return
    if result.ok:
        st.session_state.pop(f"{prefix}__errors", None)
        st.session_state[f"{prefix}__done"] = _done(result.response_id, result.submitted_at,
                                                    _token(prefix))
    elif result.status == CLOSED:
        st.session_state[f"{prefix}__errors"] = {"_": t("survey.closed_now")}
    else:
        st.session_state[f"{prefix}__errors"] = result.errors


def _done(response_id: int, submitted_at, token: str) -> dict:
    """What the thank-you screen shows: the time and a short reference of the answers."""
    return {"id": response_id, "at": fmt_datetime(submitted_at), "ref": token[:8].upper()}


def recover_stored_submission(prefix: str) -> bool:
    """The thank-you screen for answers stored by a run that was cut short.

    A submit run stopped by Streamlit (the connection dropped, the browser asked for a new
    run) still finishes its database write, but its session-state changes after the write
    are lost: a stopped run raises at every st.session_state access. The answers are then
    found by the submission token, which exists only once "Gửi phiếu" was tapped."""
    if st.session_state.get(f"{prefix}__done"):
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
        return False
    st.session_state.pop(f"{prefix}__errors", None)
    st.session_state[f"{prefix}__done"] = _done(found[0], found[1], token)
    log.info("recovered a submission cut short for %s", prefix)
    return True


def show_thanks(prefix: str, defn: Definition) -> bool:
    done = st.session_state.get(f"{prefix}__done")
    if not done:
        return False
    st.success(f"### {t('survey.thanks_title')}", icon=":material/check_circle:")
    st.write(t("survey.thanks_body", time=done["at"], ref=done["ref"]))
    if st.button(t("survey.thanks_again"), key=f"{prefix}__again"):
        clear_answers(defn, prefix)
        for k in ("__done", "__token", "__errors", "__started"):
            st.session_state.pop(f"{prefix}{k}", None)
        st.rerun()
    return True
