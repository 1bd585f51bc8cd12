"""The body of pages/monitor/feed.py: the communes' daily reports (searchable in the
difficulties and proposals) and the citizens' own words from the survey's open questions."""
from __future__ import annotations

import streamlit as st

from app.core.fmt import fmt_date, fmt_int
from app.core.i18n import t
from app.monitoring.opinions import search_opinions
from app.operations.daily_reports import feed, photo_bytes, report_days
from app.ui.core.text import md_escape
from app.ui.operations.ops_view import day_choice, district_choice, report_card

PAGE_SIZE = 15


def _pager(key: str, total: int, page_no: int) -> None:
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    if pages <= 1:
        return
    b1, mid, b2 = st.columns([1, 2, 1])
    if b1.button(t("feed.newer"), disabled=page_no == 0, key=f"{key}_prev",
                 icon=":material/chevron_left:"):
        st.session_state[key] = page_no - 1
        st.rerun()
    mid.caption(t("feed.page", page=page_no + 1, pages=pages))
    if b2.button(t("feed.older"), disabled=page_no >= pages - 1, key=f"{key}_next",
                 icon=":material/chevron_right:"):
        st.session_state[key] = page_no + 1
        st.rerun()


def _page_no(key: str, filters: tuple) -> int:
    if st.session_state.get(f"{key}_filters") != filters:
        st.session_state[f"{key}_filters"] = filters
        st.session_state[key] = 0
    return st.session_state.get(key, 0)


def filters(scope, geo, campaign):
    c1, c2, c3 = st.columns(3)
    dcode = district_choice(scope, geo, c1, key="feed_district")
    visible = set(scope.visible_commune_codes() or [c.code for c in geo.communes])
    communes = {c.code: c.full_name for c in (geo.communes_of(dcode) if dcode else geo.communes)
                if c.code in visible}
    ccode = c2.selectbox(t("common.commune"), [None, *communes],
                         format_func=lambda c: t("ops.all") if c is None else communes[c],
                         key="feed_commune")
    with c3:
        day = day_choice(report_days(campaign), key="feed_day", allow_all=True, default=None)
    return dcode, ccode, day


def reports_tab(scope, campaign, dcode, ccode, day) -> None:
    text = st.text_input(t("feed.search"), key="feed_search", placeholder=t("feed.search_ph"),
                         max_chars=100)
    page_no = _page_no("feed_page", (dcode, ccode, day, text))
    items, total = feed(scope, campaign.id, district_code=dcode, commune_code=ccode, day=day,
                        limit=PAGE_SIZE, offset=page_no * PAGE_SIZE, text=text)
    st.caption(t("feed.count_search", n=fmt_int(total), text=md_escape(text))
               if text.strip() else t("feed.count", n=fmt_int(total)))
    if not items:
        st.info(t("feed.empty_search") if text.strip() else t("feed.empty"),
                icon=":material/inbox:")
    for item in items:
        report_card(item, campaign, lambda pid, thumb: photo_bytes(scope, pid, thumb))
    _pager("feed_page", total, page_no)


def opinions_tab(scope, campaign, dcode, ccode, day) -> None:
    st.caption(t("opinions.help"))
    text = st.text_input(t("opinions.search"), key="opinions_search",
                         placeholder=t("opinions.search_ph"), max_chars=100)
    page_no = _page_no("opinions_page", (dcode, ccode, text))
    found, total = search_opinions(scope, campaign.id, text, district_code=dcode,
                                   commune_code=ccode, limit=PAGE_SIZE,
                                   offset=page_no * PAGE_SIZE)
    st.caption(t("opinions.count", n=fmt_int(total)))
    if not found:
        st.info(t("opinions.none"), icon=":material/forum:")
    for o in found:
        with st.container(border=True):
            st.caption(f"{md_escape(o.commune_name)} · {md_escape(o.district_name)} · "
                       f"{fmt_date(o.day)} · {md_escape(o.question)}")
            st.text(o.text)
    _pager("opinions_page", total, page_no)
