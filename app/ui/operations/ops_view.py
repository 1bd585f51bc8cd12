"""Streamlit pieces shared by the commune-operations pages (roster, reports, feed, completeness)."""
from __future__ import annotations

from datetime import date

import streamlit as st

from app.core import clock
from app.core.campaigns import active_campaign
from app.core.fmt import fmt_date, fmt_datetime, fmt_int
from app.core.i18n import t
from app.operations.daily_reports import PUBLICITY_CHANNELS, FeedItem, plausibility_warnings
from app.operations.roster import Problem
from app.ui.core.flash import rerun_with
from app.ui.core.text import md_escape
from db.models import Campaign

FIELD_LABELS = {
    "full_name": "roster.col.full_name", "position": "roster.col.position",
    "organisation": "roster.col.organisation", "phone": "roster.col.phone",
    "duty_days": "roster.col.duty_days", "shift": "roster.col.shift", "file": "excel.file",
    "commune_codes": "inspectors.col.communes", "days": "inspectors.col.days",
    "district_code": "inspectors.col.district", "contact_name": "roster.contact_name",
    "contact_phone": "roster.contact_phone", "": "common.general",
}


def require_campaign() -> Campaign:
    """The active campaign, or a message and stop."""
    active = active_campaign()
    if active is None:
        st.info(t("ops.no_campaign"), icon=":material/event_busy:")
        st.stop()
    return active.campaign


def campaign_caption(campaign: Campaign) -> None:
    st.caption(t("ops.campaign", name=md_escape(campaign.name),
                 start=fmt_date(campaign.start_date), end=fmt_date(campaign.end_date)))


def problems_table(problems: list[Problem], names: dict[int, str] | None = None) -> None:
    """Validation problems as a table: row, person, column, what is wrong."""
    names = names or {}
    general = [p for p in problems if p.row is None]
    by_row = [p for p in problems if p.row is not None]
    for p in general:  # about the whole file or list: said in plain words
        st.error(p.message, icon=":material/error:")
    if not by_row:
        return
    st.error(t("ops.problems", n=len(by_row)), icon=":material/error:")
    rows = [{t("ops.col.row"): (str(p.row) if p.row is not None else "—"),
             t("roster.col.full_name"): names.get(p.row, "") if p.row is not None else "",
             t("ops.col.field"): t(FIELD_LABELS.get(p.field, "common.general")),
             t("ops.col.problem"): p.message} for p in by_row]
    st.dataframe(rows, hide_index=True, width="stretch")


def save_edited_people(save, records: list[dict], *, saved_key: str,
                       version_key: str, version: int) -> None:
    """Save a table of people edited in st.data_editor (`save(records)` returns a result with
    ok, saved and problems): on success a flash message and a fresh editor; otherwise the
    problems named by row and person, and nothing saved."""
    from app.core.auth import AuthError
    names = {i + 1: str(r.get("full_name") or "") for i, r in enumerate(records)}
    try:
        result = save(records)
    except AuthError as exc:
        st.error(str(exc))
        return
    if result.ok:
        st.session_state[version_key] = version + 1
        rerun_with(t(saved_key, n=result.saved))
    problems_table(result.problems, names)
    st.caption(t("roster.nothing_saved"))


def district_choice(scope, geo, container, key: str) -> str | None:
    """Province-wide staff pick a district (or all: None); district staff see their own,
    fixed."""
    if scope.province_wide:
        districts = {d.code: d.full_name for d in geo.districts}
        return container.selectbox(t("common.district"), [None, *districts],
                                   format_func=lambda c: t("ops.all") if c is None else districts[c],
                                   key=key)
    d = geo.district(scope.district_code or "")
    container.text_input(t("common.district"), value=d.full_name if d else "", disabled=True,
                         key=key)
    return scope.district_code


def day_choice(days: list[date], key: str, label: str | None = None,
               default: date | None = None, allow_all: bool = False) -> date | None:
    options: list = ([None] if allow_all else []) + list(days)
    if not options:
        return None
    if allow_all and default is None:
        index = 0  # "all days"
    else:
        default = default or clock.today()
        index = options.index(default) if default in options else len(options) - 1

    def fmt(d):
        return t("ops.all_days") if d is None else fmt_date(d)
    return st.selectbox(label or t("ops.day"), options, index=index, format_func=fmt, key=key)


def report_card(item: FeedItem, campaign: Campaign, photo_loader) -> None:
    """One daily report in the activity feed: numbers, publicity, notes, photos."""
    r, c = item.report, item.commune
    with st.container(border=True):
        st.markdown(f"**{md_escape(c.full_name)}** · {md_escape(c.district_full_name)} · "
                    f"{fmt_date(r.day)}")
        st.caption(t("feed.updated", at=fmt_datetime(r.updated_at),
                     who=md_escape(r.updated_by or "")))
        cols = st.columns(4)
        cols[0].metric(t("report.short.visits"), fmt_int(r.visits),
                       help=t("report.field.visits"))
        cols[1].metric(t("report.short.guided"), fmt_int(r.guided), help=t("report.field.guided"))
        cols[2].metric(t("report.short.helpers"), fmt_int(r.helpers_on_duty),
                       help=t("report.field.helpers_on_duty"))
        cols[3].metric(t("report.answers_today"), fmt_int(item.answers))
        for w in plausibility_warnings(r.visits, r.guided, item.answers, campaign):
            st.warning(w, icon=":material/warning:")
        if item.publicity:
            st.markdown(f"**{t('report.field.publicity')}:** "
                        + md_escape("; ".join(item.publicity)))
        if r.difficulties:
            st.markdown(f"**{t('report.field.difficulties')}:** {md_escape(r.difficulties)}")
        if r.proposals:
            st.markdown(f"**{t('report.field.proposals')}:** {md_escape(r.proposals)}")
        if item.photos:
            thumbs = [(p, photo_loader(p.id, True)) for p in item.photos]
            thumbs = [(p, b) for p, b in thumbs if b]
            if not thumbs:
                st.caption(t("feed.photos_missing", n=len(item.photos)))
            cols = st.columns(4)
            for i, (_p, blob) in enumerate(thumbs):
                cols[i % 4].image(blob, width="stretch")
            # full-size photos are only sent when asked for (mobile data)
            if thumbs and st.toggle(t("feed.photos_large", n=len(thumbs)),
                                    key=f"feed_big_{r.id}"):
                for p, _ in thumbs:
                    big = photo_loader(p.id, False)
                    if big:
                        st.image(big, width="stretch")
        else:
            st.caption(t("feed.no_photos"))


def publicity_label(code: str) -> str:
    return PUBLICITY_CHANNELS.get(code, code)


def reminder_section(info, campaign) -> None:
    """Messages to paste into the district's Zalo group or an SMS, for the communes that have
    not reported the day, with their contact's phone."""
    from app.operations.completeness import reminders
    from app.ui.core.public_url import current_address
    if not info.missing:
        return
    st.subheader(t("reminder.title"))
    st.caption(t("reminder.help"))
    address = current_address()
    url = address.link("bao-cao-ngay") if address else None
    for r in reminders(info, campaign, report_url=url):
        n = len(r.messages) + len(r.without_phone)
        with st.expander(t("reminder.group", district=r.district_name, n=n),
                         expanded=len(info.missing) <= 20):
            st.code(r.group_text, language=None, wrap_lines=True)
            if r.messages:
                st.markdown(f"**{t('reminder.sms_title')}**")
                for m, text in r.messages:
                    st.caption(f"{md_escape(m.commune.full_name)} · {md_escape(m.contact_name)} "
                               f"· ☎ {md_escape(m.contact_phone)}")
                    st.code(text, language=None, wrap_lines=True)
            if r.without_phone:
                st.warning(t("reminder.no_phone", communes=", ".join(
                    m.commune.full_name for m in r.without_phone)), icon=":material/phone_disabled:")
