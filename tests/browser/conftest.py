"""Real-browser fixtures: a real `streamlit run` server and Debian's Chromium via Playwright.

``live_server`` starts the app exactly as the README does (`streamlit run streamlit_app.py`) on a
free port, with its own data directory copied from the demo template database (demo mode on).
Browser tests never skip: if Chromium is missing they fail, so CI must install it.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("QCDC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    process: subprocess.Popen
    log_path: Path

    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'qcdc.db'}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, env_extra: dict | None = None, port: int | None = None) -> LiveServer:
    port = port or _free_port()
    env = dict(os.environ)
    # the active campaign is read from the database on every run, so a test that changes it
    # need not wait out the 5 s cache of production
    env.update({"QCDC_DATA_DIR": str(data_dir), "QCDC_DEMO": "1", "QCDC_CAMPAIGN_CACHE_S": "0"})
    env.pop("DATABASE_URL", None)
    for name, value in (env_extra or {}).items():  # None: not set for this server
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    log_path = data_dir / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 (the server process writes it until stopped)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("streamlit exited:\n" + log_path.read_text())
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return LiveServer(url, data_dir, proc, log_path)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not become healthy:\n" + log_path.read_text())


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def prepare_static_copy(out: Path) -> dict:
    """deploy/prepare_static.py into `out` (the lightened bundle the nginx template serves)."""
    sys.path.insert(0, str(ROOT / "deploy"))
    from prepare_static import prepare, streamlit_static_dir
    return prepare(streamlit_static_dir(), out)


def start_nginx(ports: list[int], prefix: Path, static_dir: Path,
                site_access_log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """The shipped nginx configuration (deploy/render_nginx.py --standalone) in front of the
    app processes on `ports`, in the foreground on a free loopback port; (process, base URL).
    The access log (prefix/logs/access.log) names the upstream that served each request;
    `site_access_log`: the site's own log in the shipped format instead."""
    sys.path.insert(0, str(ROOT / "deploy"))
    from render_nginx import render_site, render_standalone
    if not Path(NGINX).exists():
        pytest.fail("nginx not found: apt-get install nginx (.ci/run installs it)")
    port = _free_port()
    conf = prefix / "nginx.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    site = render_site(ports, listen=f"127.0.0.1:{port}", static_dir=static_dir,
                       access_log=str(site_access_log) if site_access_log else None)
    conf.write_text(render_standalone(site, prefix, access_log=True))
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("nginx exited: " + (prefix / "logs" / "error.log").read_text())
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("nginx did not answer")


def stop_nginx(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="module")
def live_server(_templates, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("live")
    shutil.copy(_templates["demo"] / "qcdc.db", data_dir / "qcdc.db")
    server = start_server(data_dir)
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def behind_nginx(_templates, tmp_path_factory):
    """One app process (demo data) behind the shipped nginx configuration, serving the
    lightened copy of the bundle (deploy/prepare_static.py); the site's access log in the
    shipped format is `site_log`. Shared by the modules that check the deployment."""
    base = tmp_path_factory.mktemp("nginx-site")
    data = base / "app"
    data.mkdir()
    shutil.copy(_templates["demo"] / "qcdc.db", data / "qcdc.db")
    info = prepare_static_copy(base / "static")
    server = start_server(data)
    nginx = None
    site_log = base / "nginx" / "logs" / "site.log"
    try:
        nginx, url = start_nginx([int(server.url.rsplit(":", 1)[1])], base / "nginx",
                                 base / "static", site_access_log=site_log)
        yield {"url": url, "server": server, "static": base / "static", "prepared": info,
               "site_log": site_log}
    finally:
        if nginx is not None:
            stop_nginx(nginx)
        stop_server(server)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def phone_page(browser):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    yield page
    ctx.close()


@pytest.fixture
def desktop_page(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    yield page
    ctx.close()


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script. The app's root element says so
    (``data-test-script-state``: "initial" before the first run, "running", then "notRunning";
    what Streamlit's own end-to-end tests wait for). The running indicator alone is not enough:
    it shows only after a delay, so on a loaded machine a page still being drawn looked idle
    (the survey test's radio clicks made then did not register: 1 run in 10 at load 10)."""
    page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=\"stApp\"]');"
        " return !!app && app.dataset.testScriptState === 'notRunning'"
        " && !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]'); }",
        timeout=timeout)
    page.wait_for_timeout(300)


def sign_in(page, server: LiveServer, username: str, password: str = "Demo@2024") -> None:
    page.goto(server.url + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng xuất").wait_for()
