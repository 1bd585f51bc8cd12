"""Submit handling and the thank-you screen of the public survey (kept out of the page file)."""
from __future__ import annotations

import logging

import streamlit as st

from app import admission
from app.campaigns import ActiveCampaign
from app.fmt import fmt_datetime
from app.i18n import t
from app.questionnaire import Definition
from app.survey import (CLOSED, DatabaseBusy, Signals, new_submission_token, submit_response)
from app.ui.survey_form import clear_answers, collect_answers

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
        with admission.gate().slot(admission.PRIORITY) as ticket:
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
        st.session_state[f"{prefix}__done"] = {
            "id": result.response_id, "at": fmt_datetime(result.submitted_at),
            "ref": _token(prefix)[:8].upper()}
    elif result.status == CLOSED:
        st.session_state[f"{prefix}__errors"] = {"_": t("survey.closed_now")}
    else:
        st.session_state[f"{prefix}__errors"] = result.errors


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
