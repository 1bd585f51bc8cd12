"""Rendering of the live overview (figures, charts, the commune table) from an ``Overview``."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.core.fmt import fmt_date, fmt_float, fmt_int
from app.core.i18n import t
from app.core.reference import geography
from app.monitoring import charts
from app.monitoring.stats import LEVEL_COMMUNE, LEVEL_PROVINCE, Overview
from app.survey.questionnaire import OVERALL
from app.ui.core.selection import keyed_table
from app.ui.core.text import md_escape

KEY_GOTO = "dash_goto_commune"
KEY_TAB = "dash_tab"  # the open tab of the overview (its label)


def _show(chart, width: str = "stretch") -> None:
    st.altair_chart(charts.finish(chart), width=width)


def level_label(ov: Overview) -> str:
    geo = geography()
    if ov.level == LEVEL_COMMUNE and ov.commune_code:
        c = geo.by_code[ov.commune_code]
        return f"{c.full_name}, {c.district_full_name}"
    if ov.district_code:
        d = geo.district(ov.district_code)
        return d.full_name if d else ov.district_code
    return t("app.province")


def index_text(iv) -> str:
    if iv is None:
        return "–"
    return fmt_float(iv.mean, 1)


def ci_text(iv) -> str:
    if iv is None or iv.low is None:
        return "–"
    return f"{fmt_float(iv.low, 1)} – {fmt_float(iv.high, 1)}"


def apply_goto() -> None:
    """Before the pickers are drawn: a commune chosen in the table becomes the drill-down."""
    code = st.session_state.pop(KEY_GOTO, None)
    if code:
        c = geography().by_code.get(code)
        if c is not None:
            if st.session_state.get("huyen") is not None:
                st.session_state["huyen"] = c.district_code
            st.session_state["xa"] = code


def kpis(ov: Overview) -> None:
    k = ov.kpi
    day = t("dashboard.today") if ov.is_today else fmt_date(ov.ref_day)
    c = st.columns(4)
    c[0].metric(t("dashboard.kpi.answers_today", day=day), fmt_int(k["answers_today"]),
                help=t("dashboard.kpi.answers_today_help"))
    c[1].metric(t("dashboard.kpi.answers_total"), fmt_int(k["answers_total"]),
                help=t("dashboard.kpi.answers_total_help", excluded=fmt_int(k["excluded_total"])))
    c[2].metric(t("dashboard.kpi.communes_with_answers"),
                f"{fmt_int(k['communes_with_answers'])}/{fmt_int(k['communes_total'])}",
                help=t("dashboard.kpi.communes_with_answers_help",
                       today=fmt_int(k["communes_with_answers_today"])))
    c[3].metric(t("dashboard.kpi.visits"), fmt_int(k["visits_total"]),
                help=t("dashboard.kpi.visits_help", today=fmt_int(k["visits_today"])))
    c = st.columns(4)
    ratio = k["ratio"]
    c[0].metric(t("dashboard.kpi.ratio"), fmt_float(ratio, 2) if ratio is not None else "–",
                help=t("dashboard.kpi.ratio_help", low=fmt_float(ov.campaign.ratio_low, 2),
                       high=fmt_float(ov.campaign.ratio_high, 2)))
    c[1].metric(t("dashboard.kpi.reports_today", day=day),
                f"{fmt_int(k['reports_today'])}/{fmt_int(k['communes_total'])}",
                help=t("dashboard.kpi.reports_help", total=fmt_int(k["reports_total"]),
                       expected=fmt_int(k["reports_expected_total"])))
    iv = k["index"]
    c[2].metric(t("dashboard.kpi.index"), index_text(iv),
                help=t("dashboard.kpi.index_help", ci=ci_text(iv), n=fmt_int(iv.n if iv else 0),
                       threshold=fmt_float(ov.campaign.friendly_threshold, 1)))
    c[3].metric(t("dashboard.kpi.friendly"),
                f"{fmt_int(k['communes_friendly'])}/{fmt_int(k['communes_ranked'])}",
                help=t("dashboard.kpi.friendly_help", min=fmt_int(ov.campaign.min_sample),
                       not_enough=fmt_int(k["communes_not_enough"])))
    if k["codes_shown_total"] or k["verified_total"]:
        st.caption(t("kiosk.kpi", verified=fmt_int(k["verified_total"]),
                     share=fmt_float(100 * (k["verified_share"] or 0), 0),
                     shown=fmt_int(k["codes_shown_total"]), opened=fmt_int(k["codes_opened_total"]),
                     communes=fmt_int(k["communes_with_screen"])))
    if k["ratio_status"] in ("low", "high"):
        st.warning(t("dashboard.ratio_out", status=t(f"dashboard.ratio.{k['ratio_status']}").lower(),
                     ratio=fmt_float(ratio, 2), low=fmt_float(ov.campaign.ratio_low, 2),
                     high=fmt_float(ov.campaign.ratio_high, 2)), icon=":material/warning:")
    out = int((ov.communes["ratio_status"].isin(["low", "high"])).sum())
    if ov.level != LEVEL_COMMUNE and out:
        st.caption(t("dashboard.ratio_out_communes", n=fmt_int(out)))


def unit_charts(ov: Overview) -> None:
    if ov.level == LEVEL_PROVINCE:
        df, label, what = ov.districts, "district_name", t("dashboard.per_district")
    else:
        df, label, what = ov.communes, "name", t("dashboard.per_commune")
    if df.empty:
        st.info(t("common.no_data"))
        return
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**{t('dashboard.chart.answers', what=what)}**")
        _show(charts.answers_bars(df, label), width="stretch")
    with c2:
        st.markdown(f"**{t('dashboard.chart.index', what=what)}**")
        st.caption(t("dashboard.chart.index_caption",
                     threshold=fmt_float(ov.campaign.friendly_threshold, 1)))
        if df["index"].notna().any():
            _show(charts.index_bars(df, label, ov.campaign.friendly_threshold),
                            width="stretch")
        else:
            st.info(t("common.no_data"))
    st.markdown(f"**{t('dashboard.chart.ratio', what=what)}**")
    st.caption(t("dashboard.chart.ratio_caption", low=fmt_float(ov.campaign.ratio_low, 2),
                 high=fmt_float(ov.campaign.ratio_high, 2)))
    if df["ratio"].notna().any():
        _show(charts.ratio_bars(df, label, ov.campaign.ratio_low,
                                          ov.campaign.ratio_high), width="stretch")
    else:
        st.info(t("dashboard.no_reports"))


def commune_card(ov: Overview) -> None:
    """A single commune: its pillar indices with intervals and its status."""
    sc = ov.scores.commune(ov.commune_code) if ov.commune_code else None
    if sc is None:
        return
    row = ov.communes.iloc[0]
    rank, ranked, compared = ov.rank_among or (sc.rank, len(ov.scores.ranked), 1)
    st.markdown(f"**{t('dashboard.commune_status')}:** {t('dashboard.status.' + sc.status)}"
                + (f" · {t('dashboard.rank', rank=rank, of=ranked)}" if rank else "")
                + (f" · {t('dashboard.uncertain')}" if sc.uncertain else ""))
    rows = [{"pillar": name, "index": iv.mean if iv else None,
             "index_low": iv.low if iv else None, "index_high": iv.high if iv else None,
             "n": iv.n if iv else 0}
            for pid, name in ov.scores.pillars for iv in [sc.pillars.get(pid)]]
    rows.append({"pillar": t("dashboard.overall"), "index": sc.overall.mean if sc.overall else None,
                 "index_low": sc.overall.low if sc.overall else None,
                 "index_high": sc.overall.high if sc.overall else None, "n": sc.n})
    df = pd.DataFrame(rows)
    if df["index"].notna().any():
        _show(charts.index_bars(df, "pillar", ov.campaign.friendly_threshold),
                        width="stretch")
    st.dataframe(df, hide_index=True, width="stretch", column_config={
        "pillar": st.column_config.TextColumn(t("dashboard.col.pillar")),
        "index": st.column_config.NumberColumn(t("dashboard.col.index"), format="localized", step=0.1),
        "index_low": st.column_config.NumberColumn(t("dashboard.col.ci_low"), format="localized", step=0.1),
        "index_high": st.column_config.NumberColumn(t("dashboard.col.ci_high"), format="localized", step=0.1),
        "n": st.column_config.NumberColumn(t("dashboard.col.n_scored"), format="localized")})
    st.caption(t("dashboard.commune_report", reports=fmt_int(row["reports"]),
                 expected=fmt_int(row["reports_expected"]), visits=fmt_int(row["visits"]),
                 ratio=fmt_float(row["ratio"], 2) if row["ratio"] == row["ratio"]
                 and row["ratio"] is not None else "–"))


def time_charts(ov: Overview) -> None:
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(f"**{t('dashboard.chart.by_day')}**")
        _show(charts.by_day_chart(ov.by_day), width="stretch")
    with c2:
        st.markdown(f"**{t('dashboard.chart.by_hour')}**")
        if ov.by_hour.empty:
            st.info(t("common.no_data"))
        else:
            _show(charts.by_hour_chart(ov.by_hour), width="stretch")


def question_results(ov: Overview) -> None:
    q = ov.questions
    if q.empty or q["n"].sum() == 0:
        st.info(t("common.no_data"))
        return
    st.caption(t("dashboard.questions_caption"))
    pillar_ids = list(dict.fromkeys(q["pillar_id"]))
    for pid in pillar_ids:
        part = q[q["pillar_id"] == pid]
        name = part["pillar"].iloc[0]
        idx = ov.scores.total.get(pid) if pid != "_profile" else None
        head = name + (f" · {t('dashboard.col.index')} {index_text(idx)}" if idx else "")
        printing = bool(st.session_state.get("dash_print"))
        with st.expander(head, expanded=printing or pid == pillar_ids[0]):
            for qid in dict.fromkeys(part["question_id"]):
                qq = part[part["question_id"] == qid]
                num = qq["number"].iloc[0]
                label = (f"Câu {int(num)}. " if num == num and num is not None else "")
                st.markdown(f"{label}{md_escape(qq['question'].iloc[0])}")
            _show(charts.question_chart(part), width="stretch")
            table = part[["number", "question", "option", "n", "share"]].copy()
            table["share"] = table["share"].astype(float)
            st.dataframe(table, hide_index=True, width="stretch", column_config={
                "number": st.column_config.NumberColumn(t("dashboard.col.number"), format="%d"),
                "question": st.column_config.TextColumn(t("dashboard.col.question"), width="large"),
                "option": st.column_config.TextColumn(t("dashboard.col.option")),
                "n": st.column_config.NumberColumn(t("dashboard.col.count"), format="localized"),
                "share": st.column_config.NumberColumn(t("dashboard.col.share"), format="percent", step=0.001)})


TABLE_COLUMNS = ["code", "name", "district_name", "answers", "answers_today", "visits", "ratio",
                 "ratio_label", "verified", "verified_share_pct", "codes_shown", "codes_opened",
                 "index", "status_label", "rank", "ci_text", "n_scored", "reports_text",
                 "excluded"]


def commune_table_frame(ov: Overview) -> pd.DataFrame:
    df = charts.decorate_units(ov.communes)
    df["reports_text"] = [f"{int(a)}/{int(b)}" for a, b in
                          zip(df["reports"], df["reports_expected"])]
    df["verified_share_pct"] = [None if v is None or v != v else 100 * v
                                for v in df["verified_share"]]
    df["ci_text"] = [f"{fmt_float(a, 1)} – {fmt_float(b, 1)}"
                     if a is not None and a == a and b is not None and b == b else "–"
                     for a, b in zip(df["index_low"], df["index_high"])]
    return df


def commune_table(ov: Overview) -> None:
    df = commune_table_frame(ov)
    f1, f2, f3 = st.columns([2, 2, 2])
    text = f1.text_input(t("dashboard.filter.search"), key="dash_tbl_search", persist_state="session",
                         placeholder=t("dashboard.filter.search_hint"))
    ratio_opts = ["ok", "low", "high", "no_report"]
    ratio_sel = f2.multiselect(t("dashboard.col.ratio_status"), ratio_opts,
                               format_func=lambda s: t(f"dashboard.ratio.{s}"), key="dash_tbl_ratio",
                               persist_state="session",
                               placeholder=t("dashboard.filter.all"))
    status_opts = ["friendly", "below", "not_enough", "no_answers"]
    status_sel = f3.multiselect(t("dashboard.col.status"), status_opts,
                                format_func=lambda s: t(f"dashboard.status.{s}"),
                                key="dash_tbl_status", placeholder=t("dashboard.filter.all"),
                                persist_state="session")
    if text:
        needle = text.strip().lower()
        df = df[df["name"].str.lower().str.contains(needle, regex=False)
                | df["code"].str.contains(needle, regex=False)
                | df["district_name"].str.lower().str.contains(needle, regex=False)]
    if ratio_sel:
        df = df[df["ratio_status"].isin(ratio_sel)]
    if status_sel:
        df = df[df["score_status"].isin(status_sel)]
    st.caption(t("dashboard.table_count", n=fmt_int(len(df)), total=fmt_int(len(ov.communes))))
    columns = [c for c in TABLE_COLUMNS if c != "district_name" or ov.level == LEVEL_PROVINCE]
    code = keyed_table(
        df[columns], list(df["code"]), key="dash_tbl", hide_index=True, width="stretch",
        height=min(460, 38 + 35 * max(1, len(df))),
        column_config={
            "code": st.column_config.TextColumn(t("dashboard.col.code"), width="small"),
            "name": st.column_config.TextColumn(t("dashboard.col.commune")),
            "district_name": st.column_config.TextColumn(t("dashboard.col.district")),
            "answers": st.column_config.NumberColumn(t("dashboard.col.answers"), format="localized"),
            "answers_today": st.column_config.NumberColumn(t("dashboard.col.answers_today"),
                                                           format="localized"),
            "excluded": st.column_config.NumberColumn(t("dashboard.col.excluded"),
                                                      format="localized"),
            "visits": st.column_config.NumberColumn(t("dashboard.col.visits"), format="localized"),
            "ratio": st.column_config.NumberColumn(t("dashboard.col.ratio"), format="localized", step=0.01),
            "ratio_label": st.column_config.TextColumn(t("dashboard.col.ratio_status")),
            "verified": st.column_config.NumberColumn(t("kiosk.col.verified"), format="localized",
                                                      help=t("kiosk.verified_help")),
            "verified_share_pct": st.column_config.NumberColumn(t("kiosk.col.verified_share"),
                                                                format="%.0f%%"),
            "codes_shown": st.column_config.NumberColumn(t("kiosk.col.shown"), format="localized"),
            "codes_opened": st.column_config.NumberColumn(t("kiosk.col.opened"),
                                                          format="localized"),
            "reports_text": st.column_config.TextColumn(t("dashboard.col.reports")),
            "index": st.column_config.ProgressColumn(t("dashboard.col.index"), format="localized", step=0.1,
                                                     min_value=0, max_value=100),
            "ci_text": st.column_config.TextColumn(t("dashboard.col.ci")),
            "n_scored": st.column_config.NumberColumn(t("dashboard.col.n_scored"),
                                                      format="localized"),
            "rank": st.column_config.NumberColumn(t("dashboard.col.rank"), format="%d"),
            "status_label": st.column_config.TextColumn(t("dashboard.col.status")),
        })
    if code is not None:
        name = df.loc[df["code"] == code, "name"].iloc[0]
        if st.button(t("dashboard.open_commune", name=md_escape(name)), icon=":material/zoom_in:",
                     key="dash_tbl_open"):
            st.session_state[KEY_GOTO] = code
            st.rerun(scope="app")


def print_table(ov: Overview) -> None:
    """The commune table whole, as text written the Vietnamese way (for paper)."""
    df = commune_table_frame(ov)
    columns = {"name": t("dashboard.col.commune"), "district_name": t("dashboard.col.district"),
               "answers": t("dashboard.col.answers"), "visits": t("dashboard.col.visits"),
               "ratio": t("dashboard.col.ratio"), "ratio_label": t("dashboard.col.ratio_status"),
               "index": t("dashboard.col.index"), "status_label": t("dashboard.col.status"),
               "reports_text": t("dashboard.col.reports")}
    if ov.level != LEVEL_PROVINCE:
        columns.pop("district_name")
    out = pd.DataFrame({label: df[col] for col, label in columns.items()})
    for col, digits in (("answers", 0), ("visits", 0), ("ratio", 2), ("index", 1)):
        label = columns[col]
        out[label] = [fmt_int(v) if digits == 0 else fmt_float(v, digits)
                      if v is not None and v == v else "–" for v in df[col]]
    st.table(out.set_index(columns["name"]))


def render(ov: Overview, printing: bool = False) -> None:
    st.caption(t("dashboard.updated", time=ov.computed_at.strftime("%H:%M:%S"),
                 level=level_label(ov), day=fmt_date(ov.ref_day)))
    if not ov.is_today:
        st.info(t("dashboard.not_today", day=fmt_date(ov.ref_day)))
    kpis(ov)
    if printing:  # every section in turn: tabs print only the one open
        sections = ([("dashboard.tab.commune", commune_card)] if ov.level == LEVEL_COMMUNE
                    else [("dashboard.tab.units", unit_charts)])
        sections += [("dashboard.tab.time", time_charts),
                     ("dashboard.tab.questions", question_results)]
        if ov.level != LEVEL_COMMUNE:
            sections.append(("dashboard.tab.table", print_table))
        for title, draw in sections:
            st.subheader(t(title))
            draw(ov)
        return
    if ov.level == LEVEL_COMMUNE:
        sections = [("dashboard.tab.commune", commune_card), ("dashboard.tab.time", time_charts),
                    ("dashboard.tab.questions", question_results)]
    else:
        sections = [("dashboard.tab.units", unit_charts), ("dashboard.tab.time", time_charts),
                    ("dashboard.tab.questions", question_results),
                    ("dashboard.tab.table", commune_table)]
    # Only the open tab is drawn (and sent): the other tabs' charts, tables and filters cost the
    # server and the browser a lot and nobody sees them until their tab is chosen, which reruns
    # the live fragment (docs/PERFORMANCE.md, sign-in). One key for both sets of tabs: the time
    # and question tabs stay open across a drill-down.
    tabs = st.tabs([t(title) for title, _draw in sections], key=KEY_TAB, on_change="rerun")
    for tab, (_title, draw) in zip(tabs, sections):
        if tab.open:
            with tab:
                draw(ov)


def overall_of(ov: Overview):
    return ov.scores.total.get(OVERALL)
