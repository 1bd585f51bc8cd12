"""The read API on a real `streamlit run streamlit_app.py` (the README's command), beside the
app: the same server answers /api/v1/ and still serves the pages, the websocket and the
survey. Over real HTTP: gzip, ETag/304, 429 with Retry-After, JSON errors, revocation at once,
uses written when the server stops; and citizens answering while a client pages the answers."""
from __future__ import annotations

import gzip
import json
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.api.helpers import ADMIN
from tests.browser.conftest import start_server, stop_server
from tests.conftest import ROOT, _fresh_copy, _reset_process_caches, _use_dir

sys.path.insert(0, str(ROOT / "bench"))

RATE = 600  # requests a minute per token on this server: bursts of 100


def _get(url: str, token: str | None = None, headers: dict | None = None,
         method: str = "GET") -> tuple[int, dict, bytes]:
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def _json(body: bytes, headers: dict):
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return json.loads(body)


@pytest.fixture(scope="module")
def api_server(_templates, tmp_path_factory):
    from app.admin.api_tokens import create_token
    data_dir = _fresh_copy(_templates["demo"], tmp_path_factory.mktemp("api"), True)
    tokens = {name: create_token(ADMIN, f"Thử {name}", role, district_code=d)[1]
              for name, role, d in (("tinh", "province", None), ("huyen", "district", "213"),
                                    ("limit", "province", None), ("revoke", "province", None),
                                    ("paging", "province", None))}
    _reset_process_caches()
    server = start_server(data_dir, env_extra={"QCDC_API_RATE_PER_MIN": str(RATE),
                                               "QCDC_SURVEY_MAX_WAIT": "120"})
    server.tokens = tokens
    yield server
    stop_server(server)
    _reset_process_caches()


def test_the_api_is_served_beside_the_app(api_server):
    url = api_server.url
    status, _h, body = _get(url + "/_stcore/health")
    assert status == 200
    for page in ("/survey?xa=07201", "/khoa-api", "/"):
        status, h, body = _get(url + page)
        assert status == 200 and h["content-type"].startswith("text/html"), page
    status, h, body = _get(url + "/api/v1/openapi.json")
    assert status == 200 and json.loads(body)["openapi"].startswith("3.1")
    status, h, body = _get(url + "/api/v1/campaigns")
    assert status == 401 and h["www-authenticate"].startswith("Bearer")
    assert json.loads(body)["error"]["code"] == "token_missing"
    token = api_server.tokens["tinh"]
    status, h, body = _get(url + "/api/v1/campaigns", token)
    assert status == 200 and json.loads(body)["data"][0]["is_active"] is True
    status, h, body = _get(url + "/api/v1/campaigns", token, method="HEAD")
    assert status == 200 and body == b"" and h["etag"].startswith('W/"')
    for path, method, code in (("/api/v1/nothing", "GET", "not_found"),
                               ("/api/v2/campaigns", "GET", "not_found"),
                               ("/api/v1/campaigns", "POST", "method_not_allowed"),
                               ("/api/v1/campaigns/active/responses", "DELETE",
                                "method_not_allowed")):
        status, h, body = _get(url + path, token, method=method)
        assert h["content-type"].startswith("application/json"), path
        assert json.loads(body)["error"]["code"] == code


def test_gzip_and_etag_over_http(api_server):
    url = api_server.url + "/api/v1/campaigns/active/communes"
    token = api_server.tokens["tinh"]
    status, h, body = _get(url, token, {"Accept-Encoding": "gzip"})
    assert status == 200 and h["content-encoding"] == "gzip"
    data = _json(body, h)
    assert len(data["data"]) == 209 and len(body) < len(json.dumps(data)) / 3
    assert h["vary"] == "Authorization, Accept-Encoding"
    plain_status, plain_h, plain = _get(url, token)
    assert plain_status == 200 and "content-encoding" not in plain_h
    assert json.loads(plain) == data and plain_h["etag"] == h["etag"]
    assert [v.strip() for v in plain_h["vary"].split(",")].count("Accept-Encoding") == 1
    status, h304, body = _get(url, token, {"If-None-Match": h["etag"]})
    assert status == 304 and body == b"" and h304["etag"] == h["etag"]
    status, _h, body = _get(url + "?format=csv", token, {"If-None-Match": h["etag"]})
    assert status == 200 and body.startswith(b"\xef\xbb\xbf")  # another answer, another ETag


def test_a_revoked_token_is_refused_at_the_next_request(api_server):
    from app.admin.api_tokens import list_tokens, revoke_token
    url = api_server.url + "/api/v1/campaigns"
    token = api_server.tokens["revoke"]
    assert _get(url, token)[0] == 200
    _use_dir(api_server.data_dir, True)  # this process: the server's database
    try:
        row = next(r for r in list_tokens(ADMIN) if r.name == "Thử revoke")
        revoke_token(ADMIN, row.id)
    finally:
        _reset_process_caches()
    status, _h, body = _get(url, token)
    assert status == 401 and json.loads(body)["error"]["code"] == "token_revoked"


@pytest.mark.load
def test_citizens_answer_while_a_client_pages_every_response(api_server):
    """Twenty citizens answer (the load harness, over the websocket) while a client pages
    through every answer sheet with a district token and a province token: no citizen is
    turned away or lost, and the client gets every sheet once."""
    from survey_load import run_load
    db_file = api_server.data_dir / "qcdc.db"
    paged: dict[str, list[int]] = {"paging": []}
    problems: list[str] = []
    stop = threading.Event()

    def client() -> None:
        token = api_server.tokens["paging"]
        cursor = None
        while True:
            q = "limit=300" + (f"&cursor={cursor}" if cursor else "")
            status, h, body = _get(f"{api_server.url}/api/v1/campaigns/active/responses?{q}",
                                   token, {"Accept-Encoding": "gzip"})
            if status != 200:
                problems.append(f"{status} {body[:200]!r}")
                return
            page = _json(body, h)
            paged["paging"] += [r["id"] for r in page["data"]]
            cursor = page["next_cursor"]
            if not page["has_more"] and stop.is_set():
                return
            if not page["has_more"]:
                time.sleep(0.2)  # caught up: look again soon (well within the rate limit)
    thread = threading.Thread(target=client)
    thread.start()
    try:
        out = run_load(["--url", api_server.url, "--citizens", "20", "--within", "3",
                        "--timeout", "90", "--database-url", f"sqlite:///{db_file}",
                        "--server-pid", str(api_server.process.pid), "--quiet"])
    finally:
        stop.set()
        thread.join(120)
    assert not problems, problems
    assert out["errors"] == 0 and out["busy_messages"] == 0, out["error_kinds"]
    assert out["confirmed"] == out["stored"] == 20 and out["duplicates"] == 0
    with sqlite3.connect(db_file) as c:
        ids = [i for (i,) in c.execute(
            "SELECT r.id FROM response r JOIN campaign c ON c.id = r.campaign_id "
            "WHERE c.is_active ORDER BY r.id")]
    got = paged["paging"]
    assert len(got) == len(set(got)) and got == ids


def test_429_with_retry_after_and_uses_written_when_the_server_stops(_templates, tmp_path):
    """12 requests a minute: bursts of 2, one more every 5 s. Requests beyond get 429 with
    Retry-After and pass again after that long; another token is not held back. The uses
    (not the refusals) are in the database once the server has stopped."""
    from app.admin.api_tokens import create_token
    data_dir = _fresh_copy(_templates["demo"], tmp_path / "data", True)
    row, token = create_token(ADMIN, "Đếm lượt dùng", "province")
    _row2, other = create_token(ADMIN, "Khóa khác", "province")
    _reset_process_caches()
    server = start_server(data_dir, env_extra={"QCDC_API_RATE_PER_MIN": "12"})
    url = server.url + "/api/v1/campaigns"
    try:
        statuses = []
        while 429 not in statuses:
            status, h, body = _get(url, token)
            statuses.append(status)
            assert len(statuses) <= 10, statuses  # a request a second is far above 12/min
        assert statuses[:2] == [200, 200]
        retry = int(h["retry-after"])
        error = json.loads(body)["error"]
        assert 1 <= retry <= 5 and error["code"] == "rate_limited"
        assert "Retry-After" in error["message"] and "giây" in error["message_vi"]
        assert _get(url, other)[0] == 200                       # its own bucket
        t0 = time.monotonic()
        while (status := _get(url, token)[0]) == 429:
            statuses.append(status)
            assert time.monotonic() - t0 < 30, "the token never got through again"
            time.sleep(0.25)
        statuses.append(status)
        assert time.monotonic() - t0 >= retry - 1.0
        assert _get(url, "qcdc_zzzzzzzz_" + "A" * 43)[0] == 401
    finally:
        stop_server(server)
    # stopped by its SIGTERM after a graceful shutdown (uvicorn re-raises the signal once it has
    # shut down), not killed after stop_server's 10 s
    assert server.process.returncode in (0, -15), server.log()
    with sqlite3.connect(data_dir / "qcdc.db") as c:
        count, last = c.execute("SELECT use_count, last_used_at FROM api_token WHERE id = ?",
                                (row.id,)).fetchone()
    assert count == statuses.count(200) and last is not None


def test_the_entry_script_serves_the_api_only_when_started_by_streamlit_run():
    """The AST discovery of `streamlit run` needs the st.App assignment in streamlit_app.py;
    the app's own runs (``__main__``) never build a server."""
    import ast
    source = (ROOT / "streamlit_app.py").read_text(encoding="utf-8")
    from streamlit.web.server.app_discovery import discover_asgi_app
    found = discover_asgi_app(ROOT / "streamlit_app.py")
    assert found.is_asgi_app and found.import_string == "streamlit_app:server"
    tree = ast.parse(source)
    guard = next(n for n in tree.body if isinstance(n, ast.If))
    assert ast.unparse(guard.test) == "__name__ != '__main__'"


def test_the_paging_benchmark_reads_every_sheet_once(api_server):
    """bench/api_paging.py, the client of docs/PERFORMANCE.md, against this server."""
    import subprocess
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "api_paging.py"),
                          "--url", api_server.url, "--token", api_server.tokens["huyen"],
                          "--limit", "700", "--quiet"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    with sqlite3.connect(api_server.data_dir / "qcdc.db") as c:
        wanted = c.execute(
            "SELECT count(*) FROM response r JOIN campaign c ON c.id = r.campaign_id "
            "JOIN commune m ON m.code = r.commune_code "
            "WHERE c.is_active AND m.district_code = '213'").fetchone()[0]
    assert result["bench"] == "api_paging" and result["passes"] == 1
    assert result["responses"] == wanted > 0
    assert result["duplicates"] == result["gaps"] == result["errors"] == 0
