"""The operator CLI and the seeded data, run as an operator would."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.settings import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def run_cli(args, data_dir, stdin=None, extra_env=None):
    env = dict(os.environ, QCDC_DATA_DIR=str(data_dir))
    env.pop("DATABASE_URL", None)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


def test_stats_on_a_new_database(tmp_path):
    r = run_cli(["stats"], tmp_path)
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout.strip().splitlines()[-1])
    assert stats["communes"] == 209 and stats["districts"] == 10
    assert stats["users"] == 0 and stats["campaigns"] == 0 and stats["responses"] == 0


def test_stats_counts_demo_responses_per_campaign(demo_db):
    r = run_cli(["stats"], demo_db)
    stats = json.loads(r.stdout.strip().splitlines()[-1])
    from app.core.demo import DEMO_ACCOUNTS
    assert stats["campaigns"] == 1 and stats["users"] == len(DEMO_ACCOUNTS) == 6
    per = stats["responses_per_campaign"]
    assert per and per[0]["responses"] == stats["responses"] > 0


def test_create_user_reads_password_from_stdin_and_refuses_bad_input(tmp_path):
    r = run_cli(["create-user", "chief", "--role", "admin"], tmp_path, stdin="Secret123\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["created"] == "chief"
    r = run_cli(["create-user", "chief", "--role", "admin"], tmp_path, stdin="Secret123\n")
    assert r.returncode == 2 and "đã tồn tại" in r.stderr
    r = run_cli(["create-user", "xa.test", "--role", "commune", "--commune", "00000"], tmp_path,
                stdin="Secret123\n")
    assert r.returncode == 2 and "mã xã" in r.stderr
    r = run_cli(["stats"], tmp_path)
    assert json.loads(r.stdout)["users"] == 1


def test_qr_command_writes_pngs_and_pdf(tmp_path):
    import zxingcpp
    from PIL import Image
    out = tmp_path / "qr"
    r = run_cli(["qr", "--base-url", "https://khaosat.example.vn", "--out", str(out)], tmp_path)
    assert r.returncode == 0, r.stderr
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 209
    decoded = zxingcpp.read_barcodes(Image.open(out / "07201.png"))
    assert decoded[0].text == "https://khaosat.example.vn/survey?xa=07201"
    assert (out / "qr_codes.pdf").read_bytes().startswith(b"%PDF")
    bad = run_cli(["qr", "--base-url", "javascript:alert(1)", "--out", str(out)], tmp_path)
    assert bad.returncode == 2


def test_qr_command_uses_the_public_address_setting_and_refuses_without_one(tmp_path):
    import zxingcpp
    from PIL import Image
    out = tmp_path / "qr"
    none = run_cli(["qr", "--out", str(out)], tmp_path, extra_env={"QCDC_PUBLIC_URL": ""})
    assert none.returncode == 2 and "QCDC_PUBLIC_URL" in none.stderr
    assert not list(out.glob("*.png"))
    wrong = run_cli(["qr", "--out", str(out)], tmp_path,
                    extra_env={"QCDC_PUBLIC_URL": "khaosat.bacgiang.gov.vn"})
    assert wrong.returncode == 2 and "không phải địa chỉ hợp lệ" in wrong.stderr
    r = run_cli(["qr", "--out", str(out)], tmp_path,
                extra_env={"QCDC_PUBLIC_URL": "https://khaosat.bacgiang.gov.vn/"})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["base_url"] == "https://khaosat.bacgiang.gov.vn"
    decoded = zxingcpp.read_barcodes(Image.open(out / "07201.png"))
    assert decoded[0].text == "https://khaosat.bacgiang.gov.vn/survey?xa=07201"


def test_production_mode_refuses_the_default_cookie_key(monkeypatch):
    monkeypatch.setenv("QCDC_DEMO", "0")
    monkeypatch.delenv("QCDC_COOKIE_KEY", raising=False)
    with pytest.raises(ConfigError):
        load_settings()
    monkeypatch.setenv("QCDC_COOKIE_KEY", "short")
    with pytest.raises(ConfigError):
        load_settings()
    monkeypatch.setenv("QCDC_COOKIE_KEY", "k" * 40)
    assert load_settings().demo_mode is False


def test_demo_campaign_window_contains_today_and_moves(demo_db):
    from datetime import timedelta

    from app.core import campaigns, clock
    from app.core.demo import ensure_demo_campaign
    from app.core.seed import count
    from db.models import Response
    active = campaigns.active_campaign(max_age=0)
    c = active.campaign
    assert c.is_demo and c.start_date <= clock.today() <= c.end_date
    assert (c.end_date - c.start_date).days == 2
    later = clock.today() + timedelta(days=10)
    moved = ensure_demo_campaign(active.questionnaire_id, active.definition, today=later)
    assert moved.id == c.id and moved.start_date <= later <= moved.end_date
    assert count(Response) > 0  # regenerated for the new window


def test_demo_tallies_match_the_responses(demo_db):
    from sqlalchemy import func
    from sqlmodel import select

    from db.engine import session_scope
    from db.models import CommuneHourTally, Response
    with session_scope() as s:
        n = s.exec(select(func.count()).select_from(Response)).one()
        t = s.exec(select(func.sum(CommuneHourTally.n))).one()
    assert n == t > 1000
