#!/usr/bin/env python
"""Benchmark: the overview's data computation for the whole province at 1 000, 100 000 and
1 000 000 responses.

Seeds a temporary SQLite database (migrated, the 209 communes, the PKS 03 questionnaire, one open
campaign of 3 days around today) with synthetic responses written in bulk, and builds the
running tallies in bulk the way ``app.tally.rebuild_tallies`` would (checked against it at the
first size). Each size gets its own database. The timed call is
``app.stats.overview(province scope)``, the function behind the overview page and the map,
uncached, after one warm-up. The databases are timed in turn, ``--repeat`` rounds, so that every
size meets the same load from other processes; the figure is the best run of each size (as
``timeit`` advises: the least disturbed), the median is printed alongside.

    python bench/dashboard.py [--sizes 1000,100000,1000000] [--repeat 25] [--keep DIR]

The last line printed is one JSON object:
``{"bench": "dashboard", "seconds": {"1000": t, "100000": t, "1000000": t}}``.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POOL = 3000  # distinct synthetic answer sheets, reused (their tallies are known up front)


def log(msg: str) -> None:
    print(msg, flush=True)


def setup(data_dir: Path):
    os.environ["QCDC_DATA_DIR"] = str(data_dir)
    os.environ["QCDC_DEMO"] = "0"
    os.environ.pop("DATABASE_URL", None)
    from app.core import campaigns, clock
    from app.core.startup import ensure_schema
    from db.engine import session_scope
    from db.models import Campaign
    info = ensure_schema()
    today = clock.today()
    with session_scope() as s:
        c = Campaign(name="Khảo sát PKS 03 (benchmark)", year=today.year,
                     start_date=today - timedelta(days=1), end_date=today + timedelta(days=1),
                     roster_deadline=today - timedelta(days=3), report_cutoff="21:00",
                     questionnaire_id=info["questionnaire_id"], is_active=True,
                     created_at=clock.now())
        s.add(c)
        s.flush()
        cid = c.id
    campaigns.invalidate()
    return cid, info["questionnaire_id"]


def make_pool(defn, rng: random.Random):
    """POOL answer sheets with their JSON, scores, hash and tally items."""
    import numpy as np

    from app.core.demo import _answers_for
    from app.survey.questionnaire import answer_hash, score_answers, tally_items
    sheets = []
    keys: dict[tuple[str, str], int] = {}
    pillars = [p.id for p in defn.pillars] + ["overall"]
    for _ in range(POOL):
        answers = _answers_for(defn, rng, min(0.97, max(0.3, rng.gauss(0.72, 0.12))))
        scores = score_answers(defn, answers)
        items = tally_items(defn, answers)
        for it in items:
            keys.setdefault(it, len(keys))
        sheets.append((json.dumps(answers, ensure_ascii=False, sort_keys=True),
                       json.dumps({k: round(v, 3) for k, v in scores.items()}, sort_keys=True),
                       answer_hash(defn, answers), items, scores))
    opt = np.zeros((POOL, len(keys)), dtype=np.int64)
    has = np.zeros((POOL, len(pillars)), dtype=np.int64)
    val = np.zeros((POOL, len(pillars)), dtype=np.float64)
    for i, (_a, _s, _h, items, scores) in enumerate(sheets):
        for it in items:
            opt[i, keys[it]] += 1
        for j, p in enumerate(pillars):
            if p in scores:
                has[i, j] = 1
                val[i, j] = round(scores[p], 3)
    return sheets, keys, pillars, opt, has, val


def seed(db_path: Path, cid: int, qid: int, communes: list[str], days, start: int, stop: int,
         pool, counts, rng: random.Random) -> None:
    """Insert responses start..stop-1; `counts[(commune, day, hour)]` accumulates per pool row."""
    sheets = pool[0]
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA synchronous=OFF")
    batch = []
    sql = ("INSERT INTO response (campaign_id, commune_code, questionnaire_id, answers, scores, "
           "submitted_at, day, hour, submission_token, session_hash, device_hash, network_hash, "
           "answer_hash, duration_s, excluded, is_demo) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,0)")
    for n in range(start, stop):
        code = communes[rng.randrange(len(communes))]
        day = days[rng.randrange(len(days))]
        hour = rng.randint(7, 17)
        at = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))
        k = rng.randrange(POOL)
        a, s, h, _items, _scores = sheets[k]
        batch.append((cid, code, qid, a, s, at.isoformat(sep=" "), day.isoformat(), hour,
                      f"bench-{n:09d}", None, f"{n:032x}", None, h,
                      round(rng.uniform(60, 400), 1)))
        counts.setdefault((code, day, hour), {}).setdefault(k, 0)
        counts[(code, day, hour)][k] += 1
        if len(batch) >= 50_000:
            con.executemany(sql, batch)
            con.commit()
            batch.clear()
    if batch:
        con.executemany(sql, batch)
        con.commit()
    con.close()


def build_tallies(db_path: Path, cid: int, qid: int, pool, counts, days, communes) -> None:
    """Write the three tallies for everything seeded so far (bulk, replaces the old rows)."""
    import numpy as np
    _sheets, keys, pillars, opt, has, val = pool
    key_list = sorted(keys, key=keys.get)
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA synchronous=OFF")
    for table in ("commune_hour_tally", "option_tally", "score_tally"):
        con.execute(f"DELETE FROM {table} WHERE campaign_id = ?", (cid,))
    hour_rows = []
    per_commune: dict[str, np.ndarray] = {}
    for (code, day, hour), by_sheet in counts.items():
        hour_rows.append((cid, code, day.isoformat(), hour, sum(by_sheet.values()), 0))
        vec = per_commune.setdefault(code, np.zeros(POOL, dtype=np.int64))
        for k, c in by_sheet.items():
            vec[k] += c
    opt_rows, score_rows = [], []
    for code, vec in per_commune.items():
        totals = vec @ opt
        for j in np.nonzero(totals)[0]:
            q, v = key_list[j]
            opt_rows.append((cid, code, qid, q, v, int(totals[j])))
        n = vec @ has
        s1 = vec @ val
        s2 = vec @ (val * val)
        for j, p in enumerate(pillars):
            if n[j]:
                score_rows.append((cid, code, p, int(n[j]), float(s1[j]), float(s2[j])))
    con.executemany("INSERT INTO commune_hour_tally (campaign_id, commune_code, day, hour, n, "
                    "n_excluded) VALUES (?,?,?,?,?,?)", hour_rows)
    con.executemany("INSERT INTO option_tally (campaign_id, commune_code, questionnaire_id, "
                    "question_id, option_value, n) VALUES (?,?,?,?,?,?)", opt_rows)
    con.executemany("INSERT INTO score_tally (campaign_id, commune_code, pillar, n, total, "
                    "total_sq) VALUES (?,?,?,?,?,?)", score_rows)
    # daily reports: about one visit per 0.7 answers, one report per commune and day
    con.execute("DELETE FROM daily_report WHERE campaign_id = ?", (cid,))
    per_cd: dict[tuple[str, object], int] = {}
    for (code, day, _h), by_sheet in counts.items():
        per_cd[(code, day)] = per_cd.get((code, day), 0) + sum(by_sheet.values())
    con.executemany(
        "INSERT INTO daily_report (campaign_id, commune_code, day, visits, guided, "
        "helpers_on_duty, publicity, difficulties, proposals, is_demo) "
        "VALUES (?,?,?,?,0,2,'[]','','',0)",
        [(cid, code, day.isoformat(), int(n / 0.7) + 1) for (code, day), n in per_cd.items()])
    con.commit()
    con.close()


def check_against_rebuild(cid: int) -> None:
    """The bulk-built tallies equal app.tally.rebuild_tallies (rolled back afterwards)."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from app.survey.tally import rebuild_tallies
    from db.engine import get_engine

    def snapshot(conn):
        return (sorted(conn.execute(text("SELECT commune_code, day, hour, n, n_excluded FROM "
                                         "commune_hour_tally WHERE n > 0"))),
                sorted(conn.execute(text("SELECT commune_code, question_id, option_value, n "
                                         "FROM option_tally WHERE n > 0"))),
                sorted((c, p, n, round(t, 3), round(q, 1)) for c, p, n, t, q in conn.execute(
                    text("SELECT commune_code, pillar, n, total, total_sq FROM score_tally"))))
    with Session(get_engine()) as s:
        before = snapshot(s.connection())
        rebuild_tallies(s, cid)
        s.flush()
        after = snapshot(s.connection())
        s.rollback()
    if before != after:
        raise SystemExit("bulk-built tallies differ from rebuild_tallies")
    log("  tallies match app.tally.rebuild_tallies")


def use_database(data_dir: Path) -> None:
    """Point the app at one of the benchmark databases (one engine per database is kept)."""
    os.environ["QCDC_DATA_DIR"] = str(data_dir)


def time_round_robin(dirs: dict[int, Path], cid: int, repeat: int) -> dict[int, list[float]]:
    """Time overview() on every database in turn, `repeat` rounds, so that all sizes meet the
    same load from other processes (the machine may be shared)."""
    from app.core.auth import Scope
    from app.monitoring.stats import overview
    scope = Scope("bench", "bench", "province")
    runs: dict[int, list[float]] = {size: [] for size in dirs}
    for size, d in dirs.items():  # warm-up: engines, SQLite page cache, definitions
        use_database(d)
        ov = overview(scope, cid)
        log(f"  {size:>9,}: answers={ov.kpi['answers_total']:,} communes_with_answers="
            f"{ov.kpi['communes_with_answers']} index={ov.kpi['index'].mean:.2f}")
        assert ov.kpi["answers_total"] == size
    for _ in range(repeat):
        for size, d in dirs.items():
            use_database(d)
            t0 = time.perf_counter()
            overview(scope, cid)
            runs[size].append(time.perf_counter() - t0)
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=25)
    ap.add_argument("--keep", help="keep the databases in this folder instead of a temp one")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="qcdc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        dirs: dict[int, Path] = {}
        pool = None
        for size in sizes:
            d = work / f"n{size}"
            if d.exists():
                shutil.rmtree(d)
            d.mkdir(parents=True)
            cid, qid = setup(d)
            from app.core.campaigns import campaign_days, load_definition
            from app.core.reference import geography
            from app.monitoring.scoring import load_campaign
            defn = load_definition(qid)
            days = campaign_days(load_campaign(cid))[:2]  # yesterday and today have answers
            communes = [c.code for c in geography().communes]
            rng = random.Random(2024)
            if pool is None:
                t0 = time.perf_counter()
                pool = make_pool(defn, random.Random(7))
                log(f"pool of {POOL} answer sheets in {time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()
            counts: dict = {}
            db_path = d / "qcdc.db"
            seed(db_path, cid, qid, communes, days, 0, size, pool, counts, rng)
            build_tallies(db_path, cid, qid, pool, counts, days, communes)
            mib = sum(f.stat().st_size for f in d.glob("qcdc.db*")) / 2 ** 20
            log(f"{size:,} responses seeded in {time.perf_counter() - t0:.1f} s "
                f"(database {mib:.0f} MiB)")
            if size == sizes[0]:
                check_against_rebuild(cid)
            dirs[size] = d
        log(f"timing overview(): {args.repeat} rounds over the {len(sizes)} databases in turn")
        runs = time_round_robin(dirs, cid, args.repeat)
        results: dict[str, float] = {}
        for size in sizes:
            best, median = min(runs[size]), statistics.median(runs[size])
            results[str(size)] = round(best, 4)
            log(f"  {size:>9,} responses: best {best * 1000:.1f} ms, median {median * 1000:.1f} ms")
        first = results[str(sizes[0])]
        last = results[str(sizes[-1])]
        log(f"largest/smallest = {last / first:.2f} (target <= 1.5); "
            f"largest = {last:.3f} s (target <= 0.5 s)")
        print(json.dumps({"bench": "dashboard", "seconds": results}), flush=True)
    finally:
        from db.engine import dispose_engines
        dispose_engines()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
