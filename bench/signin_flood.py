#!/usr/bin/env python
"""Citizens' form times while attackers flood the sign-in page with wrong passwords.

    python bench/signin_flood.py --url http://127.0.0.1:8501
    python bench/signin_flood.py --url http://127.0.0.1:8501 --accounts 6 --attempts 5 \\
        --citizens 40 --gap 0.25

Speaks Streamlit's websocket protocol (bench/st_protocol.py) like bench/survey_load.py. Two
phases, each with one citizen arriving every ``--gap`` seconds who opens ``/survey?xa=<code>``
and waits for the form (time = websocket opened -> the form's run finished):

1. **calm**: ``--citizens`` citizens, nobody else on the server;
2. **flood**: the same number of citizens while ``--accounts`` attackers each send
   ``--attempts`` wrong passwords in a row through the sign-in form (``/dang-nhap``), one
   attacker per account name (``--names``, default the demo accounts then unknown names:
   existing and unknown names must cost the same). Each attacker sends its next attempt as
   soon as the previous one was answered, like a script would.

The last line printed is one JSON object: per phase ``p50_s``, ``p95_s``, ``max_s`` of the
form times, ``busy`` (citizens shown "Hệ thống đang bận"), ``errors``; for the flood the
attempts answered, their answer times (p50/max: the failure delay, 0.25 s rising to 4 s) and
how many were answered as refused (the sign-in message) or busy. Only loopback targets.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from st_protocol import StreamlitSession, assert_loopback_url  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402
from survey_load import percentile, rnd  # noqa: E402

DEMO_NAMES = ["demo.tinh", "demo.hoind", "demo.huyen", "demo.xa", "demo.admin"]
CODES = ["07201", "07204", "07207", "07210", "07213", "07216", "07219", "07222"]
BUSY = "Hệ thống đang bận"
# the refusal, in today's words and in those before issue 13 (to measure the old app too)
REFUSED = ("Không đăng nhập được", "không đúng", "tạm khóa", "vô hiệu hóa")


async def citizen(url: str, code: str, timeout: float) -> dict:
    s = StreamlitSession(url, page="survey", query_string=f"xa={code}", check_loopback=False)
    out: dict[str, Any] = {"code": code, "form_s": None, "busy": False, "error": None}
    try:
        t0 = time.monotonic()
        await s.connect()
        if not await s.load(timeout):
            out["error"] = "load_timeout"
            return out
        if s.has_text(BUSY):
            out["busy"] = True
        elif s.find_form() is None:
            out["error"] = "no_form"
        else:
            out["form_s"] = time.monotonic() - t0
    except Exception as exc:  # a refused or broken connection counts as an error
        out["error"] = type(exc).__name__
    finally:
        await s.close()
    return out


async def attacker(url: str, name: str, attempts: int, timeout: float) -> list[dict]:
    """``attempts`` wrong passwords for ``name`` through the sign-in form, back to back."""
    s = StreamlitSession(url, page="dang-nhap", check_loopback=False)
    answers: list[dict] = []
    try:
        await s.connect()
        if not await s.load(timeout):
            return [{"error": "load_timeout"}]
        for i in range(attempts):
            form = s.find_form("login")
            if form is None:
                answers.append({"error": "no_form"})
                break
            values = {}
            for w in form.inputs:
                value = name if "Tên" in w.label else f"Wrong-pass-{i}9"
                values[w.id] = WidgetState(id=w.id, string_value=value)
            n = len(s.runs)
            t0 = await s.submit_form(form, values)
            done = await s.wait_idle(timeout, since_run=n)
            answers.append({"s": time.monotonic() - t0 if done else None,
                            "refused": any(s.has_text(r) for r in REFUSED), "busy": s.has_text(BUSY),
                            "error": None if done else "answer_timeout"})
    except Exception as exc:
        answers.append({"error": type(exc).__name__})
    finally:
        await s.close()
    return answers


async def citizens_every(url: str, n: int, gap: float, timeout: float,
                         until: asyncio.Event | None = None) -> list[dict]:
    """`n` citizens, one every `gap` seconds (and on while `until` is not set)."""
    tasks = []
    i = 0
    while i < n or (until is not None and not until.is_set()):
        tasks.append(asyncio.create_task(citizen(url, CODES[i % len(CODES)], timeout)))
        i += 1
        await asyncio.sleep(gap)
    return list(await asyncio.gather(*tasks))


def summary(rows: list[dict]) -> dict:
    times = [r["form_s"] for r in rows if r["form_s"] is not None]
    return {"citizens": len(rows), "p50_s": rnd(percentile(times, 0.5)),
            "p95_s": rnd(percentile(times, 0.95)), "max_s": rnd(max(times) if times else None),
            "busy": sum(r["busy"] for r in rows), "errors": sum(bool(r["error"]) for r in rows)}


async def run(args: argparse.Namespace) -> dict:
    names = [n.strip() for n in args.names.split(",") if n.strip()] or (
        DEMO_NAMES + [f"khong.co.{i}" for i in range(args.accounts)])
    names = names[:args.accounts]
    await citizen(args.url, CODES[0], args.timeout)  # warm-up (caches, first run)
    calm = await citizens_every(args.url, args.citizens, args.gap, args.timeout)
    done = asyncio.Event()
    t0 = time.monotonic()
    attack = asyncio.gather(*(attacker(args.url, n, args.attempts, args.timeout) for n in names))
    flood_citizens = asyncio.create_task(
        citizens_every(args.url, args.citizens, args.gap, args.timeout, until=done))
    answers = [a for per_name in await attack for a in per_name]
    attack_s = time.monotonic() - t0
    done.set()
    flood = await flood_citizens
    answer_times = [a["s"] for a in answers if a.get("s") is not None]
    return {
        "calm": summary(calm), "flood": summary(flood),
        "attackers": len(names), "attempts": len(answers),
        "attempts_refused": sum(bool(a.get("refused")) for a in answers),
        "attempts_busy": sum(bool(a.get("busy")) for a in answers),
        "attempt_errors": sorted(a["error"] for a in answers if a.get("error")),
        "attempt_p50_s": rnd(percentile(answer_times, 0.5)),
        "attempt_max_s": rnd(max(answer_times) if answer_times else None),
        "attack_s": rnd(attack_s, 1),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--accounts", type=int, default=6, help="attackers, one account name each")
    p.add_argument("--names", default="", help="comma-separated account names to attack")
    p.add_argument("--attempts", type=int, default=5, help="wrong passwords per account")
    p.add_argument("--citizens", type=int, default=30, help="citizens per phase (at least)")
    p.add_argument("--gap", type=float, default=0.3, help="seconds between citizens")
    p.add_argument("--timeout", type=float, default=60.0)
    return p.parse_args(argv)


def run_flood(argv: list[str]) -> dict:
    """Programmatic entry (pytest): same flags, returns the result (in a thread of its own, so
    a caller with a running event loop works too)."""
    args = parse_args(argv)
    assert_loopback_url(args.url)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["out"] = asyncio.run(run(args))
        except BaseException as exc:
            box["exc"] = exc
    worker = threading.Thread(target=target, name="signin-flood")
    worker.start()
    worker.join()
    if "exc" in box:
        raise box["exc"]
    return box["out"]


def main(argv: list[str] | None = None) -> int:
    print(json.dumps(run_flood(list(sys.argv[1:] if argv is None else argv)), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
