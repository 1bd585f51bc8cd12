#!/usr/bin/env python
"""A citizen's connection cut at any moment of "Gửi phiếu khảo sát", many times in a row.

    python bench/flaky_network.py --runs 50 --busy 3          # own server, three busy loops
    python bench/flaky_network.py --url http://127.0.0.1:8501 --runs 20

Each run opens the survey in a new phone-size Chromium context, answers every question, taps
"Gửi" and closes the page's WebSocket at a moment drawn from three kinds:

* ``before``: the socket is closed just before the tap (the tap is sent once it is back);
* ``during``: closed 0-150 ms after the tap, while the server processes it;
* ``after``: closed as soon as the answers are in the database, before the thank-you arrives.

Streamlit reconnects by itself. The citizen then does what a person does: waits, and taps
"Gửi" again while the form is shown (after ``--patience`` seconds, at most three times). A run ends on one of:

* ``thanked``: "Cảm ơn ông/bà đã tham gia khảo sát!" is shown (the goal);
* ``blank``: nothing of the page is shown;
* ``stuck``: something else is shown (the form, say) and tapping does not help.

and ``second_sheet`` counts runs that stored more than one sheet (must be 0). ``--busy N``
starts N busy loops (processes spinning on a core) to imitate a loaded machine. ``--trace DIR``
writes, for every run that did not end thanked, the decoded WebSocket messages both ways.

The last line is one JSON object: {"bench": "flaky_network", "runs": n, "thanked": n,
"blank": n, "second_sheet": n, ...}.
"""
from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from local_server import start_server  # noqa: E402

CHROMIUM = os.environ.get("QCDC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
THANKS = "Cảm ơn ông/bà đã tham gia khảo sát!"
SEND = "Gửi phiếu khảo sát"
CODES = ("07201", "07204", "07207", "07210", "07213", "07216", "07219", "07222")

TRACK_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__qcdcSockets = [];
  function Tracked(...args) {
    const ws = new Native(...args);
    window.__qcdcSockets.push(ws);
    return ws;
  }
  Tracked.prototype = Native.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Tracked[k] = Native[k];
  window.WebSocket = Tracked;
})();
"""
CUT = "() => window.__qcdcSockets.forEach(s => s.close())"
SOCKETS = "() => window.__qcdcSockets.length"
RECONNECTED_OR_THANKED = (
    "n => (window.__qcdcSockets.length > n"
    " && window.__qcdcSockets[window.__qcdcSockets.length - 1].readyState === 1)"
    f" || document.body.innerText.includes('{THANKS}')")
IDLE = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText"
        ".includes('Running')")


def _busy_loop() -> None:  # pragma: no cover - runs in a child process
    while True:
        pass


class Sheets:
    """Counts the stored sheets of one run by its commune (read straight from the database)."""

    def __init__(self, database_url: str) -> None:
        from sqlalchemy import create_engine
        self.engine = create_engine(database_url)

    def count(self) -> int:
        from sqlalchemy import text
        with self.engine.connect() as c:
            return c.execute(text("SELECT count(*) FROM response")).scalar_one()


def _decode(direction: str, payload: str, t0: float) -> dict:
    """One WebSocket frame as a short readable record (ForwardMsg / BackMsg)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    rec: dict = {"t": round(time.monotonic() - t0, 3), "dir": direction}
    try:
        raw = base64.b64decode(payload)
        msg = BackMsg() if direction == "out" else ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        rec["type"] = kind
        if kind == "delta":
            rec["path"] = list(msg.metadata.delta_path)
            d = msg.delta
            rec["delta"] = d.WhichOneof("type")
            if rec["delta"] == "new_element":
                el = d.new_element
                rec["element"] = el.WhichOneof("type")
                body = getattr(el, rec["element"])
                for attr in ("body", "label"):
                    if hasattr(body, attr):
                        rec["text"] = str(getattr(body, attr))[:60]
                        break
        elif kind == "script_finished":
            rec["status"] = int(msg.script_finished)
        elif kind == "new_session":
            rec["run"] = str(msg.metadata)[:80]
        elif kind == "rerun_script":
            rec["widgets"] = len(msg.rerun_script.widget_states.widgets)
            rec["triggers"] = [w.id[-24:] for w in msg.rerun_script.widget_states.widgets
                               if w.WhichOneof("value") == "trigger_value" and w.trigger_value]
    except Exception as exc:  # a frame we cannot read: keep its size
        rec["error"] = repr(exc)[:80]
    return rec


def one_run(browser, url: str, sheets: Sheets, kind: str, rng: random.Random,
            trace_dir: Path | None, run_no: int, patience_ms: int = 2_000) -> dict:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                              is_mobile=True, has_touch=True, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    frames: list[dict] = []
    t0 = time.monotonic()
    if trace_dir is not None:
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameReceived",
               lambda e: frames.append(_decode("in", e["response"]["payloadData"], t0)))
        cdp.on("Network.webSocketFrameSent",
               lambda e: frames.append(_decode("out", e["response"]["payloadData"], t0)))
        cdp.on("Network.webSocketClosed",
               lambda e: frames.append({"t": round(time.monotonic() - t0, 3), "ws": "closed"}))
        cdp.on("Network.webSocketCreated",
               lambda e: frames.append({"t": round(time.monotonic() - t0, 3), "ws": "created"}))
    page.add_init_script(TRACK_SOCKETS)
    result = {"run": run_no, "kind": kind, "taps": 1}
    try:
        page.goto(f"{url}/survey?xa={rng.choice(CODES)}")
        page.get_by_role("button", name=SEND).wait_for()
        page.wait_for_function(IDLE)
        page.wait_for_function("document.querySelectorAll('div[role=radiogroup]').length >= 16")
        groups = page.locator('div[role="radiogroup"]')
        for i in range(groups.count()):
            groups.nth(i).locator("label").nth(rng.randrange(0, 3)).click()
        page.locator('[data-testid="stCheckbox"] label').first.click()
        page.wait_for_timeout(rng.randrange(0, 300))
        before = sheets.count()
        sockets = page.evaluate(SOCKETS)
        button = page.get_by_role("button", name=SEND)
        if kind == "before":
            page.evaluate(CUT)
            button.click()
        elif kind == "during":
            button.click()
            page.wait_for_timeout(rng.randrange(0, 150))
            page.evaluate(CUT)
        else:  # after: as soon as the sheet is in the database
            button.click()
            deadline = time.monotonic() + 30
            while sheets.count() == before and time.monotonic() < deadline:
                time.sleep(0.005)
            page.evaluate(CUT)
        frames.append({"t": round(time.monotonic() - t0, 3), "cut": True})
        page.wait_for_function(RECONNECTED_OR_THANKED, arg=sockets, timeout=60_000)
        page.wait_for_function(IDLE, timeout=60_000)
        thanks = page.get_by_text(THANKS)
        for _ in range(3):
            try:
                thanks.wait_for(timeout=patience_ms)
                break
            except Exception:
                pass
            try:
                page.get_by_role("button", name=SEND).click(timeout=5_000)
                result["taps"] += 1
                frames.append({"t": round(time.monotonic() - t0, 3), "retap": True})
            except Exception:
                pass
        if thanks.is_visible():
            result["end"] = "thanked"
        elif not page.locator('[data-testid="stElementContainer"]').count():
            result["end"] = "blank"
        else:
            result["end"] = "stuck"
        page.wait_for_timeout(300)
        result["stored"] = sheets.count() - before
    except Exception as exc:
        result["end"] = "error"
        result["error"] = repr(exc)[:300]
        try:
            result["stored"] = sheets.count() - before  # type: ignore[possibly-undefined]
        except Exception:
            result["stored"] = None
    if trace_dir is not None and (result["end"] != "thanked" or result["taps"] > 1):
        trace_dir.mkdir(parents=True, exist_ok=True)
        stem = trace_dir / f"run{run_no:03d}_{result['end']}"
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            result["text"] = page.locator("body").inner_text()[:300]
        except Exception:
            pass
        Path(f"{stem}.json").write_text(json.dumps({"result": result, "frames": frames},
                                                   ensure_ascii=False, indent=1))
    ctx.close()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--busy", type=int, default=0, help="busy loops to start (load)")
    ap.add_argument("--url", help="an app already running (default: start one)")
    ap.add_argument("--database-url", help="with --url: the database it writes to")
    ap.add_argument("--kind", choices=("before", "during", "after", "mixed"), default="mixed")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--trace", type=Path, help="folder for traces of runs not thanked")
    ap.add_argument("--patience", type=float, default=2.0,
                    help="seconds the citizen waits for the thank-you before tapping again")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright
    rng = random.Random(args.seed)
    busy = [multiprocessing.Process(target=_busy_loop, daemon=True) for _ in range(args.busy)]
    for p in busy:
        p.start()
    tmp = None
    proc = None
    try:
        if args.url:
            url = args.url.rstrip("/")
            db_url = args.database_url or f"sqlite:///{ROOT / 'var' / 'qcdc.db'}"
        else:
            tmp = Path(tempfile.mkdtemp(prefix="qcdc-flaky-"))
            proc, url = start_server(tmp)
            db_url = f"sqlite:///{tmp / 'qcdc.db'}"
        sheets = Sheets(db_url)
        kinds = ("before", "during", "after")
        results = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            for i in range(args.runs):
                kind = kinds[i % 3] if args.kind == "mixed" else args.kind
                r = one_run(browser, url, sheets, kind, rng, args.trace, i,
                            int(args.patience * 1000))
                results.append(r)
                print(json.dumps(r, ensure_ascii=False), file=sys.stderr, flush=True)
            browser.close()
    finally:
        for p in busy:
            p.terminate()
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp is not None and not args.trace:
            shutil.rmtree(tmp, ignore_errors=True)

    def n(end: str) -> int:
        return sum(1 for r in results if r["end"] == end)
    summary = {
        "bench": "flaky_network", "runs": len(results), "thanked": n("thanked"),
        "blank": n("blank"), "stuck": n("stuck"), "errors": n("error"),
        "second_sheet": sum(1 for r in results if (r.get("stored") or 0) > 1),
        "not_stored": sum(1 for r in results if r.get("stored") == 0),
        "retapped": sum(1 for r in results if r["taps"] > 1),
        "busy_loops": args.busy,
        "by_kind": {k: {"runs": sum(1 for r in results if r["kind"] == k),
                        "thanked": sum(1 for r in results
                                       if r["kind"] == k and r["end"] == "thanked")}
                    for k in ("before", "during", "after")},
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["thanked"] == summary["runs"] and not summary["second_sheet"] else 1


if __name__ == "__main__":
    sys.exit(main())
