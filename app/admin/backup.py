"""Backups of the SQLite database: a consistent copy of a live database, and putting one back.

``backup(dest)`` uses SQLite's online backup API in one step under a read transaction: in WAL
mode that sees one committed state (a snapshot) and never blocks the app's writers, so the copy
holds every answer with its tallies or neither. The copy is a single self-contained file
(journal mode DELETE), checked with ``PRAGMA integrity_check`` before it replaces ``dest``.

``restore(src)`` validates that ``src`` is an intact QCDC database, refuses while another process
has the live database open (the app may be writing; ``force=True`` overrides), keeps the current
file as ``<name>.bak`` and copies ``src`` into place. PostgreSQL databases are backed up with
``pg_dump`` (see ``POSTGRES_HINT``).

CLI: ``python -m app.cli backup PATH`` and ``python -m app.cli restore PATH [--force]``.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

from db.engine import database_url, dispose_engines, is_sqlite

REQUIRED_TABLES = {"alembic_version", "campaign", "commune", "response"}
POSTGRES_HINT = (
    "This database is PostgreSQL: back it up with pg_dump, e.g.\n"
    "  pg_dump --format=custom --file=qcdc-$(date +%F-%H%M).dump \"$PGURL\"\n"
    "and restore with\n"
    "  pg_restore --clean --if-exists --no-owner --dbname=\"$PGURL\" FILE.dump\n"
    "where PGURL is DATABASE_URL without '+psycopg' (postgresql://user:password@host/db).")


class BackupError(RuntimeError):
    """The copy or the restore cannot be done; nothing was changed."""


class PostgresDatabase(BackupError):
    """The configured database is PostgreSQL: use pg_dump / pg_restore."""


def live_database_path() -> Path:
    url = database_url()
    if not is_sqlite(url):
        raise PostgresDatabase(POSTGRES_HINT)
    path = url.split("sqlite:///", 1)[-1]
    if not path or path == ":memory:":
        raise BackupError("no SQLite database file is configured")
    return Path(path)


def check_database(path: Path) -> dict:
    """Open `path` read-only and check it is an intact QCDC database. Returns its counts."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with open(path, "rb") as f:
        if f.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path}: not an SQLite database")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = REQUIRED_TABLES - tables
        if missing:
            raise BackupError(f"{path}: not a QCDC database (missing tables: "
                              f"{', '.join(sorted(missing))})")
        check = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if check != ["ok"]:
            raise BackupError(f"{path}: integrity check failed: {'; '.join(check[:5])}")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        responses = conn.execute("SELECT count(*) FROM response").fetchone()[0]
        tallied = None
        if "commune_hour_tally" in tables:
            tallied = conn.execute("SELECT coalesce(sum(n), 0) + coalesce(sum(n_excluded), 0) "
                                   "FROM commune_hour_tally").fetchone()[0]
        return {"path": str(path), "bytes": path.stat().st_size, "integrity": "ok",
                "revision": revision[0] if revision else None, "responses": responses,
                "tallied_responses": tallied}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: unreadable database ({exc})") from exc
    finally:
        conn.close()


def backup(dest: Path | str) -> dict:
    """Write a consistent copy of the live SQLite database to `dest` (replaced atomically)."""
    src = live_database_path()
    if not src.is_file():
        raise BackupError(f"{src}: the database does not exist yet")
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / f"qcdc-{time.strftime('%Y%m%d-%H%M%S')}.db"
    if dest.resolve() == src.resolve():
        raise BackupError("the copy cannot overwrite the live database")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    t0 = time.monotonic()
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(part)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(target)  # all pages in one step: one snapshot, writers not blocked (WAL)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        target.commit()
    finally:
        target.close()
        source.close()
    try:
        info = check_database(part)
    except BackupError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, dest)
    info.update(path=str(dest), source=str(src), seconds=round(time.monotonic() - t0, 2))
    return info


def _open_elsewhere(path: Path) -> list[int]:
    """Ids of other processes holding the database (or its -wal/-shm files) open."""
    names = {str(path.resolve()), str(path.resolve()) + "-wal", str(path.resolve()) + "-shm"}
    me, found = os.getpid(), []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for pid_dir in proc.iterdir():
        if not pid_dir.name.isdigit() or int(pid_dir.name) == me:
            continue
        try:
            for fd in (pid_dir / "fd").iterdir():
                try:
                    if os.readlink(fd) in names:
                        found.append(int(pid_dir.name))
                        break
                except OSError:
                    continue
        except OSError:
            continue
    return found


def restore(src: Path | str, *, force: bool = False) -> dict:
    """Put the QCDC database file `src` in place of the live one; the old one becomes .bak."""
    src = Path(src)
    target = live_database_path()
    info = check_database(src)
    if target.exists() and src.resolve() == target.resolve():
        raise BackupError("this file is the live database already")
    holders = _open_elsewhere(target) if target.exists() else []
    if holders and not force:
        raise BackupError(
            f"the database {target} is open in process(es) {', '.join(map(str, holders))}: the "
            "app may be writing. Stop the app first (systemctl stop 'qcdc@*'), or pass --force.")
    dispose_engines()  # this process lets go of the live file
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".restore")
    part.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(part)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        copy.commit()
    finally:
        copy.close()
        source.close()
    kept = None
    if target.exists():
        try:  # fold the old WAL into the old file, so the .bak stands alone
            old = sqlite3.connect(target, timeout=10)
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            old.close()
        except sqlite3.DatabaseError:
            pass
        kept = target.with_name(target.name + ".bak")
        if kept.exists():
            kept = target.with_name(f"{target.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
        os.replace(target, kept)
        for suffix in ("-wal", "-shm"):
            side = Path(str(target) + suffix)
            if side.exists():
                os.replace(side, Path(str(kept) + suffix))
    os.replace(part, target)
    info.update(path=str(target), restored_from=str(src), previous=str(kept) if kept else None,
                forced=bool(holders))
    return info


# --------------------------------------------------------------------------- command line
def cmd_backup(args: argparse.Namespace) -> int:
    try:
        info = backup(args.path)
    except PostgresDatabase as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except BackupError as exc:
        print(f"Lỗi sao lưu: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(info, ensure_ascii=False))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        info = restore(args.path, force=args.force)
    except PostgresDatabase as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except BackupError as exc:
        print(f"Không khôi phục: {exc}", file=sys.stderr)
        return 3
    print(json.dumps(info, ensure_ascii=False))
    return 0


def add_backup_commands(sub) -> None:
    """The `backup` and `restore` subcommands of app/cli/__init__.py."""
    s = sub.add_parser("backup", help="consistent copy of the live SQLite database (online "
                                      "backup API); PostgreSQL: use pg_dump")
    s.add_argument("path", help="file to write (or a folder: qcdc-<date-time>.db inside it)")
    s.set_defaults(func=cmd_backup)
    s = sub.add_parser("restore", help="put a backup in place of the SQLite database (the "
                                       "current file is kept as .bak)")
    s.add_argument("path", help="a file written by `backup`")
    s.add_argument("--force", action="store_true",
                   help="restore even though another process has the database open")
    s.set_defaults(func=cmd_restore)
