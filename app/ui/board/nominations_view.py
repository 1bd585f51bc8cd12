"""The body of pages/board/nominations.py (kept thin: read input, call app/, render).

Board: nominations of outstanding collectives and individuals (suggestions from the data,
the proposed → shortlisted → approved/rejected workflow, the final list of 3–5 and its export).
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime

import pandas as pd
import streamlit as st

from app.board import nominations as nom
from app.core.auth import AuthError
from app.core.fmt import fmt_date, fmt_datetime, fmt_float
from app.core.i18n import t
from app.ui.admin.widgets import campaign_select, commune_options, district_options, flash
from app.ui.core.text import md_escape


def render(scope) -> None:
    st.title(t("nav.nominations"))
    st.caption(t("nominations.intro", min=nom.FINAL_MIN, max=nom.FINAL_MAX))
    campaign = campaign_select("nom_campaign")
    if campaign is None:
        st.info(t("nominations.no_campaign"))
        st.stop()
    flash("nom_flash")
    final = nom.final_list(scope, campaign.id)
    (st.success if final.ok else st.warning)(final.message, icon=":material/fact_check:")
    can_propose = scope.role in nom.PROPOSE_ROLES


    def _propose(**kwargs) -> None:
        try:
            v = nom.propose(scope, campaign.id, **kwargs)
        except (nom.NominationError, AuthError) as exc:
            st.error(str(exc))
        else:
            st.session_state["nom_flash"] = t("nominations.proposed", id=v.id, name=md_escape(v.name))
            st.rerun()


    def _proposal_form(key: str, title: str, *, name: str, unit: str, achievements: str,
                       height: int, **proposal) -> None:
        """A proposal prefilled from a suggestion; the Board's staff edit it before proposing."""
        with st.form(f"nom_form_{key}"):
            st.markdown(title)
            name = st.text_input(t("nominations.f.name"), value=name, key=f"nom_{key}_name")
            unit = st.text_input(t("nominations.f.unit"), value=unit, key=f"nom_{key}_unit")
            ach = st.text_area(t("nominations.f.achievements"), value=achievements, key=f"nom_{key}_ach",
                               height=height, max_chars=nom.MAX_TEXT)
            if st.form_submit_button(t("nominations.f.propose"), type="primary"):
                _propose(name=name, unit=unit, achievements=ach, **proposal)


    tab_sug, tab_list, tab_final = st.tabs([t("nominations.tab.suggestions"), t("nominations.tab.list"),
                                            t("nominations.tab.final")], key="nom_tabs", on_change="rerun")

    # --- suggestions from the data ------------------------------------------------------------
    def suggestions_tab() -> None:
        """The data-backed suggestions and the proposal forms (computed only when shown)."""
        from app.ui.monitoring.dashboard import cached_report
        sug = nom.suggestions(scope, campaign.id, report=cached_report(campaign.id))
        st.caption(t("nominations.sug.criteria", days=len(sug.days_due), cutoff=sug.report_cutoff,
                     low=fmt_float(sug.ratio_low, 2), high=fmt_float(sug.ratio_high, 2),
                     deadline=fmt_date(sug.roster_deadline)))
        st.subheader(t("nominations.sug.collectives"))
        flagged = sum(1 for f in sug.collectives if not f.integrity_clean)
        n_all = sum(1 for f in sug.collectives if f.meets_all)
        st.caption(t("nominations.sug.counts", met=n_all, total=len(sug.collectives),
                     flagged=flagged))
        only_all = st.toggle(t("nominations.sug.only_all"), key="nom_only_all")
        shown = [f for f in sug.collectives if f.meets_all or not only_all][:40]
        if not shown:
            st.info(t("nominations.sug.none"))
        else:
            yes, no = "✓", "–"
            df = pd.DataFrame([{
                t("nominations.sug.col.commune"): f.commune_name,
                t("nominations.sug.col.district"): f.district_name,
                t("nominations.sug.col.reports"): f"{f.days_reported}/{f.days_total}",
                t("nominations.sug.col.integrity"): (
                    t("nominations.sug.flagged", n=f.integrity_open) if f.integrity_open
                    else "–"),
                t("nominations.sug.col.judged"): (
                    t("nominations.sug.judged", answers=f.answers_judged,
                      visits=f.visits_judged, days=f.days_with_visits)
                    if f.days_with_visits else "–"),
                t("nominations.sug.col.ratio"): None if f.ratio is None else round(f.ratio, 2),
                t("nominations.sug.col.band"): f"{f.days_in_band}/{f.days_with_visits}",
                t("nominations.sug.col.answers"): f.answers,
                t("nominations.sug.col.roster"): (fmt_date(f.roster_submitted_at) + " " +
                                          (yes if f.roster_on_time else t("nominations.sug.late"))
                                          if f.roster_submitted_at else no),
                t("nominations.sug.col.index"): None if f.index_overall is None else round(f.index_overall, 1),
                t("nominations.sug.col.met"): f"{f.criteria_met}/5" + (" ★" if f.meets_all else ""),
            } for f in shown])
            # the table's key follows the communes it lists: a row picked in one list is never
            # read against another (issue 14 item 1)
            digest = hashlib.sha1(",".join(f.commune_code for f in shown).encode()).hexdigest()
            event = st.dataframe(df, hide_index=True, on_select="rerun", selection_mode="single-row",
                                 key=f"nom_sug_collectives_{digest[:10]}",
                                 height=min(38 + 35 * len(df), 460))
            st.caption(t("nominations.sug.pick"))
            rows = event.selection.rows if event else []
            if rows and can_propose:
                f = shown[rows[0]]
                if f.integrity_open:
                    st.warning(t("nominations.sug.flagged_warning", commune=md_escape(f.commune_name),
                                 labels="; ".join(md_escape(w["label"])
                                                  for w in f.integrity_warnings)),
                               icon=":material/warning:")
                _proposal_form(f"c_{f.commune_code}",
                               t("nominations.form.collective_title", commune=md_escape(f.commune_name)),
                               name=t("nominations.default.collective_name", commune=f.commune_name),
                               unit=t("nominations.default.collective_unit"),
                               achievements=nom.draft_achievements(f), height=120,
                               kind="collective", commune_code=f.commune_code)

        st.subheader(t("nominations.sug.individuals"))
        if not sug.individuals:
            st.info(t("nominations.sug.no_roster"))
        else:
            people = sug.individuals
            dfp = pd.DataFrame([{
                t("nominations.sug.col.person"): p.full_name, t("nominations.sug.col.position"): p.position,
                t("nominations.sug.col.org"): p.organisation, t("nominations.sug.col.commune"): p.commune_name,
                t("nominations.sug.col.days"): ", ".join(fmt_date(date.fromisoformat(d))
                                                for d in p.duty_days),
                t("nominations.sug.col.shift"): t(f"nominations.shift.{p.shift}") if p.shift in nom.SHIFT_WEIGHT
                else p.shift,
                t("nominations.sug.col.shifts"): p.shifts} for p in people])
            ev2 = st.dataframe(dfp, hide_index=True, on_select="rerun", selection_mode="single-row",
                               key="nom_sug_individuals")
            rows = ev2.selection.rows if ev2 else []
            if rows and can_propose:
                p = people[rows[0]]
                _proposal_form(f"i_{p.roster_entry_id}",
                               t("nominations.form.individual_title", name=md_escape(p.full_name)),
                               name=p.full_name,
                               unit=", ".join(x for x in (p.position, p.organisation) if x),
                               achievements=nom.draft_achievements(p), height=100,
                               kind="individual", commune_code=p.commune_code,
                               roster_entry_id=p.roster_entry_id)

        if can_propose:
            with st.expander(t("nominations.manual.title")):
                kind = st.radio(t("nominations.f.kind"), list(nom.KINDS), horizontal=True,
                                format_func=lambda k: t(f"nominations.kind.{k}"), key="nom_m_kind")
                d_ids, d_names = district_options(with_all=False)
                dcode = st.selectbox(t("common.district"), d_ids, format_func=d_names.get,
                                     key="nom_m_district")
                c_ids, c_names = commune_options(dcode, with_none=True)
                ccode = st.selectbox(t("common.commune"), c_ids, format_func=c_names.get,
                                     key="nom_m_commune")
                with st.form("nom_form_manual"):
                    name = st.text_input(t("nominations.f.name"), key="nom_m_name")
                    unit = st.text_input(t("nominations.f.unit"), key="nom_m_unit")
                    ach = st.text_area(t("nominations.f.achievements"), key="nom_m_ach",
                                       max_chars=nom.MAX_TEXT)
                    if st.form_submit_button(t("nominations.f.propose"), type="primary"):
                        _propose(kind=kind, name=name, unit=unit, commune_code=ccode,
                                 district_code=dcode, achievements=ach)


    with tab_sug:
        if tab_sug.open is not False:  # a closed tab skips the suggestions (about 0.1 s of queries)
            suggestions_tab()

    # --- the nominations and their workflow ---------------------------------------------------
    with tab_list:
        items = nom.list_nominations(scope, campaign.id)
        counts = {s: sum(1 for n in items if n.status == s) for s in nom.STATUSES}
        cols = st.columns(len(nom.STATUSES))
        for col, s in zip(cols, nom.STATUSES):
            col.metric(t(f"nominations.status.{s}"), counts[s])
        chosen = st.segmented_control(t("nominations.list.filter"), list(nom.STATUSES),
                                      selection_mode="multi", default=list(nom.STATUSES),
                                      format_func=lambda s: t(f"nominations.status.{s}"),
                                      key="nom_status_filter")
        st.caption(t("nominations.list.rules"))
        visible = [n for n in items if n.status in (chosen or [])]
        if not items:
            st.info(t("nominations.list.empty"))
        for n in visible:
            icon = {"proposed": ":material/edit_note:", "shortlisted": ":material/star:",
                    "approved": ":material/check_circle:", "rejected": ":material/cancel:"}[n.status]
            with st.expander(f"#{n.id} · {t(f'nominations.kind.{n.kind}')} · {md_escape(n.name)} — "
                             f"{t(f'nominations.status.{n.status}')}", icon=icon, key=f"nom_exp_{n.id}",
                             on_change="rerun"):
                place = ", ".join(x for x in (n.commune_name, n.district_name) if x)
                st.markdown(f"**{t('nominations.f.unit')}:** {md_escape(n.unit) or '–'}  \n"
                            f"**{t('nominations.col.place')}:** {md_escape(place) or '–'}  \n"
                            f"**{t('nominations.col.proposed')}:** {md_escape(n.proposed_by)}, "
                            f"{fmt_datetime(n.proposed_at)}")
                st.markdown(f"**{t('nominations.f.achievements')}:**")
                st.text(n.achievements)
                st.markdown(f"**{t('nominations.col.evidence')}** {t('nominations.evidence_frozen')}")
                st.caption(md_escape(n.evidence_text))
                hist = pd.DataFrame([{
                    t("nominations.hist.at"): fmt_datetime(datetime.fromisoformat(h["at"])) if h.get("at")
                    else "", t("nominations.hist.by"): h.get("by", ""),
                    t("nominations.hist.action"): t(f"nominations.action.{h.get('action')}"),
                    t("nominations.hist.to"): t(f"nominations.status.{h.get('to')}") if h.get("to") else "",
                    t("nominations.hist.note"): h.get("note", "")} for h in n.history])
                st.dataframe(hist, hide_index=True)
                actions = nom.allowed_actions(scope, n)
                if actions:
                    note = st.text_input(t("nominations.f.note"), key=f"nom_note_{n.id}",
                                         help=t("nominations.f.note_help"))
                    bcols = st.columns(len(actions) + 2)
                    for a, bc in zip(actions, bcols):
                        if bc.button(t(f"nominations.action.{a}"), key=f"nom_{a}_{n.id}",
                                     type="primary" if a in ("approve", "shortlist") else "secondary"):
                            try:
                                nom.transition(scope, n.id, a, note)
                            except (nom.NominationError, AuthError) as exc:
                                st.error(str(exc))
                            else:
                                st.session_state["nom_flash"] = t("nominations.done", id=n.id,
                                                                  action=t(f"nominations.action.{a}"))
                                st.rerun()
                for reason in nom.blocked_actions(scope, n).values():
                    st.caption(reason)
                if n.status in ("proposed", "shortlisted") and can_propose:
                    with st.popover(t("nominations.edit"), icon=":material/edit:"), \
                            st.form(f"nom_edit_{n.id}"):
                        e_name = st.text_input(t("nominations.f.name"), value=n.name)
                        e_unit = st.text_input(t("nominations.f.unit"), value=n.unit)
                        e_ach = st.text_area(t("nominations.f.achievements"), value=n.achievements,
                                             max_chars=nom.MAX_TEXT)
                        if st.form_submit_button(t("common.save")):
                            try:
                                nom.update_nomination(scope, n.id, name=e_name, unit=e_unit,
                                                      achievements=e_ach)
                            except (nom.NominationError, AuthError) as exc:
                                st.error(str(exc))
                            else:
                                st.session_state["nom_flash"] = t("nominations.saved", id=n.id)
                                st.rerun()

    # --- the final list -------------------------------------------------------------------------
    with tab_final:
        if final.approved:
            st.dataframe(pd.DataFrame([{
                t("nominations.col.no"): i, t("nominations.col.kind"): t(f"nominations.kind.{n.kind}"),
                t("nominations.col.name"): n.name,
                t("nominations.col.unit"): "; ".join(x for x in (n.unit, n.commune_name, n.district_name) if x),
                t("nominations.col.achievements"): n.achievements,
                t("nominations.col.decided"): f"{n.decided_by}, {fmt_datetime(n.decided_at)}",
            } for i, n in enumerate(final.approved, start=1)]), hide_index=True)
        c1, c2 = st.columns(2)
        cid, year = campaign.id, campaign.year
        c1.download_button(t("nominations.export.xlsx"), data=lambda: nom.export_excel(scope, cid),
                           file_name=f"de_xuat_khen_thuong_{year}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           disabled=not final.ok, icon=":material/table_view:", key="nom_dl_xlsx",
                           on_click="ignore")
        c2.download_button(t("nominations.export.pdf"), data=lambda: nom.export_pdf(scope, cid),
                           file_name=f"de_xuat_khen_thuong_{year}.pdf", mime="application/pdf",
                           disabled=not final.ok, icon=":material/picture_as_pdf:", key="nom_dl_pdf",
                           on_click="ignore")
        if not final.ok:
            st.caption(t("nominations.export.blocked", min=nom.FINAL_MIN, max=nom.FINAL_MAX))
