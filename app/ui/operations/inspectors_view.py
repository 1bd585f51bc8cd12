"""The body of pages/monitor/inspectors.py (kept thin: read input, call app/, render).

Leaders and cadres assigned to direct, inspect and supervise: the communes and days they cover.
Province-wide roles keep the whole list; a district committee keeps its own district's.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.core.campaigns import campaign_days
from app.core.fmt import fmt_date
from app.core.i18n import t
from app.core.reference import geography
from app.operations.inspectors import inspector_communes, inspector_days, list_inspectors, save_inspectors
from app.ui.operations.ops_view import campaign_caption, require_campaign, save_edited_people


def render(scope) -> None:
    campaign = require_campaign()
    st.title(t("nav.inspectors"))
    campaign_caption(campaign)
    geo = geography()
    days = campaign_days(campaign)
    iso_days = [d.isoformat() for d in days]
    day_labels = {d.isoformat(): fmt_date(d) for d in days}
    visible = scope.visible_commune_codes()
    communes = [c for c in geo.communes if visible is None or c.code in visible]
    commune_labels = {c.code: f"{c.full_name} ({c.code})" for c in communes}
    district_labels = {d.code: d.full_name for d in geo.districts}

    lists = list_inspectors(scope, campaign.id)
    st.caption(t("inspectors.help_province") if scope.province_wide
               else t("inspectors.help_district"))
    cols = ["full_name", "position", "organisation", "phone"] + \
        (["district_code"] if scope.province_wide else []) + ["commune_codes", "days"]
    df = pd.DataFrame([{
        "full_name": i.full_name, "position": i.position, "organisation": i.organisation,
        "phone": i.phone, "district_code": i.district_code or "",
        "commune_codes": inspector_communes(i), "days": [d.isoformat() for d in inspector_days(i)]}
        for i in lists.editable], columns=["full_name", "position", "organisation", "phone",
                                           "district_code", "commune_codes", "days"])[cols]
    version = st.session_state.setdefault("insp_version", 0)
    config = {
        "full_name": st.column_config.TextColumn(t("roster.col.full_name"), required=True,
                                                 max_chars=100, width="medium"),
        "position": st.column_config.TextColumn(t("roster.col.position"), max_chars=120),
        "organisation": st.column_config.TextColumn(t("inspectors.col.organisation"), max_chars=120),
        "phone": st.column_config.TextColumn(t("roster.col.phone"), max_chars=16),
        "district_code": st.column_config.SelectboxColumn(
            t("inspectors.col.district"), options=["", *district_labels],
            format_func=lambda c: district_labels.get(c, t("inspectors.province_level"))),
        "commune_codes": st.column_config.MultiselectColumn(
            t("inspectors.col.communes"), options=list(commune_labels),
            format_func=lambda c: commune_labels.get(c, c), width="large"),
        "days": st.column_config.MultiselectColumn(
            t("inspectors.col.days"), options=iso_days, format_func=lambda v: day_labels.get(v, v)),
    }
    with st.form("insp_form", border=False):
        edited = st.data_editor(df, key=f"insp_editor_{version}", num_rows="dynamic",
                                hide_index=True, width="stretch", column_config=config)
        submitted = st.form_submit_button(t("common.save"), type="primary", icon=":material/save:")
    if submitted:
        save_edited_people(lambda records: save_inspectors(scope, campaign, records),
                           edited.to_dict("records"), saved_key="inspectors.saved",
                           version_key="insp_version", version=version)

    if lists.read_only:
        st.subheader(t("inspectors.province_title"))
        mine = set(visible or [])
        st.dataframe([{t("roster.col.full_name"): i.full_name, t("roster.col.position"): i.position,
                       t("inspectors.col.organisation"): i.organisation,
                       t("inspectors.col.communes"): ", ".join(
                           geo.by_code[c].full_name for c in inspector_communes(i)
                           if c in geo.by_code and c in mine),
                       t("inspectors.col.days"): ", ".join(fmt_date(d) for d in inspector_days(i))}
                      for i in lists.read_only], hide_index=True, width="stretch")
