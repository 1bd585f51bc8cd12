"""Rendering of the results page: the friendly-government ranking and the exports."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.core.auth import AuthError, Scope
from app.core.fmt import fmt_float, fmt_int
from app.core.i18n import t
from app.monitoring import exports
from app.monitoring.scoring import ScoreBoard


def board_frame(board: ScoreBoard, flagged: dict[str, list[str]] | None = None) -> pd.DataFrame:
    flagged = flagged or {}
    rows = []
    for c in board.communes:
        ov = c.overall
        marks = flagged.get(c.code, [])
        row = {"rank": c.rank, "name": c.name, "district": c.district_name, "n": c.n,
               "integrity": t("results.flag_cell", n=len(marks)) if marks else "",
               "index": ov.mean if ov else None,
               "ci": (f"{fmt_float(ov.low, 1)} – {fmt_float(ov.high, 1)}"
                      if ov and ov.low is not None else "–"),
               "status": t(f"dashboard.status.{c.status}") + (" *" if c.uncertain else ""),
               "verified_share": (None if (v := board.verified_share(c.code)) is None
                                  else 100 * v)}
        for pid, _name in board.pillars:
            iv = c.pillars.get(pid)
            row[pid] = iv.mean if iv else None
        rows.append(row)
    return pd.DataFrame(rows)


def verified_only_toggle() -> bool:
    """Results from the sheets verified in person only (issue 15)."""
    return st.toggle(t("kiosk.verified_only"), key="results_verified_only",
                     help=t("kiosk.verified_only_help"), persist_state="session")


def ranking(board: ScoreBoard, show_rank: bool = True,
            flagged: dict[str, list[str]] | None = None, printing: bool = False) -> None:
    """The ranking; `flagged`: {commune code: labels of its open high-score integrity
    warnings}, marked in the table and counted (issue 14 item 5); `printing`: the whole
    table on paper, numbers written the Vietnamese way."""
    flagged = flagged or {}
    c = st.columns(4)
    ranked = board.ranked
    c[0].metric(t("results.kpi.threshold"), fmt_float(board.threshold, 1))
    c[1].metric(t("results.kpi.ranked"), f"{fmt_int(len(ranked))}/{fmt_int(len(board.communes))}",
                help=t("results.kpi.ranked_help", min=fmt_int(board.min_sample),
                       not_enough=fmt_int(sum(1 for r in board.communes
                                              if r.status == "not_enough"))))
    c[2].metric(t("results.kpi.friendly"),
                f"{fmt_int(sum(1 for r in ranked if r.status == 'friendly'))}/"
                f"{fmt_int(len(ranked))}", help=t("results.kpi.friendly_help"))
    n_flagged = sum(1 for r in ranked if r.code in flagged)
    c[3].metric(t("results.kpi.flagged"), f"{fmt_int(n_flagged)}/{fmt_int(len(ranked))}",
                help=t("results.kpi.flagged_help"))
    st.caption(t("results.method", min=fmt_int(board.min_sample),
                 threshold=fmt_float(board.threshold, 1)))
    verified = sum(board.verified.values())
    scored = sum(c.n for c in board.communes) if not board.verified_only else None
    st.caption(t("kiosk.results_verified_only", n=fmt_int(verified)) if board.verified_only
               else t("kiosk.results_share", n=fmt_int(verified),
                      share=fmt_float(100 * verified / scored, 0) if scored else "0"))
    show_all = st.toggle(t("results.show_unranked"), key="results_show_all",
                         persist_state="session")
    df = board_frame(board, flagged)
    if not flagged:
        df = df.drop(columns=["integrity"])
    elif n_flagged:
        st.warning(t("results.flag_note"), icon=":material/warning:")
    if not show_all:
        df = df[df["rank"].notna()]
    if not show_rank:  # a commune alone: a rank "1 of 1" would mislead
        df = df.drop(columns=["rank"])
    config = {
        "rank": st.column_config.NumberColumn(t("dashboard.col.rank"), format="%d", width="small"),
        "name": st.column_config.TextColumn(t("dashboard.col.commune")),
        "district": st.column_config.TextColumn(t("dashboard.col.district")),
        "n": st.column_config.NumberColumn(t("dashboard.col.n_scored"), format="localized"),
        "index": st.column_config.ProgressColumn(t("dashboard.col.index"), format="localized", step=0.1,
                                                 min_value=0, max_value=100),
        "ci": st.column_config.TextColumn(t("dashboard.col.ci")),
        "status": st.column_config.TextColumn(t("dashboard.col.status")),
        "integrity": st.column_config.TextColumn(t("results.col.integrity"),
                                                 help=t("results.kpi.flagged_help")),
        "verified_share": st.column_config.NumberColumn(t("kiosk.col.verified_share"),
                                                        format="%.0f%%",
                                                        help=t("kiosk.verified_help")),
    }
    for pid, name in board.pillars:
        config[pid] = st.column_config.NumberColumn(name, format="localized", step=0.1)
    if printing:  # the whole table on paper, numbers written the Vietnamese way
        out = df.copy()
        for col in ["index", *[pid for pid, _ in board.pillars]]:
            out[col] = [fmt_float(v, 1) if v is not None and v == v else "–" for v in out[col]]
        out["n"] = [fmt_int(v) for v in out["n"]]
        if "rank" in out:
            out["rank"] = [fmt_int(v) if v == v and v is not None else "" for v in out["rank"]]
        out = out.rename(columns={k: v["label"] for k, v in config.items()
                                  if k in out and isinstance(v, dict) and v.get("label")})
        st.table(out.set_index(out.columns[0]))
    else:
        st.dataframe(df, hide_index=True, width="stretch", column_config=config,
                     height=min(520, 38 + 35 * max(1, len(df))), key="results_table")
    st.caption(t("export.uncertain_note"))


def export_section(scope: Scope, campaign_id: int, district: str | None) -> None:
    st.subheader(t("results.exports"))
    if scope.role not in exports.EXPORT_ROLES:
        st.caption(t("export.not_allowed"))
        return
    st.caption(t("results.exports_help"))
    key = (campaign_id, district)
    c1, c2 = st.columns(2)
    with c1:
        if st.button(t("results.make_xlsx"), icon=":material/table_view:", key="results_xlsx"):
            _build("xlsx", scope, campaign_id, district, key)
        _download("xlsx", key, c1)
    with c2:
        if st.button(t("results.make_pdf"), icon=":material/picture_as_pdf:", key="results_pdf"):
            _build("pdf", scope, campaign_id, district, key)
        _download("pdf", key, c2)


def _build(kind: str, scope: Scope, campaign_id: int, district: str | None, key) -> None:
    with st.status(t(f"results.building_{kind}"), expanded=True) as status:
        bar = st.progress(0.0)

        def progress(frac: float, message: str) -> None:
            bar.progress(min(1.0, max(0.0, frac)), text=message)
        try:
            if kind == "xlsx":
                data, name = exports.build_xlsx(scope, campaign_id, district_code=district,
                                                progress=progress)
            else:
                data, name = exports.build_pdf(scope, campaign_id, district_code=district,
                                               progress=progress)
        except AuthError as exc:
            status.update(label=str(exc), state="error")
            return
        st.session_state[f"results_file_{kind}"] = (key, data, name)
        status.update(label=t("results.ready", name=name, size=fmt_int(len(data) // 1024)),
                      state="complete", expanded=False)


def _download(kind: str, key, box) -> None:
    held = st.session_state.get(f"results_file_{kind}")
    if not held or held[0] != key:
        return
    _key, data, name = held
    mime = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            if kind == "xlsx" else "application/pdf")
    box.download_button(t(f"results.download_{kind}", name=name), data, file_name=name,
                        mime=mime, icon=":material/download:", key=f"results_dl_{kind}",
                        on_click="ignore", type="primary")
