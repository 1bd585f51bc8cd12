"""Bring the database schema to the newest Alembic revision."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from db.engine import ROOT, get_engine, is_sqlite


def alembic_config() -> Config:
    return Config(str(Path(ROOT) / "alembic.ini"))


def upgrade_to_head() -> None:
    engine = get_engine()
    cfg = alembic_config()
    with engine.begin() as connection:
        if not is_sqlite():
            # several app processes may start at once: serialise migrations on PostgreSQL
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(730201)")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "heads")


def current_tables() -> list[str]:
    return inspect(get_engine()).get_table_names()


@contextmanager
def startup_lock() -> Iterator[None]:
    """Serialise start-up (migrations, then seeding) between processes: several app processes
    may start at once on an empty database, and the second must find the first one's rows
    instead of inserting them again. PostgreSQL: a session advisory lock; SQLite: a file lock
    beside the database file."""
    engine = get_engine()
    if is_sqlite():
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        import fcntl
        with open(f"{database}.lock", "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT pg_advisory_lock(730202)")
        try:
            yield
        finally:
            connection.exec_driver_sql("SELECT pg_advisory_unlock(730202)")
