"""Public landing page: what this is, a commune picker, and the way in for staff."""
import streamlit as st

from app.core.i18n import t
from app.ui.survey.commune_picker import commune_picker

st.title(t("app.title"))
st.caption(t("app.province"))
st.write(t("home.intro"))
commune_picker("home_picker")
st.divider()
st.write(t("home.staff"))
st.page_link("pages/public/sign_in.py", label=t("nav.login"), icon=":material/login:")
