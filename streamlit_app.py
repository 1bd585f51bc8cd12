"""Entry point: `streamlit run streamlit_app.py`.

Builds st.navigation from the signed-in user's role (app/core/access.py): citizens get only the public
pages and no menu; staff get the pages their role may open, listed in a sidebar menu by section.
"""
import time

import streamlit as st

from app.core import access
from app.core.i18n import t
from app.ui.core import entry, layout, session, streamlit_fixes
from app.ui.core.menu import navigation_pages, sidebar_menu
from app.ui.survey.gate import admitted

streamlit_fixes.install()
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
# one page_config message per run: the tab's title and icon (a local data: URL, nothing
# fetched from outside) and the layout of the page now known
st.set_page_config(page_title=t("app.tab_title"), page_icon=layout.FAVICON,
                   layout="wide" if current is not None and current.wide else "centered",
                   initial_sidebar_state="auto")
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
    # the demo banner, and the public pages' style in the same element (one message less)
    layout.page_top(session.settings().demo_mode,
                    public=current is not None and current.section == "public")
    if signed_in:
        sidebar_menu(scope, specs, pages)
    with entry.through_entry():
        nav.run()
