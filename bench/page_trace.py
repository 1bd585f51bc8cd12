#!/usr/bin/env python
"""Where a citizen's first visit to the survey spends its time: one cold visit, traced.

    python bench/page_trace.py --url http://127.0.0.1:8780            # "Fast 3G", as page_weight.py
    python bench/page_trace.py --url https://127.0.0.1:8443 --ignore-https-errors --no-throttle

The same visit as bench/page_weight.py's throttled one (Debian's Chromium, a phone-size
window, empty cache, CDP "Fast 3G"), printed as a waterfall: for every HTTP request the
seconds from the start of navigation to its start, its response headers and its end, its
size on the wire, priority and protocol; when the websocket was created and answered, when
its first, tenth and last messages arrived; and from the page itself the main thread's long
tasks (over 50 ms), when the app's root appeared and when the first radio button was in the
page and enabled. Times from the page are converted to the same clock (approximately: the
page's time origin is taken as the document request's start).

The last line is one JSON object with the phases (``html_end_s``, ``main_script_end_s`` (the
page's module script, the first script asked for), ``scripts_end_s``,
``websocket_created_s``, ``first_message_s``, ``last_message_s``, ``usable_s``).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from page_weight import ARGS, CHROMIUM, FAST_3G, READY_JS, visit_arguments  # noqa: E402

MARKS_JS = """(() => {
  window.__qcdcMarks = [];
  const mark = (n, t) => window.__qcdcMarks.push([n, t === undefined ? performance.now() : t]);
  const seen = {};
  new MutationObserver(() => {
    if (!seen.app && document.querySelector('[data-testid="stApp"]')) { seen.app = 1; mark('app drawn'); }
    const input = document.querySelector('[data-testid="stRadio"] input[type="radio"]');
    if (input && !seen.radio) { seen.radio = 1; mark('first radio in the page'); }
    if (input && !input.disabled && !seen.enabled) { seen.enabled = 1; mark('first radio enabled'); }
  }).observe(document, {subtree: true, childList: true, attributes: true});
  try {
    new PerformanceObserver(list => list.getEntries().forEach(
      e => mark('long task ' + Math.round(e.duration) + ' ms', e.startTime))
    ).observe({type: 'longtask', buffered: true});
  } catch (e) {}
})()"""


def trace(url: str, throttle: dict | None, timeout_s: float, ignore_https_errors: bool) -> dict:
    from playwright.sync_api import sync_playwright
    events: list[tuple[float, str, dict]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            ctx = browser.new_context(viewport={"width": 390, "height": 844},
                                      device_scale_factor=2, is_mobile=True, has_touch=True,
                                      locale="vi-VN", ignore_https_errors=ignore_https_errors)
            page = ctx.new_page()
            page.add_init_script(MARKS_JS)
            cdp = ctx.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            if throttle:
                cdp.send("Network.emulateNetworkConditions", throttle)
            for name in ("requestWillBeSent", "responseReceived", "loadingFinished",
                         "webSocketCreated", "webSocketHandshakeResponseReceived",
                         "webSocketFrameReceived"):
                cdp.on(f"Network.{name}", (lambda n: lambda e: events.append(
                    (time.monotonic(), n, e)))(name))
            t0 = time.monotonic()
            page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
            page.wait_for_function(READY_JS, timeout=timeout_s * 1000, polling=50)
            usable = time.monotonic() - t0
            page.wait_for_timeout(500)
            marks = page.evaluate("window.__qcdcMarks || []")
            ctx.close()
        finally:
            browser.close()
    requests: dict[str, dict] = {}
    socket: dict[str, float] = {}
    frames: list[float] = []
    for t, name, e in events:
        t -= t0
        rid = e.get("requestId")
        if name == "requestWillBeSent":
            requests.setdefault(rid, {}).update(url=e["request"]["url"], start=t,
                                                priority=e["request"].get("initialPriority", ""))
        elif name == "responseReceived":
            requests.setdefault(rid, {}).update(response=t,
                                                protocol=e["response"].get("protocol", ""))
        elif name == "loadingFinished":
            requests.setdefault(rid, {}).update(end=t, bytes=int(e.get("encodedDataLength", 0)))
        elif name == "webSocketCreated":
            socket.setdefault("created", t)
        elif name == "webSocketHandshakeResponseReceived":
            socket.setdefault("answered", t)
        elif name == "webSocketFrameReceived":
            frames.append(t)
    rows = sorted((r for r in requests.values() if "url" in r), key=lambda r: r["start"])
    origin = rows[0]["start"] if rows else 0.0
    return {"usable": usable, "requests": rows, "socket": socket, "frames": frames,
            "marks": [(name, origin + ms / 1000) for name, ms in marks]}


def main(argv: list[str] | None = None) -> int:
    p = visit_arguments(__doc__)
    p.add_argument("--no-throttle", action="store_true", help="no network emulation")
    args = p.parse_args(argv)
    url = f"{args.url.rstrip('/')}/survey?xa={args.code}"
    got = trace(url, None if args.no_throttle else FAST_3G, args.timeout,
                args.ignore_https_errors)
    print(f"{'start':>6} {'resp':>6} {'end':>6} {'KB':>7}  priority protocol  name")
    for r in got["requests"]:
        name = r["url"].split("?")[0].rstrip("/").rsplit("/", 1)[-1] or r["url"]
        print(f"{r['start']:6.2f} {r.get('response', 0):6.2f} {r.get('end', 0):6.2f} "
              f"{r.get('bytes', 0) / 1024:7.1f}  {r['priority'][:8]:8} {r.get('protocol', ''):9} "
              f"{name[:60]}")
    frames = got["frames"]
    lines = [(t, f"websocket {what}") for what, t in got["socket"].items()]
    if frames:
        lines += [(frames[0], "first websocket message"), (frames[-1], "last websocket message")]
        if len(frames) >= 10:
            lines.append((frames[9], "tenth websocket message"))
    lines += [(t, name) for name, t in got["marks"]]
    for t, what in sorted(lines):
        print(f"{t:6.2f}  {what}")
    scripts = [r.get("end", 0) for r in got["requests"] if "/static/js" in r["url"]]  # js/ or js-<hash>/
    html = [r.get("end", 0) for r in got["requests"] if "/static/" not in r["url"]
            and "/_stcore/" not in r["url"]]
    out = {"bench": "page_trace", "url": url, "throttled": not args.no_throttle,
           "requests": len(got["requests"]),
           "kb": round(sum(r.get("bytes", 0) for r in got["requests"]) / 1024, 1),
           "html_end_s": round(html[0], 2) if html else None,
           "main_script_end_s": round(scripts[0], 2) if scripts else None,
           "scripts_end_s": round(max(scripts), 2) if scripts else None,
           "websocket_created_s": round(got["socket"]["created"], 2)
           if "created" in got["socket"] else None,
           "first_message_s": round(frames[0], 2) if frames else None,
           "last_message_s": round(frames[-1], 2) if frames else None,
           "usable_s": round(got["usable"], 2)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
