"""Helper performance on the rosters overview: shifts and an honest estimate of the citizens
guided per helper and shift (``app/operations/helpers.py`` says what is estimated and why)."""
from __future__ import annotations

import streamlit as st

from app.core.fmt import fmt_date, fmt_float, fmt_int
from app.core.i18n import t
from app.operations import workbooks as excel_io
from app.operations.helpers import helper_figures


def _right(*keys: str) -> dict:
    return {t(k): st.column_config.TextColumn(t(k), alignment="right") for k in keys}


def helper_section(scope, campaign, district_code: str | None) -> None:
    st.subheader(t("helpers.title"))
    st.markdown(t("helpers.honest"))
    figs = helper_figures(scope, campaign, district_code)
    if not figs.helpers:
        st.info(t("helpers.none"))
        return
    rows = [{t("helpers.col.person"): h.full_name, t("helpers.col.commune"): h.commune_name,
             t("helpers.col.org"): h.organisation,
             t("helpers.col.days"): ", ".join(fmt_date(d) for d in h.days),
             t("helpers.col.shifts"): fmt_int(h.shifts),
             t("helpers.col.guided"): fmt_float(h.guided_estimate, 1),
             t("helpers.col.per_shift"): fmt_float(h.per_shift, 1)} for h in figs.helpers]
    st.dataframe(rows, hide_index=True, width="stretch", height=360,
                 column_config=_right("helpers.col.shifts", "helpers.col.guided",
                                      "helpers.col.per_shift"))
    numbers = [{t("helpers.col.person"): h.full_name, t("helpers.col.commune"): h.commune_name,
                t("helpers.col.org"): h.organisation,
                t("helpers.col.days"): ", ".join(fmt_date(d) for d in h.days),
                t("helpers.col.shifts"): h.shifts,
                t("helpers.col.guided"): round(h.guided_estimate, 1),
                t("helpers.col.per_shift"): None if h.per_shift is None else round(h.per_shift, 1)}
               for h in figs.helpers]
    st.download_button(t("helpers.download"), data=lambda: excel_io.simple_workbook(
        t("helpers.sheet"), numbers), file_name=f"nguoi_ho_tro_{campaign.year}.xlsx",
        mime=excel_io.XLSX_MIME, icon=":material/download:", key="helpers_download",
        on_click="ignore")
    with st.expander(t("helpers.days_title")):
        mism = sum(1 for d in figs.days if d.mismatch)
        if mism:
            st.caption(t("helpers.mismatch", n=fmt_int(mism)))
        st.dataframe([{t("helpers.col.day"): fmt_date(d.day), t("helpers.col.commune"):
                       d.commune_name, t("helpers.col.scheduled"): fmt_int(d.scheduled),
                       t("helpers.col.reported"): fmt_int(d.reported_helpers),
                       t("helpers.col.guided_day"): fmt_int(d.guided),
                       t("helpers.col.per_shift_day"): fmt_float(d.per_shift, 1)}
                      for d in figs.days], hide_index=True, width="stretch", height=320,
                     column_config=_right("helpers.col.scheduled", "helpers.col.reported",
                                          "helpers.col.guided_day",
                                          "helpers.col.per_shift_day"))
