"""Secrets generated per installation and kept in the data folder, outside the database.

``installation_key("cookie")`` is the hex text of 32 random bytes stored in
``<data folder>/keys/cookie.key`` (mode 0600 in a 0700 folder), generated on first use. The key
is created atomically (written to a private temporary file, then hard-linked to its name), so
processes starting together on one data folder all get the one key that won. It is not in the
database, so a copy or backup of the database does not hold it; keep the ``keys/`` folder in
the server's own backup.

Used for the sign-in cookie's key in demo mode (``app/core/settings.py``, ``load_settings``):
that key is then unknown outside this server, so nobody can forge a sign-in cookie from the
source code; and for the integrity fingerprints' key, ``installation_key("signals")``
(``app/integrity/keys.py``).
Imports nothing of the app or db/ (the settings read it).
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import threading
from pathlib import Path

log = logging.getLogger("qcdc")
_lock = threading.Lock()
_cache: dict[str, str] = {}
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
KEY_HEX = 64  # 32 random bytes


class KeyFileError(RuntimeError):
    """A key file exists but is unusable (truncated, not hex, unreadable)."""


def key_path(name: str, data_dir: Path | None = None) -> Path:
    if not _NAME.fullmatch(name):
        raise ValueError(f"bad key name {name!r}")
    if data_dir is None:
        # the data folder alone: every submitted sheet asks for the signals key, and reading
        # every setting searched for a secrets file each time (a fifth of a submit's CPU)
        from app.core.settings import data_dir as configured_data_dir
        data_dir = configured_data_dir()
    return Path(data_dir) / "keys" / f"{name}.key"


def _read(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"unreadable key file {path}: {exc}") from exc
    if not re.fullmatch(f"[0-9a-f]{{{KEY_HEX}}}", text):
        raise KeyFileError(f"{path} does not hold a key ({KEY_HEX} hex characters): remove it "
                           "to have a new one generated")
    return text


def _create(path: Path) -> str:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(KEY_HEX // 2) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # fails if another process won: its key is the one
            log.info("generated the installation key %s", path)
        except FileExistsError:
            pass
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
    key = _read(path)
    if key is None:
        raise KeyFileError(f"could not create {path}")
    return key


def installation_key(name: str, data_dir: Path | None = None) -> str:
    """The installation's secret `name` (hex), created in the data folder if missing."""
    path = key_path(name, data_dir)
    cached = _cache.get(str(path))
    if cached is not None and path.exists():
        return cached
    with _lock:
        key = _read(path) or _create(path)
        _cache[str(path)] = key
    return key
