#!/usr/bin/env python
"""One sign-in traced event by event, in Debian's Chromium: where the time after the tap goes.

    python bench/signin_trace.py --url http://127.0.0.1:8501 --user demo.tinh --typing 2

As bench/signin.py (a new browser context, no cookie, no cache): opens ``/dang-nhap``, types
the name and the demo password, waits ``--typing`` seconds (the user typing) and taps
"Đăng nhập". Every line is a time in milliseconds from the tap:

* ``sent N`` / ``recv N``: a websocket frame of N bytes (the tap's rerun message; the server's
  messages: the sign-in run, the password check's silence, the start page's elements);
* ``req NAME`` / ``done NAME``: a file the browser asked for after the tap (script chunks of
  elements seen for the first time) and when it arrived;
* ``dom [testids]``: the page's changes per 50 ms, by the ``data-testid`` of the changed
  element (``stVegaLiteChart``: a chart drawn).

The last line of each sign-in is ``last change at N ms`` (bench/signin.py's ``usable_s`` is the
same moment, once the page has stayed still for a second). The last line printed is one JSON
object: ``{"bench": "signin_trace", "last_change_ms": [..]}``. Only loopback targets.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from signin import ARGS, CHROMIUM, type_credentials  # noqa: E402

WATCH_JS = """() => {
  window.__trace = []; const t0 = performance.now();
  new MutationObserver(ms => { const n = performance.now() - t0;
    for (const m of ms) {
      const el = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      const tid = el && el.closest('[data-testid]');
      window.__trace.push([n, tid ? tid.getAttribute('data-testid') : '?']);
    } }).observe(document.body, {subtree: true, childList: true, characterData: true,
                                 attributes: true});
}"""


def trace_once(browser, url: str, user: str, typing_s: float, settle_s: float) -> float:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    events: list[tuple[float, str]] = []
    t0: list[float] = []

    def at() -> float:
        return (time.perf_counter() - t0[0]) * 1000

    def note(text: str) -> None:
        if t0:
            events.append((at(), text))

    def on_ws(ws) -> None:
        ws.on("framesent", lambda p: note(f"sent {len(p)}"))
        ws.on("framereceived", lambda p: note(f"recv {len(p)}"))

    page.on("websocket", on_ws)
    page.on("request", lambda r: note("req " + r.url.rsplit("/", 1)[-1]))
    page.on("requestfinished", lambda r: note("done " + r.url.rsplit("/", 1)[-1]))
    try:
        button = type_credentials(page, url, user, typing_s, WATCH_JS)
        t0.append(time.perf_counter())
        button.click()
        page.wait_for_timeout(settle_s * 1000)
        changes = page.evaluate("window.__trace")
    finally:
        ctx.close()
    buckets: dict[int, set] = defaultdict(set)
    for ms, testid in changes:
        buckets[int(ms // 50) * 50].add(testid)
    lines = events + [(float(ms), "dom " + str(sorted(ids))) for ms, ids in buckets.items()]
    print(f"== {user}")
    for ms, text in sorted(lines, key=lambda x: x[0]):
        print(f"{ms:8.0f} {text}")
    last = max((c[0] for c in changes), default=0)
    print(f"last change at {last:.0f} ms", flush=True)
    return last


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--url", required=True)
    p.add_argument("--user", default="demo.tinh")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--typing", type=float, default=0.0, help="seconds typed before the tap")
    p.add_argument("--settle", type=float, default=4.0, help="seconds watched after the tap")
    args = p.parse_args()
    from st_protocol import assert_loopback_url
    assert_loopback_url(args.url)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            lasts = [trace_once(browser, args.url, args.user, args.typing, args.settle)
                     for _ in range(args.rounds)]
        finally:
            browser.close()
    print(json.dumps({"bench": "signin_trace", "user": args.user, "typing_s": args.typing,
                      "last_change_ms": [round(x) for x in lasts]}))


if __name__ == "__main__":
    main()
