"""One-time codes of the commune office screens: answers verified in person (issue 15).

An office screen (``/man-hinh-qr``, app/ui/survey/screen_view.py) shows a QR code for
``<base_url>/survey?xa=<commune>&ma=<code>``. The code is random and stored only as a hash
(``kiosk_code``). Its life:

1. **shown** (``issue_code``): valid to be opened until ``expires_at``
   (``QCDC_KIOSK_CODE_MINUTES``); the screen shows a new one a little before that.
2. **opened** (``open_code``, by the survey page): a conditional UPDATE ``... WHERE opened_at IS
   NULL`` binds the code to the sheet of the phone that opened it first (a hash of the sheet's
   submission token). Two phones at once: the database lets exactly one UPDATE change the row.
   The screen sees ``opened_at`` at its next tick (about a second) and shows a fresh code.
3. **used** (``use_code``, inside ``submit_response``'s transaction): a conditional UPDATE
   ``... WHERE used_at IS NULL AND sheet_token_hash = <this sheet>``; only when it changed the
   row is the sheet stored ``verified``. The sheet's insert and the code's use commit or roll
   back together, and a resent sheet (same token) is a duplicate that changes nothing.

Anything else (a code reused, expired, forged, of another commune, opened by another phone, or
a sheet sent more than ``QCDC_KIOSK_ANSWER_HOURS`` after the code was opened) still lets the
citizen answer: the sheet is stored as not verified and nobody is told anything alarming.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import OperationalError

from app.core import clock
from app.core.auth import AuthError, Scope
from app.core.i18n import t
from db.engine import session_scope, write_lock
from db.models import Campaign, KioskCode, Response

SCREEN_ROLES = ("screen", "commune")  # accounts whose commune may run an office screen
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{16,43}$")
RENEW_BEFORE_S = 30  # the screen replaces an unopened code this long before it expires

OPENED = "opened"      # first opening: the code is now this sheet's
RESUMED = "resumed"    # the same sheet again (a reload, a reconnect)
TAKEN = "taken"        # another sheet opened it first
EXPIRED = "expired"    # never opened in time
UNKNOWN = "unknown"    # forged, of another commune or campaign, or malformed

T = TypeVar("T")
_VERIFIED = Response.verified == True  # noqa: E712
_KEPT_VERIFIED = and_(_VERIFIED, Response.excluded == False)  # noqa: E712


def code_hash(code: str) -> str:
    return hashlib.sha256(("qcdc-kiosk\x1f" + code).encode()).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(("qcdc-sheet\x1f" + token).encode()).hexdigest()


def new_code() -> str:
    return secrets.token_urlsafe(12)  # 16 characters, 96 random bits


def survey_url(base_url: str, commune_code: str, code: str) -> str:
    return f"{(base_url or '').rstrip('/')}/survey?xa={commune_code}&ma={code}"


def well_formed(code: object) -> bool:
    return isinstance(code, str) and bool(CODE_RE.match(code))


def _settings():
    from app.core.settings import read_settings
    return read_settings()


def _write(work: Callable[[object], T], retries: int = 4) -> T:
    """One short write transaction, queued like the survey's own writes, retried while the
    database is busy."""
    from app.survey.responses import DatabaseBusy
    delay = 0.05
    for attempt in range(retries + 1):
        try:
            with write_lock(), session_scope() as s:
                return work(s)
        except OperationalError as exc:
            if attempt >= retries:
                raise DatabaseBusy(str(exc)) from exc
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


# --- the screen ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShownCode:
    id: int
    code: str
    url: str
    commune_code: str
    campaign_id: int
    expires_at: datetime


def screen_commune(scope: Scope) -> str:
    """The commune whose screen this account may run (its own), or AuthError."""
    if scope.role not in SCREEN_ROLES or not scope.commune_code:
        raise AuthError(t("ops.forbidden"))
    return scope.commune_code


def _issue(campaign: Campaign, commune_code: str, screen_session: str,
           now: datetime | None = None) -> ShownCode:
    now = now or clock.now()
    code = new_code()
    expires = now + timedelta(minutes=_settings().kiosk_code_minutes)

    def work(s) -> int:
        row = s.execute(KioskCode.__table__.insert().values(
            code_hash=code_hash(code), campaign_id=campaign.id, commune_code=commune_code,
            screen_session=(screen_session or "-")[:64], day=now.date(), created_at=now,
            expires_at=expires))
        return row.inserted_primary_key[0]
    code_id = _write(work)
    return ShownCode(code_id, code, survey_url(campaign.base_url, commune_code, code),
                     commune_code, campaign.id, expires)


def issue_code(scope: Scope, screen_session: str, now: datetime | None = None) -> ShownCode | None:
    """A fresh code for the screen of the account's commune; None when no campaign is open."""
    from app.core.campaigns import WINDOW_OPEN, active_campaign, window_state
    commune_code = screen_commune(scope)
    active = active_campaign()
    if active is None or window_state(active.campaign, now or clock.now()) != WINDOW_OPEN:
        return None
    return _issue(active.campaign, commune_code, screen_session, now)


def issue_code_for_commune(commune_code: str, screen_session: str = "cli") -> ShownCode:
    """A fresh code for `commune_code` (``python -m app.cli kiosk-code``: an operator on the
    server prints a single slip when the screen is down). LookupError without an open
    campaign or for an unknown commune."""
    from app.core.campaigns import WINDOW_OPEN, active_campaign, window_state
    from app.core.reference import find_commune
    if find_commune(commune_code) is None:
        raise LookupError(f"không có xã mã «{commune_code}» (unknown commune)")
    active = active_campaign(max_age=0)
    if active is None or window_state(active.campaign) != WINDOW_OPEN:
        raise LookupError("không có đợt khảo sát đang mở (no open campaign)")
    return _issue(active.campaign, commune_code, screen_session)


def needs_new_code(scope: Scope, shown: ShownCode | None, now: datetime | None = None) -> bool:
    """Must the screen replace `shown`: opened on a phone, about to expire, or not this
    account's (a changed commune)? One primary-key read per tick."""
    commune_code = screen_commune(scope)
    if shown is None or shown.commune_code != commune_code:
        return True
    now = now or clock.now()
    if shown.expires_at - timedelta(seconds=RENEW_BEFORE_S) <= now:
        return True
    with session_scope() as s:
        opened = s.execute(select(KioskCode.opened_at).where(
            KioskCode.id == shown.id, KioskCode.commune_code == commune_code)).first()
    return opened is None or opened[0] is not None


@dataclass(frozen=True)
class DayCounts:
    shown: int = 0
    opened: int = 0
    verified: int = 0


def screen_counts(scope: Scope, day: date | None = None) -> DayCounts:
    """Today's counts of the account's commune: codes shown and opened, verified sheets."""
    from app.core.campaigns import active_campaign
    commune_code = screen_commune(scope)
    active = active_campaign()
    if active is None:
        return DayCounts()
    found = counts_by_commune_day(active.campaign.id, [commune_code], day or clock.today())
    return found.get((commune_code, day or clock.today()), DayCounts())


# --- the survey ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Opening:
    status: str
    token: str | None = None  # the sheet's submission token when the code is this sheet's


def open_code(campaign_id: int, commune_code: str, code: object, kept_token: str | None,
              now: datetime | None = None) -> Opening:
    """A phone opened the survey with `code`. The first opening binds the code to a new sheet
    (a new token: a sheet this browser sent before belongs to an earlier citizen); a reload of
    that sheet's page, which kept its token, resumes it. Public: needs no sign-in."""
    from app.survey.responses import new_submission_token
    if not well_formed(code):
        return Opening(UNKNOWN)
    now = now or clock.now()
    h = code_hash(code)
    where = and_(KioskCode.code_hash == h, KioskCode.campaign_id == campaign_id,
                 KioskCode.commune_code == commune_code)
    with session_scope() as s:
        row = s.execute(select(KioskCode.opened_at, KioskCode.sheet_token_hash,
                               KioskCode.expires_at).where(where)).first()
    if row is None:
        return Opening(UNKNOWN)
    opened_at, bound, expires_at = row
    if opened_at is not None:
        if kept_token and bound == token_hash(kept_token):
            return Opening(RESUMED, kept_token)
        return Opening(TAKEN)
    if expires_at <= now:
        return Opening(EXPIRED)
    token = new_submission_token()

    def work(s) -> int:
        return s.execute(update(KioskCode).where(
            where, KioskCode.opened_at.is_(None), KioskCode.expires_at > now)
            .values(opened_at=now, sheet_token_hash=token_hash(token))).rowcount
    if _write(work) == 1:
        return Opening(OPENED, token)
    return Opening(TAKEN)  # another phone's UPDATE got there first


def use_code(session, *, campaign_id: int, commune_code: str, code: object, token: str,
             response_id: int, now: datetime) -> bool:
    """Inside the transaction that inserted sheet `response_id`: mark `code` used by it if it is
    this sheet's, still unused and opened recently enough; then the sheet is verified. At most
    one sheet per code, whatever runs at once (the conditional UPDATE's row count)."""
    if not well_formed(code):
        return False
    since = now - timedelta(hours=_settings().kiosk_answer_hours)
    changed = session.execute(update(KioskCode).where(
        KioskCode.code_hash == code_hash(code), KioskCode.campaign_id == campaign_id,
        KioskCode.commune_code == commune_code, KioskCode.used_at.is_(None),
        KioskCode.sheet_token_hash == token_hash(token), KioskCode.opened_at.is_not(None),
        KioskCode.opened_at >= since)
        .values(used_at=now, response_id=response_id)).rowcount
    if changed != 1:
        return False
    session.execute(update(Response).where(Response.id == response_id).values(verified=True))
    return True


# --- counts -------------------------------------------------------------------------------------

def counts_by_commune_day(campaign_id: int, codes: list[str] | None,
                          day: date | None = None) -> dict[tuple[str, date], DayCounts]:
    """{(commune, day): DayCounts} (None codes: every commune), for callers that checked the
    scope; verified sheets are counted by the day they were sent, excluded ones left out."""
    shown: dict[tuple[str, date], list[int]] = {}
    with session_scope() as s:
        q = (select(KioskCode.commune_code, KioskCode.day, func.count(),
                    func.count(KioskCode.opened_at))
             .where(KioskCode.campaign_id == campaign_id)
             .group_by(KioskCode.commune_code, KioskCode.day))
        v = (select(Response.commune_code, Response.day, func.count())
             .where(Response.campaign_id == campaign_id, _KEPT_VERIFIED)
             .group_by(Response.commune_code, Response.day))
        if codes is not None:
            q = q.where(KioskCode.commune_code.in_(codes))
            v = v.where(Response.commune_code.in_(codes))
        if day is not None:
            q = q.where(KioskCode.day == day)
            v = v.where(Response.day == day)
        for code, d, n, n_open in s.execute(q):
            shown[(code, d)] = [n, n_open, 0]
        for code, d, n in s.execute(v):
            shown.setdefault((code, d), [0, 0, 0])[2] = n
    return {k: DayCounts(*vals) for k, vals in shown.items()}


def verified_counts(campaign_id: int, codes: list[str] | None) -> dict[str, int]:
    """Verified sheets (not excluded) per commune, for callers that already checked the scope
    (the scoreboard, the API's figures). None: every commune."""
    with session_scope() as s:
        q = (select(Response.commune_code, func.count())
             .where(Response.campaign_id == campaign_id, _KEPT_VERIFIED)
             .group_by(Response.commune_code))
        if codes is not None and len(codes) < 400:
            q = q.where(Response.commune_code.in_(codes))
        wanted = None if codes is None else set(codes)
        return {c: n for c, n in s.execute(q) if wanted is None or c in wanted}


def verified_by_campaign() -> dict[int, int]:
    """Verified sheets (excluded or not) per campaign (``python -m app.cli stats``)."""
    with session_scope() as s:
        return dict(s.execute(select(Response.campaign_id, func.count())
                              .where(_VERIFIED)
                              .group_by(Response.campaign_id)).all())
