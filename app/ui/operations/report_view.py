"""The body of pages/commune/report.py (kept thin: read input, call app/, render).

Commune working group: the daily report of one campaign day, with photos.
"""
from __future__ import annotations

import streamlit as st

from app.core import clock
from app.core.auth import AuthError
from app.core.fmt import fmt_date, fmt_datetime, fmt_int
from app.core.i18n import t
from app.core.settings import read_settings
from app.operations.daily_reports import (
    MAX_PHOTOS,
    PUBLICITY_CHANNELS,
    answers_on_day,
    cutoff_at,
    edit_state,
    get_report,
    photo_bytes,
    plausibility_warnings,
    report_days,
    save_report,
    screen_on_day,
)
from app.operations.photos import HEIF_SUPPORTED
from app.ui.core.flash import flash_all, rerun_with
from app.ui.core.text import md_escape
from app.ui.operations.ops_view import campaign_caption, day_choice, require_campaign


def render(scope) -> None:
    max_photo_mb = read_settings().max_photo_mb
    campaign = require_campaign()
    st.title(t("nav.report"))
    days = report_days(campaign)
    if not days:
        campaign_caption(campaign)
        st.info(t("report.not_started", start=fmt_date(campaign.start_date)),
                icon=":material/event_upcoming:")
        st.stop()

    day = day_choice(days, key="report_day")
    view = get_report(scope, campaign.id, None, day)  # always the user's own commune
    commune, report = view.commune, view.report
    st.markdown(f"**{md_escape(commune.full_name)}** · {md_escape(commune.district_full_name)}")
    campaign_caption(campaign)

    editable, why = edit_state(scope, campaign, day)
    answers, by_hour = answers_on_day(scope, campaign.id, commune.code, day)
    main, side = st.columns([3, 1.3], gap="large")

    with side:
        st.metric(t("report.answers_today_on"), fmt_int(answers))
        if by_hour:
            st.bar_chart({t("report.hour"): [f"{h}h" for h in by_hour],
                          t("report.answers"): list(by_hour.values())},
                         x=t("report.hour"), y=t("report.answers"), height=180)
        st.caption(t("report.answers_help", day=fmt_date(day)))
        screen = screen_on_day(scope, campaign.id, commune.code, day)
        if screen.shown or screen.verified:
            st.caption(t("kiosk.report_counts", day=fmt_date(day), shown=fmt_int(screen.shown),
                         opened=fmt_int(screen.opened), verified=fmt_int(screen.verified)))
        else:
            st.caption(t("kiosk.report_none", day=fmt_date(day)))
        if report:
            for w in plausibility_warnings(report.visits, report.guided, answers, campaign):
                st.warning(w, icon=":material/warning:")

    with main:
        if report:
            st.caption(t("report.last_saved", at=fmt_datetime(report.updated_at)))
        if editable:
            st.info(t("report.editable_until", cutoff=fmt_datetime(cutoff_at(campaign, day))),
                    icon=":material/edit_calendar:")
        else:
            st.warning(why, icon=":material/lock:")

        if not editable:
            if report is None:
                st.info(t("report.none_for_day", day=fmt_date(day)))
                st.stop()
            c1, c2, c3 = st.columns(3)
            c1.metric(t("report.short.visits"), fmt_int(report.visits))
            c2.metric(t("report.short.guided"), fmt_int(report.guided))
            c3.metric(t("report.short.helpers"), fmt_int(report.helpers_on_duty))
            if view.publicity:
                st.markdown(f"**{t('report.field.publicity')}:** "
                            + md_escape("; ".join(PUBLICITY_CHANNELS.get(p, p)
                                                  for p in view.publicity)))
            if report.difficulties:
                st.markdown(f"**{t('report.field.difficulties')}:** {md_escape(report.difficulties)}")
            if report.proposals:
                st.markdown(f"**{t('report.field.proposals')}:** {md_escape(report.proposals)}")
            cols = st.columns(4)
            for i, p in enumerate(view.photos):
                blob = photo_bytes(scope, p.id, thumb=True)
                if blob:
                    cols[i % 4].image(blob, width="stretch")
            st.stop()

        version = st.session_state.setdefault("report_form_version", 0)
        k = f"rep{version}_{day.isoformat()}"
        with st.form(f"report_form_{k}"):
            c1, c2, c3 = st.columns(3)
            visits = c1.number_input(t("report.field.visits"), min_value=0, max_value=100_000,
                                     step=1, value=report.visits if report else 0, key=f"{k}_visits",
                                     help=t("report.help.visits"))
            guided = c2.number_input(t("report.field.guided"), min_value=0, max_value=100_000,
                                     step=1, value=report.guided if report else 0, key=f"{k}_guided",
                                     help=t("report.help.guided"))
            helpers = c3.number_input(t("report.field.helpers_on_duty"), min_value=0,
                                      max_value=1000, step=1,
                                      value=report.helpers_on_duty if report else 0,
                                      key=f"{k}_helpers")
            publicity = st.multiselect(t("report.field.publicity"), list(PUBLICITY_CHANNELS),
                                       default=view.publicity, format_func=PUBLICITY_CHANNELS.get,
                                       key=f"{k}_publicity", placeholder=t("report.publicity_ph"))
            difficulties = st.text_area(t("report.field.difficulties"), max_chars=2000, height=90,
                                        value=report.difficulties if report else "",
                                        key=f"{k}_difficulties")
            proposals = st.text_area(t("report.field.proposals"), max_chars=2000, height=90,
                                     value=report.proposals if report else "", key=f"{k}_proposals")
            remove = []
            if view.photos:
                st.markdown(f"**{t('report.photos_saved', n=len(view.photos), max=MAX_PHOTOS)}**")
                cols = st.columns(4)
                for i, p in enumerate(view.photos):
                    with cols[i % 4]:
                        blob = photo_bytes(scope, p.id, thumb=True)
                        if blob:
                            st.image(blob, width="stretch")
                        if st.checkbox(t("report.photo_remove"), key=f"{k}_rm_{p.id}"):
                            remove.append(p.id)
            # The browser offers these files only; the server checks every file's content itself
            # (app/operations/photos.py: any other file gets a Vietnamese message). The MIME
            # types also turn off Streamlit's own check of the name's extension, which crashes
            # the page on a forged upload (an SVG sent under its own name).
            types = ["jpg", "jpeg", "png", "image/jpeg", "image/png"] + (
                ["heic", "heif", "image/heic", "image/heif"] if HEIF_SUPPORTED else [])
            uploads = st.file_uploader(
                t("report.photos_add", max=MAX_PHOTOS - len(view.photos)), type=types,
                accept_multiple_files=True, key=f"{k}_photos", max_upload_size=max_photo_mb,
                help=t("report.photos_help", max=max_photo_mb)
                + ("" if HEIF_SUPPORTED else " " + t("report.no_heic")))
            submitted = st.form_submit_button(
                t("report.submit_update") if report else t("report.submit"), type="primary",
                icon=":material/send:", width="stretch")

        if submitted:
            files = [(f.name, f.getvalue()) for f in (uploads or [])]
            data = {"visits": visits, "guided": guided, "helpers_on_duty": helpers,
                    "publicity": publicity, "difficulties": difficulties, "proposals": proposals}
            try:
                with st.spinner(t("report.saving")):
                    result = save_report(scope, campaign, commune.code, day, data, files, remove)
            except AuthError as exc:
                st.error(str(exc), icon=":material/lock:")
            else:
                if result.ok:
                    msgs = [("success", t("report.saved", day=fmt_date(day), n=result.n_photos,
                                          at=clock.now().strftime("%H:%M")))]
                    msgs += [("warning", w) for w in result.warnings]
                    msgs += [("error", md_escape(e)) for e in result.photo_errors]
                    st.session_state["report_form_version"] = version + 1
                    flash_all(msgs)
                    rerun_with()
                for message in result.errors.values():
                    st.error(message, icon=":material/error:")
