"""The per-installation secret of the integrity fingerprints, and the keyed hash itself.

A sheet's session, browser, device and network are stored only as keyed hashes:
``HMAC-SHA256(key, sha256(value + campaign salt))``, 32 hex characters. The inner digest keeps
fingerprints of one campaign comparable with each other and never across campaigns; the key
makes them irreversible for whoever holds a copy of the database and the source code (an IPv4
address is one of 2^32 values: without a key it would be found by trying them all).

Where the key lives (``signal_key``):
- ``QCDC_SIGNALS_KEY`` (environment or ``[qcdc] signals_key`` in the secrets, at least 32
  characters; read by ``app/core/settings.py``) when set: required when several
  app processes on several machines write to one PostgreSQL database, since every process must
  hash with the same key (processes on one machine sharing one data folder share the file);
- otherwise ``<data folder>/keys/signals.key``, the installation key "signals" of
  ``app/core/keyfiles.py`` (the same helper as the sign-in cookie's key): 32 random bytes (hex)
  generated on first use, mode 0600 in a 0700 folder, created atomically so processes starting
  together agree on one key. It is outside the database file, so a database backup or copy
  does not hold it. Keep it with the server (and in the server's own backup, separately from
  the database's): with a new key, fingerprints of earlier sheets no longer match new ones
  (old sheets are still judged among themselves, nothing is lost).
"""
from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from app.core import keyfiles

ENV_KEY = "QCDC_SIGNALS_KEY"
MIN_ENV_LENGTH = 32
HASH_LENGTH = 32
KEY_NAME = "signals"  # <data folder>/keys/signals.key


class SignalKeyError(RuntimeError):
    """The signals key is unusable (too short in the environment, unreadable file)."""


def key_path() -> Path:
    return keyfiles.key_path(KEY_NAME)


def signal_key() -> bytes:
    """The installation's key (environment first, then the key file, created if missing)."""
    from app.core.settings import env_secrets_once
    env = (env_secrets_once(ENV_KEY) or "").strip()
    if env:
        if len(env) < MIN_ENV_LENGTH:
            raise SignalKeyError(f"{ENV_KEY} must be at least {MIN_ENV_LENGTH} characters long")
        return env.encode("utf-8")
    try:
        return bytes.fromhex(keyfiles.installation_key(KEY_NAME))
    except (keyfiles.KeyFileError, OSError) as exc:
        raise SignalKeyError(f"unusable signals key {key_path()}: {exc}") from exc


def inner_digest(salt: str, *parts: str | None) -> str | None:
    """The campaign-salted digest of some values (None when every value is missing)."""
    if not any(parts):
        return None
    blob = "\x1f".join(p or "" for p in parts) + "\x1f" + salt
    return hashlib.sha256(blob.encode("utf-8", "replace")).hexdigest()[:HASH_LENGTH]


def keyed(key: bytes, digest: str | None) -> str | None:
    """The stored fingerprint of an inner digest."""
    if digest is None:
        return None
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()[:HASH_LENGTH]


def fingerprint(key: bytes, salt: str, *parts: str | None) -> str | None:
    return keyed(key, inner_digest(salt, *parts))
