#!/usr/bin/env python
"""Sign-in time: from tapping "Đăng nhập" to the start page, in Debian's Chromium.

    python bench/signin.py                       # starts its own server (demo data)
    python bench/signin.py --url http://127.0.0.1:8501 --rounds 5

For each round and each demo account (``--users``; province, district and commune staff land
on different start pages), a new browser context (no cookie) opens ``/dang-nhap``, waits for the
form, types the name and the demo password and taps "Đăng nhập". The time runs from that tap:

* ``usable_s``: the start page's address is shown with its menu ("Đăng xuất") and the app has
  stopped running (no "Running…" indicator) for a whole second after it: what the user waits;
* ``runs``: script runs the browser asked for after the tap (rerun messages it sent on the
  websocket: the form's own, and before issue 16 the cookie components' answers);
* ``cookie``: whether the sign-in cookie was in the browser at the end (a reload keeps the
  session; checked by reloading the start page once).

``--typing S``: the user takes S seconds to type before the tap (default 0: the tap as soon as
the form is there, the sign-in page perhaps still loading what it fetches while the user types,
app/ui/core/preload.py); a person takes a few seconds.

``server_cpu_s_per_sign_in``: the server process's CPU time (user + system, /proc) over the
counted sign-ins, divided by their number: steadier than the wall-clock time on a shared
machine (bcrypt's check at cost 12 is part of it). With ``--url``, pass ``--pid``.

A warm-up round (not counted) first loads every start page once, as any server that has
served its staff before has. The server's own bcrypt time for one check (cost 12, in this
process) is printed beside, as the floor of a sign-in on this machine.

The last line is one JSON object:
``{"bench": "signin", "seconds": {"p50": .., "p95": .., "max": ..}, "runs": {...}, ...}``.
Only loopback targets.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from local_server import start_server  # noqa: E402

CHROMIUM = os.environ.get("QCDC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
PASSWORD = "Demo@2024"
USERS = ["demo.tinh", "demo.huyen", "demo.xa"]

# After the tap: the page is usable once the address is no longer the sign-in page's, the menu
# is drawn and nothing runs; `last` is the time of the last change to the page (a mutation).
WATCH_JS = """() => {
  window.__qcdc = {last: performance.now(), sent: 0};
  new MutationObserver(() => { window.__qcdc.last = performance.now(); })
    .observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true});
  window.__qcdc.t0 = performance.now();
}"""
STATE_JS = """() => {
  const running = [...document.querySelectorAll('[data-testid="stStatusWidget"]')]
    .some(el => /Running|Đang chạy/i.test(el.innerText));
  const menu = [...document.querySelectorAll('[data-testid="stSidebar"] *, a, button')]
    .some(el => el.children.length === 0 && (el.innerText || '').trim() === 'Đăng xuất');
  return {path: location.pathname, running, menu, now: performance.now(),
          last: window.__qcdc.last, t0: window.__qcdc.t0};
}"""


def type_credentials(page, url: str, username: str, typing_s: float, watch_js: str):
    """Open the sign-in page, type the name and the demo password, let the user take
    `typing_s` more seconds, start the page-side watcher `watch_js`; the "Đăng nhập" button,
    ready to tap (shared with bench/signin_trace.py)."""
    page.goto(url + "/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    button = page.get_by_role("button", name="Đăng nhập")
    button.wait_for()
    if typing_s > 0:
        page.wait_for_timeout(typing_s * 1000)
    page.evaluate(watch_js)
    return button


def sign_in_once(browser, url: str, username: str, timeout_s: float,
                 typing_s: float = 0.0) -> dict:
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = ctx.new_page()
    page.set_default_timeout(timeout_s * 1000)
    sent = {"n": 0, "armed": False}

    def on_ws(ws) -> None:
        def on_sent(_payload) -> None:
            if sent["armed"]:
                sent["n"] += 1
        ws.on("framesent", on_sent)

    page.on("websocket", on_ws)
    out: dict = {"user": username, "usable_s": None, "runs": None, "cookie": False,
                 "error": None}
    try:
        button = type_credentials(page, url, username, typing_s, WATCH_JS)
        sent["armed"] = True
        button.click()
        deadline = time.monotonic() + timeout_s
        while True:
            s = page.evaluate(STATE_JS)
            done = (s["path"] not in ("/dang-nhap", "/") and s["menu"] and not s["running"])
            if done and s["now"] - s["last"] >= 1000:
                out["usable_s"] = round((s["last"] - s["t0"]) / 1000, 3)
                out["path"] = s["path"]
                break
            if time.monotonic() > deadline:
                out["error"] = f"timeout at {s['path']}"
                break
            page.wait_for_timeout(50)
        out["runs"] = sent["n"]
        out["cookie"] = any(c["name"] == "qcdc_auth" or c["name"].startswith("qcdc")
                            for c in ctx.cookies())
        if out["usable_s"] is not None:  # a reload keeps the session
            page.reload()
            page.get_by_text("Đăng xuất").first.wait_for()
            out["kept_on_reload"] = True
    except Exception as exc:  # noqa: BLE001 (reported in the figures)
        out["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    finally:
        ctx.close()
    return out


def bcrypt_check_s() -> float:
    import bcrypt
    hashed = bcrypt.hashpw(b"x", bcrypt.gensalt(12))
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        bcrypt.checkpw(b"x", hashed)
        best = min(best, time.perf_counter() - t0)
    return round(best, 3)


def cpu_seconds(pid: int | None) -> float | None:
    if not pid:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 3)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    p.add_argument("--url", help="a running server (default: start one on demo data)")
    p.add_argument("--rounds", type=int, default=3, help="sign-ins per user")
    p.add_argument("--users", default=",".join(USERS))
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--pid", type=int, help="the server's process id (with --url): its CPU time")
    p.add_argument("--typing", type=float, default=0.0,
                   help="seconds the user types before the tap (default 0)")
    args = p.parse_args()
    users = [u for u in args.users.split(",") if u]

    proc = tmp = None
    pid = args.pid
    url = args.url
    if url:
        sys.path.insert(0, str(ROOT / "bench"))
        from st_protocol import assert_loopback_url
        assert_loopback_url(url)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="qcdc-signin-"))
        proc, url = start_server(tmp)
        pid = proc.pid
    load_before = os.getloadavg()
    try:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            for user in users:  # warm-up: every start page drawn once
                warm = sign_in_once(browser, url, user, args.timeout, args.typing)
                print(json.dumps({"warm_up": warm}, ensure_ascii=False), flush=True)
            results = []
            cpu0 = cpu_seconds(pid)
            for _ in range(args.rounds):
                for user in users:
                    r = sign_in_once(browser, url, user, args.timeout, args.typing)
                    print(json.dumps(r, ensure_ascii=False), flush=True)
                    results.append(r)
            cpu1 = cpu_seconds(pid)
            browser.close()
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    times = [r["usable_s"] for r in results if r["usable_s"] is not None]
    runs = [r["runs"] for r in results if r["runs"] is not None]
    summary = {
        "bench": "signin",
        "seconds": {"p50": pct(times, 0.5), "p95": pct(times, 0.95),
                    "max": max(times) if times else None,
                    "mean": round(statistics.fmean(times), 3) if times else None},
        "per_user_median_s": {u: (statistics.median(ts) if (ts := [
            r["usable_s"] for r in results if r["user"] == u and r["usable_s"] is not None])
            else None) for u in users},
        "runs": {"min": min(runs) if runs else None, "max": max(runs) if runs else None},
        "signed_in": len(times), "attempts": len(results),
        "errors": [r["error"] for r in results if r["error"]],
        "cookie_kept": sum(1 for r in results if r.get("kept_on_reload")),
        "server_cpu_s_per_sign_in": (round((cpu1 - cpu0) / len(results), 3)
                                     if cpu0 is not None and results else None),
        "bcrypt_cost12_s": bcrypt_check_s(),
        "typing_s": args.typing,
        "loadavg": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
