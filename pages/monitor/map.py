"""Map of the communes at their locations over district outlines, coloured by a chosen metric
and sized by answers. Everything is drawn from local data (no map tiles, works offline)."""
import streamlit as st

from app.ui.monitoring import dashboard as dash
from app.ui.monitoring import map_view

scope, campaign_id = dash.dashboard_page("map")
c1, c2, c3 = st.columns([3, 5, 2], vertical_alignment="bottom")
with c1:
    district, _ = dash.unit_pickers(scope, with_commune=False)
with c2:
    metric = map_view.metric_picker()
with c3:
    run_every = dash.live_toggle()

dash.live_overview(scope, campaign_id, district, None, run_every,
                   lambda ov: map_view.render(ov, scope, metric))
