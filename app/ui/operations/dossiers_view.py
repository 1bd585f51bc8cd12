"""The body of pages/monitor/dossiers.py: import the one-stop office's dossier counts (template,
row-by-row problems, preview before saving) and compare them with the reported visits and the
answers."""
from __future__ import annotations

import streamlit as st

from app.core.auth import AuthError, Scope
from app.core.fmt import fmt_date, fmt_float, fmt_int
from app.core.i18n import t
from app.core.reference import geography
from app.operations import dossiers as svc
from app.ui.core.text import md_escape
from app.ui.operations.ops_view import campaign_caption, district_choice, flash, require_campaign

KEY_UPLOAD_VERSION = "dossiers_upload_version"
KEY_FLASH = "dossiers_flash"


def render(scope: Scope) -> None:
    campaign = require_campaign()
    st.title(t("nav.dossiers"))
    campaign_caption(campaign)
    st.caption(t("dossiers.intro"))
    flash(KEY_FLASH)
    if scope.role in svc.IMPORT_ROLES:
        import_section(scope, campaign)
    compare_section(scope, campaign)


def _problems(problems) -> None:
    general = [p for p in problems if p.row is None]
    for p in general:
        st.error(p.message, icon=":material/error:")
    rows = [p for p in problems if p.row is not None]
    if rows:
        st.error(t("dossiers.problems", n=fmt_int(len(rows))), icon=":material/error:")
        st.dataframe([{t("ops.col.row"): str(p.row),
                       t("ops.col.field"): t(f"dossiers.col.{p.field}"),
                       t("ops.col.problem"): p.message} for p in rows],
                     hide_index=True, width="stretch")
    st.caption(t("dossiers.nothing_saved"))


def _ratio(a: int | None, b: int | None) -> str:
    if a is None or not b:
        return "–" if a is None or not a else "∞"
    return fmt_float(a / b, 2)


def _status(f: svc.DayFigures, high: float, dossiers: int | None) -> str:
    notes = []
    if f.over(f.visits, high, dossiers):
        notes.append(t("dossiers.status.visits_over"))
    if f.over(f.answers, high, dossiers):
        notes.append(t("dossiers.status.answers_over"))
    if f.visits is None:
        notes.append(t("dossiers.status.no_report"))
    return "; ".join(notes) or t("dossiers.status.ok")


def _n(value: int | None) -> str:
    return "–" if value is None else fmt_int(value)


def _figures_table(rows: list[svc.DayFigures], high: float, preview: bool,
                   with_district: bool) -> None:
    data = []
    for f in rows:
        dossiers = f.new_dossiers if preview else f.dossiers
        row = {"commune": f.commune_name}
        if with_district:
            row["district"] = f.district_name
        row.update({"day": fmt_date(f.day), "dossiers": _n(dossiers)})
        if preview:
            row["current"] = _n(f.dossiers)
        row.update({"visits": _n(f.visits), "answers": _n(f.answers),
                    "visits_ratio": _ratio(f.visits, dossiers),
                    "answers_ratio": _ratio(f.answers, dossiers),
                    "status": _status(f, high, dossiers)})
        data.append(row)
    cfg = {
        "commune": st.column_config.TextColumn(t("common.commune"), width=165),
        "district": st.column_config.TextColumn(t("common.district"), width=140),
        "day": st.column_config.TextColumn(t("ops.day"), width=85),
        "dossiers": st.column_config.TextColumn(
            t("dossiers.col.new" if preview else "dossiers.col.dossiers"), width=85,
            help=t("dossiers.col.dossiers_help")),
        "current": st.column_config.TextColumn(t("dossiers.col.current"), width=80),
        "visits": st.column_config.TextColumn(t("dossiers.col.visits"), width=70,
                                              help=t("dossiers.col.visits_help")),
        "answers": st.column_config.TextColumn(t("dossiers.col.answers"), width=60),
        "visits_ratio": st.column_config.TextColumn(t("dossiers.col.visits_ratio"), width=80),
        "answers_ratio": st.column_config.TextColumn(t("dossiers.col.answers_ratio"), width=85),
        "status": st.column_config.TextColumn(t("dossiers.col.status"), width="medium"),
    }
    st.dataframe(data, hide_index=True, width="stretch", column_config=cfg,
                 height=min(460, 38 + 35 * max(1, len(data))))


def import_section(scope: Scope, campaign) -> None:
    st.subheader(t("dossiers.import_title"))
    st.write(t("dossiers.import_help"))
    st.download_button(t("dossiers.template"),
                       data=lambda: svc.dossier_template(scope, campaign),
                       file_name=f"mau_ho_so_mot_cua_{campaign.id}.xlsx", mime=svc.XLSX_MIME,
                       icon=":material/download:", key="dossiers_template")
    version = st.session_state.setdefault(KEY_UPLOAD_VERSION, 0)
    upload = st.file_uploader(t("dossiers.upload"), type=["xlsx"],
                              key=f"dossiers_upload_{version}")
    if upload is None:
        return
    data = upload.getvalue()
    try:
        parsed = svc.read_dossier_xlsx(scope, campaign, data)
    except AuthError as exc:
        st.error(str(exc))
        return
    if not parsed.ok:
        _problems(parsed.problems)
        return
    rows = svc.preview(scope, campaign, parsed)
    replaced = sum(1 for r in rows if r.dossiers is not None and r.dossiers != r.new_dossiers)
    st.success(t("dossiers.preview", n=fmt_int(len(rows)), replaced=fmt_int(replaced)),
               icon=":material/preview:")
    _figures_table(rows, campaign.ratio_high, preview=True,
                   with_district=len({r.district_name for r in rows}) > 1)
    if st.button(t("dossiers.save", n=fmt_int(len(rows))), type="primary",
                 icon=":material/save:", key="dossiers_save"):
        result = svc.save_dossiers(scope, campaign, data, source=upload.name)
        if not result.ok:
            _problems(result.problems)
            return
        from app.ui.monitoring.dashboard import bump_warnings
        bump_warnings()   # the engine judges against the new counts
        st.session_state[KEY_FLASH] = [("success", t("dossiers.saved", n=fmt_int(result.saved),
                                                      changed=fmt_int(result.changed)))]
        st.session_state[KEY_UPLOAD_VERSION] = version + 1
        st.rerun()


def compare_section(scope: Scope, campaign) -> None:
    st.subheader(t("dossiers.compare_title"))
    st.caption(t("dossiers.compare_help", high=fmt_float(campaign.ratio_high, 2)))
    geo = geography()
    c1, _c2 = st.columns(2)
    dcode = district_choice(scope, geo, c1, key="dossiers_district")
    try:
        rows = svc.dossier_overview(scope, campaign, dcode)
    except AuthError as exc:
        st.error(str(exc))
        return
    visible = scope.visible_commune_codes()
    total = sum(1 for c in geo.communes if (visible is None or c.code in visible)
                and (not dcode or c.district_code == dcode))
    with_counts = len({r.commune_code for r in rows})
    over = [r for r in rows if r.over(r.visits, campaign.ratio_high)
            or r.over(r.answers, campaign.ratio_high)]
    m1, m2 = st.columns(2)
    m1.metric(t("dossiers.kpi.communes"), f"{fmt_int(with_counts)}/{fmt_int(total)}",
              help=t("dossiers.kpi.communes_help"))
    m2.metric(t("dossiers.kpi.over"), fmt_int(len(over)), help=t("dossiers.kpi.over_help"))
    if not rows:
        st.info(t("dossiers.none"))
        return
    only_over = st.toggle(t("dossiers.only_over"), key="dossiers_only_over")
    _figures_table(over if only_over else rows, campaign.ratio_high, preview=False,
                   with_district=dcode is None)
    if over:
        st.page_link("pages/monitor/warnings.py", label=t("dossiers.to_warnings"),
                     icon=":material/warning:")
    st.caption(md_escape(t("dossiers.ratio_note")))
