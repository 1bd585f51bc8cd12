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


def _cli(server, *args: str) -> str:
    env = dict(os.environ, QCDC_DATA_DIR=str(server.data_dir))
    env.pop("DATABASE_URL", None)
    r = subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_a_picked_row_stays_the_one_acted_on_when_the_list_changes(live_server, desktop_page):
    """Issue 14 item 1 outside the warnings page: the administrator picks a token, another
    token is issued meanwhile (it sorts first, where the pick was), and the revocation still
    lands on the token whose name the administrator read."""
    import json
    _cli(live_server, "api-token", "create", "Cổng báo cáo tỉnh", "--role", "province")
    _cli(live_server, "api-token", "create", "Sổ tay phân tích", "--role", "province")
    page = desktop_page
    sign_in(page, live_server, "demo.admin")
    page.goto(live_server.url + "/khoa-api")
    wait_idle(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 52)               # the first row: Sổ tay
    wait_idle(page)
    heading = page.get_by_role("heading", name="Sổ tay phân tích")
    heading.wait_for()
    _cli(live_server, "api-token", "create", "Power BI Sở Nội vụ", "--role", "province")
    page.get_by_role("tab", name="Cấp khóa mới").click()         # any rerun: the list is new
    wait_idle(page)
    page.get_by_role("tab", name="Danh sách khóa").click()
    wait_idle(page)
    page.get_by_text("3 khóa", exact=True).wait_for()             # the new list is on screen
    assert heading.is_visible()                                  # still the token read
    assert page.get_by_role("heading", name="Power BI Sở Nội vụ").count() == 0
    page.get_by_text("Tôi chắc chắn muốn thu hồi khóa này").click()
    page.get_by_role("button", name="Thu hồi khóa").click()
    page.get_by_text("Đã thu hồi khóa «Sổ tay phân tích».").first.wait_for()
    states = {r["name"]: r["state"] for r in json.loads(
        _cli(live_server, "api-token", "list", "--all"))}
    assert states == {"Power BI Sở Nội vụ": "active", "Sổ tay phân tích": "revoked",
                      "Cổng báo cáo tỉnh": "active"}
