"""Shared fixtures: every test gets its own real SQLite database file (no mocks).

``db`` is migrated and seeded with the 209 communes and the PKS 03 questionnaire plus one open
campaign; ``demo_db`` additionally has the demo accounts and synthetic activity. Both are copied
from a template built once per test session, so each test starts from the same state quickly.
"""
from __future__ import annotations

import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QCDC_DEMO", "1")


def _reset_process_caches() -> None:
    from app import campaigns, reference
    from db.engine import dispose_engines
    dispose_engines()
    reference.reset_cache()
    campaigns._cache.clear()
    import streamlit as st
    st.cache_resource.clear()
    st.cache_data.clear()


def _use_dir(path: Path, demo: bool) -> None:
    os.environ["QCDC_DATA_DIR"] = str(path)
    os.environ["QCDC_DEMO"] = "1" if demo else "0"
    os.environ["QCDC_COOKIE_KEY"] = "test-cookie-key-" + "x" * 40
    os.environ.pop("DATABASE_URL", None)
    _reset_process_caches()


def _build_template(path: Path, demo: bool) -> None:
    from app import campaigns, clock
    from app.bootstrap import ensure_ready
    from db.engine import session_scope
    from db.models import Campaign
    path.mkdir(parents=True, exist_ok=True)
    _use_dir(path, demo)
    info = ensure_ready(demo_mode=demo)
    if not demo:
        today = clock.today()
        with session_scope() as s:
            s.add(Campaign(name="Khảo sát PKS 03 (kiểm thử)", year=today.year,
                           start_date=today - timedelta(days=1), end_date=today + timedelta(days=1),
                           roster_deadline=today - timedelta(days=3), report_cutoff="21:00",
                           questionnaire_id=info["questionnaire_id"], is_active=True,
                           created_at=clock.now()))
        campaigns.invalidate()
    from db.engine import get_engine
    with get_engine().connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    _reset_process_caches()


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    base = tmp_path_factory.mktemp("templates")
    out = {}
    for name, demo in (("plain", False), ("demo", True)):
        _build_template(base / name, demo)
        out[name] = base / name
    return out


def _fresh_copy(template: Path, target: Path, demo: bool) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(template / "qcdc.db", target / "qcdc.db")
    _use_dir(target, demo)
    return target


@pytest.fixture
def db(_templates, tmp_path):
    """A migrated, seeded database with one open (non-demo) campaign."""
    path = _fresh_copy(_templates["plain"], tmp_path / "data", False)
    yield path
    _reset_process_caches()


@pytest.fixture
def demo_db(_templates, tmp_path):
    """Like `db`, plus the demo accounts and the demo campaign's synthetic activity."""
    path = _fresh_copy(_templates["demo"], tmp_path / "data", True)
    yield path
    _reset_process_caches()


@pytest.fixture
def active(db):
    from app.campaigns import active_campaign
    return active_campaign(max_age=0)


def count_rows(model) -> int:
    from app.seed import count
    return count(model)
