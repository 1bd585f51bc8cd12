"""The read API behind the shipped nginx configuration (deploy/nginx/qcdc.conf.template), two
app processes on one SQLite database: /api/ reaches the app (JSON, not the page), gzip and
ETag pass through, no route cookie is set, and every request of one token goes to one process
(where its rate limit is kept)."""
from __future__ import annotations

import gzip
import json
import time
import urllib.error
import urllib.request
from collections import defaultdict

import pytest

from tests.api.helpers import ADMIN
from tests.browser.conftest import prepare_static_copy, start_nginx, start_server, stop_nginx, stop_server
from tests.conftest import _fresh_copy, _reset_process_caches, _use_dir


def _get(url: str, token: str | None = None, headers: dict | None = None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=h), timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def behind_nginx(_templates, tmp_path_factory):
    base = tmp_path_factory.mktemp("api_nginx")
    data_dir = _fresh_copy(_templates["demo"], base / "data", True)
    _reset_process_caches()
    servers, nginx = [], None
    try:
        for _ in range(2):
            servers.append(start_server(data_dir))
        ports = [int(s.url.rsplit(":", 1)[1]) for s in servers]
        static = base / "static"
        prepare_static_copy(static)
        nginx, url = start_nginx(ports, base / "nginx", static)
        yield url, data_dir, base / "nginx" / "logs" / "access.log", ports
    finally:
        if nginx is not None:
            stop_nginx(nginx)
        for s in servers:
            stop_server(s)
        _reset_process_caches()


def _issue(data_dir, name: str) -> str:
    from app.admin.api_tokens import create_token
    _use_dir(data_dir, True)
    try:
        return create_token(ADMIN, name, "province")[1]
    finally:
        _reset_process_caches()


def test_the_api_through_nginx(behind_nginx):
    url, data_dir, _log, _ports = behind_nginx
    token = _issue(data_dir, "Qua nginx")
    status, h, body = _get(url + "/api/v1/campaigns/active/communes", token,
                           {"Accept-Encoding": "gzip"})
    assert status == 200 and h["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(body))["data"]) == 209
    assert h.get("Set-Cookie") is None                     # no route cookie for API clients
    etag = h["ETag"]
    status, h, body = _get(url + "/api/v1/campaigns/active/communes", token,
                           {"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert status == 304 and body == b""
    status, h, body = _get(url + "/api/v1/openapi.json")
    assert status == 200 and json.loads(body)["openapi"].startswith("3.1")
    for path in ("/api/v1/nothing", "/api/"):
        status, h, body = _get(url + path, token)
        assert status == 404 and json.loads(body)["error"]["code"] == "not_found", path
    status, h, body = _get(url + "/api/v1/campaigns")
    assert status == 401 and h["WWW-Authenticate"].startswith("Bearer")
    status, h, body = _get(url + "/survey?xa=07201")       # the page is still the page
    assert status == 200 and h["Content-Type"].startswith("text/html")


def _logged(log_path, skip: int, count: int, timeout_s: float = 15.0) -> list[list[str]]:
    deadline = time.monotonic() + timeout_s
    while True:
        lines = [line.split() for line in log_path.read_text().splitlines()[skip:]
                 if "/api/v1/campaigns" in line]
        if len(lines) >= count or time.monotonic() > deadline:
            assert len(lines) == count, lines
            return lines
        time.sleep(0.05)


def test_each_token_sticks_to_one_process(behind_nginx):
    url, data_dir, log_path, ports = behind_nginx
    before = len(log_path.read_text().splitlines()) if log_path.exists() else 0
    tokens = []
    upstreams_seen: set[str] = set()
    per_token: dict[int, set[str]] = defaultdict(set)
    for i in range(30):  # until two tokens went to different processes (2^-29 to fail)
        token = _issue(data_dir, f"Token {i}")
        tokens.append(token)
        for _ in range(3):
            assert _get(url + "/api/v1/campaigns", token)[0] == 200
        # one request at a time, so the log is in their order; nginx writes a request's line
        # after its answer has gone out: wait for the lines
        lines = _logged(log_path, before, 3 * len(tokens))
        per_token[i] = {fields[0] for fields in lines[-3:]}
        upstreams_seen |= per_token[i]
        if len(upstreams_seen) == 2:
            break
    assert all(len(u) == 1 for u in per_token.values()), per_token
    assert upstreams_seen == {f"127.0.0.1:{p}" for p in ports}
