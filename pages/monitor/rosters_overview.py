"""Farmers' Association, Board (and district committees for their communes): every commune's
helper roster, who has not submitted by the deadline, and one consolidated Excel workbook."""
import streamlit as st

from app.core.fmt import fmt_date, fmt_datetime, fmt_int
from app.core.i18n import t
from app.core.reference import geography
from app.operations import workbooks as excel_io
from app.operations.roster import LATE, MISSING, ON_TIME, SHIFTS, entry_days, get_roster, roster_overview
from app.ui.core.session import require_page
from app.ui.operations.helpers_view import helper_section
from app.ui.operations.ops_view import campaign_caption, require_campaign

scope = require_page("rosters_overview")
campaign = require_campaign()
st.title(t("nav.rosters_overview"))
campaign_caption(campaign)
st.caption(t("overview.deadline", deadline=fmt_date(campaign.roster_deadline)))
geo = geography()

overview = roster_overview(scope, campaign)
states = {s.commune.code: s.state(campaign.roster_deadline) for s in overview}
m = st.columns(4)
m[0].metric(t("overview.on_time"), fmt_int(sum(v == ON_TIME for v in states.values())))
m[1].metric(t("overview.late"), fmt_int(sum(v == LATE for v in states.values())))
m[2].metric(t("overview.missing"), fmt_int(sum(v == MISSING for v in states.values())))
m[3].metric(t("overview.published"), fmt_int(sum(s.published for s in overview)))

st.download_button(t("overview.download"),
                   data=lambda: excel_io.consolidated_workbook(scope, campaign),
                   file_name=f"danh_sach_ho_tro_{campaign.year}.xlsx", mime=excel_io.XLSX_MIME,
                   icon=":material/download:", type="primary", key="overview_download")

c1, c2 = st.columns(2)
if scope.province_wide:
    districts = {d.code: d.full_name for d in geo.districts}
    dcode = c1.selectbox(t("common.district"), [None, *districts],
                         format_func=lambda c: t("ops.all") if c is None else districts[c],
                         key="overview_district")
else:
    dcode = scope.district_code
LABELS = {ON_TIME: t("overview.on_time"), LATE: t("overview.late"),
          MISSING: t("overview.missing")}
only = c2.selectbox(t("overview.filter_state"), [None, MISSING, LATE, ON_TIME],
                    format_func=lambda v: t("ops.all") if v is None else LABELS[v],
                    key="overview_state")
rows = [s for s in overview if (not dcode or s.commune.district_code == dcode)
        and (only is None or states[s.commune.code] == only)]
st.dataframe([{t("common.district"): s.commune.district_full_name,
               t("common.commune"): s.commune.full_name,
               t("overview.people"): s.entries,
               t("overview.submitted"): fmt_datetime(s.submitted_at) or "—",
               t("overview.updated"): fmt_datetime(s.updated_at) or "—",
               t("overview.state"): LABELS[states[s.commune.code]],
               t("overview.is_published"): "✓" if s.published else "",
               t("completeness.contact"): s.contact_name, t("completeness.phone"): s.contact_phone}
              for s in rows], hide_index=True, width="stretch", height=360)

st.subheader(t("overview.detail"))
choices = {s.commune.code: f"{s.commune.full_name} – {s.commune.district_full_name}"
           for s in rows if s.entries}
code = st.selectbox(t("common.commune"), [None, *choices], index=None,
                    format_func=lambda c: "" if c is None else choices[c],
                    placeholder=t("common.choose"), key="overview_commune")
if code:
    view = get_roster(scope, campaign.id, code)
    st.dataframe([{t("roster.col.full_name"): e.full_name, t("roster.col.position"): e.position,
                   t("roster.col.organisation"): e.organisation, t("roster.col.phone"): e.phone,
                   t("roster.col.duty_days"): ", ".join(fmt_date(d) for d in entry_days(e)),
                   t("roster.col.shift"): SHIFTS.get(e.shift, e.shift)} for e in view.entries],
                 hide_index=True, width="stretch")

helper_section(scope, campaign, dcode)
