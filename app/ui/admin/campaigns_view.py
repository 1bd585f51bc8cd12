"""The body of pages/admin/campaigns.py (kept thin: read input, call app/, render).

Campaigns: the list and the active one, create and edit (admin), archive or delete, and
earlier campaigns' results side by side (year-on-year per commune).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.admin import campaigns as ca
from app.core.auth import AuthError
from app.core.fmt import fmt_date, fmt_float, fmt_int
from app.core.i18n import t
from app.ui.admin.widgets import show_problems
from app.ui.core.flash import rerun_with
from app.ui.core.public_url import address_caption, require_address
from app.ui.core.text import md_escape
from app.ui.monitoring.yoy_view import year_on_year

KEY_NEW_VERSION = "camp_new_version"


def _parse_decimal(text: str):
    """A number typed the Vietnamese way ("0,3", "1.234,5") or the English way ("0.3")."""
    s = str(text or "").strip().replace(" ", "")
    if "," in s:
        s = s.replace(".", "").replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return s  # the service says what is wrong


def _campaign_form(key: str, values: dict, submit_label: str, new: bool,
                   labels: dict) -> dict | None:
    """The campaign fields; returns the values when the form is submitted."""
    q_choices = ca.questionnaire_choices()
    q_ids = [q for q, _ in q_choices]
    q_names = dict(q_choices)
    with st.form(key, enter_to_submit=False):
        name = st.text_input(labels["name"], value=values["name"], max_chars=200,
                             placeholder=t("campaigns.ph.name"))
        a, b, c = st.columns(3)
        year = a.number_input(labels["year"], min_value=2000, max_value=2100, step=1,
                              value=int(values["year"]), format="%d")
        window = b.date_input(t("campaigns.f.window"), value=(values["start_date"],
                                                          values["end_date"]),
                              format="DD/MM/YYYY")
        deadline = c.date_input(labels["roster_deadline"], value=values["roster_deadline"],
                                format="DD/MM/YYYY")
        a, b, c, d = st.columns(4)
        cutoff = a.text_input(labels["report_cutoff"], value=values["report_cutoff"],
                              help=t("campaigns.help.cutoff"), max_chars=5, placeholder="20:00")
        # decimals as text: a number box would show "0.30"; here "0,3" as written in Vietnam
        low = b.text_input(labels["ratio_low"], value=fmt_float(values["ratio_low"], 2),
                           help=t("campaigns.help.ratio"), max_chars=8, placeholder="0,3")
        high = c.text_input(labels["ratio_high"], value=fmt_float(values["ratio_high"], 2),
                            max_chars=8, placeholder="1,2")
        ms = d.number_input(labels["min_sample"], value=int(values["min_sample"]),
                            min_value=1, step=1, help=t("campaigns.help.min_sample"))
        a, b = st.columns(2)
        thr = a.text_input(labels["friendly_threshold"],
                           value=fmt_float(values["friendly_threshold"], 1), max_chars=6,
                           help=t("campaigns.help.threshold"), placeholder="80")
        qid = b.selectbox(labels["questionnaire_id"], q_ids, format_func=q_names.get,
                          index=q_ids.index(values["questionnaire_id"])
                          if values["questionnaire_id"] in q_ids else 0)
        extra = {}
        if new:
            extra["activate"] = st.checkbox(t("campaigns.f.activate"))
        else:
            extra["allow_mixed"] = st.checkbox(t("campaigns.f.allow_mixed"))
        if not st.form_submit_button(submit_label, type="primary"):
            return None
    start, end = (window + (None, None))[:2] if isinstance(window, tuple) else (window, None)
    return {"name": name, "year": year, "start_date": start, "end_date": end or start,
            "roster_deadline": deadline, "report_cutoff": cutoff,
            "ratio_low": _parse_decimal(low), "ratio_high": _parse_decimal(high),
            "min_sample": ms, "friendly_threshold": _parse_decimal(thr),
            "questionnaire_id": qid, **extra}


def _list_tab(scope, summaries, by_id, is_admin: bool) -> None:
    if not summaries:
        st.info(t("campaigns.none"))
        return
    st.dataframe(pd.DataFrame([{
        # the demo's own name says DEMO already: "(DEMO) (demo)" read as a mistake
        t("campaigns.col.name"): c.name + (" (demo)" if c.is_demo and "demo" not in
                                           c.name.lower() else ""),
        t("campaigns.col.year"): str(c.year),
        t("campaigns.col.window"): f"{fmt_date(c.start_date)} – {fmt_date(c.end_date)}",
        t("campaigns.col.active"): ("✓" if c.is_active else "")
        + (t("campaigns.archived_mark") if c.archived else ""),
        t("campaigns.col.questionnaire"): c.questionnaire,
        t("campaigns.col.answers"): fmt_int(c.answers),
        t("campaigns.col.communes"): fmt_int(c.communes_with_answers),
        t("campaigns.col.reports"): fmt_int(c.reports),
        t("campaigns.col.index"): "–" if c.index_overall is None else fmt_float(c.index_overall, 1),
    } for c in summaries]), hide_index=True, column_config={
        t(k): st.column_config.TextColumn(t(k), alignment="right")
        for k in ("campaigns.col.answers", "campaigns.col.communes", "campaigns.col.reports",
                  "campaigns.col.index")})
    if not is_admin:
        return
    ids = [c.id for c in summaries if not c.archived]
    current = next((c.id for c in summaries if c.is_active), ids[0] if ids else None)
    if ids:
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
                rerun_with(t("campaigns.activated", name=md_escape(by_id[pick].name)))
        st.caption(t("campaigns.activate_help"))

    st.subheader(t("campaigns.archive_title"))
    all_ids = [c.id for c in summaries]
    cid = st.selectbox(t("campaigns.archive_pick"), all_ids, key="camp_archive_pick",
                       format_func=lambda i: by_id[i].name
                       + (t("campaigns.archived_mark") if by_id[i].archived else ""))
    camp = by_id[cid]
    data = ca.campaign_data(cid)
    if camp.is_active:
        st.caption(t("campaigns.archive_active_help", name=md_escape(camp.name)))
    elif camp.archived:
        if st.button(t("campaigns.unarchive", name=md_escape(camp.name)), key=f"camp_unarchive_{cid}",
                     icon=":material/unarchive:"):
            rerun_with(t("campaigns.unarchived", name=md_escape(ca.set_archived(scope, cid, False))))
    elif any(data.values()):
        st.caption(t("campaigns.archive_help", answers=fmt_int(data["answers"]),
                     reports=fmt_int(data["reports"])))
        if st.button(t("campaigns.archive", name=md_escape(camp.name)), key=f"camp_archive_{cid}",
                     icon=":material/archive:"):
            rerun_with(t("campaigns.archived", name=md_escape(ca.set_archived(scope, cid, True))))
    else:
        st.caption(t("campaigns.delete_help"))
        sure = st.checkbox(t("campaigns.delete_confirm", name=md_escape(camp.name)),
                           key=f"camp_delete_sure_{cid}")
        if st.button(t("campaigns.delete", name=md_escape(camp.name)), key=f"camp_delete_{cid}",
                     icon=":material/delete:", disabled=not sure):
            try:
                name = ca.delete_campaign(scope, cid)
            except (ca.CampaignError, AuthError) as exc:
                st.error(str(exc))
            else:
                rerun_with(t("campaigns.deleted", name=md_escape(name)))


def render(scope) -> None:
    st.title(t("nav.campaigns"))
    is_admin = scope.role == "admin"
    summaries = ca.campaign_summaries(scope)
    by_id = {c.id: c for c in summaries}
    labels = {f: t(f"campaigns.f.{f}") for f in ca.FIELDS}

    def _errors(exc: ca.CampaignError) -> None:
        show_problems([f"{labels.get(k, '')}: {v}" if k in labels else v
                       for k, v in exc.errors.items()])

    if is_admin:
        address = require_address(t("public_url.what.qr"))
        if address is not None:
            address_caption(address)

    tabs = [t("campaigns.tab.list"), t("campaigns.tab.compare")]
    if is_admin:
        tabs += [t("campaigns.tab.new"), t("campaigns.tab.edit")]
    tab_objs = st.tabs(tabs, key="camp_tabs", on_change="rerun")

    with tab_objs[0]:
        _list_tab(scope, summaries, by_id, is_admin)
    with tab_objs[1]:
        year_on_year(scope, key="camp_cmp")
    if not is_admin:
        return
    with tab_objs[2]:
        # a fresh form (the suggested values again) after each campaign created
        version = st.session_state.setdefault(KEY_NEW_VERSION, 0)
        values = _campaign_form(f"camp_new_{version}", ca.default_values(),
                                t("campaigns.create"), True, labels)
        if values is not None:
            activate = values.pop("activate", False)
            try:
                c = ca.create_campaign(scope, values, activate=activate)
            except ca.CampaignError as exc:
                _errors(exc)
            except AuthError as exc:
                st.error(str(exc))
            else:
                st.session_state[KEY_NEW_VERSION] = version + 1
                rerun_with(t("campaigns.created", name=md_escape(c.name)))
    with tab_objs[3]:
        editable = [c for c in summaries if not c.archived]
        if not editable:
            st.info(t("campaigns.none"))
            return
        ids = [c.id for c in editable]
        active_id = next((c.id for c in editable if c.is_active), ids[0])
        if st.session_state.get("camp_edit_pick") not in ids:
            st.session_state["camp_edit_pick"] = active_id  # the active campaign first
        cid = st.selectbox(t("campaigns.edit_pick"), ids, key="camp_edit_pick",
                           format_func=lambda i: by_id[i].name
                           + (t("adm.active_suffix") if by_id[i].is_active else ""))
        camp = ca.get_campaign(cid)
        current = {f: getattr(camp, f) for f in ca.FIELDS}
        values = _campaign_form(f"camp_edit_{cid}", current, t("common.save"), False, labels)
        if values is not None:
            allow_mixed = values.pop("allow_mixed", False)
            try:
                ca.update_campaign(scope, cid, values, allow_mixed=allow_mixed)
            except ca.CampaignError as exc:
                _errors(exc)
            else:
                rerun_with(t("campaigns.updated", name=md_escape(values["name"])))
