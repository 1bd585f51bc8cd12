"""Bring the database schema to the newest Alembic revision."""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect, text

from db.engine import ROOT, get_engine, is_sqlite

VERSIONS = Path(ROOT) / "db" / "migrations" / "versions"
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+)$", re.M)


def alembic_config():
    from alembic.config import Config
    return Config(str(Path(ROOT) / "alembic.ini"))


def head_revisions() -> set[str] | None:
    """The newest revision ids of db/migrations/versions, read from the files' ``revision``
    and ``down_revision`` lines (None when a file cannot be read that way)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"].strip())
            down = ast.literal_eval(found.get("down_revision", "None").strip())
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else (down or ()))
    return (revisions - parents) or None


def at_head() -> bool:
    """True when the database already records the newest revisions: the usual start of an
    app process, which then needs neither Alembic (about 0.3 s to import and to read its
    scripts) nor the migration lock."""
    heads = head_revisions()
    if not heads:
        return False
    try:
        with get_engine().connect() as connection:
            stored = {r[0] for r in connection.execute(text(
                "SELECT version_num FROM alembic_version"))}
    except Exception:  # no table yet (a new database), or unreadable: migrate
        return False
    return stored == heads


def upgrade_to_head() -> None:
    if at_head():
        return
    from alembic import command
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
