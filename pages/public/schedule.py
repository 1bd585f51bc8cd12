"""Public: a commune's published duty schedule of helpers, /lich-truc?xa=<code>. No sign-in.

Names, organisation, days and shifts only: phone numbers are never shown here. Printable (the
Streamlit chrome is hidden when printing) and readable on a phone.
"""
import streamlit as st

from app.core.campaigns import active_campaign
from app.core.fmt import fmt_date
from app.core.i18n import t
from app.operations.roster import public_schedule
from app.survey.responses import CODE_MALFORMED, CODE_MISSING, CODE_OK, resolve_commune_code
from app.ui.core.text import md_escape
from app.ui.operations.schedule_view import PRINT_CSS, show_schedule
from app.ui.survey.commune_picker import commune_picker

st.html(PRINT_CSS)
raw = st.query_params.get_all("xa")
status, commune = resolve_commune_code(raw[0] if raw else None)
if status != CODE_OK:
    st.title(t("schedule.title"))
    shown = md_escape((raw[0] if raw else "")[:20])
    if status == CODE_MISSING:
        st.info(t("schedule.missing_code"), icon=":material/info:")
    elif status == CODE_MALFORMED:
        st.error(t("survey.bad_code", code=shown), icon=":material/error:")
    else:
        st.error(t("survey.unknown_code", code=shown), icon=":material/error:")
    commune_picker("sched", stay=True, prompt="schedule.pick", go="schedule.open")
    st.stop()

st.title(t("schedule.title"))
st.markdown(f"### {md_escape(commune.full_name)}")
st.caption(md_escape(commune.district_full_name))
active = active_campaign()
if active is None:
    st.info(t("ops.no_campaign"), icon=":material/event_busy:")
    st.stop()
campaign = active.campaign
st.caption(t("ops.campaign", name=md_escape(campaign.name), start=fmt_date(campaign.start_date),
             end=fmt_date(campaign.end_date)))
sched = public_schedule(campaign, commune.code)
if sched is None or not sched.published:
    st.info(t("schedule.not_published"), icon=":material/pending:")
    st.page_link("pages/public/survey.py", label=t("schedule.to_survey"), icon=":material/assignment:",
                 query_params={"xa": commune.code})
    st.stop()

show_schedule(sched)
st.page_link("pages/public/survey.py", label=t("schedule.to_survey"), icon=":material/assignment:",
             query_params={"xa": commune.code})
