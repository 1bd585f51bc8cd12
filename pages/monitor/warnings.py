"""Warnings (cảnh báo): answer counts implausible against visits, missing answers or reports,
bursts from one device, identical sheets, impossibly fast forms. Reviewers mark them reviewed
and can exclude the flagged responses from the results (audited, reversible)."""
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
