"""A small run of bench/integrity.py (2 seeds, 20 communes, every kind of stuffing): the engine finds the planted
stuffing and leaves honest citizens alone, loosely enough to hold on any seed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("QCDC_DATA_DIR", "DATABASE_URL")}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "integrity.py"), *args],
                         capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_small_bench_meets_the_targets_loosely():
    r = run_bench("--seeds", "1,2", "--communes", "20", "--scale", "0.7", "--no-100k")
    assert r["bench"] == "integrity" and r["engine"] == "new" and r["seeds"] == [1, 2]
    assert r["communes"] == 40 and r["planted"] > 150 and r["honest"] > 1000
    assert r["recall"] >= 0.85, r["per_stuffing_kind"]
    assert r["false_flag_rate"] <= 0.02
    assert r["honest_only_warnings"] <= 3            # under one per 10 communes
    assert set(r["per_stuffing_kind"]) == {"sitting", "spread", "script_fast", "script_slow",
                                           "script_clear", "copies", "inflate", "night"}
    assert r["seconds"]["engine"] < 5
