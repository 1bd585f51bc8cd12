"""Public: a commune's published duty schedule of helpers, /lich-truc?xa=<code>. No sign-in.

Names, organisation, days and shifts only: phone numbers are never shown here. Printable (the
Streamlit chrome is hidden when printing) and readable on a phone.
"""
import streamlit as st

from app.core.campaigns import active_campaign
from app.core.fmt import fmt_date, fmt_datetime
from app.core.i18n import t
from app.core.reference import geography
from app.operations.roster import SHIFTS, day_label, public_schedule
from app.survey.responses import CODE_MALFORMED, CODE_MISSING, CODE_OK, resolve_commune_code
from app.ui.core import layout
from app.ui.core.text import md_escape

PRINT_CSS = """
<style>
.qcdc-sched table { width: 100%; }
@media print {
  [data-testid="stSidebar"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], header, footer, .stButton, .stSelectbox,
  [data-testid="stPageLink"] { display: none !important; }
  .block-container { max-width: 100% !important; padding: 0 !important; }
  h3 { break-after: avoid; }
  table { break-inside: auto; } tr { break-inside: avoid; }
}
</style>
"""


def _picker() -> None:
    geo = geography()
    st.write(t("schedule.pick"))
    districts = {d.code: d.full_name for d in geo.districts}
    dcode = st.selectbox(t("common.district"), list(districts), format_func=districts.get,
                         index=None, placeholder=t("common.choose"), key="sched_district")
    communes = {c.code: f"{c.full_name} ({c.code})" for c in geo.communes_of(dcode)} if dcode else {}
    ccode = st.selectbox(t("common.commune"), list(communes), format_func=communes.get,
                         index=None, placeholder=t("common.choose"), key="sched_commune",
                         disabled=not dcode)
    if st.button(t("schedule.open"), type="primary", disabled=not ccode, key="sched_go",
                 width="stretch"):
        st.query_params["xa"] = ccode
        st.rerun()


NBSP = "\u00a0"  # keep "Cả ngày" on one line in the narrow shift column

layout.public_style()
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
    _picker()
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

st.write(t("schedule.intro"))
head = (f"| {t('schedule.col.shift')} | {t('roster.col.full_name')} | "
        f"{t('schedule.col.unit')} |\n|---|---|---|\n")
for day, lines in sched.days:
    st.markdown(f"#### {day_label(day)}")
    if not lines:
        st.caption(t("schedule.no_one"))
        continue
    body = "".join(
        f"| {SHIFTS.get(x.shift, x.shift).replace(' ', NBSP)} | **{md_escape(x.full_name)}** | "
        f"{md_escape(', '.join(p for p in (x.position, x.organisation) if p))} |\n"
        for x in lines)
    st.markdown(head + body)
if sched.updated_at:
    st.caption(t("schedule.updated", at=fmt_datetime(sched.updated_at)))
st.caption(t("schedule.print_hint"))
st.page_link("pages/public/survey.py", label=t("schedule.to_survey"), icon=":material/assignment:",
             query_params={"xa": commune.code})
