#!/usr/bin/env python
"""First visit after a start: how long the first citizen waits once the server has started.

    python bench/first_visit.py                  # 3 rounds on a copy of the demo database
    python bench/first_visit.py --rounds 5 --db var/qcdc.db

Each round copies a database that already holds the demo data (``--db``; default: the one a
first start of the README's command makes, generated once into a temporary folder if
``var/qcdc.db`` is missing) into a new data folder, starts ``streamlit run streamlit_app.py``
on it (the README's command, on a free loopback port), and then:

* ``health_s``: from the process start until ``/_stcore/health`` answers (Python, Streamlit and
  the app's modules imported, the database checked);
* ``first_form_s``: the first citizen, arriving as soon as the server answers, opens
  ``/survey?xa=<code>`` over Streamlit's websocket the way the browser does (the two server
  checks, then the page): seconds until the survey form is complete (the run finished, the
  form with its submit button received). This is the issue's "first visit after a start";
* ``second_form_s``: the next citizen's form, for comparison (everything warm).

The last line is one JSON object:
``{"bench": "first_visit", "seconds": {"first_form_p50": .., "first_form_max": .., ...}, ...}``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_server import launch, wait_healthy  # noqa: E402
from st_protocol import StreamlitSession  # noqa: E402
from survey_load import http_get  # noqa: E402


async def visit(url: str, code: str, timeout: float) -> float:
    t0 = time.monotonic()
    for p in ("_stcore/health", "_stcore/host-config"):
        if await http_get(url, p, timeout) != 200:
            raise RuntimeError(f"{p} failed")
    s = StreamlitSession(url, page="survey", query_string=f"xa={code}", open_timeout=timeout)
    try:
        await s.connect()
        if not await s.load(timeout):
            raise RuntimeError("the page did not finish")
        form = s.find_form(None)
        if form is None or not form.submit_buttons:
            raise RuntimeError("no survey form")
        return time.monotonic() - t0
    finally:
        await s.close()


def seeded_db(work: Path, timeout: float) -> Path:
    """A database holding the demo data, as a first start of the README's command makes it."""
    data = work / "seed"
    data.mkdir()
    proc, url = launch(data)
    try:
        wait_healthy(proc, url, data, timeout, poll_s=0.02)
        asyncio.run(visit(url, "07201", timeout))  # the first session creates the demo data
    finally:
        proc.terminate()
        proc.wait(30)
    return data / "qcdc.db"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--db", help="a database with the demo data (default: var/qcdc.db)")
    p.add_argument("--code", default="07201", help="commune code in ?xa=")
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="qcdc-first-visit-"))
    try:
        db = Path(args.db) if args.db else ROOT / "var" / "qcdc.db"
        if not db.exists():
            db = seeded_db(work, args.timeout)
        rows = []
        for i in range(args.rounds):
            data = work / f"round{i}"
            data.mkdir()
            shutil.copy(db, data / "qcdc.db")
            keys = db.parent / "keys"
            if keys.is_dir():
                shutil.copytree(keys, data / "keys")
            load = os.getloadavg()[0]
            t_start = time.monotonic()
            proc, url = launch(data)
            try:
                t_health = wait_healthy(proc, url, data, args.timeout, poll_s=0.02)
                first = asyncio.run(visit(url, args.code, args.timeout))
                second = asyncio.run(visit(url, args.code, args.timeout))
            finally:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            row = {"health_s": round(t_health - t_start, 3), "first_form_s": round(first, 3),
                   "second_form_s": round(second, 3), "loadavg": round(load, 2)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    firsts = [r["first_form_s"] for r in rows]
    print(json.dumps({
        "bench": "first_visit",
        "seconds": {"first_form_p50": round(statistics.median(firsts), 3),
                    "first_form_max": round(max(firsts), 3),
                    "health_p50": round(statistics.median(r["health_s"] for r in rows), 3),
                    "second_form_p50": round(statistics.median(r["second_form_s"] for r in rows), 3)},
        "rounds": rows, "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }))


if __name__ == "__main__":
    main()
