"""Entry point: `streamlit run streamlit_app.py`.

Builds st.navigation from the signed-in user's role (app/core/access.py): citizens get only the public
pages and no menu; staff get the pages their role may open, listed in a sidebar menu by section.

`streamlit run` finds the st.App below and serves it (Streamlit 1.67): this file is imported once
as a module to build the server, which serves the app and the read API's routes under /api/v1/
(app/api/routes.py), and runs as the script (``__main__``) of every run of every session.
"""

import streamlit as st

from app.core import access
from app.core.i18n import t
from app.ui.core import entry, layout, session, streamlit_fixes
from app.ui.core.menu import navigation_pages, sidebar_menu
from app.ui.survey.gate import admitted

if __name__ != "__main__":  # imported by `streamlit run` to build the server
    from app.api.routes import api_lifespan, api_routes
    server = st.App(__file__, routes=api_routes(), lifespan=api_lifespan)
else:
    streamlit_fixes.install()
    # a local icon (data: URL): the browser fetches nothing from outside the server; set before
    # st.navigation, which would otherwise show the page's Material icon as the tab's icon,
    # fetched from fonts.gstatic.com (refused by the nginx Content-Security-Policy)
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
            st.switch_page(pages[target])
        st.switch_page(pages["home"])
    if not signed_in and st.session_state.pop(session.SESSION_ENDED, False) and (
            current is None or current.key != "login"):
        # the session ended in this run or in a fragment's rerun (expired, revoked, disabled):
        # the tab shows the sign-in page with the reason (app/ui/core/session.py)
        st.switch_page(pages["login"])
    # Citizens' pages: a few runs at a time (app/survey/admission.py). Not the sign-in page: its
    # password check has a gate of its own and its failure delay waits outside every slot
    # (app/ui/core/session.py, do_sign_in), so failed sign-ins never keep citizens waiting.
    gated = not signed_in and (current is None or current.key != "login")
    with admitted(gated=gated) as ok:
        if not ok:
            st.stop()  # the busy message is shown, or the browser has gone
        # the demo banner, and the public pages' style in the same element (one message less)
        layout.page_top(session.settings().demo_mode,
                        public=current is not None and current.section == "public")
        if signed_in:
            sidebar_menu(scope, specs, pages)
            session.keep_sign_in_cookie()  # a reload stays signed in
        with entry.through_entry():
            nav.run()
