"""The Alembic migrations build exactly the schema the SQLModel tables describe."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import db.models  # noqa: F401
from db.engine import get_engine
from db.migrate import upgrade_to_head


def test_models_and_migrations_agree(db):
    upgrade_to_head()  # idempotent on an up-to-date database
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_sqlite_runs_in_wal_mode_with_busy_timeout(db):
    with get_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_migration_files_are_numbered_in_the_order_they_apply():
    """File names give the apply order (0001, 0002, ...); revision ids never change (existing
    databases record them), so a file's number and its revision id may differ. A number may be
    missing while the branch that holds its file is not merged yet, but never repeated nor out
    of order."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory
    root = Path(__file__).resolve().parent.parent
    script = ScriptDirectory.from_config(Config(str(root / "alembic.ini")))
    chain = [Path(rev.path).name for rev in reversed(list(script.walk_revisions()))]
    assert chain == sorted(chain)
    # four-digit numbers, strictly rising (a number may be skipped while branches that each
    # add a migration are merged; it is never reused)
    numbers = [int(name[:4]) for name in chain]
    assert numbers[0] == 1 and all(b > a for a, b in zip(numbers, numbers[1:])), chain


def test_the_chain_is_one_line_through_every_branchs_migration():
    """One head, and the migrations of the merged branches in the order they apply: integrity's
    signals and dossier counts after the demo accounts and the API tokens, so that a database
    already at 0007_api_tokens (main before integrity merged) still gets them."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory
    root = Path(__file__).resolve().parent.parent
    script = ScriptDirectory.from_config(Config(str(root / "alembic.ini")))
    assert len(script.get_heads()) == 1
    chain = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    expected = ["0004", "0006_demo_accounts", "0007_api_tokens", "0008_integrity_signals",
                "0009_dossier_counts", "0010_kiosk"]
    assert chain[chain.index("0004"):chain.index("0004") + len(expected)] == expected


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_down_to_0004_and_up_again_on_both_servers(backend, tmp_path):
    """Every migration after 0004 goes down and up again on a seeded database (its rows kept),
    and the result is the models' schema, on SQLite and on PostgreSQL."""
    from contextlib import nullcontext

    from alembic import command

    from app.core.startup import ensure_ready
    from db.migrate import alembic_config
    from db.models import Commune
    from tests.conftest import _reset_process_caches, _use_dir, fresh_pg_database, use_pg
    ctx = fresh_pg_database("qcdc_chain") if backend == "postgres" else nullcontext(None)
    try:
        with ctx as url:
            if url:
                use_pg(url, tmp_path / "data")
            else:
                _use_dir(tmp_path / "data", False)
                _reset_process_caches()
            ensure_ready(demo_mode=False)
            cfg = alembic_config()
            with get_engine().begin() as conn:
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0004")
                assert MigrationContext.configure(conn).get_current_revision() == "0004"
                command.upgrade(cfg, "heads")
                assert MigrationContext.configure(conn).get_current_revision() == "0010_kiosk"
            with get_engine().connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
                communes = conn.execute(sa.select(sa.func.count()).select_from(Commune)).scalar()
            assert diff == [], f"models and migrations differ: {diff}"
            assert communes == 209
    finally:
        _reset_process_caches()
        os.environ.pop("DATABASE_URL", None)


def test_a_database_at_the_newest_revision_starts_without_alembic(db):
    """The start-up fast path reads the newest revisions from the migration files as Alembic
    does, and migrates a database that is not there yet."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from db.migrate import alembic_config, at_head, head_revisions
    assert head_revisions() == set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert at_head()
    with get_engine().begin() as conn:   # one step behind: an older database
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert not at_head()
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"),
                     {"v": next(iter(head_revisions()))})
    assert at_head()
