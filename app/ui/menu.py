"""The signed-in user's sidebar menu: the pages of app/access.py their role may open."""
from __future__ import annotations

import streamlit as st

from app import access
from app.auth import Scope
from app.i18n import t
from app.ui import session


def build_pages(specs: list[access.PageSpec], default_key: str) -> dict[str, st.Page]:
    keys = [s.key for s in specs]
    if default_key not in keys:
        default_key = keys[0]
    return {s.key: st.Page(s.path, title=t(f"nav.{s.key}"), icon=s.icon,
                           url_path=s.url_path or None, default=s.key == default_key)
            for s in specs}


def sidebar_menu(scope: Scope, specs: list[access.PageSpec], pages: dict[str, st.Page]) -> None:
    with st.sidebar:
        st.markdown(f"**{t('app.short')}**")
        st.caption(t("auth.welcome", name=scope.name, role=t(f"role.{scope.role}")))
        sections: dict[str, list[access.PageSpec]] = {}
        for spec in specs:
            if spec.show_signed_in and spec.key != "home":
                sections.setdefault(spec.section, []).append(spec)
        for section, items in sections.items():
            st.caption(t(f"nav.section.{section}").upper())
            for spec in items:
                st.page_link(pages[spec.key], label=t(f"nav.{spec.key}"), icon=spec.icon)
        st.divider()
        if st.button(t("nav.logout"), key="qcdc_logout", icon=":material/logout:"):
            # The cookie is deleted by a small browser component; its answer reruns the app,
            # which then lands on the public home page.
            session.sign_out()
            st.session_state["qcdc_go_start"] = True
            st.info(t("auth.signing_out"))
            st.stop()
