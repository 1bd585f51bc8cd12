"""Entry point: `streamlit run streamlit_app.py`.

Builds st.navigation from the signed-in user's role (app/access.py): citizens get only the public
pages and no menu; staff get the pages their role may open, listed in a sidebar menu by section.
"""
import streamlit as st

from app import access
from app.ui import entry, layout, session, streamlit_fixes

streamlit_fixes.install()

# a local icon (data: URL): the browser fetches nothing from outside the server
st.set_page_config(page_title="Khảo sát QCDC Bắc Giang", page_icon=layout.FAVICON,
                   initial_sidebar_state="auto")  # the layout is set once the page is known

from app.ui.gate import admitted  # noqa: E402
from app.ui.menu import build_pages, not_found_page, sidebar_menu  # noqa: E402

session.boot()
scope = session.current_scope()
signed_in = scope.role != "public"
specs = access.pages_for(scope.role)
if signed_in and st.session_state.get("qcdc_must_change"):
    specs = [access.page("account")]
# A staff address opened by someone whose role may not see it (a bookmark before signing in)
# is still known to the navigation, so the page's own guard answers in Vietnamese (sign in
# first, or "no permission") instead of Streamlit's "Page not found".
asked = entry.requested_url_path()
nav_specs = specs + [s for s in access.PAGES
                     if asked and s.url_path == asked and s not in specs
                     and not st.session_state.get("qcdc_must_change")]
# "/" is always the public home page, so every other page keeps its own URL (deep links work);
# a signed-in user who lands on "/" is sent on to the start page of their role (or to the page
# they asked for before signing in).
pages = build_pages(nav_specs, default_key="home")
unknown = not_found_page(asked)
if unknown is not None:
    pages["not_found"] = unknown
nav = st.navigation(list(pages.values()), position="hidden")
current = next((s for s in nav_specs if pages.get(s.key) is nav), None)
st.set_page_config(layout="wide" if current is not None and current.wide else "centered")
if st.session_state.pop("qcdc_go_start", False) or (
        signed_in and current is not None and current.key == "home"):
    if signed_in:
        target = access.after_sign_in(scope.role, st.session_state.pop("qcdc_next", None))
        st.switch_page(pages[target])
    st.switch_page(pages["home"])
with admitted(gated=not signed_in) as ok:  # citizens: a few runs at a time (app/admission.py)
    if not ok:
        st.stop()  # the busy message is shown
    layout.demo_banner(session.settings().demo_mode)
    if signed_in:
        sidebar_menu(scope, specs, pages)
    with entry.through_entry():
        nav.run()
