"""Live overview: key figures, charts per district or commune, results per question, the commune
table; drill-down province → district → commune. Refreshes itself every 30 s unless paused."""
import streamlit as st

from app.ui.monitoring import dashboard as dash
from app.ui.monitoring import overview_view as view

scope, campaign_id = dash.dashboard_page("overview")
view.apply_goto()
c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="bottom")
with c1:
    district, commune = dash.unit_pickers(scope)
with c3:
    printing = dash.print_toggle()
with c2:
    run_every = None if printing else dash.live_toggle()

dash.live_overview(scope, campaign_id, district, commune, run_every,
                   lambda ov: view.render(ov, printing=printing))
