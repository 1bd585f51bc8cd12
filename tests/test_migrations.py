"""The Alembic migrations build exactly the schema the SQLModel tables describe."""
from __future__ import annotations

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
    missing while the branch that holds its file is not merged yet (the API tokens' 0007 waits
    for 0005 and 0006), but never repeated nor out of order."""
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
