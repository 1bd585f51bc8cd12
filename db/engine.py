"""Engine and sessions.

With no ``DATABASE_URL`` the app uses a SQLite file (``var/qcdc.db`` by default, or
``QCDC_DATA_DIR``) in WAL mode with a busy timeout, so many survey sessions can write while
dashboards read. ``DATABASE_URL=postgresql+psycopg://...`` selects PostgreSQL with no code change.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

ROOT = Path(__file__).resolve().parent.parent
_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def data_dir() -> Path:
    from app.core.settings import data_dir as configured  # QCDC_DATA_DIR
    d = configured()
    if not d.is_dir():  # one stat: this runs for every transaction
        d.mkdir(parents=True, exist_ok=True)
    return d


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{data_dir() / 'qcdc.db'}"


def is_sqlite(url: str | None = None) -> bool:
    return (url or database_url()).startswith("sqlite")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10},
                               pool_size=8, max_overflow=16)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True)
    return engine


def get_engine() -> Engine:
    """One engine per database URL per process."""
    url = database_url()
    eng = _engines.get(url)
    if eng is None:
        with _lock:
            eng = _engines.get(url)
            if eng is None:
                eng = make_engine(url)
                _engines[url] = eng
    return eng


def dispose_engines() -> None:
    with _lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()


_sqlite_write_lock = threading.Lock()


@contextmanager
def write_lock() -> Iterator[None]:
    """Around a short write transaction that many threads run at once (a submitted answer
    sheet). SQLite lets one writer in at a time and makes the others poll with growing sleeps
    (busy_timeout), which under a burst adds hundreds of milliseconds; queueing the writers of
    this process on a lock instead hands the database over as soon as it is free. Other
    processes still wait on busy_timeout. PostgreSQL needs no lock."""
    if is_sqlite():
        with _sqlite_write_lock:
            yield
    else:
        yield


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
