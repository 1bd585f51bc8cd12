"""The body of pages/admin/questionnaire.py (kept thin: read input, call app/, render).

Admin: questionnaire builder (questions, options, pillars, scores), preview as a citizen sees
it, saving as a new version, and XLSForm import/export.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.admin import questionnaire_builder as qa
from app.admin.xlsform import export_xlsform, import_xlsform
from app.core.auth import AuthError
from app.core.campaigns import WINDOW_OPEN, active_campaign, window_state
from app.core.fmt import fmt_datetime
from app.core.i18n import t
from app.survey.questionnaire import parse_definition
from app.ui.admin import questionnaire_builder_view as qb
from app.ui.admin.widgets import show_problems
from app.ui.core.flash import rerun_with
from app.ui.core.text import md_escape
from app.ui.survey.survey_form import render_form

MAX_UPLOAD = 5 * 1024 * 1024


def render(scope) -> None:
    st.title(t("nav.questionnaire"))
    st.caption(t("questionnaire.intro"))

    versions = qa.list_versions(scope)
    if not versions:
        st.info(t("common.no_data"))
        st.stop()
    active = active_campaign(max_age=0)
    by_id = {v.id: v for v in versions}
    with st.expander(t("questionnaire.versions"), expanded=False):
        st.dataframe(pd.DataFrame([{
            t("questionnaire.v.code"): v.code, t("questionnaire.v.version"): v.version,
            t("questionnaire.v.title"): v.title,
            t("questionnaire.v.questions"): v.questions, t("questionnaire.v.responses"): v.responses,
            t("questionnaire.v.campaigns"): ", ".join(v.campaigns),
            t("questionnaire.v.created"): fmt_datetime(v.created_at),
            t("questionnaire.v.by"): v.created_by or ""} for v in versions]), hide_index=True)

    ids = [v.id for v in versions]
    if "qb_next_base" in st.session_state:  # after a save: open the new version, empty the form
        st.session_state["qb_base_select"] = st.session_state.pop("qb_next_base")
        for key in ("qb_note", "qb_use_active", "qb_allow_mixed", "qb_allow_renumber"):
            st.session_state.pop(key, None)
    default_id = active.questionnaire_id if active and active.questionnaire_id in by_id else ids[0]
    base_id = st.selectbox(t("questionnaire.base"), ids, index=ids.index(default_id), key="qb_base_select",
                           format_func=lambda i: t("questionnaire.v.label", code=by_id[i].code,
                                                   version=by_id[i].version, n=by_id[i].responses))
    base = by_id[base_id]
    base_def = qa.get_definition(base_id)
    if qb.draft() is None or st.session_state.get(qb.KEY_BASE) != base_id:
        qb.set_draft(qa.definition_to_tables(base_def), base_id)
    if base.responses:
        st.info(t("questionnaire.has_answers", n=base.responses, version=base.version))
    else:
        st.caption(t("questionnaire.new_version_always"))

    current = qb.editors(qb.draft())
    if qb.choices_changed(qb.draft(), current):
        # a new question code or pillar: offered in the other tables' lists at once
        qb.set_draft(qb.normalised(current), base_id)
        st.rerun()
    c1, c2, _ = st.columns([1, 1, 3])
    if c1.button(t("questionnaire.apply"), icon=":material/sync:", key="qb_apply", help=t("questionnaire.help.apply")):
        qb.set_draft(qb.normalised(current), base_id)
        st.rerun()
    if c2.button(t("questionnaire.discard"), icon=":material/undo:", key="qb_discard"):
        qb.set_draft(qa.definition_to_tables(base_def), base_id)
        st.rerun()

    data, problems = qa.build_definition(current)
    changed = data is not None and not qa.same_definition(data, base_def)

    st.divider()
    col_prev, col_save = st.columns([3, 2], gap="large")
    with col_prev:
        st.subheader(t("questionnaire.preview"))
        if problems:
            st.error(t("questionnaire.problems", n=len(problems)))
            show_problems(problems)
        else:
            defn = parse_definition(data)
            st.caption(t("questionnaire.preview_help"))
            with st.container(border=True, width=460):
                st.markdown(f"**{md_escape(defn.title)}**")
                if defn.intro:
                    st.caption(md_escape(defn.intro))
                render_form(defn, f"qbprev{qb.rev()}", lambda: None, disabled=True)

    with col_save:
        st.subheader(t("questionnaire.save_title"))
        if problems:
            st.warning(t("questionnaire.cannot_save"))
        elif not changed:
            st.info(t("questionnaire.unchanged", version=base.version))
        else:
            diff = qa.diff_summary(base_def, data)
            lines = []
            for key in ("added", "removed", "changed"):
                if diff.get(key):
                    lines.append(t(f"questionnaire.diff.{key}", ids=", ".join(diff[key])))
            if diff.get("reordered"):
                lines.append(t("questionnaire.diff.reordered"))
            if diff.get("other"):
                lines.append(t("questionnaire.diff.other", what=", ".join(t(f"questionnaire.diff.field.{k}")
                                                               for k in diff["other"])))
            st.markdown("\n".join(f"- {md_escape(x)}" for x in lines) or "-")
        note = st.text_input(t("questionnaire.note"), key="qb_note", max_chars=500)
        use_active = allow_mixed = allow_renumber = False
        if active:
            use_active = st.checkbox(t("questionnaire.use_active", name=md_escape(active.campaign.name)),
                                     key="qb_use_active")
            if use_active and data is not None:
                allow_mixed, allow_renumber = _switch_consequences(
                    active, qa.campaign_answers(active.campaign.id),
                    qa.renumbering(qa.get_definition(active.questionnaire_id), data),
                    window_state(active.campaign) == WINDOW_OPEN, "qb")
        if st.button(t("questionnaire.save"), type="primary", disabled=bool(problems) or not changed,
                     key="qb_save", icon=":material/save:"):
            try:
                row = qa.save_version(scope, data, base_id=base_id, note=note)
            except (qa.BuilderError, AuthError) as exc:
                st.error(str(exc))
            else:
                msg = t("questionnaire.saved", code=md_escape(row.code), version=row.version)
                kind = "success"
                if use_active and active:
                    try:
                        qa.assign_to_campaign(scope, active.campaign.id, row.id,
                                              allow_mixed=allow_mixed,
                                              allow_renumber=allow_renumber)
                        msg += " " + t("questionnaire.assigned", name=md_escape(active.campaign.name))
                    except qa.BuilderError as exc:
                        # saved, not in use yet: the confirmation is offered below, here
                        msg += " " + str(exc) + " " + t("questionnaire.confirm_below")
                        kind = "warning"
                        st.session_state["qb_switch_pick"] = row.id
                st.session_state.pop(qb.KEY_DRAFT, None)
                st.session_state["qb_next_base"] = row.id
                rerun_with(msg, kind)

    if active:
        _switch_section(scope, active, versions, by_id)

    st.divider()
    st.subheader(t("questionnaire.xlsform"))
    st.caption(t("questionnaire.xlsform_help"))
    x1, x2 = st.columns(2)
    with x1:
        st.download_button(t("questionnaire.xlsform_export", version=base.version),
                           data=lambda: export_xlsform(base_def, base.version),
                           file_name=f"{base.code}_v{base.version}.xlsx", key="qb_xlsform_dl",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           icon=":material/download:", on_click="ignore")
    with x2:
        up = st.file_uploader(t("questionnaire.xlsform_import"), type=["xlsx"], key="qb_xlsform_up")
        if up is not None:
            content = up.getvalue()
            if len(content) > MAX_UPLOAD:
                st.error(t("questionnaire.upload_too_big", mb=MAX_UPLOAD // (1024 * 1024)))
            else:
                result = import_xlsform(content, default_code=base.code)
                if result.errors:
                    st.error(t("questionnaire.import_errors", n=len(result.errors)))
                    show_problems(result.errors)
                if result.warnings:
                    st.warning(t("questionnaire.import_warnings", n=len(result.warnings)))
                    show_problems(result.warnings, warning=True)
                if result.ok:
                    st.success(t("questionnaire.import_ok", n=len(result.definition["questions"]) +
                                 len(result.definition["profile"])))
                    if st.button(t("questionnaire.import_load"), key="qb_import_load", type="primary"):
                        qb.set_draft(qa.definition_to_tables(result.definition), base_id)
                        rerun_with(t("questionnaire.import_loaded"))


def _switch_consequences(active, answers: int, changes, window_open: bool,
                         prefix: str) -> tuple[bool, bool]:
    """Say what switching the active campaign to a version means and ask for the confirmations
    it needs: (answers may mix versions, question numbers may change)."""
    allow_mixed = allow_renumber = True
    if answers:
        allow_mixed = st.checkbox(t("questionnaire.allow_mixed", n=answers),
                                  key=f"{prefix}_allow_mixed")
    if changes:
        text = md_escape(qa.renumbering_text(changes))
        if window_open:
            st.warning(t("questionnaire.renumber_open", name=md_escape(active.campaign.name),
                         changes=text),
                       icon=":material/format_list_numbered:")
            allow_renumber = st.checkbox(t("questionnaire.allow_renumber"),
                                         key=f"{prefix}_allow_renumber")
        else:
            st.info(t("questionnaire.renumber_closed", changes=text),
                    icon=":material/format_list_numbered:")
    return allow_mixed, allow_renumber


def _switch_section(scope, active, versions, by_id) -> None:
    """The version the active campaign uses, and switching it, confirmed on this page."""
    st.divider()
    st.subheader(t("questionnaire.switch_title", name=md_escape(active.campaign.name)))
    cur = by_id.get(active.questionnaire_id)
    if cur is not None:
        st.caption(t("questionnaire.switch_current", code=cur.code, version=cur.version))
    ids = [v.id for v in versions if v.id != active.questionnaire_id]
    if not ids:
        st.caption(t("questionnaire.switch_none"))
        return
    if st.session_state.get("qb_switch_pick") not in ids:
        st.session_state["qb_switch_pick"] = ids[0]  # the newest
    vid = st.selectbox(t("questionnaire.switch_pick"), ids, key="qb_switch_pick",
                       format_func=lambda i: t("questionnaire.v.label", code=by_id[i].code,
                                               version=by_id[i].version, n=by_id[i].responses))
    check = qa.campaign_switch_check(active.campaign.id, vid)
    allow_mixed, allow_renumber = _switch_consequences(
        active, check["answers_other"], check["renumbered"], check["open"], f"qb_sw{vid}")
    if st.button(t("questionnaire.switch_do", version=check["version"],
                   name=md_escape(active.campaign.name)), key="qb_switch", icon=":material/swap_horiz:",
                 disabled=not (allow_mixed and allow_renumber)):
        try:
            qa.assign_to_campaign(scope, active.campaign.id, vid, allow_mixed=allow_mixed,
                                  allow_renumber=allow_renumber)
        except (qa.BuilderError, AuthError) as exc:
            st.error(str(exc))
        else:
            rerun_with(t("questionnaire.switched", version=check["version"],
                         name=md_escape(active.campaign.name)))
