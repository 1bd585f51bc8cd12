"""The shipped nginx configuration, probed as an attacker would (issue 13, smaller holes).

Behind deploy/nginx/qcdc.conf.template (rendered by deploy/render_nginx.py, run by Debian's
nginx on loopback): Streamlit's metrics are not served; the access log keeps neither query
strings nor the session ids of upload URLs; every page carries a Content-Security-Policy under
which the survey, the sign-in (its cookie is written by a component in a frame) and a dashboard
with charts work in Chromium without a single violation, while a script or an image from
another origin is refused.
"""
from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.browser.conftest import NGINX, PHONE, ROOT, _free_port, wait_idle

pytestmark = pytest.mark.browser

# every Content-Security-Policy violation of the page and its frames, kept on the window
CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(
    {directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile || ''}));
"""


def _get(url: str, method: str = "GET") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, method=method, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def test_the_rendered_configuration_passes_nginx_t(behind_nginx, tmp_path):
    sys.path.insert(0, str(ROOT / "deploy"))
    from render_nginx import render_site, render_standalone
    site = render_site([8501, 8502], listen="127.0.0.1:8089", static_dir=behind_nginx["static"],
                       access_log=str(tmp_path / "qcdc.access.log"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_standalone(site, tmp_path))
    out = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    # with TLS, the port-80 redirect logs in the same private format
    tls = render_site([8501], server_name="khaosat.example.vn", static_dir=behind_nginx["static"],
                      tls_cert="/etc/ssl/x.pem", tls_key="/etc/ssl/x.key")
    assert tls.count("access_log /var/log/nginx/qcdc.access.log qcdc_private;") == 2
    assert tls.count("Strict-Transport-Security") >= 4


def test_https_on_a_chosen_port_serves_the_app_over_http2(behind_nginx, tmp_path):
    """--tls-listen (benchmarks over HTTPS on loopback): the HTTPS server listens where told,
    with HTTP/2 and the policy, and no port-80 redirect is written."""
    import ssl
    sys.path.insert(0, str(ROOT / "deploy"))
    from render_nginx import render_site, render_standalone
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=60)
    port = int(behind_nginx["server"].url.rsplit(":", 1)[1])
    listen = f"127.0.0.1:{_free_port()}"
    site = render_site([port], static_dir=behind_nginx["static"], tls_cert=str(cert),
                       tls_key=str(key), tls_listen=listen,
                       access_log=str(tmp_path / "qcdc.access.log"))
    assert f"listen {listen} ssl http2;" in site and "return 301" not in site
    conf = tmp_path / "nginx.conf"
    conf.write_text(render_standalone(site, tmp_path))
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        insecure = ssl.create_default_context()
        insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
        deadline = time.time() + 20
        while True:
            try:
                with urllib.request.urlopen(f"https://{listen}/survey?xa=07201", timeout=5,
                                            context=insecure) as r:
                    assert r.status == 200
                    assert "script-src 'self'" in r.headers.get("content-security-policy", "")
                    assert "Secure" in r.headers.get("set-cookie", "")  # qcdc_route over HTTPS
                    break
            except (urllib.error.URLError, ConnectionError):
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(10)


def test_metrics_are_not_served_and_pages_carry_the_policy(behind_nginx):
    url, app = behind_nginx["url"], behind_nginx["server"].url
    assert _get(app + "/_stcore/metrics")[0] == 200  # Streamlit would tell anyone
    for path in ("/_stcore/metrics", "/_stcore/metrics?x=1"):
        status, _h, body = _get(url + path)
        assert status == 404 and b"session" not in body, path
    for path in ("/survey?xa=07201", "/dang-nhap", "/tong-quan", "/_stcore/health"):
        status, headers, _ = _get(url + path)
        assert status == 200, path
        csp = headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
        assert "img-src 'self' data: blob:" in csp, path
        scripts = re.search(r"script-src ([^;]*)", csp).group(1).split()
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, path
        assert headers.get("x-content-type-options") == "nosniff", path


def test_the_access_log_keeps_no_query_string_nor_upload_path(behind_nginx):
    url, log = behind_nginx["url"], behind_nginx["site_log"]
    secret_sid = "5e55104d-aaaa-bbbb-cccc-0123456789ab"
    _get(url + "/survey?xa=07201&token=hush-hush-1234")
    _get(url + f"/_stcore/upload_file/{secret_sid}/file-77", method="PUT")
    _get(url + "/_stcore/health?probe=hush-hush-1234")
    deadline = time.monotonic() + 10
    while "upload_file" not in (text := log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert '"GET /survey"' in text and '"PUT /_stcore/upload_file/-"' in text, text[-2000:]
    assert "hush-hush" not in text and secret_sid not in text and "xa=07201" not in text


def _violations(page) -> list[dict]:
    out = []
    for frame in page.frames:
        try:
            out += frame.evaluate("() => window.__csp || []")
        except Exception:  # noqa: BLE001 - a frame that went away
            pass
    return out


def _context(browser, **kwargs):
    ctx = browser.new_context(locale="vi-VN", **kwargs)
    ctx.add_init_script(CSP_PROBE)  # in every frame, before the page's own scripts
    console: list[str] = []
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text
            else None)
    return ctx, page, console


def test_survey_sign_in_and_charts_work_under_the_policy(behind_nginx, browser):
    url = behind_nginx["url"]
    ctx, page, console = _context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    try:  # a citizen's survey on a phone
        page.goto(url + "/survey?xa=07201")
        page.get_by_role("button", name="Gửi phiếu").wait_for()
        wait_idle(page)
        # the page's own scripts run under the policy: the browser keeps the sheet's token
        # (app/ui/survey/browser_memory.py), and a tap with questions left scrolls to them
        deadline = time.monotonic() + 10
        while {"qcdc_b", "qcdc_t_svy1_07201"} - {c["name"] for c in ctx.cookies()}:
            assert time.monotonic() < deadline, ctx.cookies()
            page.wait_for_timeout(200)
        page.get_by_role("button", name="Gửi phiếu").click()
        page.locator("[data-qcdc-err]").first.wait_for()
        wait_idle(page)
        page.wait_for_function("() => document.querySelector('[data-qcdc-err]')"
                               ".getBoundingClientRect().top < window.innerHeight")
        assert _violations(page) == [] and console == [], (_violations(page), console)
    finally:
        ctx.close()
    ctx, page, console = _context(browser, viewport={"width": 1366, "height": 900})
    try:  # staff: sign in (the cookie is written by a component in a frame), then charts
        page.goto(url + "/dang-nhap")
        page.get_by_label("Tên đăng nhập").fill("demo.tinh")
        page.get_by_label("Mật khẩu").fill("Demo@2024")
        # while the user types, the page fetches the start page's chunks (app/ui/core/preload.py)
        # from the site itself (the page's folder: static/js-<hash> in the bundled copy),
        # allowed by the policy: the charts' among them
        page.wait_for_function("""() => document.querySelector('link[data-qcdc-chunk]') &&
            performance.getEntriesByType('resource').some(e =>
                /\\/static\\/js[\\w-]*\\/embed\\.[\\w-]+\\.js$/.test(e.name) && e.responseEnd > 0)""")
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_text("Đăng xuất").wait_for()
        deadline = time.monotonic() + 20
        while not any(c["name"] == "qcdc_auth" for c in ctx.cookies()):
            assert time.monotonic() < deadline, "the sign-in cookie was never written"
            page.wait_for_timeout(200)
        page.goto(url + "/tong-quan")
        page.locator('[data-testid="stVegaLiteChart"] canvas, '
                     '[data-testid="stVegaLiteChart"] svg').first.wait_for()
        wait_idle(page)
        page.goto(url + "/ban-do")  # the map: Vega-Lite shapes drawn in the browser
        page.locator('[data-testid="stVegaLiteChart"] canvas, '
                     '[data-testid="stVegaLiteChart"] svg').first.wait_for()
        wait_idle(page)
        assert "Đăng xuất" in page.inner_text("body")  # still signed in after a reload
        assert _violations(page) == [] and console == [], (_violations(page), console)

        # an attacker's script or image from another origin is refused by the browser
        page.evaluate("""() => {
            const img = document.createElement('img');
            img.src = 'http://evil.example/pixel.png';
            document.body.append(img);
            const s = document.createElement('script');
            s.src = 'http://evil.example/steal.js';
            document.head.append(s);
        }""")
        page.wait_for_function("() => window.__csp.length >= 2")
        blocked = {(v["directive"], v["blocked"]) for v in _violations(page)}
        assert ("img-src", "http://evil.example/pixel.png") in blocked, blocked
        assert any(d.startswith("script-src") and "evil.example" in b for d, b in blocked)
    finally:
        ctx.close()


def test_the_cookie_controls_are_documented():
    """The sign-in cookie is written by streamlit-authenticator's component from the browser,
    so it cannot be HttpOnly: the README says so, and what limits the damage."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"readable by (the page's )?scripts", readme)
    assert "Content-Security-Policy" in readme


def _submit_survey_with(url: str, answer: str) -> dict:
    """A citizen's submit over the websocket protocol, every free-text answer `answer`."""
    import asyncio
    import random
    import threading
    sys.path.insert(0, str(ROOT / "bench"))
    from st_protocol import StreamlitSession, random_widget_state
    from survey_load import pick_one_checkbox_per_group

    async def run() -> dict:
        s = StreamlitSession(url, page="survey", query_string="xa=07201")
        await s.connect()
        try:
            assert await s.load(60)
            form = s.find_form()
            rng = random.Random(13)
            values = {w.id: random_widget_state(w, rng) for w in form.inputs}
            values = {k: v for k, v in values.items() if v is not None}
            pick_one_checkbox_per_group(form.inputs, values, rng)
            for w in form.inputs:
                if w.kind == "text_area":
                    values[w.id].string_value = answer
            n = len(s.runs)
            try:
                t0 = await s.submit_form(form, values)
            except Exception as exc:  # noqa: BLE001 - the server closed while it was sent
                return {"closed": f"{type(exc).__name__}: {exc}", "thanks": False}
            await s.wait_for(lambda: s.closed_reason is not None
                             or (s.last_run_done(n) and not s.script_running), 60)
            return {"closed": s.closed_reason, "thanks": s.text_since(t0, "Cảm ơn") is not None}
        finally:
            await s.close()
    box: dict = {}

    def target() -> None:
        try:
            box["out"] = asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            box["exc"] = exc
    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if "exc" in box:
        raise box["exc"]
    return box["out"]


def test_an_oversized_answer_is_capped_or_refused_before_the_session_keeps_it(behind_nginx):
    """Each free-text answer is capped at its questionnaire's length (max_length, 1 000 here):
    the form passes it to Streamlit, which cuts a longer value on the server too. A message
    larger than the server accepts (server.maxWidgetStateSize, 1 MB) closes the connection
    before anything is kept, and nothing is stored."""
    import json

    from sqlalchemy import create_engine, text
    engine = create_engine(behind_nginx["server"].database_url())

    def answers() -> list[dict]:
        with engine.connect() as c:
            return [json.loads(a) for (a,) in c.execute(text("SELECT answers FROM response"))]
    before = len(answers())
    long = _submit_survey_with(behind_nginx["url"], "Ý kiến rất dài. " * 1500)  # 24 000
    assert long["thanks"] and long["closed"] is None, long
    stored = answers()
    assert len(stored) == before + 1
    texts = [v for v in stored[-1].values() if isinstance(v, str) and v.startswith("Ý kiến")]
    assert texts and all(len(v) <= 1000 for v in texts), [len(v) for v in texts]
    for size_mb in (2, 9):  # above the message limit, and the 9 MB
        huge = _submit_survey_with(behind_nginx["url"], "x" * (size_mb * 1024 * 1024))
        assert huge["closed"] and not huge["thanks"], huge  # the server hung up
    assert "exceeds the limit of 1000000 bytes; closing connection" in \
        behind_nginx["server"].log()  # server.maxWidgetStateSize (.streamlit/config.toml)
    assert len(answers()) == before + 1
    engine.dispose()
