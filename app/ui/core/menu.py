"""The signed-in user's sidebar menu: the pages of app/core/access.py their role may open."""
from __future__ import annotations

import copy
import re

import streamlit as st

from app.core import access
from app.core.auth import Scope
from app.core.i18n import t
from app.ui.core import session
from app.ui.core.text import md_escape

_page_cache: dict[tuple[str, bool], st.Page] = {}


def _page(spec: access.PageSpec, default: bool) -> st.Page:
    # st.Page resolves its file on disk (several system calls) on every run of every visitor;
    # build each once per process and hand every run its own copy (st.navigation marks the
    # objects it is given).
    key = (spec.key, default)
    page = _page_cache.get(key)
    if page is None:
        page = st.Page(spec.path, title=t(f"nav.{spec.key}"), icon=spec.icon,
                       url_path=spec.url_path or None, default=default)
        _page_cache[key] = page
    return copy.copy(page)


_UNKNOWN_URL = re.compile(r"[A-Za-z0-9_-]{1,60}")


def _not_found() -> None:
    from app.ui.core import layout
    layout.public_style()
    st.title(t("app.title"))
    st.warning(t("common.page_not_found"), icon=":material/search_off:")
    st.page_link("pages/public/home.py", label=t("common.go_home"), icon=":material/home:")


def not_found_page(url_path: str | None) -> st.Page | None:
    """A page for an address no page has (a mistyped or outdated link), so the visitor reads
    a Vietnamese message with a way home instead of Streamlit's English "Page not found".
    Only for plain addresses; anything else gets Streamlit's own answer."""
    if not url_path or not _UNKNOWN_URL.fullmatch(url_path):
        return None
    if any(s.url_path == url_path for s in access.PAGES):
        return None
    return st.Page(_not_found, title=t("common.page_not_found_title"), url_path=url_path)


def navigation_pages(specs: list[access.PageSpec], asked: str | None, *,
                     restricted: bool = False) -> dict[str, st.Page]:
    """The pages of this run's st.navigation: the role's `specs` ("/" is the public home page),
    plus the page at the address the browser asked for (`asked`) even if the role may not see
    it, so that page's own guard answers in Vietnamese (sign in first, or "no permission"),
    or a Vietnamese "not found" page for an address no page has. `restricted` (a password
    that must be changed first): nothing beyond `specs`."""
    pages = build_pages(specs, default_key="home")
    if restricted or not asked:
        return pages
    other = next((s for s in access.PAGES if s.url_path == asked), None)
    if other is None:
        unknown = not_found_page(asked)
        if unknown is not None:
            pages["not_found"] = unknown
    elif other.key not in pages:
        pages[other.key] = _page(other, False)
    return pages


def build_pages(specs: list[access.PageSpec], default_key: str) -> dict[str, st.Page]:
    keys = [s.key for s in specs]
    if default_key not in keys:
        default_key = keys[0]
    return {s.key: _page(s, s.key == default_key) for s in specs}


def sidebar_menu(scope: Scope, specs: list[access.PageSpec], pages: dict[str, st.Page]) -> None:
    with st.sidebar:
        st.markdown(f"**{t('app.short')}**")
        st.caption(t("auth.welcome", name=md_escape(scope.name), role=t(f"role.{scope.role}")))
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
