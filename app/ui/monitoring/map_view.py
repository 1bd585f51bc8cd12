"""Rendering of the map page from an ``Overview``."""
from __future__ import annotations

import streamlit as st

from app.core.auth import Scope
from app.core.fmt import fmt_float, fmt_int
from app.core.i18n import t
from app.monitoring import charts
from app.monitoring.stats import Overview
from app.ui.monitoring import dashboard as dash
from app.ui.monitoring.overview_view import level_label

KEY_METRIC = "dash_map_metric"


def metric_picker() -> str:
    return st.segmented_control(
        t("map.metric"), list(charts.MAP_METRICS), default="answers", required=True,
        format_func=lambda m: t(f"map.metric.{m}"), key=KEY_METRIC,
        persist_state="session") or "answers"


def render(ov: Overview, scope: Scope, metric: str) -> None:
    if ov.district_code:
        districts = (ov.district_code,)
    elif scope.province_wide:
        districts = None
    else:
        districts = (scope.district_code,)
    shapes = dash.outlines(districts)
    source = shapes["features"][0]["properties"]["source"] if shapes["features"] else "voronoi"
    st.caption(t("dashboard.updated_short", time=ov.computed_at.strftime("%H:%M:%S"),
                 level=level_label(ov)) + " · " + t(f"map.metric_help.{metric}",
                                                    low=fmt_float(ov.campaign.ratio_low, 2),
                                                    high=fmt_float(ov.campaign.ratio_high, 2),
                                                    threshold=fmt_float(
                                                        ov.campaign.friendly_threshold, 1),
                                                    min=fmt_int(ov.campaign.min_sample)))
    chart = charts.map_chart(ov.communes, shapes, metric,
                             threshold=ov.campaign.friendly_threshold, height=600)
    st.altair_chart(charts.finish(chart), width="stretch", key="dash_map_chart")
    st.caption(t(f"map.source.{source}"))
    k = ov.kpi
    c = st.columns(4)
    c[0].metric(t("dashboard.kpi.answers_total"), fmt_int(k["answers_total"]))
    c[1].metric(t("dashboard.kpi.communes_with_answers"),
                f"{fmt_int(k['communes_with_answers'])}/{fmt_int(k['communes_total'])}")
    counts = ov.communes["ratio_status"].value_counts()
    c[2].metric(t("map.out_of_band"),
                fmt_int(int(counts.get("low", 0)) + int(counts.get("high", 0))))
    c[3].metric(t("dashboard.kpi.friendly"),
                f"{fmt_int(k['communes_friendly'])}/{fmt_int(k['communes_ranked'])}")
