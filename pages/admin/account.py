"""Account page: who am I, change password (forced at first sign-in for generated passwords)."""
import streamlit as st

from app.core.auth import AuthError, change_password
from app.core.i18n import t
from app.ui.core.flash import rerun_with
from app.ui.core.session import renew_session, require_page
from app.ui.core.text import md_escape

scope = require_page("account")
st.title(t("nav.account"))
st.write(t("auth.welcome", name=md_escape(scope.name), role=t(f"role.{scope.role}")))
if st.session_state.get("qcdc_must_change"):
    st.warning(t("auth.must_change"))
with st.form("change_password", clear_on_submit=True):
    st.subheader(t("auth.change_title"))
    old = st.text_input(t("auth.old_password"), type="password", key="pw_old")
    new = st.text_input(t("auth.new_password"), type="password", help=t("auth.pw_rule"), key="pw_new")
    new2 = st.text_input(t("auth.new_password2"), type="password", key="pw_new2")
    if st.form_submit_button(t("auth.change_submit"), type="primary"):
        try:
            change_password(scope.username, old, new, new2)
        except AuthError as exc:
            st.error(str(exc))
        else:
            renew_session()  # the change ended every other session; this one goes on
            st.session_state["qcdc_must_change"] = False
            rerun_with(t("auth.changed"))  # said on the next run: a message drawn now is lost
