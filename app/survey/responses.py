"""The public survey: resolving the commune in the URL, and storing one citizen's answers once.

``submit_response`` is the only way a response is written. It validates the answers, then inserts
the response and its running tallies in one transaction. The ``submission_token`` (one per form
shown to a citizen) is unique in the database, so a double tap, a resubmitted form or a rerun
after a dropped connection can never store a second copy: it returns the first one instead.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from app.core import clock
from app.core.campaigns import WINDOW_OPEN, ActiveCampaign, window_state
from app.core.reference import CommuneInfo, find_commune, normalise_commune_code
from app.integrity.keys import SignalKeyError, fingerprint, signal_key
from app.integrity.signals import answer_pattern, coarse_locale, coarse_offset, coarse_timezone
from app.survey.kiosk import use_code
from app.survey.questionnaire import answer_hash, score_answers, validate_answers
from app.survey.tally import apply_response
from db.engine import session_scope, write_lock
from db.models import Response

log = logging.getLogger("qcdc.survey")

STORED = "stored"
DUPLICATE = "duplicate"   # the same submission token was stored before: nothing new written
INVALID = "invalid"
CLOSED = "closed"
UNKNOWN_COMMUNE = "unknown_commune"

CODE_OK = "ok"
CODE_MISSING = "missing"
CODE_MALFORMED = "malformed"
CODE_UNKNOWN = "unknown"


class DatabaseBusy(RuntimeError):
    """The database stayed locked or unreachable; nothing was written, the citizen may retry."""


@dataclass
class Signals:
    """Anonymous integrity signals of one submission. Only keyed hashes of the identifiers and
    coarse facts are stored (app/integrity/keys.py, app/integrity/signals.py), never an address.

    ``browser_id`` identifies the browser across reloads where it keeps cookies (the survey page
    gives its anonymous ``qcdc_b`` cookie, app/ui/survey/browser_memory.py); ``timezone``,
    ``timezone_offset`` (minutes, as ``st.context.timezone_offset``) and ``locale`` are what
    ``st.context`` reports."""
    session_id: str | None = None
    user_agent: str | None = None
    accept_language: str | None = None
    client_ip: str | None = None
    started_at: float | None = None  # time.time() when the form was first shown
    browser_id: str | None = None
    timezone: str | None = None
    timezone_offset: int | None = None
    locale: str | None = None

    def hashes(self, salt: str, key: bytes | None = None) -> dict[str, str | None]:
        """Keyed fingerprints (HMAC with the installation's key) of the campaign-salted values."""
        key = key if key is not None else signal_key()

        def h(*parts: str | None) -> str | None:
            return fingerprint(key, salt, *parts)
        return {
            "session_hash": h(self.session_id),
            "device_hash": h(self.user_agent, self.accept_language, self.client_ip),
            "network_hash": h(self.client_ip),
            "browser_hash": h("browser", self.browser_id) if self.browser_id else None,
            "agent_hash": h("agent", self.user_agent) if self.user_agent else None,
        }

    def facts(self) -> dict[str, str | int | None]:
        """Coarse client facts, stored as they are (shared by thousands of phones)."""
        return {"client_tz": coarse_timezone(self.timezone),
                "client_tz_offset": coarse_offset(self.timezone_offset),
                "client_locale": coarse_locale(self.locale)}


@dataclass
class SubmitResult:
    status: str
    response_id: int | None = None
    errors: dict[str, str] = field(default_factory=dict)
    submitted_at: datetime | None = None
    verified: bool = False  # stored as verified in person (an office screen's code)

    @property
    def ok(self) -> bool:
        return self.status in (STORED, DUPLICATE)


def resolve_commune_code(raw: object) -> tuple[str, CommuneInfo | None]:
    """Classify the ``xa`` query value: (CODE_OK, commune) or (reason, None)."""
    if raw is None or (isinstance(raw, str) and raw.strip() == "") or raw == []:
        return CODE_MISSING, None
    code = normalise_commune_code(raw)
    if code is None:
        return CODE_MALFORMED, None
    commune = find_commune(code)
    if commune is None:
        return CODE_UNKNOWN, None
    return CODE_OK, commune


def new_submission_token() -> str:
    return secrets.token_urlsafe(24)


def _signal_salt(campaign_id: int) -> str:
    # Per-campaign salt (public): fingerprints can be compared within a campaign, never across
    # years. The installation's secret key (app/integrity/keys.py) makes them irreversible.
    return f"qcdc-signals-{campaign_id}"


_INSERT_RESPONSE = Response.__table__.insert()


def submit_response(active: ActiveCampaign, commune_code: str, raw_answers: dict[str, Any],
                    token: str, signals: Signals | None = None, *, now: datetime | None = None,
                    is_demo: bool = False, retries: int = 4,
                    kiosk_code: str | None = None) -> SubmitResult:
    """Validate and store one response exactly once (idempotent on `token`).

    `kiosk_code`: the office screen's one-time code the sheet was opened with (``ma=``); the
    sheet is stored verified when the code is this sheet's and unused, and the code is marked
    used in the same transaction (app/survey/kiosk.py). Otherwise the sheet is stored as not
    verified, exactly as one from the printed QR."""
    campaign = active.campaign
    now = now or clock.now()
    if window_state(campaign, now) != WINDOW_OPEN:
        return SubmitResult(CLOSED)
    if find_commune(commune_code) is None:
        return SubmitResult(UNKNOWN_COMMUNE)
    if not isinstance(token, str) or not (8 <= len(token) <= 64):
        return SubmitResult(INVALID, errors={"_": "token"})
    defn = active.definition
    clean, errors = validate_answers(defn, raw_answers)
    if errors:
        return SubmitResult(INVALID, errors=errors)
    # the stored (rounded) scores are the ones added to the tallies, so that excluding the
    # response later, or rebuilding the tallies from the responses, gives back the same sums
    scores = {k: round(v, 3) for k, v in score_answers(defn, clean).items()}
    signals = signals or Signals()
    try:
        hashes = signals.hashes(_signal_salt(campaign.id))
    except (OSError, SignalKeyError):
        # no usable key (unwritable data folder, bad QCDC_SIGNALS_KEY): the answers matter more
        # than their fingerprints; store them without
        log.exception("integrity signals key unavailable; sheet stored without fingerprints")
        hashes = dict.fromkeys(("session_hash", "device_hash", "network_hash", "browser_hash",
                                "agent_hash"))
    duration = None
    if signals.started_at:
        duration = max(0.0, round(time.time() - signals.started_at, 1))
    row = dict(campaign_id=campaign.id, commune_code=commune_code,
               questionnaire_id=active.questionnaire_id,
               answers=json.dumps(clean, ensure_ascii=False, sort_keys=True),
               scores=json.dumps(scores, sort_keys=True),
               submitted_at=now, day=now.date(), hour=now.hour, submission_token=token,
               answer_hash=answer_hash(defn, clean), duration_s=duration, excluded=False,
               is_demo=is_demo, answer_pattern=answer_pattern(defn, clean), **hashes,
               **signals.facts())
    delay = 0.05
    for attempt in range(retries + 1):
        try:
            with write_lock(), session_scope() as s:
                # The INSERT is the transaction's first statement: on SQLite the write lock is
                # taken at once, so concurrent submitters queue on busy_timeout, never deadlock.
                result = s.execute(_INSERT_RESPONSE, row)  # one statement, compiled once
                response_id = result.inserted_primary_key[0]
                apply_response(s, campaign_id=campaign.id, commune_code=commune_code,
                               questionnaire_id=active.questionnaire_id, day=now.date(),
                               hour=now.hour, answers=clean, scores=scores, definition=defn)
                verified = kiosk_code is not None and use_code(
                    s, campaign_id=campaign.id, commune_code=commune_code, code=kiosk_code,
                    token=token, response_id=response_id, now=now)
            return SubmitResult(STORED, response_id, submitted_at=now, verified=verified)
        except IntegrityError:
            existing = find_by_token(token)
            if existing is not None:
                return SubmitResult(DUPLICATE, existing[0], submitted_at=existing[1],
                                    verified=existing[2])
            raise
        except OperationalError as exc:
            if attempt >= retries:
                raise DatabaseBusy(str(exc)) from exc
            time.sleep(delay)
            delay *= 2
    raise DatabaseBusy("unreachable")


def find_by_token(token: str) -> tuple[int, datetime, bool] | None:
    """(id, submitted at, verified) of the sheet stored under `token`, if any."""
    with session_scope() as s:
        row = s.execute(select(Response.id, Response.submitted_at, Response.verified)
                        .where(Response.submission_token == token)).first()
        return (row[0], row[1], bool(row[2])) if row else None
