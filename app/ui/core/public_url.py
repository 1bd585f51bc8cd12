"""The app's public address on a page: the setting, or in demo mode the address this browser
used (``st.context.url``, else the Host header); and the plain message when there is none."""
from __future__ import annotations

import streamlit as st

from app.core.i18n import t
from app.core.public_url import FROM_BROWSER, PublicAddress, browser_origin, public_address, setting_problem


def browser_base_url() -> str | None:
    """scheme://host[:port][/base path] this browser reached the app at."""
    base = str(st.get_option("server.baseUrlPath") or "")
    origin = None
    try:
        origin = browser_origin(st.context.url, base)
    except Exception:  # no browser context (bare script run)
        origin = None
    if origin:
        return origin
    try:
        headers = st.context.headers
        host = headers.get("X-Forwarded-Host") or headers.get("Host")
        proto = headers.get("X-Forwarded-Proto") or "http"
    except Exception:
        return None
    return browser_origin(f"{proto}://{host}/", base) if host else None


def current_address() -> PublicAddress | None:
    return public_address(browser_base_url())


def require_address(what: str) -> PublicAddress | None:
    """The address to print `what` with (a Vietnamese noun: "mã QR", "đường dẫn chia sẻ"...);
    when there is none, says plainly why and how to fix it, and returns None."""
    problem = setting_problem()
    if problem:
        st.error(problem, icon=":material/link_off:")
    address = current_address()
    if address is None:
        st.error(t("public_url.missing", what=what), icon=":material/link_off:")
        return None
    return address


def address_caption(address: PublicAddress) -> None:
    """Where the printed address comes from (the setting, or the browser in demo mode)."""
    if address.source == FROM_BROWSER:
        st.caption(t("public_url.from_browser", url=address.url))
    else:
        st.caption(t("public_url.from_setting", url=address.url))
