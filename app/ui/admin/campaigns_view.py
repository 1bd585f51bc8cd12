"""The body of pages/admin/campaigns.py (kept thin: read input, call app/, render).

Campaigns: the list and the active one, create and edit (admin), and earlier campaigns'
results side by side (year-on-year per commune).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.admin import campaigns as ca
from app.core.auth import AuthError
from app.core.fmt import fmt_date
from app.core.i18n import t
from app.monitoring import charts
from app.ui.admin.widgets import commune_options, district_options, flash, show_problems
from app.ui.core.text import md_escape


def render(scope) -> None:
    st.title(t("nav.campaigns"))
    flash("camp_flash")
    is_admin = scope.role == "admin"
    summaries = ca.campaign_summaries(scope)
    by_id = {c.id: c for c in summaries}
    FIELD_LABEL = {f: t(f"campaigns.f.{f}") for f in ca.FIELDS}


    def _errors(exc: ca.CampaignError) -> None:
        show_problems([f"{FIELD_LABEL.get(k, '')}: {v}" if k in FIELD_LABEL else v
                       for k, v in exc.errors.items()])


    def _campaign_form(key: str, values: dict, submit_label: str, new: bool) -> dict | None:
        """The campaign fields; returns the values when the form is submitted."""
        q_choices = ca.questionnaire_choices()
        q_ids = [q for q, _ in q_choices]
        q_names = dict(q_choices)
        with st.form(key):
            name = st.text_input(FIELD_LABEL["name"], value=values["name"], max_chars=200)
            a, b, c = st.columns(3)
            year = a.number_input(FIELD_LABEL["year"], min_value=2000, max_value=2100, step=1,
                                  value=int(values["year"]))
            window = b.date_input(t("campaigns.f.window"), value=(values["start_date"],
                                                              values["end_date"]),
                                  format="DD/MM/YYYY")
            deadline = c.date_input(FIELD_LABEL["roster_deadline"], value=values["roster_deadline"],
                                    format="DD/MM/YYYY")
            a, b, c, d = st.columns(4)
            cutoff = a.text_input(FIELD_LABEL["report_cutoff"], value=values["report_cutoff"],
                                  help=t("campaigns.help.cutoff"), max_chars=5)
            low = b.number_input(FIELD_LABEL["ratio_low"], value=float(values["ratio_low"]),
                                 step=0.05, format="%.2f", help=t("campaigns.help.ratio"))
            high = c.number_input(FIELD_LABEL["ratio_high"], value=float(values["ratio_high"]),
                                  step=0.05, format="%.2f")
            ms = d.number_input(FIELD_LABEL["min_sample"], value=int(values["min_sample"]),
                                min_value=1, step=1, help=t("campaigns.help.min_sample"))
            a, b = st.columns(2)
            thr = a.number_input(FIELD_LABEL["friendly_threshold"],
                                 value=float(values["friendly_threshold"]), min_value=0.0,
                                 max_value=100.0, step=1.0, help=t("campaigns.help.threshold"))
            qid = b.selectbox(FIELD_LABEL["questionnaire_id"], q_ids, format_func=q_names.get,
                              index=q_ids.index(values["questionnaire_id"])
                              if values["questionnaire_id"] in q_ids else 0)
            url = st.text_input(FIELD_LABEL["base_url"], value=values["base_url"],
                                help=t("campaigns.help.base_url"))
            extra = {}
            if new:
                extra["activate"] = st.checkbox(t("campaigns.f.activate"))
            else:
                extra["allow_mixed"] = st.checkbox(t("campaigns.f.allow_mixed"))
            if not st.form_submit_button(submit_label, type="primary"):
                return None
        start, end = (window + (None, None))[:2] if isinstance(window, tuple) else (window, None)
        return {"name": name, "year": year, "start_date": start, "end_date": end or start,
                "roster_deadline": deadline, "report_cutoff": cutoff, "ratio_low": low,
                "ratio_high": high, "min_sample": ms, "friendly_threshold": thr,
                "questionnaire_id": qid, "base_url": url, **extra}


    tabs = [t("campaigns.tab.list"), t("campaigns.tab.compare")]
    if is_admin:
        tabs += [t("campaigns.tab.new"), t("campaigns.tab.edit")]
    tab_objs = st.tabs(tabs, key="camp_tabs", on_change="rerun")

    with tab_objs[0]:
        if not summaries:
            st.info(t("campaigns.none"))
        else:
            st.dataframe(pd.DataFrame([{
                t("campaigns.col.name"): c.name + (" (demo)" if c.is_demo else ""),
                t("campaigns.col.year"): str(c.year),
                t("campaigns.col.window"): f"{fmt_date(c.start_date)} – {fmt_date(c.end_date)}",
                t("campaigns.col.active"): "✓" if c.is_active else "",
                t("campaigns.col.questionnaire"): c.questionnaire,
                t("campaigns.col.answers"): c.answers, t("campaigns.col.communes"): c.communes_with_answers,
                t("campaigns.col.reports"): c.reports,
                t("campaigns.col.index"): None if c.index_overall is None else round(c.index_overall, 1),
            } for c in summaries]), hide_index=True)
            if is_admin:
                ids = [c.id for c in summaries]
                current = next((c.id for c in summaries if c.is_active), ids[0])
                a, b = st.columns([3, 1], vertical_alignment="bottom")
                pick = a.selectbox(t("campaigns.activate_pick"), ids, index=ids.index(current),
                                   format_func=lambda i: by_id[i].name, key="camp_activate_pick")
                if b.button(t("campaigns.activate"), key="camp_activate", type="primary",
                            disabled=by_id[pick].is_active):
                    try:
                        ca.activate_campaign(scope, pick)
                    except (ca.CampaignError, AuthError) as exc:
                        st.error(str(exc))
                    else:
                        st.session_state["camp_flash"] = t("campaigns.activated", name=md_escape(by_id[pick].name))
                        st.rerun()
                st.caption(t("campaigns.activate_help"))

    with tab_objs[1]:
        st.subheader(t("campaigns.cmp.commune_title"))
        a, b = st.columns(2)
        d_ids, d_names = district_options(with_all=False)
        visible = scope.visible_commune_codes()
        dcode = a.selectbox(t("common.district"), d_ids, format_func=d_names.get,
                            key="camp_cmp_district")
        c_ids, c_names = commune_options(dcode, with_none=False)
        if visible is not None:
            c_ids = [c for c in c_ids if c in visible]
        ccode = b.selectbox(t("common.commune"), c_ids, format_func=c_names.get,
                            key="camp_cmp_commune") if c_ids else None
        if ccode:
            hist = ca.commune_history(scope, ccode)
            rows = [h for h in hist if h["answers"] or h["visits"]]
            if not rows:
                st.info(t("campaigns.cmp.no_results"))
            else:
                df = pd.DataFrame([{
                    t("campaigns.col.name"): h["campaign"], t("campaigns.col.year"): str(h["year"]),
                    t("campaigns.col.visits"): h["visits"], t("campaigns.col.answers"): h["answers"],
                    t("campaigns.col.index"): None if h["index"] is None else round(h["index"], 1),
                    t("campaigns.col.sample"): (t("campaigns.cmp.small") if h["index_n"] < h["min_sample"]
                                           else t("campaigns.cmp.enough")),
                    t("campaigns.col.threshold"): h["threshold"]} for h in rows])
                st.dataframe(df, hide_index=True)
                st.altair_chart(charts.campaign_history_chart(rows))
                st.caption(t("campaigns.cmp.chart_help"))

        st.subheader(t("campaigns.cmp.two_title"))
        if len(summaries) < 2:
            st.info(t("campaigns.cmp.need_two"))
        else:
            ids = [c.id for c in summaries]  # newest first
            a, b, c = st.columns(3)
            earlier = a.selectbox(t("campaigns.cmp.earlier"), ids, index=1, key="camp_cmp_a",
                                  format_func=lambda i: by_id[i].name)
            later = b.selectbox(t("campaigns.cmp.later"), ids, index=0, key="camp_cmp_b",
                                format_func=lambda i: by_id[i].name)
            d_all, d_all_names = district_options(with_all=True)
            dfilter = c.selectbox(t("common.district"), d_all, format_func=d_all_names.get,
                                  key="camp_cmp_dfilter")
            rows = ca.compare_campaigns(scope, earlier, later, dfilter)
            rows = [r for r in rows if r["answers_a"] or r["answers_b"]]
            if not rows:
                st.info(t("campaigns.cmp.no_results"))
            else:
                st.dataframe(pd.DataFrame([{
                    t("campaigns.col.commune"): r["commune"], t("common.district"): r["district"],
                    t("campaigns.cmp.answers_a"): r["answers_a"],
                    t("campaigns.cmp.index_a"): None if r["index_a"] is None else round(r["index_a"], 1),
                    t("campaigns.cmp.answers_b"): r["answers_b"],
                    t("campaigns.cmp.index_b"): None if r["index_b"] is None else round(r["index_b"], 1),
                    t("campaigns.cmp.delta"): None if r["delta"] is None else round(r["delta"], 1),
                    t("campaigns.col.sample"): t("campaigns.cmp.small") if r["small_a"] or r["small_b"]
                    else ""} for r in rows]), hide_index=True,
                    column_config={t("campaigns.cmp.delta"): st.column_config.NumberColumn(
                        format="%+.1f")})
                st.caption(t("campaigns.cmp.help"))

    if is_admin:
        with tab_objs[2]:
            values = _campaign_form("camp_new", ca.default_values(), t("campaigns.create"), True)
            if values is not None:
                activate = values.pop("activate", False)
                try:
                    c = ca.create_campaign(scope, values, activate=activate)
                except ca.CampaignError as exc:
                    _errors(exc)
                else:
                    st.session_state["camp_flash"] = t("campaigns.created", name=md_escape(c.name))
                    st.rerun()
        with tab_objs[3]:
            if not summaries:
                st.info(t("campaigns.none"))
            else:
                ids = [c.id for c in summaries]
                cid = st.selectbox(t("campaigns.edit_pick"), ids, format_func=lambda i: by_id[i].name,
                                   key="camp_edit_pick")
                camp = ca.get_campaign(cid)
                current = {f: getattr(camp, f) for f in ca.FIELDS}
                values = _campaign_form(f"camp_edit_{cid}", current, t("common.save"), False)
                if values is not None:
                    allow_mixed = values.pop("allow_mixed", False)
                    try:
                        ca.update_campaign(scope, cid, values, allow_mixed=allow_mixed)
                    except ca.CampaignError as exc:
                        _errors(exc)
                    else:
                        st.session_state["camp_flash"] = t("campaigns.updated", name=md_escape(values["name"]))
                        st.rerun()
