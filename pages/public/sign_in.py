"""Sign-in page for staff (public)."""
import time

import streamlit as st

from app.core import access
from app.core.i18n import t
from app.ui.core import layout
from app.ui.core.auth_view import demo_accounts_table
from app.ui.core.session import cookie_written, current_scope, do_sign_in, settings, write_cookie
from app.ui.core.text import md_escape

layout.public_style()
scope = current_scope()
if scope.role != "public":
    if st.session_state.get("qcdc_cookie_pending"):
        if cookie_written():  # the browser holds the cookie: go on to the start page
            st.session_state.pop("qcdc_cookie_pending", None)
            st.session_state["qcdc_go_start"] = True
            st.rerun()
        # another component answered first: keep the cookie one on the page until it has
        # written the cookie (going on now would unmount it, and a reload would sign out)
        write_cookie()
        st.success(t("auth.signed_in"))
        st.stop()
    landing = st.session_state.get("qcdc_landing")
    if landing and landing[1] > time.time():
        # Signing in draws two cookie components (read all, write one), and each answer
        # reruns the page the browser was on: the read may answer after the write has taken
        # the user on, and would leave them here. Soon after a sign-in, take them on again.
        st.switch_page(access.page(landing[0]).path)
    st.success(t("auth.welcome", name=md_escape(scope.name), role=t(f"role.{scope.role}")))
    st.page_link(access.start_page(scope.role).path, label=t("auth.go_start"),
                 icon=":material/arrow_forward:")
    st.stop()

flash = st.session_state.pop("qcdc_flash", None)
if flash:
    st.warning(flash)
with st.form("login_form"):
    st.subheader(t("auth.form_title"))
    username = st.text_input(t("auth.username"), autocomplete="username", key="login_username")
    password = st.text_input(t("auth.password"), type="password", autocomplete="current-password",
                             key="login_password")
    submitted = st.form_submit_button(t("auth.submit"), type="primary", width="stretch")
if submitted:
    error = do_sign_in(username, password)
    if error:
        st.error(error)
    else:
        # do_sign_in rendered the cookie component; its answer triggers the next run, which
        # goes on to the start page (do_sign_in noted that before drawing the component)
        st.success(t("auth.signed_in"))
        st.stop()
if settings().demo_mode:
    demo_accounts_table()
