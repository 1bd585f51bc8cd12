"""District and province: the daily reports of the communes, newest first, with photos."""
import streamlit as st

from app.core.fmt import fmt_int
from app.core.i18n import t
from app.core.reference import geography
from app.operations.daily_reports import feed, photo_bytes, report_days
from app.ui.core.session import require_page
from app.ui.operations.ops_view import campaign_caption, day_choice, district_choice, report_card, require_campaign

PAGE_SIZE = 15

scope = require_page("feed")
campaign = require_campaign()
st.title(t("nav.feed"))
campaign_caption(campaign)
geo = geography()

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

page_no = st.session_state.get("feed_page", 0)
filters = (dcode, ccode, day)
if st.session_state.get("feed_filters") != filters:
    st.session_state["feed_filters"] = filters
    page_no = 0
items, total = feed(scope, campaign.id, district_code=dcode, commune_code=ccode, day=day,
                    limit=PAGE_SIZE, offset=page_no * PAGE_SIZE)
st.caption(t("feed.count", n=fmt_int(total)))
if not items:
    st.info(t("feed.empty"), icon=":material/inbox:")


def _photo(photo_id: int, thumb: bool):
    return photo_bytes(scope, photo_id, thumb)


for item in items:
    report_card(item, campaign, _photo)

pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
if pages > 1:
    b1, mid, b2 = st.columns([1, 2, 1])
    if b1.button(t("feed.newer"), disabled=page_no == 0, key="feed_prev",
                 icon=":material/chevron_left:"):
        st.session_state["feed_page"] = page_no - 1
        st.rerun()
    mid.caption(t("feed.page", page=page_no + 1, pages=pages))
    if b2.button(t("feed.older"), disabled=page_no >= pages - 1, key="feed_next",
                 icon=":material/chevron_right:"):
        st.session_state["feed_page"] = page_no + 1
        st.rerun()
