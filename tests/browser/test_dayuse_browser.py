"""A day of real use, in Chromium (issue 14): links print the address the browser used (demo
mode; never http://localhost:8501 when the site is reached elsewhere), and a success message
shown before a rerun stays visible after it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.browser.conftest import ROOT, sign_in, wait_idle

pytestmark = pytest.mark.browser


def _sign_in_phone(page, server, username: str, password: str = "Demo@2024") -> None:
    """sign_in() for a phone: the menu (with "Đăng xuất") is folded away at 390 px."""
    page.goto(server.url + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng xuất").wait_for(state="attached")
    wait_idle(page)


def _create_user(server, username: str, password: str, *args: str) -> None:
    env = dict(os.environ, QCDC_DATA_DIR=str(server.data_dir), QCDC_NEW_PASSWORD=password)
    env.pop("DATABASE_URL", None)
    r = subprocess.run([sys.executable, "-m", "app.cli", "create-user", username, *args],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_qr_codes_and_share_links_use_the_address_the_browser_used(live_server, desktop_page,
                                                                   phone_page):
    page = desktop_page
    sign_in(page, live_server, "demo.admin")
    page.goto(live_server.url + "/ma-qr")
    wait_idle(page)
    expected = f"{live_server.url}/survey?xa=07201"
    page.get_by_text(expected, exact=True).wait_for()
    body = page.locator("body").inner_text()
    assert "localhost:8501" not in body
    assert f"Chế độ demo: dùng địa chỉ trình duyệt đang mở, {live_server.url}" in body

    phone = phone_page
    _sign_in_phone(phone, live_server, "demo.xa")
    phone.goto(live_server.url + "/danh-sach-ho-tro")
    wait_idle(phone)
    phone.get_by_role("tab", name="Công khai").click()
    share = f"{live_server.url}/lich-truc?xa=07201"
    phone.get_by_text(share, exact=True).wait_for()
    assert "localhost:8501" not in phone.locator("body").inner_text()


def test_password_change_says_it_worked_after_the_page_reloads(live_server, desktop_page):
    _create_user(live_server, "xa.doimatkhau", "Matkhau2024", "--role", "commune",
                 "--commune", "07204", "--name", "Tổ công tác thử")
    page = desktop_page
    sign_in(page, live_server, "xa.doimatkhau", "Matkhau2024")
    page.goto(live_server.url + "/tai-khoan")
    wait_idle(page)
    page.get_by_label("Mật khẩu hiện tại").fill("Matkhau2024")
    page.get_by_label("Mật khẩu mới", exact=True).fill("Moi2024matkhau")
    page.get_by_label("Nhập lại mật khẩu mới").fill("Moi2024matkhau")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    wait_idle(page)
    # the message is on the page after the rerun (and stays: not only a passing toast)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="Đã đổi mật khẩu")
    alert.wait_for(timeout=30_000)
    page.wait_for_timeout(6_000)  # longer than a toast lives
    assert alert.is_visible()
    # and it did work: the new password signs in
    page.context.clear_cookies()
    sign_in(page, live_server, "xa.doimatkhau", "Moi2024matkhau")
