#!/usr/bin/env python
"""Weight and speed of the citizen's first visit to the survey page, in Debian's Chromium.

    python bench/page_weight.py --url http://127.0.0.1:8780     # e.g. nginx in front of the app

Two cold visits of ``/survey?xa=<code>`` (empty cache, new browser context each):

1. unthrottled: the bytes transferred, i.e. the sum of the encoded (on-the-wire) sizes of every
   HTTP response (CDP ``Network.loadingFinished.encodedDataLength``) plus the websocket frames
   received until the form is usable;
2. with the network throttled to "Fast 3G" (CDP ``Network.emulateNetworkConditions``: 1.6 Mbit/s
   down, 750 kbit/s up, 150 ms latency): the seconds from the start of navigation until the first
   radio button of the survey form is visible and enabled.

The last line is one JSON object with ``first_load_kb`` and ``fast3g_usable_s`` (and details).

Over plain HTTP Chromium speaks HTTP/1.1 (six connections, one request at a time each); the
shipped nginx serves HTTPS with HTTP/2 in production (docs/DEPLOYING.md). To measure that, point
``--url`` at an ``https://`` nginx rendered with ``--tls-cert``/``--tls-key`` and
``--tls-listen 127.0.0.1:8443`` and pass ``--ignore-https-errors`` for a self-signed certificate:

    openssl req -x509 -newkey rsa:2048 -nodes -keyout /tmp/k.pem -out /tmp/c.pem -days 2 -subj /CN=localhost
    python deploy/render_nginx.py --ports 8501 --tls-cert /tmp/c.pem --tls-key /tmp/k.pem \
        --tls-listen 127.0.0.1:8443 --standalone /tmp/ng-tls --out /tmp/ng-tls/nginx.conf
    nginx -p /tmp/ng-tls -c /tmp/ng-tls/nginx.conf
    python bench/page_weight.py --url https://127.0.0.1:8443 --ignore-https-errors
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

CHROMIUM = os.environ.get("QCDC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
FAST_3G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
           "uploadThroughput": 750_000 / 8, "connectionType": "cellular3g"}
READY_JS = """() => {
  const input = document.querySelector('[data-testid="stRadio"] input[type="radio"]');
  if (!input || input.disabled) return false;
  const box = input.closest('[data-testid="stRadio"]').getBoundingClientRect();
  return box.width > 0 && box.height > 0;
}"""


def visit(browser, url: str, throttle: dict | None, timeout_s: float,
          ignore_https_errors: bool = False) -> dict:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                              is_mobile=True, has_touch=True, locale="vi-VN",
                              ignore_https_errors=ignore_https_errors)
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if throttle:
        cdp.send("Network.emulateNetworkConditions", throttle)
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    ws_bytes = [0]
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"],
                                                                   e["response"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(e["requestId"], int(e.get("encodedDataLength", 0))))
    cdp.on("Network.webSocketFrameReceived",
           lambda e: ws_bytes.__setitem__(0, ws_bytes[0] + len(e["response"]["payloadData"])))
    t0 = time.monotonic()
    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    page.wait_for_function(READY_JS, timeout=timeout_s * 1000, polling=50)
    usable = time.monotonic() - t0
    page.wait_for_timeout(300)  # let in-flight responses finish, for the byte count
    http = sum(sizes.values())
    biggest = sorted(((sizes[r], urls.get(r, "?")) for r in sizes), reverse=True)[:5]
    ctx.close()
    return {"usable_s": round(usable, 2), "http_bytes": http, "ws_bytes": ws_bytes[0],
            "requests": len(sizes), "largest": [(round(b / 1024, 1), u.split("?")[0][-60:])
                                                for b, u in biggest]}


def visit_arguments(description: str | None) -> argparse.ArgumentParser:
    """The options of a visit of the survey (shared with bench/page_trace.py)."""
    p = argparse.ArgumentParser(description=description,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="base URL, e.g. http://127.0.0.1:8780")
    p.add_argument("--code", default="07201", help="commune code in ?xa=")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--ignore-https-errors", action="store_true",
                   help="accept a self-signed certificate (an https:// test nginx)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = visit_arguments(__doc__).parse_args(argv)
    from playwright.sync_api import sync_playwright
    url = f"{args.url.rstrip('/')}/survey?xa={args.code}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            plain = visit(browser, url, None, args.timeout, args.ignore_https_errors)
            slow = visit(browser, url, FAST_3G, args.timeout, args.ignore_https_errors)
        finally:
            browser.close()
    out = {
        "bench": "page_weight",
        "url": url,
        "first_load_kb": round((plain["http_bytes"] + plain["ws_bytes"]) / 1024, 1),
        "http_kb": round(plain["http_bytes"] / 1024, 1),
        "websocket_kb": round(plain["ws_bytes"] / 1024, 1),
        "requests": plain["requests"],
        "unthrottled_usable_s": plain["usable_s"],
        "fast3g_usable_s": slow["usable_s"],
        "fast3g_kb": round((slow["http_bytes"] + slow["ws_bytes"]) / 1024, 1),
        "largest_kb": plain["largest"],
    }
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
