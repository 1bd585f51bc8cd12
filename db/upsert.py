"""Portable "insert or add to" for the running-aggregate tables (SQLite and PostgreSQL)."""
from __future__ import annotations

from typing import Sequence

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
    insert = _insert_for(session.get_bind().dialect.name)
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key_cols),
        set_={c: getattr(table.c, c) + getattr(stmt.excluded, c) for c in add_cols},
    )
    session.execute(stmt, rows)
