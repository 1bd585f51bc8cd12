"""Light pages for citizens on mobile data (issue 6), behind the shipped nginx configuration.

One app process behind nginx rendered from deploy/nginx/qcdc.conf.template, serving the
lightened copy of Streamlit's bundle that deploy/prepare_static.py writes. What a citizen or a
staff member would notice: the survey works in a phone-size Chromium, its first visit
transfers at most 800 KB (bench/page_weight.py's measurement, unthrottled: bytes are
deterministic, times are not asserted), an icon still shows as an icon, and staff pages load.
"""
from __future__ import annotations

import re
import sys
import urllib.error
import urllib.request

import pytest

from tests.browser.conftest import ROOT, wait_idle

pytestmark = pytest.mark.browser

FIRST_LOAD_LIMIT_KB = 800


def _get(url: str) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_every_lightening_step_applies_to_the_installed_streamlit(behind_nginx):
    patches = behind_nginx["prepared"]["patches"]
    assert patches["source_sans_preload"].startswith("removed"), patches
    assert patches["material_symbols_preload"].startswith("neutralised"), patches
    assert patches["document"] == "set lang and title", patches
    assert patches["backend_base_url"] == "the site's root", patches
    assert patches["loading_text"] == "shown", patches
    assert patches["survey_widgets_preload"].startswith("added"), patches
    assert "not found" not in patches["survey_widgets_preload"], patches
    assert patches["survey_widgets_ready"] == "4 of 4 started at once", patches
    assert patches["server_checks_preload"] == "preloaded 2", patches
    assert patches["websocket_early"] == "opened early on /survey", patches
    # the page's scripts in one file (deploy/bundle_first_load.py; esbuild from .ci/run)
    assert re.fullmatch(r"\d+ chunks in one file \(static/js-\w+\)",
                        patches["first_load_bundle"]), patches
    assert behind_nginx["prepared"]["br_bytes"] < behind_nginx["prepared"]["gz_bytes"]


def test_scripts_are_sent_brotli_compressed_to_browsers_that_accept_it(behind_nginx):
    sys.path.insert(0, str(ROOT / "deploy"))
    from render_nginx import BROTLI_MODULE
    if not BROTLI_MODULE.is_file():
        pytest.fail("apt-get install libnginx-mod-http-brotli-static (.ci/run installs it)")
    html = _get(behind_nginx["url"] + "/survey?xa=07201")[2].decode("utf-8")
    main = re.search(r'<script type="module"[^>]*src="\./(static/[\w-]+/[^"]+)"', html).group(1)
    sizes = {}
    for encoding in ("br", "gzip", "identity"):
        req = urllib.request.Request(behind_nginx["url"] + "/" + main,
                                     headers={"Accept-Encoding": encoding})
        with urllib.request.urlopen(req, timeout=10) as r:
            got = r.headers.get("Content-Encoding") or "identity"
            assert got == encoding, (encoding, got)
            sizes[encoding] = len(r.read())
    assert sizes["br"] < sizes["gzip"] * 0.9 < sizes["identity"] / 3, sizes


def test_pages_come_from_the_copy_with_the_route_cookie(behind_nginx):
    url = behind_nginx["url"]
    for path in ("/", "/survey?xa=07201", "/dang-nhap", "/tong-quan"):
        status, headers, body = _get(url + path)
        assert status == 200, path
        html = body.decode("utf-8")
        assert '<div id="root"><p role="status"' in html and "Đang tải…" in html
        assert not re.search(r'<link\b[^>]*\bas="font"', html), "font preload still in " + path
        assert '<html lang="vi">' in html and "<title>Khảo sát QCDC Bắc Giang</title>" in html
        assert headers["set-cookie"].startswith("qcdc_route="), path  # sticky sessions
        assert headers["cache-control"] == "no-cache"
    # what Streamlit serves dynamically still reaches the app process
    status, _, body = _get(url + "/_stcore/health")
    assert (status, body) == (200, b"ok")
    status, headers, _ = _get(url + "/survey/")
    assert status == 301 and headers["location"] == "/survey"
    status, _, body = _get(url + "/oauth2callback")
    assert b'<div id="root">' not in body  # not the page


def test_survey_behind_nginx_is_light_and_works_on_a_phone(behind_nginx, browser, phone_page):
    sys.path.insert(0, str(ROOT / "bench"))
    from page_weight import visit
    url = behind_nginx["url"] + "/survey?xa=07201"
    # The very first session of a fresh process runs before st.navigation exists (app/ui/core/entry.py)
    # and briefly shows Streamlit's sidebar button, whose icon fetches Material Symbols: that
    # visitor is not the one measured (the bench measures a running server too).
    visit(browser, url, None, 60)
    first = visit(browser, url, None, 60)
    kb = (first["http_bytes"] + first["ws_bytes"]) / 1024
    assert kb <= FIRST_LOAD_LIMIT_KB, first
    assert not any("MaterialSymbols" in u for _, u in first["largest"]), first
    # the theme draws text in the phone's own font: Source Sans is not downloaded either
    assert not any("SourceSans" in u for _, u in first["largest"]), first
    assert behind_nginx["prepared"]["patches"]["source_sans_font"].startswith("local only")

    # the survey's widgets come with the page's scripts (the first question's) or when the
    # main script runs (the others), not in a second wave after the form arrives: all before
    # the form's first message; the websocket is opened by the page while its scripts load;
    # the server checks are asked first; the frontend finds its server at the root at once
    # (no /survey/_stcore/...)
    page = phone_page
    asked: list[str] = []
    page.on("request", lambda req: asked.append(req.url))

    def on_socket(ws):
        asked.append("websocket " + ws.url)
        ws.on("framereceived", lambda _: None if "frame" in asked else asked.append("frame"))
    page.on("websocket", on_socket)
    # who builds the page's websockets: the page's early script only, whose socket the
    # frontend takes (a second one would mean the hand-over failed)
    page.add_init_script("""(() => { const W = window.WebSocket; window.__qcdcSockets = [];
      function T(u, p) { window.__qcdcSockets.push(String(new Error().stack));
                         return p === undefined ? new W(u) : new W(u, p); }
      T.prototype = W.prototype; T.OPEN = W.OPEN; T.CLOSED = W.CLOSED;
      T.CONNECTING = W.CONNECTING; T.CLOSING = W.CLOSING; window.WebSocket = T; })()""")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    page.get_by_role("button", name="Gửi phiếu khảo sát").wait_for()
    widgets = [i for i, u in enumerate(asked)
               if re.search(r"/static/js-\w+/(Radio|Checkbox|TextArea|Html)\.", u)]
    server = [i for i, u in enumerate(asked) if "/_stcore/health" in u]
    socket = [i for i, u in enumerate(asked) if u.startswith("websocket ")]
    scripts = [i for i, u in enumerate(asked) if "/static/" in u]
    frame = [i for i, u in enumerate(asked) if u == "frame"]
    assert len(widgets) == 4 and len(socket) == 1 and max(widgets) < frame[0], asked
    sockets = page.evaluate("window.__qcdcSockets")
    assert len(sockets) == 1 and "/static/" not in sockets[0], sockets
    assert len(server) == 1 and server[0] < min(scripts), asked
    # one bundle for the page's scripts, in a folder of its own (browsers keep the separate
    # chunks of static/js for a year); the chunks in it (facades left for anything else that
    # names them) are never fetched: a second copy of React would break the page
    bundled = [u for u in asked if re.search(r"/static/js-\w+/first-load\.\w+\.js$", u)]
    facade = re.compile(r'(export\{[^}]*\}from|import)"\./first-load\.\w+\.js";\n')
    facades = [u for u in asked if "/static/" in u and u.endswith(".js") and facade.fullmatch(
        (behind_nginx["static"] / u.split("/", 3)[3]).read_text(encoding="utf-8"))]
    assert len(bundled) == 1 and not facades, asked
    assert not any("/static/js/" in u for u in asked), asked
    assert not any("/survey/_stcore/" in u for u in asked), asked
    wait_idle(page)
    assert page.get_by_text("Phường Thọ Xương").first.is_visible()
    assert page.get_by_text("Đang tải…").count() == 0   # React replaced the loading text
    page.wait_for_function("document.querySelectorAll('div[role=radiogroup]').length >= 16")
    groups = page.locator('div[role="radiogroup"]')
    for i in range(groups.count()):
        groups.nth(i).locator("label").first.click()
    page.locator('[data-testid="stCheckbox"] label').first.click()
    page.get_by_role("button", name="Gửi phiếu khảo sát").click()
    page.get_by_text("Cảm ơn ông/bà đã tham gia khảo sát!").wait_for(timeout=30_000)
    assert not errors, errors


def test_an_icon_still_shows_as_an_icon(behind_nginx, phone_page):
    page = phone_page
    page.goto(behind_nginx["url"] + "/survey?xa=99999")  # unknown commune: error with an icon
    icon = page.locator('[data-testid="stAlert"] [data-testid="stAlertDynamicIcon"]').first
    icon.wait_for()
    page.wait_for_function("""() => {
      let ok = false;
      document.fonts.forEach(f => { if (f.family.includes('Material Symbols')
                                         && f.status === 'loaded') ok = true; });
      return ok;
    }""")
    page.wait_for_timeout(300)
    box = icon.bounding_box()
    # the ligature "error" drawn as one glyph is about as wide as it is high; as a word it
    # would be two to three times wider
    assert box and box["width"] <= box["height"] * 1.3, box


def test_a_staff_page_loads_through_nginx(behind_nginx, phone_page):
    page = phone_page
    page.goto(behind_nginx["url"] + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").wait_for()
    assert page.get_by_label("Mật khẩu").is_visible()
    assert page.get_by_role("button", name="Đăng nhập").is_visible()


def test_the_province_overview_draws_its_charts_through_nginx(behind_nginx, desktop_page):
    """A staff page with Vega-Lite charts (lazy chunks importing the page's bundle, and the
    sign-in page's preload of them) draws without a script error."""
    from types import SimpleNamespace

    from tests.browser.conftest import sign_in
    page = desktop_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # the sign-in page preloads the start pages' chunks from the page's own (bundled) folder
    page.goto(behind_nginx["url"] + "/dang-nhap")
    page.locator("link[data-qcdc-chunk]").first.wait_for(state="attached")
    hrefs = page.evaluate(
        "() => [...document.querySelectorAll('link[data-qcdc-chunk]')].map(l => l.href)")
    assert len(hrefs) > 5, hrefs
    assert all(re.search(r"/static/js-\w+/[\w.-]+\.js$", h) for h in hrefs), hrefs
    sign_in(page, SimpleNamespace(url=behind_nginx["url"]), "demo.tinh")
    page.goto(behind_nginx["url"] + "/tong-quan")
    page.locator('[data-testid="stVegaLiteChart"] svg').first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stMetricValue"]').count() >= 2
    assert not errors, errors


def test_a_commune_report_with_a_photo_goes_through_nginx(behind_nginx, browser, tmp_path):
    """The staff side behind the shipped nginx and its page copy (the frontend pointed at the
    site's root): a commune files the day's report with a photo (an upload through
    /_stcore/upload_file) and the photo is shown back (a /media file)."""
    from types import SimpleNamespace

    from sqlalchemy import create_engine, text

    from app.core import clock
    from tests.browser.conftest import sign_in
    from tests.commune_ops_helpers import jpeg_with_gps
    server = behind_nginx["server"]
    eng = create_engine(server.database_url())
    photos = ("SELECT count(*) FROM report_photo p JOIN daily_report r ON p.report_id = r.id "
              "WHERE r.commune_code = '07201' AND r.day = :d")
    today = clock.today().isoformat()
    with eng.begin() as c:  # the cut-off must not fall during the test
        c.execute(text("UPDATE campaign SET report_cutoff = '23:59' WHERE is_active = 1"))
        had = c.execute(text(photos), {"d": today}).scalar_one()
    photo = tmp_path / "qua_nginx.jpg"
    photo.write_bytes(jpeg_with_gps())
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in(page, SimpleNamespace(url=behind_nginx["url"]), "demo.xa")
        wait_idle(page)
        page.locator('[data-testid="stSidebar"]').get_by_role(
            "link", name="Báo cáo hằng ngày").click()
        submit = page.get_by_role("button", name=re.compile("Gửi báo cáo|Cập nhật báo cáo"))
        submit.wait_for()
        wait_idle(page)
        page.get_by_role("spinbutton", name="Lượt người dân đến làm thủ tục").fill("41")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo))
        page.get_by_text("qua_nginx.jpg").wait_for()
        submit.click()
        page.get_by_text("Đã lưu báo cáo ngày").first.wait_for(timeout=60_000)
        wait_idle(page)
        with eng.connect() as c:
            assert c.execute(text(photos + " AND r.visits = 41"), {"d": today}).scalar_one() \
                == had + 1
        shown = page.locator('img[src*="/media/"]')
        shown.first.wait_for()
        page.wait_for_function("""() => Array.from(document.querySelectorAll('img[src*="/media/"]'))
                                        .some(i => i.complete && i.naturalWidth > 0)""")
    finally:
        ctx.close()
        eng.dispose()


def test_a_browser_that_kept_the_separate_chunks_gets_the_bundle_right(behind_nginx, browser,
                                                                        tmp_path):
    """A phone that opened the survey before the copy was bundled keeps its chunks for a year
    (immutable /static/ files): after the bundled copy replaces the old one, the page must not
    run those kept chunks beside the bundle (the bundled copy's scripts live in a folder of
    their own). Same app process, its own nginx and copy."""
    sys.path.insert(0, str(ROOT / "deploy"))
    from prepare_static import prepare, streamlit_static_dir

    from tests.browser.conftest import start_nginx, stop_nginx
    static = tmp_path / "static"
    prepare(streamlit_static_dir(), static, bundle=False)
    port = int(behind_nginx["server"].url.rsplit(":", 1)[1])
    nginx, url = start_nginx([port], tmp_path / "nginx", static)
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(url + "/survey?xa=07201")
        page.locator('[data-testid="stRadio"]').first.wait_for(timeout=60_000)
        wait_idle(page)
        info = prepare(streamlit_static_dir(), static)   # the deploy: now bundled
        assert "chunks in one file" in info["patches"]["first_load_bundle"], info["patches"]
        kept: list[str] = []
        page.on("response", lambda r: kept.append(r.url) if r.from_service_worker is False
                and "/static/js/" in r.url else None)
        page.goto(url + "/survey?xa=07201")
        page.locator('div[role="radiogroup"]').nth(15).wait_for(timeout=60_000)
        assert page.locator('[data-testid="stApp"]').count() == 1
        assert not kept, kept
        assert not errors, errors
    finally:
        ctx.close()
        stop_nginx(nginx)
