"""The read API's tokens: their form, how a request's token is checked, and how uses are counted.

A token is ``qcdc_<prefix>_<secret>``: ``prefix`` is 8 random lower-case letters and digits (the
public part, shown in the administrator's list so a token can be recognised), ``secret`` 32
random bytes in base64url (256 bits). Only ``sha256(token)`` is stored (``db.models.ApiToken``):
with that much randomness a plain hash cannot be reversed by trying, and no key has to be kept.
A request's token is looked up by its prefix and its hash compared in constant time
(``hmac.compare_digest``); an unknown prefix costs the same comparison.

Issuing, listing, expiring and revoking (audited) are the administrator's: app/admin/api_tokens.py.

Every use is counted (``ApiToken.use_count``, ``last_used_at``) without a write per request:
``UsageCounter`` adds the uses in memory and writes them, one additive UPDATE per token, when
``FLUSH_SECONDS`` have passed since its last write, and when the server stops. Several
processes add their own counts. A process that is killed loses at most its last seconds of
counts, never a refusal: revocation and expiry are read from the database on every request.

``RateLimiter`` is a token bucket per API token, in the memory of the process (nginx sends all
requests of one API token to one process, deploy/nginx/qcdc.conf.template).
"""
from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select, update

from app.core import clock
from app.core.auth import Scope
from db.engine import session_scope, write_lock
from db.models import ApiToken

TOKEN_PREFIX = "qcdc_"
TOKEN_RE = re.compile(r"qcdc_([a-z0-9]{8})_([A-Za-z0-9_-]{43})")
ROLES = ("province", "district")
FLUSH_SECONDS = 10.0
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_NO_HASH = "0" * 64

# why a token was refused (the API's error codes, app/api/errors.py)
MISSING, MALFORMED, UNKNOWN, REVOKED, EXPIRED = (
    "token_missing", "token_malformed", "token_unknown", "token_revoked", "token_expired")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str, str]:
    """A fresh token: (token, prefix, hash)."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(8))
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    assert TOKEN_RE.fullmatch(token)
    return token, prefix, token_hash(token)


def display_prefix(prefix: str) -> str:
    """How a token is shown once it is stored: its public part only."""
    return f"{TOKEN_PREFIX}{prefix}_…"


class TokenRefused(Exception):
    """The request's token gives no access; ``reason`` is one of the codes above."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Principal:
    """Who a request speaks for: one token, its consumer, role and unit."""
    token_id: int
    name: str
    prefix: str
    role: str
    district_code: str | None

    @property
    def scope(self) -> Scope:
        """The same scope a signed-in user of that role and unit has (app.core.auth.Scope):
        every read service enforces it."""
        return Scope(username=f"api:{self.prefix}", name=self.name, role=self.role,
                     district_code=self.district_code if self.role == "district" else None)


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header (TokenRefused otherwise)."""
    if not authorization or not authorization.strip():
        raise TokenRefused(MISSING)
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise TokenRefused(MALFORMED)
    return value.strip()


def authenticate(token: str, now: datetime | None = None) -> Principal:
    """The principal of a valid token, or TokenRefused (malformed, unknown, revoked, expired)."""
    m = TOKEN_RE.fullmatch(token or "")
    if m is None:
        raise TokenRefused(MALFORMED)
    with session_scope() as s:
        row = s.execute(select(ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.token_hash,
                               ApiToken.role, ApiToken.district_code, ApiToken.expires_at,
                               ApiToken.revoked_at)
                        .where(ApiToken.prefix == m.group(1))).first()
    given = token_hash(token)
    if row is None:
        hmac.compare_digest(given, _NO_HASH)  # the same work as a known prefix
        raise TokenRefused(UNKNOWN)
    if not hmac.compare_digest(given, row.token_hash):
        raise TokenRefused(UNKNOWN)
    if row.revoked_at is not None:
        raise TokenRefused(REVOKED)
    if row.expires_at is not None and row.expires_at <= (now or clock.now()):
        raise TokenRefused(EXPIRED)
    if row.role not in ROLES:
        raise TokenRefused(UNKNOWN)
    return Principal(row.id, row.name, row.prefix, row.role, row.district_code)


# --- counting uses ----------------------------------------------------------------------------

class UsageCounter:
    """Uses per token, kept in memory and added to ``api_token`` every ``flush_every`` seconds
    (one UPDATE per token used since the last write) and by ``flush()`` at shutdown."""

    def __init__(self, flush_every: float = FLUSH_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic):
        self.flush_every = flush_every
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._pending: dict[int, list] = {}  # token id -> [uses, last used at]
        self._last_flush = monotonic()

    def hit(self, token_id: int, at: datetime | None = None) -> None:
        """Count one use; writes the counts when they are due (call it off the event loop)."""
        at = at or clock.now()
        with self._lock:
            entry = self._pending.setdefault(token_id, [0, at])
            entry[0] += 1
            entry[1] = max(entry[1], at)
            due = self._monotonic() - self._last_flush >= self.flush_every
        if due:
            self.flush()

    def pending(self) -> dict[int, int]:
        with self._lock:
            return {k: v[0] for k, v in self._pending.items()}

    def flush(self) -> int:
        """Write the counts kept so far; returns the number of uses written. On a database
        error the counts are kept for the next write."""
        with self._lock:
            batch, self._pending = self._pending, {}
            self._last_flush = self._monotonic()
        if not batch:
            return 0
        try:
            # (SQLite: behind this process's other writers, the citizens' answers among them,
            # instead of polling the database lock: db.engine.write_lock)
            with write_lock(), session_scope() as s:
                for token_id, (uses, at) in sorted(batch.items()):
                    s.execute(update(ApiToken).where(ApiToken.id == token_id).values(
                        use_count=ApiToken.use_count + uses,
                        last_used_at=case((ApiToken.last_used_at.is_(None), at),
                                          (ApiToken.last_used_at < at, at),
                                          else_=ApiToken.last_used_at)))
        except Exception:
            with self._lock:
                for token_id, (uses, at) in batch.items():
                    entry = self._pending.setdefault(token_id, [0, at])
                    entry[0] += uses
                    entry[1] = max(entry[1], at)
            raise
        return sum(uses for uses, _at in batch.values())


# --- rate limit -------------------------------------------------------------------------------

class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute on average, at most ``burst``
    at once. ``take`` answers 0 (go ahead) or the seconds until the next request may pass."""

    def __init__(self, per_minute: float, burst: int,
                 monotonic: Callable[[], float] = time.monotonic):
        self.rate = max(per_minute, 0.001) / 60.0
        self.burst = max(1, int(burst))
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._buckets: dict[object, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: object) -> float:
        now = self._monotonic()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait_s: float) -> int:
        """The whole seconds to announce in ``Retry-After`` (at least 1)."""
        return max(1, math.ceil(wait_s))
