"""Entry point: `streamlit run streamlit_app.py`.

Builds st.navigation from the signed-in user's role (app/core/access.py): citizens get only the public
pages and no menu; staff get the pages their role may open, listed in a sidebar menu by section.
"""
import time

import streamlit as st

from app.core import access
from app.core.i18n import t
from app.ui.core import entry, flash, layout, session, streamlit_fixes
from app.ui.core.menu import navigation_pages, sidebar_menu
from app.ui.survey.gate import admitted

streamlit_fixes.install()
# a local icon (data: URL): the browser fetches nothing from outside the server; set before
# st.navigation, which would otherwise name the tab after the page
st.set_page_config(page_title=t("app.tab_title"), page_icon=layout.FAVICON,
                   initial_sidebar_state="auto")  # the layout is set once the page is known
session.boot()
scope = session.current_scope()
signed_in = scope.role != "public"
must_change = signed_in and bool(st.session_state.get("qcdc_must_change"))
specs = [access.page("account")] if must_change else access.pages_for(scope.role)
# "/" is always the public home page, so every other page keeps its own URL (deep links work);
# a signed-in user who lands on "/" is sent on to the start page of their role (or to the page
# they asked for before signing in).
pages = navigation_pages(specs, entry.requested_url_path(), restricted=must_change)
nav = st.navigation(list(pages.values()), position="hidden")
current = next((s for s in specs if pages.get(s.key) is nav), None)
st.set_page_config(layout="wide" if current is not None and current.wide else "centered")
if st.session_state.pop("qcdc_go_start", False) or (
        signed_in and current is not None and current.key == "home"):
    if signed_in:
        target = access.after_sign_in(scope.role, st.session_state.pop("qcdc_next", None))
        # a late answer of the sign-in cookie components may rerun the sign-in page: it takes
        # the user on to this page again for a short while (pages/dang-nhap.py)
        st.session_state["qcdc_landing"] = (target, time.time() + 30)
        st.switch_page(pages[target])
    st.switch_page(pages["home"])
with admitted(gated=not signed_in) as ok:  # citizens: a few runs at a time (app/survey/admission.py)
    if not ok:
        st.stop()  # the busy message is shown, or the browser has gone
    layout.demo_banner(session.settings().demo_mode)
    if signed_in:
        layout.print_style()  # staff pages print without the app's furniture
        sidebar_menu(scope, specs, pages)
        # what an earlier run said before its st.rerun()
        flash.show_flashes(current.key if current is not None else None)
    with entry.through_entry():
        nav.run()
