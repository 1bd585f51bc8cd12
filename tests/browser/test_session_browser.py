"""Signing out really ends the session: a copy of the sign-in cookie kept by the browser (or
stolen) no longer signs anyone in, in a real Chromium against a real server."""
from __future__ import annotations

import time

import pytest

from tests.browser.conftest import sign_in, wait_idle

pytestmark = pytest.mark.browser


def _with_cookie(browser, server, cookie: dict, path: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    ctx.add_cookies([cookie])
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url + path)
    page.wait_for_selector('[data-testid="stApp"]')
    wait_idle(page)
    page.wait_for_timeout(1500)
    return ctx, page


def _cookie(page, name: str, timeout_s: float = 20.0) -> dict:
    """The browser's cookie `name`, once the start page's script has written it (it runs when
    the page after the sign-in is drawn, later on a busy machine)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = [c for c in page.context.cookies() if c["name"] == name]
        if found:
            return found[0]
        assert time.monotonic() < deadline, f"no {name} cookie after {timeout_s} s"
        page.wait_for_timeout(250)


def test_a_kept_cookie_is_worthless_after_signing_out(live_server, desktop_page, browser):
    page = desktop_page
    sign_in(page, live_server, "demo.xa")
    wait_idle(page)
    cookie = _cookie(page, "qcdc_auth")
    # the cookie works in another browser tab as long as the user is signed in
    ctx, other = _with_cookie(browser, live_server, cookie, "/bao-cao-ngay")
    other.get_by_text("Đăng xuất").wait_for()
    assert other.get_by_text("Phường Thọ Xương").first.is_visible()
    ctx.close()
    page.get_by_text("Đăng xuất").click()
    page.get_by_text("Đăng nhập").first.wait_for()
    wait_idle(page)
    # the same cookie, replayed after the sign-out: a citizen, no staff page, no menu
    ctx, replay = _with_cookie(browser, live_server, cookie, "/bao-cao-ngay")
    body = replay.locator("body").inner_text()
    assert "Đăng xuất" not in body
    assert "Báo cáo" not in body or "Phường Thọ Xương" not in body
    assert replay.locator('[data-testid="stSidebar"]').count() == 0
    ctx.close()


def test_a_staff_address_opened_before_signing_in_leads_there_after_signing_in(
        live_server, desktop_page):
    """A bookmarked /ket-qua opened by someone not signed in: the sign-in page says why (in
    Vietnamese, not Streamlit's "Page not found"), and after signing in the person lands on
    the page they asked for (not on their role's start page, the overview)."""
    page = desktop_page
    page.goto(live_server.url + "/ket-qua")
    page.get_by_text("Vui lòng đăng nhập để mở trang này.").wait_for()
    assert "/dang-nhap" in page.url
    assert "Page not found" not in page.locator("body").inner_text()
    page.get_by_label("Tên đăng nhập").fill("demo.tinh")
    page.get_by_label("Mật khẩu").fill("Demo@2024")
    page.get_by_role("button", name="Đăng nhập").click()
    # slow on a loaded machine (bcrypt, then the page asked for)
    try:
        page.get_by_text("Đăng xuất").wait_for(timeout=60_000)
        page.get_by_role("heading", name="Kết quả và xếp hạng").wait_for(timeout=60_000)
    except Exception:
        page.screenshot(path=str(live_server.data_dir / "after_sign_in.png"), full_page=True)
        raise AssertionError(f"after signing in: {page.url}\n"
                             + page.locator("body").inner_text()[:600])
    assert page.url.split("?")[0].endswith("/ket-qua")


def test_a_page_of_another_role_says_so_in_vietnamese(live_server, desktop_page):
    page = desktop_page
    sign_in(page, live_server, "demo.xa")
    page.goto(live_server.url + "/nguoi-dung")
    page.get_by_text("Bạn không có quyền xem trang này.").wait_for()
    wait_idle(page)
    body = page.locator("body").inner_text()
    assert "Page not found" not in body and "Tên đăng nhập" not in body


def test_a_mistyped_address_gets_a_vietnamese_page_with_a_way_home(live_server, phone_page):
    page = phone_page
    page.goto(live_server.url + "/khong-co-trang-nay")
    page.get_by_text("Không tìm thấy trang này.").wait_for()
    wait_idle(page)
    assert "Page not found" not in page.locator("body").inner_text()
    page.get_by_role("link", name="Về trang chủ").click()
    page.get_by_text("Huyện, thị xã, thành phố").first.wait_for()
