"""Shared fixtures: every test gets its own real SQLite database file (no mocks).

``db`` is migrated and seeded with the 209 communes and the PKS 03 questionnaire plus one open
campaign; ``demo_db`` additionally has the demo accounts and synthetic activity. Both are copied
from a template built once per test session, so each test starts from the same state quickly.
"""
from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QCDC_DEMO", "1")
# a UI string key missing from app/core/i18n.py raises instead of showing the key (servers
# started by the tests inherit it)
os.environ["QCDC_I18N_STRICT"] = "1"


def _reset_process_caches() -> None:
    from app.core import auth, campaigns, reference
    from db.engine import dispose_engines
    dispose_engines()
    auth.forget_all_failures()
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
    os.environ.pop("QCDC_PUBLIC_URL", None)  # tests that want one set it
    _reset_process_caches()


def _add_open_campaign(questionnaire_id: int) -> None:
    from app.core import campaigns, clock
    from db.engine import session_scope
    from db.models import Campaign
    today = clock.today()
    with session_scope() as s:
        s.add(Campaign(name="Khảo sát PKS 03 (kiểm thử)", year=today.year,
                       start_date=today - timedelta(days=1), end_date=today + timedelta(days=1),
                       roster_deadline=today - timedelta(days=3), report_cutoff="21:00",
                       questionnaire_id=questionnaire_id, is_active=True,
                       created_at=clock.now()))
    campaigns.invalidate()


def _build_template(path: Path, demo: bool) -> None:
    from app.core.startup import ensure_ready
    path.mkdir(parents=True, exist_ok=True)
    _use_dir(path, demo)
    info = ensure_ready(demo_mode=demo)
    if not demo:
        _add_open_campaign(info["questionnaire_id"])
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
    from app.core.campaigns import active_campaign
    return active_campaign(max_age=0)


def count_rows(model) -> int:
    from app.core.seed import count
    return count(model)


# --------------------------------------------------------------------------- PostgreSQL
# Tests marked `postgres` run against the server named by DATABASE_URL_TEST (a role that may
# create databases; .ci/run starts Debian's PostgreSQL and sets it). Without it they fail when
# CI is set (CI must run them) and are skipped on a developer machine.

def pg_admin_url() -> str:
    url = os.environ.get("DATABASE_URL_TEST", "").strip()
    if not url:
        msg = ("DATABASE_URL_TEST is not set: the tests marked postgres need a PostgreSQL server "
               "(postgresql+psycopg://user:password@host:port/postgres, a role with CREATEDB; "
               ".ci/run starts one)")
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            pytest.fail(msg)
        pytest.skip(msg)
    for old in ("postgres://", "postgresql://"):
        if url.startswith(old):
            url = "postgresql+psycopg://" + url[len(old):]
    return url


@contextmanager
def fresh_pg_database(prefix: str = "qcdc_t") -> Iterator[str]:
    """An empty PostgreSQL database for the duration of the block; yields its URL."""
    import secrets

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from db.engine import dispose_engines
    admin = make_url(pg_admin_url())
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    eng = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with eng.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_engines()
        drop_pg_database(eng, name)
        eng.dispose()


def drop_pg_database(eng, name: str) -> None:
    """Drop a test database whatever still holds it. ``DROP ... WITH (FORCE)`` must be able to
    terminate every session of the database, and a non-superuser may not terminate a process
    without a role of its own (an autovacuum worker busy with the freshly seeded tables, a
    backend still starting): FORCE then fails ("permission denied to terminate process").
    So: refuse new connections (the test role owns the database), end this role's own
    sessions (pools or server processes a test left behind; allowed for the same role), and
    drop without FORCE: a plain DROP stops autovacuum workers itself and waits for the
    terminated sessions to go."""
    with eng.connect() as c:
        if c.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s",
                             (name,)).first() is None:
            return
        c.exec_driver_sql(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        c.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND usename = current_user AND pid <> pg_backend_pid()",
            (name,))
        c.exec_driver_sql(f'DROP DATABASE "{name}"')


def use_pg(url: str, data_dir: Path, demo: bool = False) -> None:
    """Point this process at the PostgreSQL database `url` (photos etc. under data_dir)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    _use_dir(data_dir, demo)
    os.environ["DATABASE_URL"] = url
    _reset_process_caches()


@pytest.fixture(scope="module")
def pg_module_db(tmp_path_factory):
    """A fresh PostgreSQL database for the test module: migrated and seeded by
    app.bootstrap.ensure_ready(demo_mode=False), with one open campaign; dropped afterwards."""
    from app.core.startup import ensure_ready
    with fresh_pg_database() as url:
        use_pg(url, tmp_path_factory.mktemp("pg"))
        info = ensure_ready(demo_mode=False)
        _add_open_campaign(info["questionnaire_id"])
        _reset_process_caches()
        os.environ.pop("DATABASE_URL", None)
        yield url
        _reset_process_caches()


@pytest.fixture
def pg_db(pg_module_db, tmp_path):
    """Like `db`, on the module's PostgreSQL database (DATABASE_URL set for the test)."""
    use_pg(pg_module_db, tmp_path / "data")
    yield pg_module_db
    _reset_process_caches()
    os.environ.pop("DATABASE_URL", None)


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Each test twice, on the SQLite file and on PostgreSQL (marked ``postgres``): the name of
    the backend; the process points at a seeded database with an open campaign."""
    request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")
    from db.engine import database_url
    assert database_url().startswith("sqlite" if request.param == "sqlite" else "postgresql")
    return request.param
