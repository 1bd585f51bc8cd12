"""Portable "insert or add to" for the running-aggregate tables (SQLite and PostgreSQL)."""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import Table
from sqlalchemy.orm import Session


def _insert_for(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def upsert_add(session: Session, table: Table, key_cols: Sequence[str], add_cols: Sequence[str],
               rows: list[dict]) -> None:
    """For each row: insert it, or add its `add_cols` values to the existing row with those keys."""
    if not rows:
        return
    stmt = _upsert_stmt(session.get_bind().dialect.name, table, tuple(key_cols), tuple(add_cols))
    session.execute(stmt, rows)


@lru_cache(maxsize=64)
def _upsert_stmt(dialect: str, table: Table, key_cols: tuple[str, ...],
                 add_cols: tuple[str, ...]):
    # Statements are immutable: build each once per process (building the "excluded" alias
    # costs about a millisecond, on every submitted answer sheet).
    stmt = _insert_for(dialect)(table)
    return stmt.on_conflict_do_update(
        index_elements=list(key_cols),
        set_={c: getattr(table.c, c) + getattr(stmt.excluded, c) for c in add_cols},
    )
