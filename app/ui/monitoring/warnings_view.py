"""Rendering of the warnings page: counts, a filterable list, and the review actions."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.core.auth import AuthError, Scope
from app.core.fmt import fmt_date, fmt_datetime, fmt_float, fmt_int
from app.core.i18n import t
from app.monitoring import warnings as anomalies
from app.ui.core.text import md_escape
from app.ui.monitoring import dashboard as dash

KEY_KINDS = "warn_kinds"
KEY_STATE = "warn_state"


def filters() -> tuple[list[str], str]:
    c1, c2 = st.columns([3, 2])
    kinds = c1.multiselect(t("warn.filter.kinds"), list(anomalies.KINDS),
                           format_func=lambda k: t(f"warn.kind.{k}"), key=KEY_KINDS,
                           placeholder=t("dashboard.filter.all"), persist_state="session")
    state = c2.segmented_control(t("warn.filter.state"), ["open", "reviewed", "all"],
                                 default="open", required=True, key=KEY_STATE,
                                 format_func=lambda s: t(f"warn.state.{s}"),
                                 persist_state="session") or "open"
    return kinds, state


def counts(warnings: list[anomalies.Alert]) -> None:
    s = anomalies.summary(warnings)
    cols = st.columns(4) + st.columns(4)
    for col, kind in zip(cols, anomalies.KINDS):
        col.metric(t(f"warn.kind.{kind}"), fmt_int(s[kind]["open"]),
                   help=t("warn.count_help", total=fmt_int(s[kind]["total"]),
                          open=fmt_int(s[kind]["open"])))


def _frame(warnings: list[anomalies.Alert]) -> pd.DataFrame:
    rows = [{
        "severity": t(f"warn.severity.{w.severity}"),
        "kind": w.title, "commune": w.commune_name, "district": w.district_name,
        "day": fmt_date(w.day), "reason": w.reason,
        "flagged": len(w.response_ids) or None, "excluded": w.n_excluded or None,
        "reviewed": (t("warn.reviewed_by", who=w.reviewed_by,
                       at=fmt_datetime(w.reviewed_at)) if w.reviewed else ""),
    } for w in warnings]
    return pd.DataFrame(rows, columns=["severity", "kind", "commune", "day", "reason", "flagged",
                                       "excluded", "reviewed", "district"])


def render(scope: Scope, campaign_id: int, district: str | None, commune: str | None) -> None:
    try:
        all_warnings = dash.cached_warnings(scope, campaign_id, district, commune)
    except AuthError as exc:
        st.error(str(exc))
        return
    counts(all_warnings)
    kinds, state = filters()
    shown = [w for w in all_warnings
             if (not kinds or w.kind in kinds)
             and (state == "all" or (state == "open") != w.reviewed)]
    st.caption(t("warn.list_count", n=fmt_int(len(shown)), total=fmt_int(len(all_warnings))))
    if not shown:
        st.success(t("warn.none"))
        return
    event = st.dataframe(
        _frame(shown), hide_index=True, width="stretch", key="warn_table",
        height=min(420, 38 + 35 * len(shown)),
        on_select="rerun", selection_mode="multi-row",
        column_config={
            "severity": st.column_config.TextColumn(t("warn.col.severity"), width="small"),
            "kind": st.column_config.TextColumn(t("warn.col.kind")),
            "commune": st.column_config.TextColumn(t("dashboard.col.commune")),
            "district": st.column_config.TextColumn(t("dashboard.col.district")),
            "day": st.column_config.TextColumn(t("dashboard.col.day"), width="small"),
            "reason": st.column_config.TextColumn(t("warn.col.reason"), width="large"),
            "flagged": st.column_config.NumberColumn(t("warn.col.flagged"), format="%d"),
            "excluded": st.column_config.NumberColumn(t("dashboard.col.excluded"), format="%d"),
            "reviewed": st.column_config.TextColumn(t("warn.col.reviewed")),
        })
    rows = getattr(getattr(event, "selection", None), "rows", []) or []
    selected = [shown[i] for i in rows if i < len(shown)]
    if not selected:
        st.caption(t("warn.select_hint"))
        return
    actions(scope, campaign_id, selected)


def actions(scope: Scope, campaign_id: int, selected: list[anomalies.Alert]) -> None:
    reviewer = scope.role in anomalies.REVIEWER_ROLES
    st.divider()
    if len(selected) == 1:
        detail(scope, campaign_id, selected[0])
    else:
        st.subheader(t("warn.selected", n=len(selected)))
    if not reviewer:
        st.caption(t("warn.read_only"))
        return
    note = st.text_input(t("warn.note"), key="warn_note", max_chars=500,
                         placeholder=t("warn.note_hint"))
    c1, c2, c3, c4 = st.columns(4)
    open_ones = [w for w in selected if not w.reviewed]
    done_ones = [w for w in selected if w.reviewed]
    if c1.button(t("warn.mark", n=len(open_ones)), disabled=not open_ones, type="primary",
                 icon=":material/task_alt:", key="warn_mark"):
        _run(lambda: [anomalies.mark_reviewed(scope, campaign_id, w.key, note)
                      for w in open_ones], t("warn.marked", n=len(open_ones)))
    if c2.button(t("warn.unmark", n=len(done_ones)), disabled=not done_ones,
                 icon=":material/undo:", key="warn_unmark"):
        _run(lambda: [anomalies.unmark_reviewed(scope, campaign_id, w.key) for w in done_ones],
             t("warn.unmarked", n=len(done_ones)))
    flagged = [w for w in selected if w.response_ids]
    n_in = sum(len(w.response_ids) - w.n_excluded for w in flagged)
    n_out = sum(w.n_excluded for w in flagged)
    if c3.button(t("warn.exclude", n=fmt_int(n_in)), disabled=n_in == 0,
                 icon=":material/block:", key="warn_exclude",
                 help=t("warn.exclude_help")):
        if not note.strip():
            st.error(t("warn.reason_required"))
        else:
            _run(lambda: sum(anomalies.exclude_warning(scope, campaign_id, w.key, True, note)
                             for w in flagged), t("warn.excluded_done"))
    if c4.button(t("warn.include", n=fmt_int(n_out)), disabled=n_out == 0,
                 icon=":material/restore:", key="warn_include"):
        if not note.strip():
            st.error(t("warn.reason_required"))
        else:
            _run(lambda: sum(anomalies.exclude_warning(scope, campaign_id, w.key, False, note)
                             for w in flagged), t("warn.included_done"))


def _run(fn, message: str) -> None:
    try:
        fn()
    except AuthError as exc:
        st.error(str(exc))
        return
    dash.bump_warnings()
    st.session_state["warn_flash"] = message
    st.rerun()


def detail(scope: Scope, campaign_id: int, w: anomalies.Alert) -> None:
    st.subheader(f"{w.title}: {w.commune_name}")
    st.write(w.reason)
    st.page_link("pages/monitor/overview.py", label=t("warn.open_overview", name=md_escape(w.commune_name)),
                 icon=":material/monitoring:",
                 query_params={"huyen": w.district_code, "xa": w.commune_code})
    if w.reviewed:
        st.caption(t("warn.reviewed_by", who=w.reviewed_by, at=fmt_datetime(w.reviewed_at))
                   + (f" · {t('warn.note')}: {md_escape(w.note)}" if w.note else ""))
    if w.response_ids:
        try:
            rows = anomalies.flagged_responses(scope, campaign_id, w.key)
        except AuthError as exc:
            st.error(str(exc))
            return
        df = pd.DataFrame([{
            "id": r["id"], "at": fmt_datetime(r["submitted_at"]),
            "duration": fmt_float(r["duration_s"], 0) if r["duration_s"] is not None else "–",
            "overall": r["overall"], "excluded": r["excluded"]} for r in rows])
        st.dataframe(df, hide_index=True, width="stretch", height=min(400, 38 + 35 * len(df)),
                     column_config={
                         "id": st.column_config.NumberColumn(t("export.col.response"),
                                                             format="%d"),
                         "at": st.column_config.TextColumn(t("export.col.submitted")),
                         "duration": st.column_config.TextColumn(t("warn.col.duration")),
                         "overall": st.column_config.NumberColumn(t("dashboard.overall"),
                                                                  format="%.1f"),
                         "excluded": st.column_config.CheckboxColumn(t("dashboard.col.excluded"))})


def flash() -> None:
    msg = st.session_state.pop("warn_flash", None)
    if msg:
        st.success(msg)
