"""``python -m app.cli integrity``: the same flagged sheets as the warnings page, as one JSON
line, or a summary a person reads."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.apptest import ROOT


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", "integrity", *args],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ))


def test_json_is_the_pages_flagged_sheets(demo_db):
    from app.core import demo
    from app.core.campaigns import active_campaign
    from app.monitoring.warnings import ENGINE_KINDS, compute_warnings
    from tests.dashboard_helpers import TINH
    out = _cli("--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    cid = active_campaign(max_age=0).campaign.id
    assert set(got) == {"campaign", "flagged", "clusters"} and got["campaign"] == cid
    page = [w for w in compute_warnings(TINH) if w.kind in ENGINE_KINDS]
    assert got["clusters"] == len(page) >= 4
    on_page = {i for w in page for i in w.response_ids}
    assert {int(k) for k in got["flagged"]} == on_page
    for w in page:
        for rid in w.response_ids:
            flag = got["flagged"][str(rid)]
            assert flag["score"] >= w.score and w.reason in flag["reasons"]
    sitting = next(w for w in page if w.kind == "browser" and w.commune_code == demo.BURST)
    assert "một trình duyệt" in got["flagged"][str(sitting.response_ids[0])]["reasons"][0]
    # the same with the campaign named
    again = json.loads(_cli("--campaign", str(cid), "--json").stdout.strip().splitlines()[-1])
    assert again == got


def test_summary_and_unknown_campaign(demo_db):
    out = _cli()
    assert out.returncode == 0, out.stderr
    assert "cảnh báo nhóm phiếu" in out.stdout and "Phường Lê Lợi" in out.stdout
    assert "browser:07219:" in out.stdout
    bad = _cli("--campaign", "999", "--json")
    assert bad.returncode == 2 and "Không có đợt khảo sát này" in bad.stderr
    assert bad.stdout == ""
