"""District and province: the daily reports of the communes, newest first, with photos,
searchable in their difficulties and proposals; and the citizens' own words from the survey's
open questions, searchable too."""
import streamlit as st

from app.core.i18n import t
from app.core.reference import geography
from app.ui.core.session import require_page
from app.ui.operations import feed_view as view
from app.ui.operations.ops_view import campaign_caption, require_campaign

scope = require_page("feed")
campaign = require_campaign()
st.title(t("nav.feed"))
campaign_caption(campaign)
dcode, ccode, day = view.filters(scope, geography(), campaign)
tab_reports, tab_opinions = st.tabs([t("feed.tab.reports"), t("feed.tab.opinions")],
                                    key="feed_tabs", on_change="rerun")
with tab_reports:
    if tab_reports.open is not False:
        view.reports_tab(scope, campaign, dcode, ccode, day)
with tab_opinions:
    if tab_opinions.open is not False:
        view.opinions_tab(scope, campaign, dcode, ccode, day)
