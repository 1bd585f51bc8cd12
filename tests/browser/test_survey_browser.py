"""A citizen on a phone-size Chromium answers the survey end to end against a real server."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.browser.conftest import wait_idle

pytestmark = pytest.mark.browser


def _responses(server) -> int:
    eng = create_engine(server.database_url())
    with eng.connect() as c:
        n = c.execute(text("SELECT count(*) FROM response")).scalar_one()
    eng.dispose()
    return n


def test_citizen_answers_every_question_on_a_phone(live_server, phone_page):
    page = phone_page
    before = _responses(live_server)
    page.goto(live_server.url + "/survey?xa=07201")
    page.get_by_role("button", name="Gửi phiếu khảo sát").wait_for()
    wait_idle(page)
    assert page.get_by_text("Phường Thọ Xương").first.is_visible()
    assert page.get_by_text("Thành phố Bắc Giang").first.is_visible()
    assert page.get_by_text("CHẾ ĐỘ DEMO").first.is_visible()
    # no sidebar or menu for citizens
    assert page.locator('[data-testid="stSidebar"]').count() == 0
    page.wait_for_function("document.querySelectorAll('div[role=radiogroup]').length >= 16")
    groups = page.locator('div[role="radiogroup"]')
    n_groups = groups.count()
    for i in range(n_groups):
        groups.nth(i).locator("label").first.click()
    page.locator('[data-testid="stCheckbox"] label').first.click()
    page.locator("textarea").first.fill("Cán bộ một cửa rất nhiệt tình 👍 <b>cảm ơn</b>")
    page.screenshot(path=str(live_server.data_dir / "survey_phone.png"), full_page=False)
    page.get_by_role("button", name="Gửi phiếu khảo sát").click()
    page.get_by_text("Cảm ơn ông/bà đã tham gia khảo sát!").wait_for(timeout=30_000)
    assert _responses(live_server) == before + 1
    # a reload of the thank-you page does not store again
    wait_idle(page)
    assert _responses(live_server) == before + 1


def test_bad_code_offers_picker_that_opens_the_right_commune(live_server, phone_page):
    page = phone_page
    before = _responses(live_server)
    page.goto(live_server.url + "/survey?xa=abc")
    page.get_by_text("không hợp lệ").first.wait_for()
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Thành phố Bắc Giang").click()
    wait_idle(page)
    page.locator('[data-testid="stSelectbox"]').nth(1).click()
    page.get_by_role("option", name="Phường Thọ Xương (07201)").click()
    wait_idle(page)
    page.get_by_role("button", name="Mở phiếu khảo sát").click()
    page.get_by_text("Câu 1.").first.wait_for()
    assert "xa=07201" in page.url
    assert page.get_by_text("Phường Thọ Xương").first.is_visible()
    assert _responses(live_server) == before


def test_the_first_citizen_after_a_restart_never_sees_the_list_of_staff_pages(
        _templates, tmp_path, phone_page):
    """Streamlit runs the first visit after a start in its old pages-folder mode, whose sidebar
    lists every file of pages/ ("admin audit", "admin users", ...) until the entry script
    switches to st.navigation (about 1.5 s on this machine). `client.showSidebarNavigation =
    false` keeps that list hidden; the staff menu is the app's own."""
    import shutil
    import time

    from tests.browser.conftest import start_server, stop_server
    shutil.copy(_templates["demo"] / "qcdc.db", tmp_path / "qcdc.db")
    server = start_server(tmp_path)
    try:
        page = phone_page
        page.goto(server.url + "/survey?xa=07201")
        seen = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            seen.append(page.evaluate(
                "() => (document.querySelector('[data-testid=\"stSidebarNav\"]') || {}).innerText"
                " || ''"))
            if page.get_by_role("button", name="Gửi phiếu khảo sát").count():
                break
            page.wait_for_timeout(100)
        page.get_by_role("button", name="Gửi phiếu khảo sát").wait_for()
        assert not any(seen), [s for s in seen if s][:1]
        assert "admin" not in page.locator("body").inner_text()
        # the tab shows the app's name and its own icon, not the page file's name
        assert page.title() == "Khảo sát QCDC Bắc Giang"
        icon = page.evaluate("() => (document.querySelector('link[rel*=icon]') || {}).href || ''")
        assert icon.startswith("data:image/png;base64,")
    finally:
        stop_server(server)


def test_a_missing_answer_is_shown_above_its_question_and_scrolled_to(live_server, phone_page):
    """A citizen taps "Gửi" at the bottom with two questions left: the page brings the first of
    them into view, with the message above its options (not under them, where it reads as the
    next question's), and the other answers are kept."""
    page = phone_page
    before = _responses(live_server)
    page.goto(live_server.url + "/survey?xa=07201")
    page.get_by_role("button", name="Gửi phiếu khảo sát").wait_for()
    wait_idle(page)
    groups = page.locator('div[role="radiogroup"]')
    for i in range(groups.count()):
        if i not in (4, 9):
            groups.nth(i).locator("label").first.click()
    page.locator('[data-testid="stCheckbox"] label').first.click()
    page.get_by_role("button", name="Gửi phiếu khảo sát").click()
    first = page.locator("[data-qcdc-err]").first
    first.wait_for()
    wait_idle(page)
    page.wait_for_function(
        "() => { const r = document.querySelector('[data-qcdc-err]').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }", timeout=10_000)
    assert page.locator("[data-qcdc-err]").count() == 2
    assert "Vui lòng trả lời câu này." in first.inner_text()
    # the message sits right above the options of question 5 (the fifth radio group)
    err_box = first.bounding_box()
    group_box = groups.nth(4).bounding_box()
    previous_box = groups.nth(3).bounding_box()
    assert previous_box["y"] < err_box["y"] < group_box["y"]
    assert _responses(live_server) == before
    groups.nth(4).locator("label").first.click()
    groups.nth(9).locator("label").first.click()
    page.get_by_role("button", name="Gửi phiếu khảo sát").click()
    page.get_by_text("Cảm ơn ông/bà đã tham gia khảo sát!").wait_for(timeout=30_000)
    assert _responses(live_server) == before + 1
