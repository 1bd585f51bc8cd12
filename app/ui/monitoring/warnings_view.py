"""Rendering of the warnings page: counts, a ranked list, the warning being read, and the
review actions.

Every action applies to the warning the reviewer read: the list remembers the selected
warning by its stable key (``warn_selected``), never by its row. The table's widget key is
derived from the warnings it shows, so a selection made in one list is never read against
another (after an exclusion or a mark the list changes and the table starts unselected, while
the warning being read stays on screen, named above the buttons that act on it).
"""
from __future__ import annotations

import hashlib

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
KEY_SELECTED = "warn_selected"        # the key of the warning being read
KEY_SELECTED_FROM = "warn_selected_from"  # the table (widget key) it was picked in
KEY_NOTE = "warn_note"


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
    cols = st.columns(len(anomalies.CATEGORIES))
    for col, (cat, kinds) in zip(cols, anomalies.CATEGORIES.items()):
        mine = [w for w in warnings if w.kind in kinds]
        n_open = sum(1 for w in mine if not w.reviewed)
        col.metric(t(f"warn.cat.{cat}"), fmt_int(n_open),
                   help=t(f"warn.cat.{cat}_help") + " " +
                   t("warn.count_help", total=fmt_int(len(mine)), open=fmt_int(n_open)))


def _frame(warnings: list[anomalies.Alert], with_review: bool) -> pd.DataFrame:
    """Text cells only (numbers formatted the Vietnamese way, nothing shown as "None")."""
    def sheets(w: anomalies.Alert) -> str:
        if not w.response_ids:
            return ""
        n = fmt_int(len(w.response_ids))
        return t("warn.cell.sheets_excluded", n=n, excluded=fmt_int(w.n_excluded)) \
            if w.n_excluded else n
    rows = [{
        "severity": t(f"warn.severity.{w.severity}") + (
            f" · {fmt_float(w.score, 1)}" if w.score is not None else ""),
        "kind": w.title, "commune": w.commune_name,
        "day": fmt_date(w.day) if w.day else t("warn.cell.whole_campaign"),
        "sheets": sheets(w), "reason": w.reason,
        "reviewed": (t("warn.reviewed_by", who=w.reviewed_by,
                       at=fmt_datetime(w.reviewed_at)) if w.reviewed else ""),
    } for w in warnings]
    columns = ["severity", "kind", "commune", "day", "sheets", "reason"]
    return pd.DataFrame(rows, columns=columns + (["reviewed"] if with_review else []))


def _table_key(shown: list[anomalies.Alert]) -> str:
    digest = hashlib.sha1("\n".join(w.key for w in shown).encode("utf-8")).hexdigest()[:12]
    return f"warn_table_{digest}"


def table(shown: list[anomalies.Alert], with_review: bool) -> None:
    """The ranked list; picking a row makes its warning the one being read (by key)."""
    key = _table_key(shown)
    event = st.dataframe(
        _frame(shown, with_review), hide_index=True, width="stretch", key=key,
        height=min(440, 38 + 35 * len(shown)), row_height=35,
        on_select="rerun", selection_mode="single-row",
        column_config={
            "severity": st.column_config.TextColumn(t("warn.col.severity_score"), width=90,
                                                    help=t("warn.col.score_help")),
            "kind": st.column_config.TextColumn(t("warn.col.kind"), width=245),
            "commune": st.column_config.TextColumn(t("dashboard.col.commune"), width=145),
            "day": st.column_config.TextColumn(t("dashboard.col.day"), width=85),
            "sheets": st.column_config.TextColumn(t("warn.col.sheets"), width=70),
            "reason": st.column_config.TextColumn(t("warn.col.reason"), width="large"),
            "reviewed": st.column_config.TextColumn(t("warn.col.reviewed"), width=160),
        })
    rows = getattr(getattr(event, "selection", None), "rows", []) or []
    if rows and rows[0] < len(shown):
        st.session_state[KEY_SELECTED] = shown[rows[0]].key
        st.session_state[KEY_SELECTED_FROM] = key
    elif st.session_state.get(KEY_SELECTED_FROM) == key:
        # unselected in the very table it was picked in: nothing is being read any more
        st.session_state.pop(KEY_SELECTED, None)
        st.session_state.pop(KEY_SELECTED_FROM, None)


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
    if shown:
        table(shown, with_review=state != "open")
    else:
        st.success(t("warn.none"))
    selected_key = st.session_state.get(KEY_SELECTED)
    current = next((w for w in all_warnings if w.key == selected_key), None)
    if selected_key and current is None:
        st.info(t("warn.selected_gone"))
        st.session_state.pop(KEY_SELECTED, None)
    elif current is None:
        if shown:
            st.caption(t("warn.select_hint"))
    else:
        st.divider()
        detail(scope, campaign_id, current)
        actions(scope, campaign_id, current)
    excluded_section(scope, campaign_id, district, commune)


def actions(scope: Scope, campaign_id: int, w: anomalies.Alert) -> None:
    if scope.role not in anomalies.REVIEWER_ROLES:
        st.caption(t("warn.read_only"))
        return
    st.info(t("warn.acting_on", label=md_escape(w.label)), icon=":material/ads_click:")
    if st.session_state.pop("warn_note_clear", False):
        st.session_state[KEY_NOTE] = ""   # a fresh note after an action (before the widget)
    note = st.text_input(t("warn.note"), key=KEY_NOTE, max_chars=500,
                         placeholder=t("warn.note_hint"))
    c1, c2, c3, c4 = st.columns([5, 4, 4, 2])
    key = w.key
    if not w.reviewed:
        if c1.button(t("warn.mark_one"), type="primary", icon=":material/task_alt:",
                     key="warn_mark"):
            _run(lambda: anomalies.mark_reviewed(scope, campaign_id, key, note),
                 t("warn.marked_one", label=w.label))
    elif c1.button(t("warn.unmark_one"), icon=":material/undo:", key="warn_unmark"):
        _run(lambda: anomalies.unmark_reviewed(scope, campaign_id, key),
             t("warn.unmarked_one", label=w.label))
    n_in = len(w.response_ids) - w.n_excluded
    if c2.button(t("warn.exclude_short", n=fmt_int(n_in)), disabled=n_in <= 0,
                 icon=":material/block:", key="warn_exclude", help=t("warn.exclude_help")):
        if not note.strip():
            st.error(t("warn.reason_required"))
        else:
            _run(lambda: anomalies.exclude_warning(scope, campaign_id, key, True, note),
                 t("warn.excluded_done", label=w.label))
    if c3.button(t("warn.include_short", n=fmt_int(w.n_excluded)), disabled=w.n_excluded <= 0,
                 icon=":material/restore:", key="warn_include", help=t("warn.include_help")):
        if not note.strip():
            st.error(t("warn.reason_required"))
        else:
            _run(lambda: anomalies.exclude_warning(scope, campaign_id, key, False, note),
                 t("warn.included_done", label=w.label))
    if c4.button(t("warn.close_detail"), icon=":material/close:", key="warn_close"):
        st.session_state.pop(KEY_SELECTED, None)
        st.session_state.pop(KEY_SELECTED_FROM, None)
        st.rerun()


def _run(fn, message: str) -> None:
    try:
        fn()
    except AuthError as exc:
        st.error(str(exc))
        return
    dash.bump_warnings()
    st.session_state["warn_flash"] = message
    st.session_state["warn_note_clear"] = True
    st.rerun()


def detail(scope: Scope, campaign_id: int, w: anomalies.Alert) -> None:
    st.subheader(md_escape(w.label))
    score = (t("warn.detail.score", score=fmt_float(w.score, 1)) if w.score is not None else "")
    st.caption(" · ".join(x for x in (t(f"warn.severity.{w.severity}"), score,
                                      w.district_name) if x))
    for line in w.reasons or [w.reason]:
        st.markdown(f"- {md_escape(line)}")
    figures = {k: w.details.get(k) for k in ("answers", "visits", "dossiers")}
    if any(v is not None for v in figures.values()):
        c = st.columns(3)
        for col, (k, v) in zip(c, figures.items()):
            col.metric(t(f"warn.detail.{k}"), fmt_int(v) if v is not None else "–")
    st.page_link("pages/monitor/overview.py",
                 label=t("warn.open_overview", name=md_escape(w.commune_name)),
                 icon=":material/monitoring:",
                 query_params={"huyen": w.district_code, "xa": w.commune_code})
    if w.reviewed:
        st.caption(t("warn.reviewed_by", who=w.reviewed_by, at=fmt_datetime(w.reviewed_at))
                   + (f" · {t('warn.note')}: {md_escape(w.note)}" if w.note else ""))
    if not w.response_ids:
        return
    try:
        rows = anomalies.flagged_responses(scope, campaign_id, w.key,
                                           report=dash.cached_report(campaign_id))
    except AuthError as exc:
        st.error(str(exc))
        return
    df = pd.DataFrame([{
        "id": r["id"], "at": fmt_datetime(r["submitted_at"]),
        "duration": fmt_float(r["duration_s"], 0) if r["duration_s"] is not None else "–",
        "overall": r["overall"], "excluded": r["excluded"]} for r in rows])
    with st.expander(t("warn.detail.sheets", n=fmt_int(len(rows)))):
        st.dataframe(df, hide_index=True, width="stretch",
                     height=min(400, 38 + 35 * len(df)),
                     column_config={
                         "id": st.column_config.NumberColumn(t("export.col.response"),
                                                             format="%d"),
                         "at": st.column_config.TextColumn(t("export.col.submitted")),
                         "duration": st.column_config.TextColumn(t("warn.col.duration")),
                         "overall": st.column_config.NumberColumn(t("dashboard.overall"),
                                                                  format="%.1f"),
                         "excluded": st.column_config.CheckboxColumn(
                             t("dashboard.col.excluded"))})


def excluded_section(scope: Scope, campaign_id: int, district: str | None,
                     commune: str | None) -> None:
    """Every excluded sheet can be brought back, whatever its warning became."""
    try:
        groups = anomalies.excluded_groups(scope, campaign_id, district_code=district,
                                           commune_code=commune)
    except AuthError:
        return
    if not groups:
        return
    with st.expander(t("warn.excluded.title", n=fmt_int(sum(len(g.response_ids)
                                                             for g in groups)))):
        st.caption(t("warn.excluded.help"))
        by_key = {g.key: g for g in groups}
        key = st.selectbox(t("warn.excluded.pick"), list(by_key), index=None,
                           format_func=lambda k: by_key[k].label, key="warn_excluded_pick",
                           placeholder=t("warn.excluded.placeholder"))
        g = by_key.get(key)
        if g is None:
            return
        st.markdown("\n".join(f"- {md_escape(r)}" for r in g.reasons) or "–")
        if g.last_by:
            st.caption(t("warn.excluded.by", who=g.last_by, at=fmt_datetime(g.last_at)))
        if scope.role not in anomalies.REVIEWER_ROLES:
            return
        with st.form("warn_include_group"):
            st.info(t("warn.acting_on", label=md_escape(g.label)), icon=":material/ads_click:")
            reason = st.text_input(t("warn.note"), max_chars=500, key="warn_include_reason",
                                   placeholder=t("warn.note_hint"))
            if st.form_submit_button(t("warn.include", n=fmt_int(len(g.response_ids))),
                                     icon=":material/restore:"):
                if not reason.strip():
                    st.error(t("warn.reason_required"))
                else:
                    _run(lambda: anomalies.include_group(scope, campaign_id, g.key, reason),
                         t("warn.included_done", label=g.label))


def flash() -> None:
    msg = st.session_state.pop("warn_flash", None)
    if msg:
        st.success(md_escape(msg))
