"""Bring the database schema to the newest Alembic revision."""
from __future__ import annotations

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
