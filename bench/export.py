#!/usr/bin/env python
"""Benchmark: the results exports (Excel workbook and PDF report) of a campaign with 100 000
answers, for the whole province, with their peak memory.

Seeds a temporary SQLite database the way ``bench/dashboard.py`` does (migrated, the 209
communes, the PKS 03 questionnaire, one open campaign, synthetic answers written in bulk with
their running tallies and daily reports), then builds each export in a fresh child process, so
that each one's peak memory is its own: ``app.monitoring.exports.build_xlsx`` and
``build_pdf`` with the province scope, exactly as the results page calls them (progress
callback included). Each export is built ``--repeat`` times, alternately; the figure is the best
run (the least disturbed by other work on the machine), the median is printed alongside.

    python bench/export.py [--answers 100000] [--repeat 3] [--keep DIR] [--kinds xlsx,pdf]

The last line printed is one JSON object:
``{"bench": "export", "answers": n, "seconds": {"xlsx_100000": t, "pdf_100000": t},
"cpu_seconds": {...}, "peak_rss_mb": {...}, "rss_growth_mb": {...}, "bytes": {...}, "load_average": [...]}``;
``peak_rss_mb`` is the child's peak resident memory, ``rss_growth_mb`` that minus its memory
just before the export started (imports, engine and caches warm).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def log(msg: str) -> None:
    print(msg, flush=True)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def seed_database(work: Path, answers: int) -> int:
    """A database with `answers` responses; returns the campaign id."""
    import dashboard as dash  # bench/dashboard.py: the same synthetic campaign
    cid, qid = dash.setup(work)
    from app.core.campaigns import campaign_days, load_definition
    from app.core.reference import geography
    from app.monitoring.scoring import load_campaign
    defn = load_definition(qid)
    days = campaign_days(load_campaign(cid))[:2]
    communes = [c.code for c in geography().communes]
    t0 = time.perf_counter()
    pool = dash.make_pool(defn, random.Random(7))
    counts: dict = {}
    db_path = work / "qcdc.db"
    dash.seed(db_path, cid, qid, communes, days, 0, answers, pool, counts, random.Random(2024))
    _plant_formula_text(db_path, defn)
    dash.build_tallies(db_path, cid, qid, pool, counts, days, communes)
    log(f"{answers:,} responses seeded in {time.perf_counter() - t0:.1f} s")
    from db.engine import dispose_engines
    dispose_engines()
    return cid


def _plant_formula_text(db_path: Path, defn) -> None:
    """Every 97th sheet carries free text that looks like a formula, so the benchmark pays the
    formula-safety path too (the pool's sheets have little free text)."""
    import sqlite3
    text_q = next((q for q in defn.all_questions if q.type == "text"), None)
    if text_q is None:
        return
    con = sqlite3.connect(db_path)
    rows = con.execute("SELECT id, answers FROM response WHERE id % 97 = 0").fetchall()
    for rid, a in rows:
        d = json.loads(a)
        d[text_q.id] = '=HYPERLINK("http://x.example","bấm vào đây") – ý kiến số ' + str(rid)
        con.execute("UPDATE response SET answers = ? WHERE id = ?",
                    (json.dumps(d, ensure_ascii=False, sort_keys=True), rid))
    con.commit()
    con.close()


def child(kind: str, data_dir: str, cid: int) -> None:
    """One export in this process: prints one JSON line with seconds, bytes and memory."""
    os.environ["QCDC_DATA_DIR"] = data_dir
    os.environ["QCDC_DEMO"] = "0"
    os.environ.pop("DATABASE_URL", None)
    from app.core.auth import Scope
    from app.monitoring import exports
    from app.monitoring.stats import overview
    scope = Scope("bench", "bench", "province")
    overview(scope, cid)  # engine, definitions, reference data warm
    before = rss_mb()
    steps: list[float] = []

    def progress(frac: float, _msg: str) -> None:
        steps.append(frac)
    t0, c0 = time.perf_counter(), time.process_time()
    if kind == "xlsx":
        data, _name = exports.build_xlsx(scope, cid, progress=progress)
    else:
        data, _name = exports.build_pdf(scope, cid, progress=progress)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"kind": kind, "seconds": seconds, "cpu_seconds": cpu, "bytes": len(data),
                      "peak_rss_mb": round(peak, 1), "rss_before_mb": round(before, 1),
                      "progress_steps": len(steps)}), flush=True)


def run_child(kind: str, data_dir: Path, cid: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--data-dir", str(data_dir),
                          "--campaign", str(cid)], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"export {kind} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--answers", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--kinds", default="xlsx,pdf")
    ap.add_argument("--keep", help="keep (and reuse) the database in this folder")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--campaign", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.data_dir, args.campaign)
        return
    kinds = [k for k in args.kinds.split(",") if k]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="qcdc-export-"))
    marker = work / "campaign.txt"
    try:
        if args.keep and marker.exists() and marker.read_text().split()[1] == str(args.answers):
            cid = int(marker.read_text().split()[0])
            log(f"reusing the database in {work}")
        else:
            if work.exists():
                shutil.rmtree(work)
            work.mkdir(parents=True)
            os.environ["QCDC_DATA_DIR"] = str(work)
            cid = seed_database(work, args.answers)
            marker.write_text(f"{cid} {args.answers}")
        runs: dict[str, list[dict]] = {k: [] for k in kinds}
        for i in range(args.repeat):
            for kind in kinds:
                r = run_child(kind, work, cid)
                runs[kind].append(r)
                log(f"  round {i + 1} {kind}: {r['seconds']:.2f} s ({r['cpu_seconds']:.2f} s CPU), "
                    f"{r['bytes'] / 2 ** 20:.1f} MiB, "
                    f"peak RSS {r['peak_rss_mb']:.0f} MB (before {r['rss_before_mb']:.0f} MB)")
        seconds, cpu, peak, growth, size = {}, {}, {}, {}, {}
        for kind in kinds:
            times = [r["seconds"] for r in runs[kind]]
            name = f"{kind}_{args.answers}"
            seconds[name] = round(min(times), 2)
            cpu[name] = round(min(r["cpu_seconds"] for r in runs[kind]), 2)
            peak[name] = max(r["peak_rss_mb"] for r in runs[kind])
            growth[name] = round(max(r["peak_rss_mb"] - r["rss_before_mb"] for r in runs[kind]), 1)
            size[name] = runs[kind][-1]["bytes"]
            log(f"{name}: best {min(times):.2f} s, median {statistics.median(times):.2f} s")
        print(json.dumps({"bench": "export", "answers": args.answers, "seconds": seconds,
                          "cpu_seconds": cpu, "peak_rss_mb": peak, "rss_growth_mb": growth, "bytes": size,
                          "load_average": [round(x, 2) for x in os.getloadavg()]}), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
