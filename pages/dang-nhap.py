"""Sign-in page for staff (public)."""
from app.ui.entry import guard

guard()
import streamlit as st

from app.i18n import t
from app.ui import layout
from app.ui.session import do_sign_in, settings
from app.ui.auth_view import demo_accounts_table

layout.public_style()
flash = st.session_state.pop("qcdc_flash", None)
if flash:
    st.warning(flash)
with st.form("login_form"):
    st.subheader(t("auth.form_title"))
    username = st.text_input(t("auth.username"), autocomplete="username")
    password = st.text_input(t("auth.password"), type="password", autocomplete="current-password")
    submitted = st.form_submit_button(t("auth.submit"), type="primary", width="stretch")
if submitted:
    error = do_sign_in(username, password)
    if error:
        st.error(error)
    else:
        st.rerun()
if settings().demo_mode:
    demo_accounts_table()
