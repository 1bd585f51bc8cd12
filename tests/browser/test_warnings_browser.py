"""The warnings page in a real Chromium (issue 14 item 1): every action applies to the warning
the reviewer read. A reviewer picks a warning in the list, excludes its sheets (the list
changes: the warning, now dealt with, moves after the open ones, and another takes its row),
then marks it reviewed with a note: the mark and the note land on the warning that was read,
not on the one that now sits in its row (what a selection kept by row position did)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from tests.browser.conftest import ROOT, sign_in, wait_idle

pytestmark = pytest.mark.browser

HEADER = 35      # the table's header row and each row: 35 px (row_height in warnings_view)
GROUPS = ("browser", "session", "device", "network", "copies", "team")


def _open_list(server) -> list[dict]:
    """The page's open warnings with sheets, in the page's order, read from the server's own
    database by the app's code (a separate process: the test process stays on its own)."""
    code = (
        "import json\n"
        "from app.core.auth import Scope\n"
        "from app.monitoring.warnings import compute_warnings\n"
        "ws = compute_warnings(Scope('demo.tinh', 'x', 'province'))\n"
        "print(json.dumps([{'key': w.key, 'label': w.label, 'n': len(w.response_ids)}\n"
        "                  for w in ws if not w.reviewed]))\n")
    env = dict(os.environ, QCDC_DATA_DIR=str(server.data_dir), QCDC_DEMO="1")
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _pick_row(page, index: int) -> None:
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + HEADER + HEADER * index + HEADER / 2)


def _shot(page, server, name: str) -> None:
    out = os.environ.get("QCDC_SCREENSHOTS")
    path = os.path.join(out, name) if out else str(server.data_dir / name)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 2200})
    page.wait_for_timeout(1000)
    page.screenshot(path=path)
    page.set_viewport_size(size)


def test_a_mark_lands_on_the_warning_read_after_an_exclusion_changed_the_list(
        live_server, desktop_page):
    page = desktop_page
    before = _open_list(live_server)
    # the reviewer reads a group warning below the first row (a group keeps its sheets: once
    # they are all excluded it is dealt with and moves after the open ones)
    row = next(i for i, w in enumerate(before) if i >= 1 and w["key"].split(":")[0] in GROUPS)
    read = before[row]
    sign_in(page, live_server, "demo.tinh")
    page.goto(live_server.url + "/canh-bao")
    page.get_by_text("Nhóm phiếu đáng ngờ").first.wait_for()
    wait_idle(page)
    _pick_row(page, row)
    acting = page.get_by_text("Các thao tác dưới đây áp dụng cho cảnh báo:")
    acting.wait_for()
    assert read["label"] in acting.inner_text()
    _shot(page, live_server, "warnings_detail.png")

    note = page.get_by_label("Ghi chú / lý do")
    note.fill("Phiếu của máy hỗ trợ tại bộ phận một cửa")
    page.get_by_role("button", name=f"Loại {read['n']} phiếu", exact=True).click()
    page.get_by_text(f"Đã loại các phiếu của cảnh báo «{read['label']}»").wait_for()
    wait_idle(page)
    # the list changed under the reader: another warning now sits in the row that was read
    after = [w["key"] for w in _open_list(live_server)]
    assert after[row] != read["key"] and after.index(read["key"]) > row
    # ... while the page still names the warning read, and acts on it
    assert read["label"] in page.get_by_text(
        "Các thao tác dưới đây áp dụng cho cảnh báo:").inner_text()
    assert page.get_by_label("Ghi chú / lý do").input_value() == ""   # a fresh note
    page.get_by_label("Ghi chú / lý do").fill("Đã xác minh với tổ công tác: máy hỗ trợ")
    page.get_by_role("button", name="Đánh dấu đã xem xét", exact=True).click()
    page.get_by_text(f"Đã đánh dấu đã xem xét: «{read['label']}»").wait_for()
    wait_idle(page)
    _shot(page, live_server, "warnings_after_mark.png")

    con = sqlite3.connect(live_server.data_dir / "qcdc.db")
    try:
        marks = con.execute("SELECT warning_key, note, reviewed_by FROM warning_review").fetchall()
        audited = con.execute("SELECT entity_id FROM audit_log WHERE action = 'warning.review'"
                              ).fetchall()
        excluded = con.execute("SELECT json_extract(after, '$.warning') FROM audit_log "
                               "WHERE action = 'response.exclude'").fetchall()
    finally:
        con.close()
    assert marks == [(read["key"], "Đã xác minh với tổ công tác: máy hỗ trợ", "demo.tinh")]
    assert audited == [(read["key"],)]
    assert set(excluded) == {(read["key"],)} and len(excluded) == read["n"]
