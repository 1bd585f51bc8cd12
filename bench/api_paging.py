#!/usr/bin/env python
"""Benchmark: a client of the read API pages through a campaign's answer sheets on a RUNNING
server, the way a statistician's notebook does: ``/api/v1/campaigns/<c>/responses`` page after
page by ``next_cursor``, gzip accepted, waiting ``Retry-After`` when told (429).

    python bench/api_paging.py --prepare /tmp/qcdc-api --responses 100000   # a data folder
    QCDC_DATA_DIR=/tmp/qcdc-api streamlit run streamlit_app.py --server.port 8501 &
    python bench/api_paging.py --url http://127.0.0.1:8501 --token qcdc_... [--duration 90]

``--prepare DIR`` copies nothing: it makes DIR a demo database (``app.cli init-db --demo``) whose
active campaign gets ``--responses`` more synthetic answer sheets in bulk (tallies rebuilt) and
issues a province token, printed on the last line. Paging (``--url``) reads every sheet once per
pass; ``--duration S`` starts again at the first page until S seconds have passed (to keep the
API busy for a whole run of bench/survey_load.py; it stops at the first page after S seconds).
Only loopback targets are allowed.

The last line printed is one JSON object: ``responses`` read, ``passes`` (complete ones),
``pages``, ``seconds``, ``responses_per_s``, ``page_p50_s``/``page_p95_s`` (request to last byte),
``mb_received`` (compressed), ``rate_limited`` (429 answers), ``duplicates`` and ``gaps`` within
a pass (both must be 0), ``errors``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] if lo == hi else s[lo] + (s[hi] - s[lo]) * (k - lo)


def prepare(data_dir: Path, n: int) -> str:
    """A demo database in `data_dir` with `n` more answer sheets; returns a province token."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, QCDC_DATA_DIR=str(data_dir), QCDC_DEMO="1")
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "app.cli", "init-db", "--demo"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    os.environ.update(QCDC_DATA_DIR=str(data_dir), QCDC_DEMO="1")
    from dashboard import make_pool, seed
    from sqlalchemy import text

    from app.core.auth import Scope
    from app.core.campaigns import active_campaign, campaign_days
    from app.core.reference import geography
    from app.survey.tally import rebuild_tallies
    from db.engine import session_scope
    active = active_campaign(max_age=0)
    cid, qid = active.campaign.id, active.questionnaire_id
    t0 = time.perf_counter()
    pool = make_pool(active.definition, random.Random(7))
    days = campaign_days(active.campaign)
    communes = [c.code for c in geography().communes]
    with session_scope() as s:
        start = s.execute(text("SELECT coalesce(max(id), 0) FROM response")).scalar_one()
    seed(data_dir / "qcdc.db", cid, qid, communes, days[:2], start, start + n, pool, {},
         random.Random(2024))
    with session_scope() as s:
        rebuild_tallies(s, cid)
    print(f"{n:,} answer sheets added in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    from app.admin.api_tokens import create_token
    _row, token = create_token(Scope("bench", "bench/api_paging.py", "admin"),
                               "bench/api_paging.py", "province", days=30)
    return token


def _get(url: str, token: str) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}",
                                               "Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def page_through(args: argparse.Namespace) -> dict:
    host = urllib.parse.urlsplit(args.url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("only loopback targets are allowed")
    base = f"{args.url.rstrip('/')}/api/v1/campaigns/{args.campaign}/responses"
    t0 = time.perf_counter()
    latencies: list[float] = []
    received = read = passes = limited = duplicates = gaps = errors = 0
    while True:
        cursor, seen, last_id = None, set(), 0
        while True:
            q = {"limit": str(args.limit)} | ({"cursor": cursor} if cursor else {})
            t = time.perf_counter()
            status, headers, body = _get(base + "?" + urllib.parse.urlencode(q), args.token)
            latencies.append(time.perf_counter() - t)
            received += len(body)
            if status == 429:
                limited += 1
                time.sleep(int(headers.get("retry-after", "1")))
                continue
            if status != 200:
                errors += 1
                print(f"HTTP {status}: {body[:200]!r}", file=sys.stderr)
                time.sleep(1)
                if errors > 20:
                    raise SystemExit("too many errors")
                continue
            if headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            page = json.loads(body)
            for r in page["data"]:
                duplicates += r["id"] in seen
                gaps += r["id"] <= last_id
                seen.add(r["id"])
                last_id = r["id"]
            read += len(page["data"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
            if args.duration and time.perf_counter() - t0 >= args.duration:
                break  # (time is up in the middle of a pass)
        complete = not page["has_more"]
        passes += complete
        if not args.quiet:
            print(f"pass {passes + (not complete)}: {len(seen):,} sheets, "
                  f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)
        if time.perf_counter() - t0 >= args.duration:
            break
    seconds = time.perf_counter() - t0
    return {"bench": "api_paging", "responses": read, "passes": passes,
            "pages": len(latencies), "seconds": round(seconds, 1),
            "responses_per_s": round(read / seconds, 1),
            "page_p50_s": round(percentile(latencies, 0.5), 3),
            "page_p95_s": round(percentile(latencies, 0.95), 3),
            "mb_received": round(received / 2 ** 20, 1), "rate_limited": limited,
            "duplicates": duplicates, "gaps": gaps, "errors": errors, "limit": args.limit}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="base URL of the running app, e.g. http://127.0.0.1:8501")
    p.add_argument("--token", help="a province token (python -m app.cli api-token create)")
    p.add_argument("--campaign", default="active")
    p.add_argument("--limit", type=int, default=2000, help="sheets per page (API maximum 2000)")
    p.add_argument("--duration", type=float, default=0.0,
                   help="keep paging (from the first page again) until this many seconds")
    p.add_argument("--prepare", type=Path, help="make this data folder instead of paging")
    p.add_argument("--responses", type=int, default=100_000, help="sheets added by --prepare")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.prepare:
        token = prepare(args.prepare, args.responses)
        print(json.dumps({"bench": "api_paging", "prepared": str(args.prepare),
                          "token": token}))
        return 0
    if not args.url or not args.token:
        p.error("--url and --token are needed (or --prepare DIR)")
    print(json.dumps(page_through(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
