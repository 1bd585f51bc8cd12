"""District and province: which communes have sent the day's report, and who to remind."""
import streamlit as st

from app.core.fmt import fmt_date, fmt_int
from app.core.i18n import t
from app.core.reference import geography
from app.operations import workbooks as excel_io
from app.operations.completeness import day_completeness, reported_by_day
from app.operations.daily_reports import report_days
from app.ui.core.session import require_page
from app.ui.operations.ops_view import (
    campaign_caption,
    day_choice,
    district_choice,
    reminder_section,
    require_campaign,
)

scope = require_page("completeness")
campaign = require_campaign()
st.title(t("nav.completeness"))
campaign_caption(campaign)
days = report_days(campaign)
if not days:
    st.info(t("report.not_started", start=fmt_date(campaign.start_date)))
    st.stop()
geo = geography()

c1, c2 = st.columns(2)
with c1:
    day = day_choice(days, key="compl_day")
dcode = district_choice(scope, geo, c2, key="compl_district")

info = day_completeness(scope, campaign, day, dcode)
m1, m2, m3 = st.columns(3)
m1.metric(t("completeness.reported"), f"{fmt_int(info.reported)}/{fmt_int(info.total)}")
m2.metric(t("completeness.missing"), fmt_int(info.total - info.reported))
m3.metric(t("completeness.with_photos"), fmt_int(sum(d.with_photos for d in info.districts)))

st.subheader(t("completeness.by_district", day=fmt_date(day)))
st.dataframe([{t("common.district"): d.district_name, t("completeness.total"): d.total,
               t("completeness.reported"): d.reported, t("completeness.missing"): d.missing,
               t("completeness.with_photos"): d.with_photos,
               t("completeness.rate"): (d.reported / d.total) if d.total else 0.0,
               t("dashboard.col.visits"): d.visits, t("kiosk.col.screens"): d.screens,
               t("kiosk.col.opened"): d.codes_opened, t("kiosk.col.verified"): d.verified}
              for d in info.districts],
             hide_index=True, width="stretch",
             column_config={t("completeness.rate"): st.column_config.ProgressColumn(
                 t("completeness.rate"), min_value=0.0, max_value=1.0, format="percent")})

st.subheader(t("completeness.missing_title", n=len(info.missing)))
if info.missing:
    label = ""
    if dcode:
        d = geo.district(dcode)
        label = d.full_name if d else ""
    st.download_button(t("completeness.download"), data=excel_io.missing_reports_workbook(
        day, list(info.missing), label), file_name=f"chua_bao_cao_{day.isoformat()}.xlsx",
        mime=excel_io.XLSX_MIME, icon=":material/download:", key="compl_download")
    st.dataframe([{t("common.commune"): m.commune.full_name,
                   t("common.district"): m.commune.district_full_name,
                   t("completeness.contact"): m.contact_name or "—",
                   t("completeness.phone"): m.contact_phone or "—"} for m in info.missing],
                 hide_index=True, width="stretch")
    reminder_section(info, campaign)
else:
    st.success(t("completeness.all_reported"), icon=":material/task_alt:")

st.subheader(t("completeness.per_day"))
st.dataframe([{t("ops.day"): fmt_date(d), t("completeness.reported"): n, t("completeness.total"): total,
               t("completeness.rate"): (n / total) if total else 0.0}
              for d, n, total in reported_by_day(scope, campaign, dcode)],
             hide_index=True, width="stretch",
             column_config={t("completeness.rate"): st.column_config.ProgressColumn(
                 t("completeness.rate"), min_value=0.0, max_value=1.0, format="percent")})
