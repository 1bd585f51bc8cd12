"""Results: the friendly-government index of every commune (per pillar and overall, with sample
size and 95% interval), the ranking against the threshold, and the Excel / PDF exports."""
import streamlit as st

from app.core.auth import AuthError
from app.core.i18n import t
from app.monitoring.scoring import scoreboard
from app.ui.monitoring import dashboard as dash
from app.ui.monitoring import results_view as view

scope, campaign_id = dash.dashboard_page("results")
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
             flagged=dash.cached_open_high(scope, campaign_id))
view.export_section(scope, campaign_id, district)
