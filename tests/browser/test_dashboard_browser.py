"""The Board's dashboards in a real Chromium against a real server: the map and the charts are
drawn (Vega renders canvases or SVG), offline, for the province account demo.tinh."""
from __future__ import annotations

import os

import pytest

from tests.browser.conftest import sign_in, wait_idle

pytestmark = pytest.mark.browser

VEGA = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'


def _shot(page, server, name: str) -> None:
    out = os.environ.get("QCDC_SCREENSHOTS")
    path = (os.path.join(out, name) if out else str(server.data_dir / name))
    # Streamlit scrolls inside its own container: a tall window shows the whole page
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 2400})
    page.wait_for_timeout(1500)
    page.screenshot(path=path)
    page.set_viewport_size(size)


def _open(page, title: str) -> None:
    """Follow the sidebar menu link (in-session navigation, like a user)."""
    page.locator('[data-testid="stSidebar"]').get_by_text(title, exact=True).first.click()
    wait_idle(page)


def _drawn(page, minimum: int, timeout: float = 45_000) -> int:
    """Wait until at least `minimum` Vega views have drawn something (non-empty canvas/SVG)."""
    page.wait_for_function(
        """(n) => {
            const els = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
            const drawn = els.filter(e => {
                const c = e.querySelector('canvas');
                if (c && c.width > 50 && c.height > 50) return true;
                const s = e.querySelector('svg');
                return s && s.querySelectorAll('path, rect, circle, symbol').length > 3;
            });
            return drawn.length >= n;
        }""", arg=minimum, timeout=timeout)
    return page.locator('[data-testid="stVegaLiteChart"]').count()


def test_map_renders_outlines_and_communes(live_server, desktop_page):
    page = desktop_page
    blocked = []
    page.route("**/*", lambda route: (blocked.append(route.request.url), route.abort())
               if not route.request.url.startswith(live_server.url) else route.continue_())
    sign_in(page, live_server, "demo.tinh")
    _open(page, "Bản đồ")
    page.get_by_text("Tô màu theo").first.wait_for()
    wait_idle(page)
    assert _drawn(page, 1) >= 1
    # the map has a real drawing surface with some size
    box = page.locator('[data-testid="stVegaLiteChart"]').first.bounding_box()
    assert box and box["width"] > 400 and box["height"] > 300
    page.get_by_text("Chỉ số", exact=True).first.click()
    wait_idle(page)
    _drawn(page, 1)
    _shot(page, live_server, "dashboard_map.png")
    assert page.get_by_text("gần đúng").first.is_visible()
    # drawn with every off-host request refused; the only ones tried are the browser tab's
    # Material icon (the entry script's page_icon), nothing for the charts or the map
    assert not [u for u in blocked if "materialsymbols" not in u], blocked


def test_overview_charts_render(live_server, desktop_page):
    page = desktop_page
    sign_in(page, live_server, "demo.tinh")
    _open(page, "Tổng quan trực tuyến")
    page.get_by_text("Tổng số phiếu").first.wait_for()
    wait_idle(page)
    assert _drawn(page, 3) >= 3
    assert page.get_by_text("Số phiếu theo huyện").first.is_visible()
    _shot(page, live_server, "dashboard_overview.png")
    page.get_by_role("tab", name="Theo thời gian").click()
    _drawn(page, 2)
    page.get_by_role("tab", name="Kết quả từng câu hỏi").click()
    _drawn(page, 1)
    _shot(page, live_server, "dashboard_questions.png")
    page.get_by_role("tab", name="Bảng các xã").click()
    page.locator('[data-testid="stDataFrame"] >> visible=true').first.wait_for()
    _shot(page, live_server, "dashboard_table.png")


def _choose(page, index: int, option: str, *, then: str, tries: int = 3) -> None:
    """Pick `option` in the index-th select box and wait for `then`; pick again if the live
    refresh redrew the box while the list was open (the choice is then lost)."""
    for attempt in range(tries):
        page.locator('[data-testid="stSelectbox"]').nth(index).click()
        page.get_by_role("option", name=option).click()
        wait_idle(page)
        try:
            page.get_by_text(then).first.wait_for(timeout=20_000)
            return
        except Exception:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")


def test_drill_down_warnings_and_results(live_server, desktop_page):
    page = desktop_page
    sign_in(page, live_server, "demo.tinh")
    _open(page, "Tổng quan trực tuyến")
    _choose(page, 0, "Thành phố Bắc Giang", then="Số phiếu theo xã")
    page.wait_for_function("() => location.search.includes('huyen=213')")  # shareable address
    _choose(page, 1, "Phường Trần Phú", then="Chỉ số của xã")
    page.wait_for_function("() => location.search.includes('xa=07213')")
    _drawn(page, 1)
    _shot(page, live_server, "dashboard_commune.png")
    # the same address in a new visit opens the same commune
    page.goto(page.url)
    page.get_by_text("Chỉ số của xã").first.wait_for()
    _open(page, "Cảnh báo")
    page.get_by_text("Nhóm phiếu đáng ngờ").first.wait_for()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    _shot(page, live_server, "dashboard_warnings.png")
    _open(page, "Kết quả và xếp hạng")
    page.get_by_text("Xuất báo cáo").first.wait_for()
    page.get_by_role("button", name="Tạo báo cáo PDF").click()
    page.get_by_role("button", name="Tải ket-qua-khao-sat").first.wait_for(timeout=90_000)
    _shot(page, live_server, "dashboard_results.png")
