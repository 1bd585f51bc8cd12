#!/usr/bin/env python
"""Load harness: N simulated citizens answer the survey on a RUNNING Streamlit server.

Each citizen speaks Streamlit's own websocket protocol (bench/st_protocol.py) the way the
browser does: opens ``/_stcore/stream``, asks for page ``survey`` with ``?xa=<commune code>``,
reads the rendered form, answers every question at random, submits, and waits for the thank-you
screen. Latency = submit sent -> first element containing ``--thanks-text`` received.

    python bench/survey_load.py --url http://127.0.0.1:8501 --citizens 200
    python bench/survey_load.py --url http://127.0.0.1:8501 --citizens 300 --within 60 \\
        --scenario double --server-pid $(pgrep -f 'streamlit run' | head -1)

Scenarios: ``plain``; ``double`` (``--fraction`` of citizens, default 10 %, send the submit
twice ``--double-gap-ms`` apart with the same widget states); ``reconnect`` (``--fraction``
drop the websocket mid-form, reconnect with their session id and then submit).

Rows are counted with ``SELECT count(*) FROM response`` before and after (``--database-url``,
else env DATABASE_URL, else $QCDC_DATA_DIR/qcdc.db or var/qcdc.db of the repo), or with
``--db-count-cmd`` (a shell command that prints the count). Only loopback targets are allowed.
The last line printed is one JSON object with the results:

* ``confirmed``: citizens who saw the thank-you; ``p50_s/p95_s/p99_s``: submit -> thank-you.
* ``stored``: rows added to the table during the run (counted once the count stops moving).
* ``duplicates``: rows beyond one per citizen who submitted (``stored - submitted``), or the
  number of ``submission_token`` values stored twice, whichever is larger.
* ``stored_minus_confirmed`` (raw) and ``unconfirmed_stored``: rows whose citizen never saw the
  thank-you (e.g. the reply was lost after a reconnect) - not duplicates.
* ``lost``: confirmed but not stored (must be 0).  ``busy_messages``: citizens shown ``--busy-text``.
* ``errors`` / ``error_kinds``: citizens neither confirmed nor busy, by cause (page_load_timeout,
  submit_timeout, no_form, page_not_found, no_thanks = answers refused, script_exception, ...).
* ``speed_index_before_s`` / ``speed_index_after_s``: the machine's speed just before and after
  the run (seconds for a fixed pure-Python loop; lower is faster). On a virtual machine whose
  speed drifts, runs with readings far apart are not comparable.

Server settings matter more than anything here (measured on the 2-core box, demo app): with
Streamlit's defaults (``server.fileWatcherType=auto``, ``runner.postScriptGC=true``) every script
run walks ``sys.modules`` with ``realpath`` on the event-loop thread and then runs a full
``gc.collect(2)``; 200 citizens at once then time out.  With ``server.fileWatcherType="none"``
and ``runner.postScriptGC=false`` the same 200 finish in ~4-7 s.
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import random
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from st_protocol import StreamlitSession, assert_loopback_url, random_widget_state  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
COMMUNES_CSV = REPO / "db" / "seed" / "communes_bac_giang_2024.csv"
COMMENTS = [
    "", "", "", "Cán bộ nhiệt tình, hướng dẫn tận tình.", "Thủ tục nhanh gọn.",
    "Đề nghị niêm yết công khai rõ hơn.", "Không có ý kiến.", "Cần thêm chỗ ngồi chờ.",
]


# --------------------------------------------------------------------------- helpers
def speed_index_s(rounds: int = 3, n: int = 2_000_000) -> float:
    """Seconds this machine takes, right now, for a fixed pure-Python loop of 10 million
    additions (the best of ``rounds`` shorter loops, scaled): lower is faster. The development
    VM's speed drifts by a third and more within minutes (docs/PERFORMANCE.md), and the latency
    figures with it; every result carries the readings taken before and after it. Runs whose
    readings differ by more than about a fifth are not comparable. Similar readings do not make
    them comparable either: the server's CPU per citizen still varied by ±10 % between runs
    that read alike."""
    best = math.inf
    for _ in range(rounds):
        t = time.perf_counter()
        s = 0
        for i in range(n):
            s += i
        best = min(best, time.perf_counter() - t)
    return round(best * 10_000_000 / n, 3)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] if lo == hi else s[lo] + (s[hi] - s[lo]) * (k - lo)


def rnd(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def load_codes(args: argparse.Namespace) -> list[str]:
    if args.codes:
        return [c.strip() for c in args.codes.split(",") if c.strip()]
    if COMMUNES_CSV.exists():
        with COMMUNES_CSV.open(encoding="utf-8") as f:
            codes = [row["commune_code"].strip() for row in csv.DictReader(f) if row.get("commune_code")]
        if codes:
            return codes
    return ["00001"]


def default_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    data_dir = Path(os.environ.get("QCDC_DATA_DIR") or (REPO / "var"))
    return f"sqlite:///{data_dir / 'qcdc.db'}"


class DbCounter:
    """Counts rows of the response table (SQL via SQLAlchemy, or an external command)."""

    def __init__(self, url: str | None, table: str, cmd: str | None) -> None:
        self.cmd = cmd
        self.table = table
        self.url = url
        self.engine = None
        self.error: str | None = None
        if cmd:
            return
        # a server started on an empty data folder creates its database on the first visit:
        # until then the table holds no rows
        self.may_not_exist_yet = bool(url and url.startswith("sqlite:///")
                                      and not Path(url[len("sqlite:///"):]).exists())
        try:
            from sqlalchemy import create_engine

            self.engine = create_engine(url)
        except Exception as exc:  # missing driver etc.
            self.error = f"{type(exc).__name__}: {exc}"

    def _sql(self, q: str) -> Any:
        from sqlalchemy import text

        with self.engine.connect() as c:
            return c.execute(text(q)).scalar()

    def count(self) -> int | None:
        if self.cmd:
            try:
                out = subprocess.run(self.cmd, shell=True, capture_output=True, text=True, timeout=60).stdout
                nums = re.findall(r"-?\d+", out)
                return int(nums[-1]) if nums else None
            except Exception as exc:
                self.error = f"db-count-cmd: {exc}"
                return None
        if self.engine is None:
            return None
        if self.may_not_exist_yet and not Path(self.url[len("sqlite:///"):]).exists():
            return 0  # do not create the file before the server does
        try:
            return int(self._sql(f'SELECT count(*) FROM "{self.table}"'))
        except Exception as exc:
            if self.may_not_exist_yet and "no such table" in str(exc):
                return 0
            self.error = f"{type(exc).__name__}: {str(exc)[:200]}"
            return None

    def duplicate_tokens(self) -> int | None:
        """Number of submission tokens stored more than once (None: no such column)."""
        if self.engine is None:
            return None
        try:
            from sqlalchemy import inspect

            cols = {c["name"] for c in inspect(self.engine).get_columns(self.table)}
            if "submission_token" not in cols:
                return None
            return int(self._sql(
                f'SELECT count(*) FROM (SELECT submission_token FROM "{self.table}" '
                f"WHERE submission_token IS NOT NULL GROUP BY submission_token HAVING count(*) > 1) d"
            ))
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {str(exc)[:200]}"
            return None

    async def settled_count(self, timeout: float = 10.0, quiet: float = 1.0) -> int | None:
        """Count once the number stops moving (late script runs may still be writing)."""
        end = time.monotonic() + timeout
        last = await asyncio.to_thread(self.count)
        stable_since = time.monotonic()
        while time.monotonic() < end:
            await asyncio.sleep(0.25)
            cur = await asyncio.to_thread(self.count)
            if cur != last:
                last, stable_since = cur, time.monotonic()
            elif time.monotonic() - stable_since >= quiet:
                break
        return last


class MemoryWatcher:
    """Polls /proc for the server process and its descendants: peak summed VmRSS and VmHWM."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_hwm_kb = 0
        self.samples = 0
        self._task: asyncio.Task | None = None
        self.cpu_start = self.cpu_end = None

    def _cpu_s(self) -> float | None:
        """User + system CPU seconds of the server process (all its threads)."""
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    @property
    def cpu_s(self) -> float | None:
        if self.cpu_start is None or self.cpu_end is None:
            return None
        return round(self.cpu_end - self.cpu_start, 2)

    @staticmethod
    def _status(pid: int) -> dict[str, int]:
        out = {}
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(("VmRSS:", "VmHWM:")):
                        k, v = line.split(":", 1)
                        out[k] = int(v.split()[0])
        except OSError:
            pass
        return out

    def _tree(self) -> list[int]:
        pids = [self.pid]
        i = 0
        while i < len(pids):
            p = pids[i]
            i += 1
            try:
                for task in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{task}/children") as f:
                        pids.extend(int(c) for c in f.read().split())
            except OSError:
                pass
        return list(dict.fromkeys(pids))

    def sample(self) -> None:
        rss = hwm = 0
        for p in self._tree():
            st = self._status(p)
            rss += st.get("VmRSS", 0)
            hwm += st.get("VmHWM", 0)
        self.samples += 1
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_hwm_kb = max(self.peak_hwm_kb, hwm)

    async def _run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self.cpu_start = self._cpu_s()
        self.sample()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except BaseException:
                pass
        self.sample()
        self.cpu_end = self._cpu_s()

    @property
    def peak_mb(self) -> float:
        return round(max(self.peak_rss_kb, self.peak_hwm_kb) / 1024, 1)


async def http_get(base_url: str, path: str, timeout: float) -> int:
    """Minimal HTTP/1.1 GET (the browser's /_stcore/health and host-config preflight)."""
    from urllib.parse import urlsplit

    u = urlsplit(base_url)
    host, port = u.hostname, u.port or (443 if u.scheme == "https" else 80)
    full = (u.path.rstrip("/") + "/" + path.lstrip("/")) or "/"

    async def _do() -> int:
        reader, writer = await asyncio.open_connection(host, port, ssl=(u.scheme == "https") or None)
        try:
            writer.write(
                f"GET {full} HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n"
                f"Accept: */*\r\nUser-Agent: QCDC-bench/1.0\r\n\r\n".encode()
            )
            await writer.drain()
            status_line = await reader.readline()
            await reader.read()  # drain
            parts = status_line.split()
            return int(parts[1]) if len(parts) >= 2 else 0
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except Exception:
                pass

    return await asyncio.wait_for(_do(), timeout)


def checkbox_group(widget_id: str) -> str:
    """The question a checkbox belongs to: its user key up to the last ``__`` (the app keys
    multi-choice options ``<prefix>_<question>__<option>``)."""
    key = widget_id.split("-", 2)[-1] if widget_id.startswith("$$ID-") else widget_id
    return key.rsplit("__", 1)[0] if "__" in key else key


def pick_one_checkbox_per_group(inputs: list, values: dict, rng: random.Random) -> None:
    """Tick exactly one checkbox of each multi-choice question: always a valid answer, also
    when an option is exclusive ("don't know" cannot go with the others)."""
    groups: dict[str, list] = {}
    for w in inputs:
        if w.kind == "checkbox":
            groups.setdefault(checkbox_group(w.id), []).append(w)
    for ws in groups.values():
        chosen = rng.choice(ws)
        for w in ws:
            if w.id in values:
                values[w.id].bool_value = w is chosen


# --------------------------------------------------------------------------- citizen
@dataclass
class Result:
    idx: int
    code: str
    special: str = ""            # "double" / "reconnect" when the scenario picked this citizen
    confirmed: bool = False
    busy: bool = False
    latency_s: float | None = None
    page_load_s: float | None = None
    error: str | None = None
    session_ids: list[str] = field(default_factory=list)
    connections: int = 0
    resumed: bool | None = None  # reconnect: same session id after reconnecting?
    submitted: bool = False      # the submit BackMsg was sent
    resubmits: int = 0
    msgs: int = 0
    bytes: int = 0
    started: float = 0.0
    ended: float = 0.0


async def citizen(i: int, code: str, special: str, args: argparse.Namespace, rng: random.Random) -> Result:
    r = Result(idx=i, code=code, special=special, started=time.monotonic())
    qs = f"{args.query_param}={code}"
    s = StreamlitSession(
        args.url, page=args.page, query_string=qs, open_timeout=args.timeout,
        advertise_cache=not args.no_msg_cache, offer_compression=not args.no_compression,
        check_loopback=False,  # checked once in main()
    )
    to = args.timeout
    try:
        if not args.no_preflight:
            for p in ("_stcore/health", "_stcore/host-config"):
                st = await http_get(args.url, p, to)
                if st != 200:
                    r.error = f"preflight {p} HTTP {st}"
                    return r
        t_open = time.monotonic()
        try:
            await s.connect()
        except Exception as exc:
            r.error = f"connect: {type(exc).__name__}"
            return r
        if not await s.load(to):
            r.error = "page_load_timeout" if s.closed_reason is None else "closed_during_load"
            return r
        r.page_load_s = time.monotonic() - t_open
        if s.page_not_found:
            r.error = "page_not_found"
            return r
        if args.busy_text and s.has_text(args.busy_text):
            r.busy = True
            r.error = "busy_on_load"
            return r
        form = s.find_form(args.form_key)
        if form is None:
            r.error = "no_form" if not s.exceptions else "script_exception_on_load"
            return r
        thanks_on_form_page = s.has_text(args.thanks_text)

        # The citizen fills the form (client-side only: form widgets do not rerun).
        values = {}
        for w in form.inputs:
            ws = random_widget_state(w, rng, texts=COMMENTS,
                                     checkbox="true" if args.checkbox == "one" else args.checkbox)
            if ws is not None:
                values[w.id] = ws
        if args.checkbox == "one":
            pick_one_checkbox_per_group(form.inputs, values, rng)
        think = rng.uniform(args.think_min, args.think_max) if args.think_max > 0 else 0.0

        if special == "reconnect":
            await asyncio.sleep(think / 2)
            sid_before = s.session_id
            await s.drop()
            await asyncio.sleep(args.reconnect_delay)
            try:
                await s.connect(resume_session_id=sid_before)
            except Exception as exc:
                r.error = f"reconnect: {type(exc).__name__}"
                return r
            await asyncio.sleep(think / 2)
        elif think:
            await asyncio.sleep(think)

        n_runs = len(s.runs)
        repeat = 2 if special == "double" else 1
        t0 = await s.submit_form(form, values, repeat=repeat, gap_s=args.double_gap_ms / 1000)

        def outcome() -> bool:
            if s.text_since(t0, args.thanks_text) is not None and not thanks_on_form_page:
                return True  # thank-you shown: the citizen is done (don't wait for the run end)
            return s.last_run_done(n_runs) and not s.script_running

        r.submitted = True
        if args.resubmit_after > 0:
            # an impatient citizen taps "submit" again when nothing happens for a while
            end = time.monotonic() + to
            ok = False
            while not ok and time.monotonic() < end:
                ok = await s.wait_for(outcome, min(args.resubmit_after, end - time.monotonic()))
                if not ok and time.monotonic() < end and s.ws is not None:
                    await s.submit_form(form, values)
                    r.resubmits += 1
        else:
            ok = await s.wait_for(outcome, to)
        t_thanks = s.text_since(t0, args.thanks_text)
        form_gone = not any(w.is_submit for w in s.widgets())
        if t_thanks is not None and (not thanks_on_form_page or (s.last_run_done(n_runs) and form_gone)):
            r.confirmed = True
            r.latency_s = t_thanks - t0
        elif args.busy_text and s.text_since(t0, args.busy_text) is not None:
            r.busy = True
            r.error = "busy"
        elif not ok:
            r.error = "submit_timeout" if s.closed_reason is None else "closed_after_submit"
        elif s.exceptions:
            r.error = "script_exception"
        else:
            r.error = "no_thanks"  # e.g. a validation message: the answers were refused
        if special == "reconnect":
            r.resumed = len(set(s.session_ids)) == 1
        if special == "double" and r.confirmed:
            # let the second tap's run finish so its (possible) row lands before counting
            await s.wait_for(lambda: not s.script_running and s.last_run_done(n_runs), min(to, 10))
    except asyncio.CancelledError:
        r.error = r.error or "cancelled"
        raise
    except Exception as exc:
        r.error = f"{type(exc).__name__}: {str(exc)[:80]}"
    finally:
        runs = [(x.index, x.status, round(x.finished_at - x.started_at, 2) if x.finished_at else None)
                for x in s.runs]
        state_at_end = (f"runs={runs} "
                        f"running={s.script_running} conn={s.closed_reason or 'open'} msgs={s.msgs_received} "
                        f"conns={s.connections} sids={len(set(s.session_ids))} exc={s.exceptions[:1]}")
        r.session_ids = list(s.session_ids)
        r.connections = s.connections
        r.msgs = s.msgs_received
        r.bytes = s.bytes_received
        r.ended = time.monotonic()
        try:
            await asyncio.wait_for(s.close(), 5)
        except BaseException:
            pass
        if args.verbose and r.error:
            print(f"citizen {i} [{code}] {special or 'plain'}: {r.error} {state_at_end}", file=sys.stderr)
    return r


# --------------------------------------------------------------------------- main
async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    codes = load_codes(args)
    rng.shuffle(codes)
    n = args.citizens
    specials = [""] * n
    if args.scenario in ("double", "reconnect"):
        k = max(1, round(n * args.fraction)) if n else 0
        for j in rng.sample(range(n), k):
            specials[j] = args.scenario

    db = DbCounter(None if args.db_count_cmd else (args.database_url or default_database_url()),
                   args.table, args.db_count_cmd)
    before = await asyncio.to_thread(db.count)
    speed_before = speed_index_s()

    mem = MemoryWatcher(args.server_pid) if args.server_pid else None
    if mem:
        mem.start()

    results: list[Result] = []
    t_start = time.monotonic()
    per_citizen_cap = args.timeout * 3 + args.think_max + args.reconnect_delay + 10

    async def one(j: int) -> None:
        delay = (args.within * j / n) if args.within > 0 and n > 1 else 0.0
        await asyncio.sleep(delay)
        crng = random.Random(f"{args.seed}-{j}")
        try:
            res = await asyncio.wait_for(citizen(j, codes[j % len(codes)], specials[j], args, crng), per_citizen_cap)
        except TimeoutError:
            res = Result(idx=j, code=codes[j % len(codes)], special=specials[j], error="citizen_timeout")
        results.append(res)

    tasks = [asyncio.create_task(one(j)) for j in range(n)]
    progress = asyncio.create_task(_progress(results, n, t_start, args)) if not args.quiet else None
    deadline = args.within + per_citizen_cap + 30
    done, pending = await asyncio.wait(tasks, timeout=deadline)
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        seen = {r.idx for r in results}
        for j in range(n):
            if j not in seen:
                results.append(Result(idx=j, code=codes[j % len(codes)], special=specials[j], error="run_deadline"))
    if progress:
        progress.cancel()
    t_end = max([r.ended for r in results if r.ended] or [time.monotonic()])
    elapsed = t_end - t_start

    after = await db.settled_count() if before is not None else None
    if mem:
        await mem.stop()
    speed_after = speed_index_s()

    confirmed = [r for r in results if r.confirmed]
    submitted = sum(1 for r in results if r.submitted)
    dup_tokens = await asyncio.to_thread(db.duplicate_tokens) if not args.db_count_cmd else None
    lat = [r.latency_s for r in confirmed if r.latency_s is not None]
    loads = [r.page_load_s for r in results if r.page_load_s is not None]
    stored = (after - before) if (before is not None and after is not None) else None
    errors = Counter(r.error for r in results if r.error)
    sessions = {sid for r in results for sid in r.session_ids}
    recon = [r for r in results if r.special == "reconnect"]
    out: dict[str, Any] = {
        "scenario": args.scenario,
        "citizens": n,
        "within_s": args.within,
        "confirmed": len(confirmed),
        "stored": stored,
        # rows beyond one per citizen who submitted, or tokens stored twice
        "duplicates": max(0, stored - submitted, dup_tokens or 0) if stored is not None else None,
        # the brief's raw figure: > 0 also when a row was stored but its thank-you never arrived
        "stored_minus_confirmed": stored - len(confirmed) if stored is not None else None,
        "unconfirmed_stored": max(0, min(stored, submitted) - len(confirmed)) if stored is not None else None,
        "lost": max(0, len(confirmed) - stored) if stored is not None else None,
        "duplicate_tokens": dup_tokens,
        "submitted": submitted,
        "resubmits": sum(r.resubmits for r in results),
        "p50_s": rnd(percentile(lat, 0.50)),
        "p95_s": rnd(percentile(lat, 0.95)),
        "p99_s": rnd(percentile(lat, 0.99)),
        "max_s": rnd(max(lat) if lat else None),
        "page_load_p50_s": rnd(percentile(loads, 0.50)),
        "page_load_p95_s": rnd(percentile(loads, 0.95)),
        "errors": sum(errors.values()) - sum(1 for r in results if r.error in ("busy", "busy_on_load")),
        "error_kinds": dict(errors),
        "busy_messages": sum(1 for r in results if r.busy),
        "throughput_per_s": round(len(confirmed) / elapsed, 2) if elapsed > 0 else None,
        "sessions_opened": len(sessions),
        "connections_opened": sum(r.connections for r in results),
        "special_citizens": sum(1 for s in specials if s),
        "reconnect_resumed": sum(1 for r in recon if r.resumed) if recon else None,
        "msgs_received": sum(r.msgs for r in results),
        # ForwardMsgs a citizen receives (page, answers, thank-you), on average
        "msgs_per_citizen": round(sum(r.msgs for r in results) / n, 1) if n else None,
        "server_peak_rss_mb": mem.peak_mb if mem else None,
        # server CPU over the whole run, per citizen (page, answers, thank-you)
        "server_cpu_s": mem.cpu_s if mem else None,
        "server_cpu_ms_per_citizen": (round(1000 * mem.cpu_s / n, 1)
                                      if mem and mem.cpu_s is not None and n else None),
        "rows_before": before,
        "rows_after": after,
        "db_error": db.error,
        "elapsed_s": round(elapsed, 2),
        # the machine's speed around the run (speed_index_s: lower is faster)
        "speed_index_before_s": speed_before,
        "speed_index_after_s": speed_after,
    }
    return out


async def _progress(results: list[Result], n: int, t0: float, args: argparse.Namespace) -> None:
    while True:
        await asyncio.sleep(args.progress_every)
        ok = sum(1 for r in results if r.confirmed)
        print(f"[{time.monotonic() - t0:6.1f}s] finished {len(results)}/{n}, confirmed {ok}", file=sys.stderr)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="base URL of the running app, e.g. http://127.0.0.1:8501")
    p.add_argument("--citizens", type=int, default=50)
    p.add_argument("--within", type=float, default=0.0, help="spread arrivals evenly over this many seconds")
    p.add_argument("--scenario", choices=["plain", "double", "reconnect"], default="plain")
    p.add_argument("--fraction", type=float, default=0.10, help="share of citizens doing the scenario's special act")
    p.add_argument("--page", default="survey", help="URL path of the survey page")
    p.add_argument("--query-param", default="xa")
    p.add_argument("--codes", default="", help="comma-separated commune codes (default: db/seed CSV)")
    p.add_argument("--form-key", default=None, help="substring of the form id to fill (default: largest form)")
    p.add_argument("--thanks-text", default="Cảm ơn")
    p.add_argument("--busy-text", default="Hệ thống đang bận")
    p.add_argument("--timeout", type=float, default=60.0, help="bound of every wait, per citizen")
    p.add_argument("--think-min", type=float, default=0.0)
    p.add_argument("--think-max", type=float, default=0.0, help="random time on the form before submit")
    p.add_argument("--double-gap-ms", type=float, default=5.0)
    p.add_argument("--reconnect-delay", type=float, default=0.5, help="seconds offline in the reconnect scenario")
    p.add_argument("--resubmit-after", type=float, default=0.0,
                   help="tap submit again after this many seconds without an answer (0 = never)")
    p.add_argument("--checkbox", choices=["one", "true", "random"], default="one",
                   help="one: exactly one box per multi-choice question (always valid); "
                        "true: every box; random: each box at random")
    p.add_argument("--no-preflight", action="store_true", help="skip the browser's health/host-config GETs")
    p.add_argument("--no-msg-cache", action="store_true", help="do not advertise a ForwardMsg cache")
    p.add_argument("--no-compression", action="store_true", help="do not offer permessage-deflate")
    p.add_argument("--database-url", default=None)
    p.add_argument("--table", default="response")
    p.add_argument("--db-count-cmd", default=None, help="shell command printing the row count (instead of SQL)")
    p.add_argument("--server-pid", type=int, default=None)
    p.add_argument("--seed", type=int, default=20240506)
    p.add_argument("--json-out", default=None, help="also write the JSON result to this file")
    p.add_argument("--progress-every", type=float, default=5.0)
    p.add_argument("--quiet", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.think_max < args.think_min:
        args.think_max = args.think_min
    return args


def run_load(argv: list[str]) -> dict[str, Any]:
    """Programmatic entry (e.g. from pytest): same flags as the CLI, returns the result dict."""
    args = parse_args(argv)
    assert_loopback_url(args.url)
    # A fresh thread has no running event loop, even when the caller's thread has one (e.g. a
    # pytest process that already drove Playwright's sync API).
    box: dict[str, Any] = {}

    def _target() -> None:
        try:
            box["out"] = asyncio.run(run(args))
        except BaseException as exc:  # re-raised in the caller's thread
            box["exc"] = exc
    import threading
    worker = threading.Thread(target=_target, name="survey-load")
    worker.start()
    worker.join()
    if "exc" in box:
        raise box["exc"]
    return box["out"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    assert_loopback_url(args.url)
    try:  # hundreds of sockets
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass
    out = asyncio.run(run(args))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    if not args.quiet:
        print(f"{out['confirmed']}/{out['citizens']} confirmed, stored {out['stored']}, "
              f"duplicates {out['duplicates']}, p50 {out['p50_s']}s p95 {out['p95_s']}s "
              f"p99 {out['p99_s']}s, errors {out['error_kinds']}")
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
