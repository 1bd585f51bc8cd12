"""The body of pages/commune/roster.py (kept thin: read input, call app/, render).

Commune working group: the helper roster and duty schedule, Excel import, publishing.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.core.campaigns import campaign_days
from app.core.fmt import fmt_date, fmt_datetime
from app.core.i18n import t
from app.operations import workbooks as excel_io
from app.operations.roster import (
    LATE,
    MISSING,
    ORGANISATIONS,
    SHIFTS,
    CommuneRosterStatus,
    day_label,
    entry_days,
    entry_record,
    get_roster,
    save_roster,
    set_contact,
    set_published,
    validate_rows,
)
from app.ui.core.flash import rerun_with
from app.ui.core.public_url import current_address
from app.ui.core.text import md_escape
from app.ui.operations.ops_view import campaign_caption, problems_table, require_campaign, save_edited_people

VIEW_KEY = "roster_view_mode"
CARDS, TABLE = "cards", "table"
EDIT_KEY = "roster_editing"  # entry id being edited, or NEW
NEW = "new"


def _days_text(days) -> str:
    return ", ".join(fmt_date(d) for d in days)


def _person_form(scope, campaign, view, days, editing) -> None:
    """One person's details as a form of its own (phones): typed and picked one field at a
    time, saved with the rest of the list unchanged."""
    entry = next((e for e in view.entries if e.id == editing), None)
    title = t("roster.person.new") if entry is None else t("roster.person.edit",
                                                           name=entry.full_name)
    iso = [d.isoformat() for d in days]
    labels = {d.isoformat(): day_label(d) for d in days}
    with st.form(f"roster_person_{editing}", border=True, enter_to_submit=False):
        st.markdown(f"**{md_escape(title)}**")
        name = st.text_input(t("roster.col.full_name"), value=entry.full_name if entry else "",
                             max_chars=100, placeholder=t("roster.ph.full_name"))
        position = st.text_input(t("roster.col.position"), value=entry.position if entry else "",
                                 max_chars=120, placeholder=t("roster.ph.position"))
        orgs = list(ORGANISATIONS)
        org = st.selectbox(t("roster.col.organisation"), orgs,
                           index=orgs.index(entry.organisation) if entry and
                           entry.organisation in orgs else None,
                           placeholder=t("roster.ph.organisation"))
        phone = st.text_input(t("roster.col.phone"), value=entry.phone if entry else "",
                              max_chars=16, placeholder=t("roster.ph.phone"),
                              help=t("roster.phone_help"))
        chosen = st.multiselect(t("roster.col.duty_days"), iso,
                                default=[d.isoformat() for d in entry_days(entry)] if entry else [],
                                format_func=labels.get, placeholder=t("roster.ph.duty_days"))
        shift = st.radio(t("roster.col.shift"), list(SHIFTS), format_func=SHIFTS.get,
                         index=list(SHIFTS).index(entry.shift) if entry and entry.shift in SHIFTS
                         else None, horizontal=True)
        a, b = st.columns(2)
        save = a.form_submit_button(t("roster.person.save"), type="primary",
                                    icon=":material/save:", width="stretch")
        cancel = b.form_submit_button(t("common.cancel"), width="stretch")
    if cancel:
        st.session_state.pop(EDIT_KEY, None)
        st.rerun()
    if not save:
        return
    record = {"full_name": name, "position": position, "organisation": org or "",
              "phone": phone, "duty_days": chosen, "shift": shift or ""}
    records = [entry_record(e) if e.id != editing else record for e in view.entries]
    if entry is None:
        records.append(record)
    where = len(records) if entry is None else [e.id for e in view.entries].index(editing) + 1
    result = save_roster(scope, campaign, view.commune.code, records)
    if result.ok:
        st.session_state.pop(EDIT_KEY, None)
        rerun_with(t("roster.person.saved", name=md_escape(name.strip()), n=result.saved))
    mine = [p for p in result.problems if p.row in (where, None)]
    for p in mine or result.problems:
        st.error(p.message if p.row in (where, None) else t("roster.person.other_row",
                                                           row=p.row, message=p.message),
                 icon=":material/error:")
    st.caption(t("roster.nothing_saved"))


def _cards(scope, campaign, view, days) -> None:
    """The roster as one card per person, each with its own edit and remove buttons."""
    editing = st.session_state.get(EDIT_KEY)
    if editing is not None and editing != NEW and editing not in {e.id for e in view.entries}:
        editing = None  # the list was replaced meanwhile (Excel, another member)
    if st.button(t("roster.person.add"), icon=":material/person_add:", key="roster_add",
                 type="primary" if not view.entries else "secondary", width="stretch"):
        st.session_state[EDIT_KEY] = editing = NEW
    if editing == NEW:
        _person_form(scope, campaign, view, days, NEW)
    if not view.entries:
        st.info(t("roster.person.none"), icon=":material/group_off:")
    for e in view.entries:
        if e.id == editing:
            _person_form(scope, campaign, view, days, e.id)
            continue
        with st.container(border=True):
            st.markdown(f"**{md_escape(e.full_name)}**  \n"
                        + md_escape(", ".join(x for x in (e.position, e.organisation) if x)))
            st.caption(t("roster.person.line", phone=md_escape(e.phone),
                         days=_days_text(entry_days(e)),
                         shift=md_escape(SHIFTS.get(e.shift, e.shift))))
            row = st.container(horizontal=True)  # side by side on a phone too
            if row.button(t("roster.person.edit_button"), key=f"roster_edit_{e.id}",
                          icon=":material/edit:"):
                st.session_state[EDIT_KEY] = e.id
                st.rerun()
            with row.popover(t("roster.person.remove"), icon=":material/delete:"):
                st.write(t("roster.person.remove_confirm", name=md_escape(e.full_name)))
                if st.button(t("roster.person.remove_do", name=md_escape(e.full_name)),
                             key=f"roster_remove_{e.id}", type="primary"):
                    records = [entry_record(x) for x in view.entries if x.id != e.id]
                    if not records:
                        st.error(t("roster.err.empty"))
                    else:
                        result = save_roster(scope, campaign, view.commune.code, records)
                        if result.ok:
                            rerun_with(t("roster.person.removed", name=md_escape(e.full_name),
                                         n=result.saved))
                        problems_table(result.problems)


def _table(scope, campaign, view, days) -> None:
    """The roster as one editable table (laptops)."""
    iso_days = [d.isoformat() for d in days]
    label_of_day = {d.isoformat(): fmt_date(d) for d in days}
    cols = ["full_name", "position", "organisation", "phone", "duty_days", "shift"]
    version = st.session_state.setdefault("roster_editor_version", 0)
    df = pd.DataFrame([{
        "full_name": e.full_name, "position": e.position, "organisation": e.organisation,
        "phone": e.phone, "duty_days": [d.isoformat() for d in entry_days(e)],
        "shift": SHIFTS.get(e.shift, e.shift)} for e in view.entries], columns=cols)
    if df.empty:
        df = pd.DataFrame({"full_name": pd.Series(dtype="str"), "position": pd.Series(dtype="str"),
                           "organisation": pd.Series(dtype="str"), "phone": pd.Series(dtype="str"),
                           "duty_days": pd.Series(dtype="object"),
                           "shift": pd.Series(dtype="str")})
    st.caption(t("roster.edit_help"))
    with st.form("roster_form", border=False):
        edited = st.data_editor(
            df, key=f"roster_editor_{version}", num_rows="dynamic", hide_index=True,
            width="stretch", placeholder="",
            column_config={
                "full_name": st.column_config.TextColumn(t("roster.col.full_name"), required=True,
                                                         max_chars=100, width="medium"),
                "position": st.column_config.TextColumn(t("roster.col.position"), max_chars=120),
                "organisation": st.column_config.SelectboxColumn(
                    t("roster.col.organisation"), options=list(ORGANISATIONS), required=True),
                "phone": st.column_config.TextColumn(t("roster.col.phone"), required=True,
                                                     max_chars=16, help=t("roster.phone_help")),
                "duty_days": st.column_config.MultiselectColumn(
                    t("roster.col.duty_days"), options=iso_days,
                    format_func=lambda v: label_of_day.get(v, v), width="medium"),
                "shift": st.column_config.SelectboxColumn(
                    t("roster.col.shift"), options=list(SHIFTS.values()), required=True),
            })
        submitted = st.form_submit_button(t("roster.save"), type="primary",
                                          icon=":material/save:")
    if submitted:
        save_edited_people(lambda records: save_roster(scope, campaign, view.commune.code,
                                                       records),
                           edited.to_dict("records"), saved_key="roster.saved",
                           version_key="roster_editor_version", version=version)


def render(scope) -> None:
    campaign = require_campaign()
    view = get_roster(scope, campaign.id)  # always the user's own commune
    commune = view.commune
    days = campaign_days(campaign)

    st.title(t("nav.roster"))
    st.markdown(f"**{md_escape(commune.full_name)}** · {md_escape(commune.district_full_name)}")
    campaign_caption(campaign)

    # --- status ---------------------------------------------------------------------------------
    state = CommuneRosterStatus(commune, len(view.entries), view.submitted_at, view.published,
                                "", "").state(campaign.roster_deadline)
    if state == MISSING:
        st.warning(t("roster.status.missing", deadline=fmt_date(campaign.roster_deadline)),
                   icon=":material/schedule:")
    elif state == LATE:
        st.info(t("roster.status.late", at=fmt_datetime(view.submitted_at),
                  deadline=fmt_date(campaign.roster_deadline)), icon=":material/history:")
    else:
        st.success(t("roster.status.on_time", at=fmt_datetime(view.submitted_at),
                     deadline=fmt_date(campaign.roster_deadline)), icon=":material/task_alt:")
    updated_at, updated_by = view.last_update
    if updated_at and state != MISSING:
        st.caption(t("roster.last_update", at=fmt_datetime(updated_at), n=len(view.entries),
                     who=md_escape(updated_by or "")))

    tab_edit, tab_excel, tab_publish = st.tabs([t("roster.tab.edit"), t("roster.tab.excel"),
                                                t("roster.tab.publish")])

    # --- editing: one card per person (phones, the default) or the whole table (laptops) ------
    with tab_edit:
        mode = st.segmented_control(
            t("roster.view_mode"), [CARDS, TABLE], key=VIEW_KEY, default=CARDS,
            format_func=lambda m: t(f"roster.view.{m}"), persist_state="session") or CARDS
        if mode == TABLE:
            _table(scope, campaign, view, days)
        else:
            _cards(scope, campaign, view, days)

    # --- Excel ----------------------------------------------------------------------------------
    with tab_excel:
        st.write(t("roster.excel_help"))
        st.download_button(t("roster.template"), data=lambda: excel_io.roster_template(campaign),
                           file_name=f"mau_danh_sach_ho_tro_{commune.code}.xlsx",
                           mime=excel_io.XLSX_MIME, icon=":material/download:")
        upload_version = st.session_state.setdefault("roster_upload_version", 0)
        upload = st.file_uploader(t("roster.upload"), type=["xlsx"],
                                  key=f"roster_upload_{upload_version}")
        if upload is not None:
            data = upload.getvalue()
            parsed = excel_io.parse_roster_xlsx(data, campaign)
            problems = parsed.problems
            rows = []
            if not problems:
                rows, problems = validate_rows(parsed.rows, campaign, parsed.row_numbers)
            if problems:
                names = {n: str(r.get("full_name") or "") for n, r in
                         zip(parsed.row_numbers, parsed.rows)}
                problems_table(problems, names)
                st.caption(t("roster.excel_nothing_changed"))
            else:
                st.success(t("roster.excel_ok", n=len(rows), current=len(view.entries)))
                st.dataframe([{t("roster.col.full_name"): r.full_name,
                               t("roster.col.position"): r.position,
                               t("roster.col.organisation"): r.organisation,
                               t("roster.col.phone"): r.phone,
                               t("roster.col.duty_days"): ", ".join(fmt_date(d) for d in r.duty_days),
                               t("roster.col.shift"): SHIFTS[r.shift]} for r in rows],
                             hide_index=True, width="stretch")
                if st.button(t("roster.excel_apply", n=len(rows)), type="primary",
                             key="roster_excel_apply"):
                    result = save_roster(scope, campaign, commune.code, parsed.rows,
                                         row_numbers=parsed.row_numbers, source="excel")
                    if result.ok:
                        st.session_state["roster_editor_version"] = \
                            st.session_state.get("roster_editor_version", 0) + 1
                        st.session_state["roster_upload_version"] = upload_version + 1
                        rerun_with(t("roster.saved", n=result.saved))
                    problems_table(result.problems)

    # --- publishing and contact -----------------------------------------------------------------
    with tab_publish:
        if view.published:
            st.success(t("roster.published_yes"), icon=":material/public:")
        else:
            st.info(t("roster.published_no"), icon=":material/public_off:")
        c1, c2 = st.columns(2)
        if not view.published:
            if c1.button(t("roster.publish"), type="primary", disabled=not view.entries,
                         key="roster_publish", icon=":material/campaign:"):
                r = set_published(scope, campaign, commune.code, True)
                if r.ok:
                    rerun_with(t("roster.published_now"))
                rerun_with(r.problems[0].message, "error")
        elif c1.button(t("roster.unpublish"), key="roster_unpublish", icon=":material/public_off:"):
            set_published(scope, campaign, commune.code, False)
            rerun_with(t("roster.unpublished_now"))
        st.page_link("pages/public/schedule.py", label=t("roster.view_public"), icon=":material/open_in_new:",
                     query_params={"xa": commune.code})
        address = current_address()
        if address is None:
            st.info(t("roster.share_unavailable"), icon=":material/link_off:")
        else:
            st.caption(t("roster.share_link"))
            st.code(address.link("lich-truc", xa=commune.code), language=None)

        st.subheader(t("roster.contact_title"))
        st.caption(t("roster.contact_help"))
        status = view.status
        with st.form("roster_contact"):
            cname = st.text_input(t("roster.contact_name"), value=(status.contact_name or "")
                                  if status else "", max_chars=100,
                                  placeholder=t("roster.ph.full_name"))
            cphone = st.text_input(t("roster.contact_phone"), value=(status.contact_phone or "")
                                   if status else "", max_chars=16,
                                   placeholder=t("roster.ph.phone"))
            if st.form_submit_button(t("common.save")):
                r = set_contact(scope, campaign, commune.code, cname, cphone)
                if r.ok:
                    rerun_with(t("roster.contact_saved"))
                for p in r.problems:
                    st.error(p.message)
