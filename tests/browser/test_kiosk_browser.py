"""The office screen in Chromium (issue 15): a TV-size screen signed in with a screen-only
account shows a QR code; a 390-px phone opens its address; the screen shows a fresh code
within seconds; the sheet is stored verified. A reused code is stored unverified, and when the
server goes away the screen says in Vietnamese that the printed QR still works."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.browser.conftest import PHONE, start_server, stop_server, wait_idle

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
SCREEN_USER, SCREEN_PW = "man.hinh.07201", "ManHinh2024x"
SHOTS = os.environ.get("QCDC_SCREENSHOTS")


@pytest.fixture(scope="module")
def kiosk_server(_templates, tmp_path_factory):
    """A server of its own (the last test stops it), with a screen-only account of 07201."""
    data_dir = tmp_path_factory.mktemp("kiosk")
    shutil.copy(_templates["demo"] / "qcdc.db", data_dir / "qcdc.db")
    env = dict(os.environ, QCDC_DATA_DIR=str(data_dir), QCDC_DEMO="1",
               QCDC_NEW_PASSWORD=SCREEN_PW)
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "app.cli", "create-user", SCREEN_USER, "--role",
                    "screen", "--commune", "07201", "--name", "Màn hình một cửa"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    server = start_server(data_dir)
    yield server
    stop_server(server)


def _rows(server, sql: str, **params):
    eng = create_engine(server.database_url())
    with eng.connect() as c:
        rows = c.execute(text(sql), params).all()
    eng.dispose()
    return rows


def _shown(page) -> tuple[str, str]:
    el = page.locator("[data-qcdc-code-id]").first
    el.wait_for()
    return (el.get_attribute("data-qcdc-code-id"),
            "/survey?xa=07201&ma=" + el.get_attribute("data-qcdc-code"))


def _answer_and_send(page) -> None:
    page.get_by_role("button", name="Gửi phiếu khảo sát").wait_for()
    wait_idle(page)
    page.wait_for_function("document.querySelectorAll('div[role=radiogroup]').length >= 16")
    groups = page.locator('div[role="radiogroup"]')
    for i in range(groups.count()):
        groups.nth(i).locator("label").first.click()
    page.locator('[data-testid="stCheckbox"] label').first.click()
    page.get_by_role("button", name="Gửi phiếu khảo sát").click()
    page.get_by_text("Cảm ơn ông/bà đã tham gia khảo sát!").wait_for(timeout=30_000)


def _phone(browser):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    return ctx, page


def test_screen_code_opened_on_a_phone_changes_the_screen_and_verifies_the_sheet(
        kiosk_server, browser):
    server = kiosk_server
    screen_ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    screen = screen_ctx.new_page()
    screen.set_default_timeout(30_000)
    sign_in_screen(screen, server)
    code_id, url = _shown(screen)
    assert "/survey?xa=07201&ma=" in url
    screen.locator('[data-testid="stImage"] img').first.wait_for()
    assert screen.get_by_text("Phường Thọ Xương").first.is_visible()
    wait_idle(screen)
    if SHOTS:
        screen.screenshot(path=str(Path(SHOTS) / "screen_1280.png"))
    # the phone opens the code's address (what its camera reads in the QR code)
    ctx, phone = _phone(browser)
    try:
        phone.goto(server.url + url)
        phone.get_by_role("button", name="Gửi phiếu khảo sát").wait_for()
        # the screen checks every second: a fresh code within seconds (10 s on a loaded machine)
        screen.wait_for_function(
            f"() => {{const e = document.querySelector('[data-qcdc-code-id]');"
            f" return e && e.getAttribute('data-qcdc-code-id') !== '{code_id}'; }}",
            timeout=10_000)
        if SHOTS:
            phone.screenshot(path=str(Path(SHOTS) / "survey_code_390.png"))
        _answer_and_send(phone)
        (verified,), = _rows(server, "SELECT verified FROM response ORDER BY id DESC LIMIT 1")
        assert verified
        used = _rows(server, "SELECT used_at, response_id FROM kiosk_code WHERE id = :i",
                     i=int(code_id))
        assert used[0][0] is not None and used[0][1] is not None
        # a reload of the thank-you page stores nothing more
        n = _rows(server, "SELECT count(*) FROM response")[0][0]
        phone.reload()
        phone.get_by_text("Cảm ơn ông/bà").first.wait_for()
        wait_idle(phone)
        assert _rows(server, "SELECT count(*) FROM response")[0][0] == n
        # the screen's counts follow (read every few seconds)
        screen.get_by_text("1 phiếu trả lời tại bộ phận một cửa").wait_for(timeout=15_000)
    finally:
        ctx.close()
    # the same code on a second phone: the citizen answers as usual, the sheet is not verified
    ctx, other = _phone(browser)
    try:
        other.goto(server.url + url)
        _answer_and_send(other)
        assert not other.get_by_text("xác thực").count()  # nothing alarming is said
        (verified,), = _rows(server, "SELECT verified FROM response ORDER BY id DESC LIMIT 1")
        assert not verified
        assert _rows(server, "SELECT count(*) FROM response WHERE verified")[0][0] == 1
    finally:
        ctx.close()
    # the server goes away: the screen says so in Vietnamese, and that the printed QR works
    stop_server(server)
    screen.get_by_text("mã QR in sẵn").wait_for(state="visible", timeout=20_000)
    if SHOTS:
        screen.screenshot(path=str(Path(SHOTS) / "screen_offline_1280.png"))
    screen_ctx.close()


def sign_in_screen(page, server) -> None:
    """The screen-only account signs in and lands on its screen (its only page)."""
    page.goto(server.url + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(SCREEN_USER)
    page.get_by_label("Mật khẩu").fill(SCREEN_PW)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/man-hinh-qr", timeout=30_000)


