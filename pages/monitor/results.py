"""Results: the friendly-government index of every commune (per pillar and overall, with sample
size and 95% interval), the ranking against the threshold, the Excel / PDF exports, and the
same units' results year on year."""
import streamlit as st

from app.core.auth import AuthError
from app.core.i18n import t
from app.monitoring.scoring import scoreboard
from app.ui.monitoring import dashboard as dash
from app.ui.monitoring import results_view as view
from app.ui.monitoring.yoy_view import year_on_year

scope, campaign_id = dash.dashboard_page("results")
printing = dash.print_toggle()
tab_rank, tab_years = st.tabs([t("results.tab.ranking"), t("campaigns.tab.compare")],
                              key="results_tabs", on_change="rerun")
with tab_rank:
    if tab_rank.open is not False:
        if scope.role == "commune":
            district = None
        else:
            district, _ = dash.unit_pickers(scope, with_commune=False)
        verified_only = view.verified_only_toggle()
        try:
            board = scoreboard(scope, campaign_id, district_code=district,
                               commune_code=scope.commune_code if scope.role == "commune" else None,
                               verified_only=verified_only)
        except AuthError as exc:
            st.error(str(exc))
            st.stop()
        except LookupError:
            st.info(t("dashboard.no_campaign"))
            st.stop()
        view.ranking(board, show_rank=scope.role != "commune",
                     flagged=dash.cached_open_high(scope, campaign_id), printing=printing)
        view.export_section(scope, campaign_id, district)
with tab_years:
    if tab_years.open is not False:
        year_on_year(scope, key="results_yoy")
