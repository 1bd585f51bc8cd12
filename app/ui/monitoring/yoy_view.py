"""Year on year: one commune's results across campaigns, and two campaigns side by side per
commune. Shown on the campaigns page (admin, Board) and on the results page, so district
committees (and a commune, for itself) see their own units' history too; every figure comes
from ``app/admin/campaigns.py`` limited to the user's scope."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.admin import campaigns as ca
from app.core.fmt import fmt_float, fmt_int
from app.core.i18n import t
from app.core.reference import geography
from app.monitoring import charts


def _index_text(value) -> str:
    return "–" if value is None else fmt_float(value, 1)


def year_on_year(scope, key: str = "yoy") -> None:
    geo = geography()
    visible = scope.visible_commune_codes()
    summaries = ca.campaign_summaries(scope)
    by_id = {c.id: c for c in summaries}

    st.subheader(t("campaigns.cmp.commune_title"))
    a, b = st.columns(2)
    if scope.province_wide:
        districts = {d.code: d.full_name for d in geo.districts}
        dcode = a.selectbox(t("common.district"), list(districts), format_func=districts.get,
                            key=f"{key}_district")
    else:
        dcode = scope.district_code or (geo.by_code[scope.commune_code].district_code
                                        if scope.commune_code in geo.by_code else None)
        d = geo.district(dcode or "")
        a.selectbox(t("common.district"), [dcode], format_func=lambda _c: d.full_name if d
                    else "", disabled=True, key=f"{key}_own_district")
    communes = {c.code: c.full_name for c in geo.communes_of(dcode or "")
                if visible is None or c.code in visible}
    ccode = b.selectbox(t("common.commune"), list(communes), format_func=communes.get,
                        key=f"{key}_commune") if communes else None
    if ccode:
        rows = [h for h in ca.commune_history(scope, ccode) if h["answers"] or h["visits"]]
        if not rows:
            st.info(t("campaigns.cmp.no_results"))
        else:
            st.dataframe(pd.DataFrame([{
                t("campaigns.col.name"): h["campaign"], t("campaigns.col.year"): str(h["year"]),
                t("campaigns.col.visits"): fmt_int(h["visits"]),
                t("campaigns.col.answers"): fmt_int(h["answers"]),
                t("campaigns.col.index"): _index_text(h["index"]),
                t("campaigns.col.sample"): (t("campaigns.cmp.small")
                                            if h["index_n"] < h["min_sample"]
                                            else t("campaigns.cmp.enough")),
                t("campaigns.col.threshold"): fmt_float(h["threshold"], 1)} for h in rows]),
                hide_index=True, column_config=_right(
                    "campaigns.col.visits", "campaigns.col.answers", "campaigns.col.index",
                    "campaigns.col.threshold"))
            st.altair_chart(charts.campaign_history_chart(rows))
            st.caption(t("campaigns.cmp.chart_help"))

    st.subheader(t("campaigns.cmp.two_title"))
    if len(summaries) < 2:
        st.info(t("campaigns.cmp.need_two"))
        return
    ids = [c.id for c in summaries]  # newest first
    a, b, c = st.columns(3)
    earlier = a.selectbox(t("campaigns.cmp.earlier"), ids, index=1, key=f"{key}_a",
                          format_func=lambda i: by_id[i].name)
    later = b.selectbox(t("campaigns.cmp.later"), ids, index=0, key=f"{key}_b",
                        format_func=lambda i: by_id[i].name)
    if scope.province_wide:
        d_all = {None: t("adm.all_districts")} | {d.code: d.full_name for d in geo.districts}
        dfilter = c.selectbox(t("common.district"), list(d_all), format_func=d_all.get,
                              key=f"{key}_dfilter")
    else:
        dfilter = None  # the scope already limits the rows
    rows = [r for r in ca.compare_campaigns(scope, earlier, later, dfilter)
            if r["answers_a"] or r["answers_b"]]
    if not rows:
        st.info(t("campaigns.cmp.no_results"))
        return
    st.dataframe(pd.DataFrame([{
        t("campaigns.col.commune"): r["commune"], t("common.district"): r["district"],
        t("campaigns.cmp.answers_a"): fmt_int(r["answers_a"]),
        t("campaigns.cmp.index_a"): _index_text(r["index_a"]),
        t("campaigns.cmp.answers_b"): fmt_int(r["answers_b"]),
        t("campaigns.cmp.index_b"): _index_text(r["index_b"]),
        t("campaigns.cmp.delta"): "–" if r["delta"] is None else
        ("+" if r["delta"] > 0 else "") + fmt_float(r["delta"], 1),
        t("campaigns.col.sample"): t("campaigns.cmp.small") if r["small_a"] or r["small_b"]
        else ""} for r in rows]), hide_index=True,
        column_config=_right("campaigns.cmp.answers_a", "campaigns.cmp.index_a",
                             "campaigns.cmp.answers_b", "campaigns.cmp.index_b",
                             "campaigns.cmp.delta"))
    st.caption(t("campaigns.cmp.help"))


def _right(*keys: str) -> dict:
    """Numbers written the Vietnamese way (1.234,5) as text, aligned right like numbers."""
    return {t(k): st.column_config.TextColumn(t(k), alignment="right") for k in keys}
