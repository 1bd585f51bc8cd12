"""Public survey page: /survey?xa=<commune code>. No sign-in."""
import streamlit as st

from app.core.campaigns import WINDOW_NOT_STARTED, WINDOW_OPEN, active_campaign, window_state
from app.core.fmt import fmt_date
from app.core.i18n import t
from app.survey.responses import CODE_MALFORMED, CODE_MISSING, CODE_OK, resolve_commune_code
from app.ui.core.text import md_escape
from app.ui.survey.commune_picker import commune_picker
from app.ui.survey.survey_form import render_form
from app.ui.survey.survey_page import (
    handle_submit,
    prefix_for,
    recover_stored_submission,
    remember_sheet,
    show_header,
    show_thanks,
    submit_without_callback,
    take_kiosk_code,
)

raw = st.query_params.get_all("xa")
status, commune = resolve_commune_code(raw[0] if raw else None)

if status != CODE_OK:
    shown = md_escape((raw[0] if raw else "")[:20])
    if status == CODE_MISSING:
        st.warning(t("survey.missing_code"), icon=":material/info:")
    elif status == CODE_MALFORMED:
        st.error(t("survey.bad_code", code=shown), icon=":material/error:")
    else:
        st.error(t("survey.unknown_code", code=shown), icon=":material/error:")
    commune_picker("survey_picker", stay=True)
    st.stop()

active = active_campaign()
campaign = active.campaign if active is not None else None
state = window_state(campaign) if campaign is not None else None
if state != WINDOW_OPEN:
    show_header(commune)
    if campaign is None:
        st.info(t("survey.no_campaign"), icon=":material/event_busy:")
    else:
        key = "survey.not_started" if state == WINDOW_NOT_STARTED else "survey.closed"
        st.info(t(key, name=md_escape(campaign.name), start=fmt_date(campaign.start_date),
                  end=fmt_date(campaign.end_date)), icon=":material/event_busy:")
    st.stop()

prefix = prefix_for(campaign.id, commune.code)
take_kiosk_code(prefix, campaign.id, commune.code)  # an office screen's one-time code (ma=)
remember_sheet(prefix)  # the browser keeps this form's token: a sheet is never sent twice
recover_stored_submission(prefix)
if show_thanks(prefix, active.definition, commune):
    st.stop()

show_header(commune, campaign, active.definition.intro)
submitted = render_form(active.definition, prefix,
                        on_submit=lambda: handle_submit(active, commune.code, prefix),
                        errors=st.session_state.get(f"{prefix}__errors"),
                        errors_seq=st.session_state.get(f"{prefix}__errors_seq", 0))
submit_without_callback(active, commune.code, prefix, submitted)
