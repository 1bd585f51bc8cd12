"""The API token page in a real browser: an administrator issues a token, sees it once, and the
token reads the API of the very server that drew the page; revoked, it is refused."""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

import pytest

from tests.browser.conftest import sign_in, wait_idle

pytestmark = pytest.mark.browser


def _status(url: str, token: str) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_an_administrator_issues_and_revokes_a_token(live_server, desktop_page):
    page = desktop_page
    sign_in(page, live_server, "demo.admin")
    page.locator('[data-testid="stSidebar"]').get_by_text("Khóa truy cập API",
                                                          exact=True).click()
    page.get_by_role("heading", name="Khóa truy cập API").wait_for()
    wait_idle(page)
    page.get_by_role("tab", name="Cấp khóa mới").click()
    wait_idle(page)
    page.get_by_label("Đơn vị hoặc phần mềm sử dụng khóa").fill("Cục Thống kê – Power BI")
    page.get_by_role("button", name="Cấp khóa").click()
    page.get_by_text("chỉ hiện một lần này").wait_for()
    token = page.locator('[data-testid="stCode"] code').first.inner_text().strip()
    assert token.startswith("qcdc_") and len(token) == 57
    example = page.locator('[data-testid="stCode"] code').nth(1).inner_text()
    assert f"{live_server.url}/api/v1/campaigns" in example   # the server's own address
    if os.environ.get("QCDC_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["QCDC_SCREENSHOTS"], "api_tokens.png"),
                        full_page=True)
    status, body = _status(f"{live_server.url}/api/v1/campaigns/active/communes", token)
    assert status == 200 and len(body["data"]) == 209
    page.get_by_role("button", name="Tôi đã lưu khóa").click()
    wait_idle(page)
    assert page.get_by_text(token).count() == 0                 # never shown again
    page.get_by_role("tab", name="Danh sách khóa").click()
    wait_idle(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 52)               # the first row's selection box
    page.get_by_role("button", name="Thu hồi khóa").wait_for()
    page.get_by_text("Tôi chắc chắn muốn thu hồi khóa này").click()
    page.get_by_role("button", name="Thu hồi khóa").click()
    # said on the page after the rerun (and in a toast the first time)
    page.locator('[data-testid="stAlert"]').get_by_text(
        "Đã thu hồi khóa «Cục Thống kê – Power BI».").wait_for()
    status, body = _status(f"{live_server.url}/api/v1/campaigns", token)
    assert status == 401 and body["error"]["code"] == "token_revoked"
