"""A commune working group files the day's report with a photo in a real browser, and the
district steering committee then sees it, with the photo, in the activity feed."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, text

from app.core import clock
from tests.browser.conftest import sign_in, wait_idle
from tests.commune_ops_helpers import jpeg_with_gps

pytestmark = pytest.mark.browser

SUBMIT = re.compile("Gửi báo cáo|Cập nhật báo cáo")
NOTE = "Máy in ở bộ phận một cửa bị hỏng (kiểm thử trình duyệt)"


def _sql(server, sql, **params):
    eng = create_engine(server.database_url())
    with eng.begin() as c:
        rows = c.execute(text(sql), params).fetchall() if sql.lstrip().upper().startswith(
            "SELECT") else c.execute(text(sql), params)
        out = list(rows) if isinstance(rows, list) else None
    eng.dispose()
    return out


def test_commune_reports_with_photo_and_district_sees_it_in_feed(live_server, browser, tmp_path):
    # the cut-off must not fall during the test whatever the hour it runs at
    _sql(live_server, "UPDATE campaign SET report_cutoff = '23:59' WHERE is_active = 1")
    # the demo may already hold today's report of the commune, with an illustrative photo
    had = _sql(live_server, "SELECT count(*) FROM report_photo p JOIN daily_report r "
               "ON p.report_id = r.id WHERE r.commune_code = '07201' AND r.day = :d",
               d=clock.today().isoformat())
    photo = tmp_path / "hoat_dong.jpg"
    photo.write_bytes(jpeg_with_gps())

    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, live_server, "demo.xa")
    wait_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Báo cáo hằng ngày").click()
    submit = page.get_by_role("button", name=SUBMIT)  # "Cập nhật" if the demo sent one today
    submit.wait_for()
    wait_idle(page)
    page.get_by_role("spinbutton", name="Lượt người dân đến làm thủ tục").fill("37")
    page.get_by_role("spinbutton", name="Số người được hướng dẫn khảo sát").fill("29")
    page.get_by_role("spinbutton", name="Số người hỗ trợ trực").fill("3")
    page.get_by_label("Khó khăn, vướng mắc").fill(NOTE)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo))
    page.get_by_text("hoat_dong.jpg").wait_for()
    submit.click()
    page.get_by_text("Đã lưu báo cáo ngày").first.wait_for(timeout=60_000)
    wait_idle(page)
    rows = _sql(live_server, "SELECT r.visits, r.guided, r.helpers_on_duty, r.difficulties, "
                "r.day, (SELECT count(*) FROM report_photo p WHERE p.report_id = r.id) "
                "FROM daily_report r WHERE r.commune_code = '07201' AND r.updated_by = 'demo.xa'")
    assert len(rows) == 1 and rows[0][:4] == (37, 29, 3, NOTE)
    assert str(rows[0][4]) == clock.today().isoformat()
    assert rows[0][5] == had[0][0] + 1
    page.screenshot(path=str(live_server.data_dir / "report_saved.png"), full_page=True)
    ctx.close()

    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, live_server, "demo.huyen")
    wait_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Hoạt động các xã").click()
    page.get_by_text(NOTE).wait_for()
    wait_idle(page)
    card = page.locator('[data-testid="stVerticalBlock"]', has_text=NOTE).last
    assert "Phường Thọ Xương" in card.inner_text()
    imgs = card.locator("img")
    imgs.first.wait_for()
    assert imgs.count() >= 1
    # newest first: the report just filed is the first card of the feed
    first = page.locator('[data-testid="stLayoutWrapper"]', has_text="Cập nhật lúc")
    assert NOTE in first.first.inner_text()
    page.screenshot(path=str(live_server.data_dir / "feed_district.png"), full_page=True)
    ctx.close()


def test_a_photo_sent_as_svg_gets_a_vietnamese_message_and_the_report_is_kept(
        live_server, browser, tmp_path):
    """The browser only offers JPG/PNG, so an attacker renames the upload on its way (as a
    proxy would): an SVG with a script reaches the server under its own name. The page says
    in Vietnamese that the file is not a photo and keeps the report; nothing crashes."""
    _sql(live_server, "UPDATE campaign SET report_cutoff = '23:59' WHERE is_active = 1")
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">'
           b"<script>alert(1)</script><rect width='9' height='9'/></svg>")
    fake = tmp_path / "anh.png"
    fake.write_bytes(svg)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)

    def as_svg(route):  # the same upload, as an SVG file (built again: Playwright does not
        # hand the file's bytes of a multipart body to the route)
        boundary = route.request.headers["content-type"].split("boundary=")[1]
        route.continue_(post_data=(
            f'--{boundary}\r\nContent-Disposition: form-data; name="anh.svg"; '
            f'filename="anh.svg"\r\nContent-Type: image/svg+xml\r\n\r\n').encode()
            + svg + f"\r\n--{boundary}--\r\n".encode())
    page.route("**/_stcore/upload_file/**", as_svg)
    try:
        sign_in(page, live_server, "demo.xa")
        wait_idle(page)
        page.goto(live_server.url + "/bao-cao-ngay")
        submit = page.get_by_role("button", name=SUBMIT)
        submit.wait_for()
        wait_idle(page)
        page.get_by_label("Khó khăn, vướng mắc").fill("Báo cáo kèm tệp SVG")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(fake))
        page.get_by_text("anh.png").wait_for()
        wait_idle(page)
        submit.click()
        page.get_by_text("Đã lưu báo cáo ngày").wait_for(timeout=60_000)
        wait_idle(page)
        text = page.inner_text("body")
        assert "encountered an error" not in text
        assert "Tệp «anh.svg» không phải là ảnh; không được lưu." in text
    finally:
        ctx.close()
    rows = _sql(live_server, "SELECT difficulties FROM daily_report WHERE commune_code = '07201'"
                " AND updated_by = 'demo.xa' ORDER BY updated_at DESC LIMIT 1")
    assert rows[0][0] == "Báo cáo kèm tệp SVG"
