"""Entry point: `streamlit run streamlit_app.py`.

Builds st.navigation from the signed-in user's role (app/access.py): citizens see only the public
pages with no menu; staff see the pages their role may open.
"""
import streamlit as st

st.set_page_config(page_title="Khảo sát QCDC Bắc Giang", page_icon=":material/how_to_vote:",
                   layout="centered", initial_sidebar_state="auto")

from app import access  # noqa: E402
from app.i18n import t  # noqa: E402
from app.ui import layout, session  # noqa: E402

session.boot()
scope = session.current_scope()
signed_in = scope.role != "public"

if signed_in and st.session_state.get("qcdc_must_change"):
    specs = [access.page("account")]
else:
    specs = [p for p in access.pages_for(scope.role) if not signed_in or p.show_signed_in]

groups: dict[str, list] = {}
for spec in specs:
    page = st.Page(spec.path, title=t(f"nav.{spec.key}"), icon=spec.icon,
                   url_path=spec.url_path or None, default=spec.default or len(specs) == 1)
    groups.setdefault(t(f"nav.section.{spec.section}"), []).append(page)

nav = st.navigation(groups if signed_in else [p for g in groups.values() for p in g],
                    position="sidebar" if signed_in else "hidden")
layout.demo_banner(session.settings().demo_mode)
if signed_in:
    with st.sidebar:
        st.caption(t("auth.welcome", name=scope.name, role=t(f"role.{scope.role}")))
        if st.button(t("nav.logout"), key="qcdc_logout", icon=":material/logout:"):
            session.sign_out()
            st.rerun()
nav.run()
