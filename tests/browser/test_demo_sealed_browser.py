"""Demo mode is sealed off from real accounts, probed as an attacker would: a sign-in cookie
forged with the cookie key published in the source code, for an administrator created with
`python -m app.cli create-user` on a server started the README's way (demo mode, no key
configured), set in a real Chromium, opens nothing. The server signs its cookies with a key
generated for the installation (<data dir>/keys/cookie.key, 0600)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import jwt
import pytest

from app.core.settings import DEFAULT_DEMO_COOKIE_KEY
from tests.browser.conftest import ROOT, start_server, stop_server, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def readme_server(_templates, tmp_path_factory):
    """`streamlit run streamlit_app.py` as the README starts it: demo mode, no cookie key."""
    data_dir = tmp_path_factory.mktemp("readme")
    shutil.copy(_templates["demo"] / "qcdc.db", data_dir / "qcdc.db")
    server = start_server(data_dir, env_extra={"QCDC_COOKIE_KEY": None})
    yield server
    stop_server(server)


def _cli(server, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("QCDC_COOKIE_KEY", "DATABASE_URL")}
    env.update({"QCDC_DATA_DIR": str(server.data_dir), "QCDC_DEMO": "1",
                "QCDC_NEW_PASSWORD": "Chief-pass-2024"})
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _forged(username: str, key: str) -> str:
    """A sign-in cookie exactly as streamlit-authenticator writes it (12 h lifetime)."""
    return jwt.encode({"username": username, "exp_date": time.time() + 12 * 3600}, key,
                      algorithm="HS256")


def _open_with_cookie(browser, server, token: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    ctx.add_cookies([{"name": "qcdc_auth", "value": token, "domain": "127.0.0.1", "path": "/"}])
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url + "/tong-quan")
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)
    # either the overview (its figures) or the sign-in form ends the page
    page.wait_for_function(
        "() => document.body.innerText.includes('Tổng số phiếu')"
        " || !!document.querySelector('input[type=password]')")
    return ctx, page


def test_a_cookie_forged_with_the_published_key_opens_nothing(readme_server, browser):
    out = _cli(readme_server, "create-user", "chief", "--role", "admin", "--name", "Chief")
    assert out.returncode == 0, out.stderr
    for user in ("chief", "demo.admin"):
        ctx, page = _open_with_cookie(browser, readme_server,
                                      _forged(user, DEFAULT_DEMO_COOKIE_KEY))
        try:
            text = page.inner_text("body")
            assert "Tổng số phiếu" not in text, f"forged cookie for {user} accepted"
            assert page.locator("input[type=password]").count() == 1
            assert "Vui lòng đăng nhập để mở trang này." in text
        finally:
            ctx.close()
    # the test is not blind: a cookie signed with this server's own key (which only the
    # server holds) does open the overview
    key_file = readme_server.data_dir / "keys" / "cookie.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    ctx, page = _open_with_cookie(browser, readme_server,
                                  _forged("chief", key_file.read_text().strip()))
    try:
        assert "Tổng số phiếu" in page.inner_text("body")
    finally:
        ctx.close()
