"""The one public address of the app (``QCDC_PUBLIC_URL``): what QR codes, posters, the
credential sheet and share links print.

A printed QR code cannot be corrected, so outside demo mode nothing is printed without the
setting: ``public_address`` answers None and the pages say why. In demo mode the address the
browser actually used stands in (the page passes it, see ``app/ui/core/public_url.py``), so a
demo opened at http://10.0.0.5:8501 prints codes that open on a phone in the same room.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# scheme, host (letters, digits, dots, hyphens), optional port, optional path
_URL_RE = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[A-Za-z0-9._~\-/]*)?$")

FROM_SETTING = "setting"
FROM_BROWSER = "browser"


def valid_base_url(url: str | None) -> bool:
    """An http(s) address with a plain host name and path (nothing a QR code could misread)."""
    return bool(url) and bool(_URL_RE.fullmatch(str(url).strip()))


def clean_base_url(url: str) -> str:
    return str(url).strip().rstrip("/")


@dataclass(frozen=True)
class PublicAddress:
    url: str      # without a trailing slash, e.g. https://khaosat.bacgiang.gov.vn
    source: str   # FROM_SETTING or FROM_BROWSER

    def link(self, path: str, **query: str) -> str:
        """The absolute address of a page of the app, e.g. link("survey", xa="07201")."""
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return f"{self.url}/{path.lstrip('/')}" + (f"?{q}" if q else "")

    @property
    def sign_in(self) -> str:
        return self.link("dang-nhap")


def browser_origin(url: str | None, base_path: str = "") -> str | None:
    """scheme://host[:port][/base path] of an address a browser used, or None."""
    if not url:
        return None
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    base = "/" + base_path.strip("/") if base_path.strip("/") else ""
    origin = f"{parts.scheme}://{parts.netloc}{base}"
    return origin if valid_base_url(origin) else None


def configured_public_url() -> str | None:
    """QCDC_PUBLIC_URL when it is set and valid."""
    from app.core.settings import read_settings
    url = read_settings().public_url
    return clean_base_url(url) if url and valid_base_url(url) else None


def setting_problem() -> str | None:
    """What is wrong with QCDC_PUBLIC_URL (in Vietnamese), or None when it is usable or unset."""
    from app.core.i18n import t
    from app.core.settings import read_settings
    url = read_settings().public_url
    if url and not valid_base_url(url):
        return t("public_url.invalid", url=url[:80])
    return None


def public_address(browser_url: str | None = None) -> PublicAddress | None:
    """The address to print: the setting; in demo mode, else, the browser's; otherwise None."""
    from app.core.settings import read_settings
    url = configured_public_url()
    if url:
        return PublicAddress(url, FROM_SETTING)
    if read_settings().demo_mode and browser_url and valid_base_url(browser_url):
        return PublicAddress(clean_base_url(browser_url), FROM_BROWSER)
    return None
