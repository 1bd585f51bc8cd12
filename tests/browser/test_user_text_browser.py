"""User text is inert in a real browser: a daily report's difficulties, a user's name and a
helper's name holding a remote image, a disguised javascript: link, raw HTML and a bare address
show as the text typed, on the activity feed (signed in) and the public duty schedule: no image
element, no link, no request to the attacker's host. (tests/test_untrusted_text.py walks every
page of every role the same way with AppTest.)"""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.browser.conftest import sign_in, wait_idle

pytestmark = pytest.mark.browser

PAYLOAD = ("![x](http://evil.example/x.png) [bấm vào đây](javascript:alert(1)) "
           "<img src=x onerror=alert(1)> xem www.evil.example")


def _sql(server, sql: str, **params) -> None:
    eng = create_engine(server.database_url())
    with eng.begin() as c:
        c.execute(text(sql), params)
    eng.dispose()


def _inert(page, where: str) -> None:
    hostile = page.evaluate("""() => ({
        images: [...document.querySelectorAll('img')].filter(i =>
            /evil|^x$/.test(i.getAttribute('src') || '')).length,
        links: [...document.querySelectorAll('a')].filter(a =>
            /evil|javascript:/i.test(a.getAttribute('href') || '')).length,
        text: document.body.innerText.replaceAll('\u2060', '')})""")  # the invisible joiner
    assert hostile["images"] == 0 and hostile["links"] == 0, (where, hostile["images"],
                                                              hostile["links"])
    assert "![x](http://evil.example/x.png)" in hostile["text"], where  # shown, as typed
    assert "<img src=x onerror=alert(1)>" in hostile["text"], where


def test_user_text_shows_as_typed_in_chromium(live_server, browser):
    _sql(live_server, "UPDATE daily_report SET difficulties = :p", p="Khó khăn " + PAYLOAD)
    _sql(live_server, "UPDATE user_account SET name = :p WHERE username = 'demo.huyen'",
         p="BCĐ " + PAYLOAD)
    _sql(live_server, "UPDATE roster_entry SET full_name = :p WHERE commune_code = '07201'",
         p="Nguyễn Văn " + PAYLOAD)
    requests: list[str] = []
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(live_server.url + "/lich-truc?xa=07201")
        page.get_by_text("Nguyễn Văn").first.wait_for()
        wait_idle(page)
        _inert(page, "schedule")
        sign_in(page, live_server, "demo.huyen")
        page.goto(live_server.url + "/hoat-dong")
        page.get_by_text("Khó khăn").first.wait_for()
        wait_idle(page)
        _inert(page, "feed")
    finally:
        ctx.close()
    assert not [u for u in requests if "evil" in u], requests
