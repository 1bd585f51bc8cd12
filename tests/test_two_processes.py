"""Two app processes behind the shipped nginx configuration, on one PostgreSQL database.

Starts two real `streamlit run` processes (DATABASE_URL = a fresh PostgreSQL database), renders
deploy/nginx/qcdc.conf.template for them and runs Debian's nginx in the foreground on loopback.
Citizens answer through nginx with Streamlit's websocket protocol (bench/st_protocol.py), each
browser with its own sticky "qcdc_route" cookie; some lose the connection mid-form and reconnect.
Both processes must serve citizens, reconnects must come back to their own session (sticky),
and every confirmed answer must be in the database exactly once.
"""
from __future__ import annotations

import asyncio
import random
import re
import sys
import time
from collections import Counter

import pytest

from tests.browser.conftest import prepare_static_copy, start_nginx, start_server, stop_server
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))


async def _citizen(url: str, code: str, route: str, reconnect: bool, seed: int) -> dict:
    from st_protocol import StreamlitSession, random_widget_state
    from survey_load import COMMENTS, pick_one_checkbox_per_group
    rng = random.Random(seed)
    s = StreamlitSession(url, page="survey", query_string=f"xa={code}",
                         headers={"Cookie": f"qcdc_route={route}"})
    await s.connect()
    try:
        assert await s.load(60), "page did not load"
        form = s.find_form()
        assert form is not None, "no form"
        values = {}
        for w in form.inputs:
            ws = random_widget_state(w, rng, texts=COMMENTS)
            if ws is not None:
                values[w.id] = ws
        pick_one_checkbox_per_group(form.inputs, values, rng)
        if reconnect:  # the phone loses coverage; the browser reconnects with its session id
            await s.reconnect()
            await asyncio.sleep(0.2)
        t0 = await s.submit_form(form, values)
        ok = await s.wait_for(lambda: s.text_since(t0, "Cảm ơn") is not None, 60)
        return {"confirmed": ok, "sessions": len(set(s.session_ids)), "route": route}
    finally:
        await s.close()


async def _all(url: str, n: int) -> list[dict]:
    codes = ["07201", "07204", "07207", "07210", "07213", "07216"]
    return await asyncio.gather(*[
        _citizen(url, codes[i % len(codes)], f"citizen-{i:03d}-{random.random()}", i % 3 == 0, i)
        for i in range(n)])


def _in_fresh_thread(fn):
    """Run `fn` in a new thread: no event loop is running there, even when this one has one
    (Playwright's sync API leaves one in the pytest process)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


@pytest.mark.postgres
def _closed_streams_logged(path, at_least: int, timeout_s: float = 15.0) -> str:
    """The access log once nginx has logged the websockets (it logs one when it closes): at
    least one per browser, and no new one for 0.5 s."""
    deadline = time.monotonic() + timeout_s
    seen, stable_since = -1, time.monotonic()
    while True:
        log = path.read_text()
        n = sum("/_stcore/stream" in line for line in log.splitlines())
        if n != seen:
            seen, stable_since = n, time.monotonic()
        elif n >= at_least and time.monotonic() - stable_since >= 0.5:
            return log
        if time.monotonic() > deadline:
            return log
        time.sleep(0.05)


def test_two_processes_behind_nginx_store_every_answer_once(pg_module_db, tmp_path):
    from sqlalchemy import create_engine, text
    env = {"DATABASE_URL": pg_module_db, "QCDC_DEMO": "0",
           "QCDC_COOKIE_KEY": "two-process-test-cookie-key-" + "y" * 40,
           "STREAMLIT_SERVER_COOKIE_SECRET": "two-process-test-secret-" + "x" * 40}
    engine = create_engine(pg_module_db)
    with engine.connect() as c:
        before = c.execute(text("SELECT count(*) FROM response")).scalar_one()
    servers, nginx = [], None
    try:
        for k in range(2):
            d = tmp_path / f"app{k}"
            d.mkdir()
            servers.append(start_server(d, env_extra=env))
        ports = [int(s.url.rsplit(":", 1)[1]) for s in servers]
        static = tmp_path / "static"
        prepare_static_copy(static)  # the lightened bundle nginx serves (deploy/prepare_static.py)
        nginx, url = start_nginx(ports, tmp_path / "nginx", static)
        results = _in_fresh_thread(lambda: asyncio.run(_all(url, 24)))
        log = _closed_streams_logged(tmp_path / "nginx" / "logs" / "access.log", len(results))
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        for s in servers:
            stop_server(s)
    assert all(r["confirmed"] for r in results), results
    # reconnects came back to their own session: the same process served them
    assert all(r["sessions"] == 1 for r in results)
    streams = [line.split() for line in log.splitlines() if "/_stcore/stream" in line]
    by_backend = Counter(fields[0] for fields in streams)
    assert set(by_backend) == {f"127.0.0.1:{p}" for p in ports}, by_backend  # both were used
    by_route: dict[str, set] = {}
    for fields in streams:
        by_route.setdefault(fields[-1], set()).add(fields[0])
    assert all(len(b) == 1 for b in by_route.values())  # each browser stuck to one process
    with engine.connect() as c:
        after = c.execute(text("SELECT count(*) FROM response")).scalar_one()
        dup = c.execute(text("SELECT count(*) FROM (SELECT submission_token FROM response "
                             "GROUP BY submission_token HAVING count(*) > 1) d")).scalar_one()
    engine.dispose()
    assert after - before == len(results) and dup == 0
    assert re.search(r"127\.0\.0\.1:\d+ 101 ", log)  # websocket upgrades went through nginx
