"""Warnings (cảnh báo): suspicious groups of sheets found by the integrity engine, ranked by
score, and answer counts implausible against visits or the one-stop office's dossiers, missing
answers or reports. Reviewers mark them reviewed and can exclude the sheets behind a warning
from the results (audited, reversible); every action names the warning it applies to."""
import streamlit as st

from app.core.i18n import t
from app.ui.monitoring import dashboard as dash
from app.ui.monitoring import warnings_view as view

scope, campaign_id = dash.dashboard_page("warnings", t("warn.intro"))
c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
with c1:
    district, commune = dash.unit_pickers(scope)
with c2:
    if st.button(t("warn.refresh"), icon=":material/refresh:", key="warn_refresh"):
        dash.bump_warnings()
view.flash()
view.render(scope, campaign_id, district, commune)
