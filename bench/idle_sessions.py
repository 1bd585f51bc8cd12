#!/usr/bin/env python
"""Memory of idle survey sessions: open N survey pages on a RUNNING server and keep them open.

    python bench/idle_sessions.py --url http://127.0.0.1:8501 --sessions 1000 --server-pid PID

Each session speaks Streamlit's websocket protocol (bench/st_protocol.py), loads
``/survey?xa=<code>`` (communes in turn) and then sits idle with its form, like a citizen reading
the questions. Opens ``--parallel`` at a time. Reads the server's resident memory (VmRSS of the
process and its children) before, once all are open (after ``--settle`` seconds), and after
closing them. Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from st_protocol import StreamlitSession, assert_loopback_url  # noqa: E402
from survey_load import COMMUNES_CSV, MemoryWatcher  # noqa: E402


def rss_mb(pid: int) -> float:
    w = MemoryWatcher(pid)
    return round(sum(w._status(p).get("VmRSS", 0) for p in w._tree()) / 1024, 1)


async def run(args) -> dict:
    with COMMUNES_CSV.open(encoding="utf-8") as f:
        codes = [r["commune_code"] for r in csv.DictReader(f)]
    before = rss_mb(args.server_pid)
    sem = asyncio.Semaphore(args.parallel)
    sessions: list[StreamlitSession] = []
    failed = 0

    async def open_one(i: int) -> None:
        nonlocal failed
        async with sem:
            s = StreamlitSession(args.url, page="survey", query_string=f"xa={codes[i % len(codes)]}",
                                 check_loopback=False)
            try:
                await s.connect()
                if await s.load(args.timeout) and s.find_form() is not None:
                    sessions.append(s)
                    return
            except Exception:
                pass
            failed += 1
            await s.close()
    t0 = time.monotonic()
    await asyncio.gather(*[open_one(i) for i in range(args.sessions)])
    opened_s = time.monotonic() - t0
    await asyncio.sleep(args.settle)
    during = rss_mb(args.server_pid)
    health_t0 = time.monotonic()
    from survey_load import http_get
    health = await http_get(args.url, "_stcore/health", 10)
    health_s = time.monotonic() - health_t0
    for s in sessions:
        s.elements.clear()  # free the client side early; the server keeps its sessions
    await asyncio.gather(*[s.close() for s in sessions])
    await asyncio.sleep(args.settle)
    after = rss_mb(args.server_pid)
    n = len(sessions)
    return {"sessions": n, "failed": failed, "open_s": round(opened_s, 1),
            "rss_before_mb": before, "rss_open_mb": during, "rss_after_close_mb": after,
            "per_session_kb": round((during - before) * 1024 / n, 1) if n else None,
            "health_status": health, "health_s": round(health_s, 3)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--sessions", type=int, default=1000)
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--parallel", type=int, default=40)
    p.add_argument("--settle", type=float, default=3.0)
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args(argv)
    assert_loopback_url(args.url)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(json.dumps(asyncio.run(run(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
