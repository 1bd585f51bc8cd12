#!/usr/bin/env python
"""Overload: far more citizens than the server can serve, then how fast it is back to normal.

    python bench/overload.py --url http://127.0.0.1:8501 --citizens 1500 --within 10 \\
        --server-pid PID

Runs bench/survey_load.py's citizens (same flags after ``--``, e.g. ``-- --timeout 90``) while
polling ``/_stcore/health`` every 0.5 s (max and p95 answer time, failures). From the end of
the arrivals on, one probe citizen every 2 s opens the survey and submits; the server counts as
back to normal from the first of three probes in a row served (form and thank-you) within
``--normal-s`` seconds each. Last line: one JSON object.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import survey_load  # noqa: E402
from st_protocol import assert_loopback_url  # noqa: E402


async def health_poller(url: str, stop: asyncio.Event, out: list) -> None:
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            status = await survey_load.http_get(url, "_stcore/health", 10)
        except Exception:
            status = 0
        out.append((t0, time.monotonic() - t0, status))
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except TimeoutError:
            pass


async def probe(url: str, timeout: float) -> tuple[bool, float]:
    args = survey_load.parse_args(["--url", url, "--citizens", "1", "--timeout", str(timeout),
                                   "--quiet"])
    import random
    t0 = time.monotonic()
    r = await survey_load.citizen(0, "07201", "", args, random.Random())
    return r.confirmed, time.monotonic() - t0


async def main_async(args, load_argv: list[str]) -> dict:
    load_args = survey_load.parse_args(["--url", args.url, "--citizens", str(args.citizens),
                                        "--within", str(args.within), "--quiet",
                                        *(["--server-pid", str(args.server_pid)]
                                          if args.server_pid else []), *load_argv])
    stop = asyncio.Event()
    health: list = []
    poller = asyncio.create_task(health_poller(args.url, stop, health))
    t_start = time.monotonic()
    load_task = asyncio.create_task(survey_load.run(load_args))
    await asyncio.sleep(args.within)
    t_end_arrivals = time.monotonic()
    probes, recovered_at, streak = [], None, 0
    while time.monotonic() - t_end_arrivals < args.watch_s and recovered_at is None:
        ok, took = await probe(args.url, max(args.normal_s * 4, 10))
        probes.append((round(time.monotonic() - t_end_arrivals, 1), ok, round(took, 2)))
        if ok and took <= args.normal_s:
            streak += 1
            if streak == 3:
                recovered_at = probes[-3][0] - probes[-3][2]
        else:
            streak = 0
        await asyncio.sleep(2)
    result = await load_task
    stop.set()
    await poller
    times = sorted(h[1] for h in health)
    return {
        "citizens": args.citizens, "within_s": args.within,
        "confirmed": result["confirmed"], "stored": result["stored"],
        # the probes' own rows land in the same table: count true duplicates by token
        "duplicate_tokens": result["duplicate_tokens"], "lost": result["lost"],
        "probe_rows": sum(1 for p in probes if p[1]),
        "busy_messages": result["busy_messages"], "errors": result["errors"],
        "error_kinds": result["error_kinds"], "p95_s": result["p95_s"],
        "page_load_p95_s": result["page_load_p95_s"],
        "health_checks": len(health), "health_failures": sum(1 for h in health if h[2] != 200),
        "health_max_s": round(times[-1], 3) if times else None,
        "health_p95_s": round(survey_load.percentile(times, 0.95), 3) if times else None,
        "recovered_after_s": None if recovered_at is None else max(0.0, round(recovered_at, 1)),
        "probes": probes, "server_peak_rss_mb": result["server_peak_rss_mb"],
        "elapsed_s": round(time.monotonic() - t_start, 1),
    }


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    load_argv = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--citizens", type=int, default=1500)
    p.add_argument("--within", type=float, default=10.0)
    p.add_argument("--server-pid", type=int, default=None)
    p.add_argument("--normal-s", type=float, default=2.0,
                   help="a probe citizen served within this many seconds counts as normal")
    p.add_argument("--watch-s", type=float, default=120.0)
    args = p.parse_args(own)
    assert_loopback_url(args.url)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(json.dumps(asyncio.run(main_async(args, load_argv)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
