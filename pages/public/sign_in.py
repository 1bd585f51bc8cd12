"""Sign-in page for staff (public)."""
import streamlit as st

from app.core import access
from app.core.i18n import t
from app.ui.core import page_scripts
from app.ui.core.auth_view import demo_accounts_table
from app.ui.core.preload import start_page_chunks
from app.ui.core.session import current_scope, do_sign_in, settings
from app.ui.core.text import md_escape

scope = current_scope()
if scope.role != "public":
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
        # straight on to the start page, in this same run: the entry script sends the user
        # there, and that page has the browser keep the sign-in cookie (keep_sign_in_cookie)
        st.session_state["qcdc_go_start"] = True
        st.rerun()
if settings().demo_mode:
    demo_accounts_table()
# while the user types: the start pages' script chunks (charts, figures, pickers), so that the
# page after the tap waits for none of them (app/ui/core/preload.py)
chunks = start_page_chunks()
if chunks:
    st.html(page_scripts.html_with_script(page_scripts.PRELOAD, {"qcdc-preload": list(chunks)}),
            unsafe_allow_javascript=True)
