"""Users, passwords, sign-in rules and the per-user scope every query goes through.

Passwords are bcrypt hashes (the same format streamlit-authenticator uses). Sign-in failures are
counted per account: after ``LOCK_AFTER`` failures in a row the account is locked for
``LOCK_MINUTES`` (audited); each failure before that waits a little longer (``failure_delay``).

Sessions end for real: ``User.sessions_revoked_at`` is set on sign-out (``sign_out_everywhere``),
and automatically whenever a user's password hash changes or the account is disabled (a
``before_flush`` hook below, so every code path that does so is covered: own change, admin
reset, disabling). A sign-in cookie or an open session issued at or before that moment is
refused (``user_from_cookie``, ``session_revoked``).
"""
from __future__ import annotations

import re
import secrets
import string
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import event, func
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session as _OrmSession
from sqlmodel import select

from app.core import audit, clock
from app.core.i18n import t
from db.engine import session_scope
from db.models import Commune, District, User

ROLES = ("admin", "province", "farmers", "district", "commune", "screen")
# an office screen's account (issue 15): one commune, opens only its office-screen page, never
# asked to change its password (it has no account page; an administrator resets it)
SCREEN_ONLY = "screen"
PROVINCE_WIDE = ("admin", "province", "farmers")
LOCK_AFTER = 5
LOCK_MINUTES = 15
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


class AuthError(ValueError):
    """A user-facing refusal; the message is Vietnamese."""


@dataclass(frozen=True)
class Scope:
    """What the signed-in user may see. Built from the database, never from the browser."""
    username: str
    name: str
    role: str
    district_code: str | None = None
    commune_code: str | None = None

    @property
    def province_wide(self) -> bool:
        return self.role in PROVINCE_WIDE

    def can_see_district(self, district_code: str | None) -> bool:
        if self.province_wide:
            return True
        if self.role == "district":
            return district_code == self.district_code
        return False

    def can_see_commune(self, commune_code: str | None, district_of: str | None = None) -> bool:
        """`district_of` is the commune's district code (looked up by the caller if omitted)."""
        if not commune_code:
            return False
        if self.province_wide:
            return True
        if self.role == "commune":
            return commune_code == self.commune_code
        if self.role == "district":
            if district_of is None:
                from app.core.reference import find_commune
                c = find_commune(commune_code)
                district_of = c.district_code if c else None
            return district_of == self.district_code
        return False

    def visible_commune_codes(self) -> list[str] | None:
        """None means every commune; otherwise the list this user may see."""
        if self.province_wide:
            return None
        from app.core.reference import geography
        if self.role == "district":
            return [c.code for c in geography().communes_of(self.district_code or "")]
        if self.role == "commune":
            return [self.commune_code] if self.commune_code else []
        return []


ANONYMOUS = Scope(username="", name="", role="public")


def commune_in_scope(scope: Scope, commune_code: str | None, *, write: bool = False):
    """The commune a request may touch (an ``app.reference.CommuneInfo``), or AuthError.

    A commune user always gets its own commune (asking for another one is refused); others get
    the commune asked for if it exists and lies within their unit. ``write``: only the commune's
    own team and administrators may change its data (district and province staff read)."""
    from app.core.reference import find_commune
    if scope.role == "commune":
        if commune_code not in (None, "", scope.commune_code):
            raise AuthError(t("ops.forbidden"))
        commune_code = scope.commune_code
    c = find_commune(commune_code)
    if c is None:
        raise AuthError(t("roster.err.unknown_commune"))
    if not scope.can_see_commune(c.code, c.district_code):
        raise AuthError(t("ops.forbidden"))
    if write and scope.role not in ("commune", "admin"):
        raise AuthError(t("ops.forbidden"))
    return c


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8")[:72], hashed.encode("ascii"))
    except (ValueError, TypeError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable (Vietnamese), or None."""
    if (not isinstance(password, str) or len(password) < 8 or len(password.encode()) > 72
            or not re.search(r"[A-Za-zÀ-ỹ]", password) or not re.search(r"\d", password)):
        return t("auth.pw_rule")
    return None


# Generated passwords are read off paper and typed by hand: no I, l, 1, O, o, 0 (about 5.8 bits
# per character, 12 characters ~70 bits).
UNAMBIGUOUS = "".join(c for c in string.ascii_letters + string.digits if c not in "Il1Oo0")


def generate_password(length: int = 12) -> str:
    alphabet = UNAMBIGUOUS
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if password_problem(pw) is None:
            return pw


def failure_delay(failed_attempts: int) -> float:
    """Seconds to wait before answering a failed sign-in (grows with the failures in a row)."""
    return min(0.25 * (2 ** max(failed_attempts - 1, 0)), 4.0)


# --- one answer, one time: failed sign-ins tell nothing about the account ---------------------
# A failed sign-in says the same words (``auth.refused``) after the same bcrypt work and the same
# delay whether the name is unknown, the password wrong, the account disabled or locked:
# - every attempt runs bcrypt at the work of cost ``CHECK_COST``: an unknown name is checked
#   against a valid dummy hash, and a hash of a lower cost (generated passwords, see
#   app/admin/users.py) is followed by dummy checks of its cost up to the same work;
# - the delay grows with the failures in a row *of the name typed* (counted in this process for
#   every name, existing or not), not with the account's own counter;
# - every failure writes one audit row (unknown names included, so the database work is alike).
CHECK_COST = 12
_DUMMY_HASHES = {  # bcrypt hashes of a password nobody types (valid: checking them costs work)
    10: b"$2b$10$pVFFzSl1LJDfmz.OyZ0KIOEzDB5G6wEQQswf0GRd60Hm45UoJ/8fW",
    12: b"$2b$12$IKalTnVfWen.A4mxC76bKu1WuDz.TpKvR.Tgs6qFIXcGgfZYB.0gC",
}
_BCRYPT_COST = re.compile(r"^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$")
_failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # name -> (in a row, last at)
_failures_lock = threading.Lock()
_FAILURES_KEPT = 10_000  # names remembered (oldest forgotten first): bounded memory


def _dummy_hash(cost: int) -> bytes:
    h = _DUMMY_HASHES.get(cost)
    if h is None:
        h = _DUMMY_HASHES[cost] = bcrypt.hashpw(b"qcdc-no-such-account", bcrypt.gensalt(cost))
    return h


def check_password_evenly(password: str, hashed: str | None) -> bool:
    """``check_password`` with the same bcrypt work whatever `hashed` is (missing, not a bcrypt
    hash, or of a lower cost than ``CHECK_COST``)."""
    m = _BCRYPT_COST.match(hashed or "")
    if m is None:
        check_password(password, _dummy_hash(CHECK_COST).decode("ascii"))
        return False
    cost = int(m.group(1))
    ok = check_password(password, hashed)
    for _ in range(2 ** max(CHECK_COST - cost, 0) - 1):  # e.g. cost 10: 3 more, 4 x 2^10 work
        check_password(password, _dummy_hash(cost).decode("ascii"))
    return ok


def _count_failure(username: str) -> int:
    """One more failure of the name typed; the failures in a row (within LOCK_MINUTES)."""
    now = time.monotonic()
    with _failures_lock:
        n, last = _failures.pop(username, (0, now))
        n = 1 if now - last > LOCK_MINUTES * 60 else n + 1
        _failures[username] = (n, now)
        while len(_failures) > _FAILURES_KEPT:
            _failures.popitem(last=False)
    return n


def _forget_failures(username: str) -> None:
    with _failures_lock:
        _failures.pop(username, None)


def forget_all_failures() -> None:
    """Forget every name's failures in a row (tests; a restart does the same)."""
    with _failures_lock:
        _failures.clear()


def scope_for(user: User) -> Scope:
    return Scope(username=user.username, name=user.name, role=user.role,
                 district_code=user.district_code, commune_code=user.commune_code)


def get_user(username: str) -> User | None:
    with session_scope() as s:
        return s.exec(select(User).where(User.username == username)).first()


@dataclass
class SignInResult:
    ok: bool
    message: str = ""
    user: User | None = None
    delay: float = 0.0  # seconds the caller waits before answering (a failure)


def attempt_sign_in(username: str, password: str) -> SignInResult:
    """Check a username and password against the database, with lockout and audit, without
    waiting: a failure's ``delay`` is for the caller to wait *after* releasing anything it
    holds (app/ui/core/session.py waits outside every admission slot)."""
    username = (username or "").strip().lower()
    if not username or not password:
        return SignInResult(False, t("auth.empty"))
    now = clock.now()
    with session_scope() as s:  # read, then check without holding a connection
        user = s.exec(select(User).where(User.username == username)).first()
        user_id = user.id if user else None
        hashed = user.password_hash if user else None
        active = bool(user and user.active)
        locked = bool(user and user.locked_until and user.locked_until > now)
    ok = check_password_evenly(password, hashed)
    usable = user_id is not None and active and not locked
    with session_scope() as s:
        user = s.get(User, user_id) if user_id is not None else None
        if ok and usable and user is not None:
            user.failed_attempts = 0
            user.locked_until = None
            user.last_login_at = now
            s.add(user)
            audit.record(s, username, "auth.sign_in", "user", user.id)
            _forget_failures(username)
            return SignInResult(True, user=user)
        action, after = "auth.failed", {"reason": "unknown" if user is None else
                                        "disabled" if not active else
                                        "locked" if locked else "password"}
        if user is not None and usable:
            user.failed_attempts = (user.failed_attempts or 0) + 1
            after["failed_attempts"] = user.failed_attempts
            if user.failed_attempts >= LOCK_AFTER:
                user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                user.failed_attempts = 0
                action, after["locked_until"] = "auth.locked", user.locked_until
            s.add(user)
        audit.record(s, username[:64], action, "user", user_id, after=after)
    return SignInResult(False, t("auth.refused", minutes=LOCK_MINUTES, times=LOCK_AFTER),
                        delay=failure_delay(_count_failure(username)))


def sign_in(username: str, password: str, *, sleep=time.sleep) -> SignInResult:
    """``attempt_sign_in``, then the failure's delay (for callers that hold nothing)."""
    result = attempt_sign_in(username, password)
    if not result.ok and result.delay:
        sleep(result.delay)
    return result


def validate_unit(session, role: str, district_code: str | None,
                  commune_code: str | None) -> tuple[str | None, str | None]:
    if role not in ROLES:
        raise AuthError(f"Vai trò không hợp lệ: {role}")
    if role == "district":
        if not district_code or session.get(District, district_code) is None:
            raise AuthError("Tài khoản cấp huyện cần mã huyện hợp lệ.")
        return district_code, None
    if role in ("commune", SCREEN_ONLY):
        c = session.get(Commune, commune_code) if commune_code else None
        if c is None:
            raise AuthError("Tài khoản cấp xã cần mã xã hợp lệ.")
        return c.district_code, c.code
    return None, None


def create_user(username: str, name: str, password: str, role: str, *,
                district_code: str | None = None, commune_code: str | None = None,
                email: str | None = None, must_change_password: bool = False,
                actor: str = "cli", is_demo: bool = False, check_rules: bool = True) -> User:
    username = (username or "").strip().lower()
    if not USERNAME_RE.fullmatch(username):
        raise AuthError("Tên đăng nhập gồm 3–40 ký tự: chữ thường không dấu, số, dấu chấm, gạch.")
    if not (name or "").strip():
        raise AuthError("Cần nhập họ tên hoặc tên đơn vị.")
    if check_rules:
        problem = password_problem(password)
        if problem:
            raise AuthError(problem)
    with session_scope() as s:
        if s.exec(select(User).where(User.username == username)).first() is not None:
            raise AuthError(f"Tên đăng nhập «{username}» đã tồn tại.")
        dcode, ccode = validate_unit(s, role, district_code, commune_code)
        user = User(username=username, name=name.strip(), email=email,
                    password_hash=hash_password(password), role=role, district_code=dcode,
                    commune_code=ccode, must_change_password=must_change_password,
                    is_demo=is_demo, created_at=clock.now())
        s.add(user)
        s.flush()
        audit.record(s, actor, "user.create", "user", user.id,
                     after={"username": username, "role": role, "district": dcode,
                            "commune": ccode})
    return user


def change_password(username: str, old: str, new: str, new2: str) -> None:
    if new != new2:
        raise AuthError(t("auth.mismatch"))
    problem = password_problem(new)
    if problem:
        raise AuthError(problem)
    if old == new:
        raise AuthError(t("auth.pw_same"))
    with session_scope() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None or not check_password(old, user.password_hash):
            raise AuthError(t("auth.wrong_old"))
        user.password_hash = hash_password(new)
        user.must_change_password = False
        s.add(user)
        audit.record(s, username, "user.change_password", "user", user.id)


# --- session revocation ------------------------------------------------------------------------

def _precise_now() -> datetime:
    """Local time with microseconds (a sign-in right after a revocation must not be refused)."""
    return datetime.now(clock.VN_TZ).replace(tzinfo=None)


def local_to_epoch(value: datetime) -> float:
    return value.replace(tzinfo=clock.VN_TZ).timestamp()


def session_revoked(user: User, issued_at: float) -> bool:
    """Was a session (or cookie) issued at `issued_at` (Unix time) revoked since?"""
    revoked = user.sessions_revoked_at
    return revoked is not None and issued_at <= local_to_epoch(revoked)


def sign_out_everywhere(username: str) -> None:
    """End every session and cookie of this user (the sign-out button), audited."""
    with session_scope() as s:
        user = s.exec(select(User).where(User.username == (username or ""))).first()
        if user is None:
            return
        user.sessions_revoked_at = _precise_now()
        s.add(user)
        audit.record(s, username, "auth.sign_out", "user", user.id)


def cookie_token(username: str, key: str, session_hours: float, issued_at: float) -> str:
    """The signed sign-in cookie for `username` issued at `issued_at` (Unix time): the JWT
    streamlit-authenticator writes (username, exp_date = issue time + session lifetime), read
    back by ``user_from_cookie``."""
    import jwt
    return jwt.encode({"username": username, "exp_date": issued_at + session_hours * 3600},
                      key, algorithm="HS256")


def user_from_cookie(token: object, key: str, session_hours: float,
                     now: float | None = None) -> tuple[User, float] | None:
    """The active user a sign-in cookie (streamlit-authenticator's JWT: username, exp_date)
    names, and the cookie's issue time (exp_date - session lifetime); None if the signature,
    the expiry or the account says no, or the user's sessions were revoked after it was issued."""
    import jwt
    if not isinstance(token, str) or not token or len(token) > 4096:
        return None
    try:
        payload = jwt.decode(token, key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    username, exp = payload.get("username"), payload.get("exp_date")
    if not isinstance(username, str) or isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    now = time.time() if now is None else now
    issued = float(exp) - float(session_hours) * 3600
    if exp <= now or issued > now + 60:  # expired, or not issued under this session lifetime
        return None
    user = get_user(username)
    if user is None or not user.active or session_revoked(user, issued):
        return None
    return user, issued


# what makes an account one that demo mode's public administrator could have made or taken over
_DEMO_SENSITIVE = ("password_hash", "role", "district_code", "commune_code", "active")


def in_demo_mode() -> bool:
    """Is the app (or the command line) running in demo mode now?"""
    from app.core.settings import read_settings
    return read_settings().demo_mode


@event.listens_for(_OrmSession, "before_flush")
def _revoke_on_credential_change(session, _flush_context, _instances) -> None:
    """A changed password or a disabled account ends the user's sessions, whoever changed it.

    Demo mode, where anybody may sign in as demo.admin: an account created there, or whose
    password, role, unit or state changes there, is marked ``made_in_demo`` (the app disables
    it when it starts in production, app/core/demo.py); a password set in production (an
    administrator's reset) clears the mark. Every code path is covered: the users page, bulk
    creation, the command line."""
    demo = None
    for obj in session.new:
        if isinstance(obj, User) and not obj.is_demo:
            demo = in_demo_mode() if demo is None else demo
            obj.made_in_demo = demo
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        state = sa_inspect(obj)
        pw = state.attrs.password_hash.history
        active = state.attrs.active.history
        if pw.has_changes() or (active.has_changes() and obj.active is False):
            obj.sessions_revoked_at = _precise_now()
        if not obj.is_demo and any(getattr(state.attrs, a).history.has_changes()
                                   for a in _DEMO_SENSITIVE):
            demo = in_demo_mode() if demo is None else demo
            if demo:
                obj.made_in_demo = True
            elif pw.has_changes():
                obj.made_in_demo = False


def count_users() -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(User)).one()


def list_credentials() -> dict:
    """Active users in the shape streamlit-authenticator expects (hashes only)."""
    with session_scope() as s:
        users = s.exec(select(User).where(User.active == True)).all()  # noqa: E712
        return {"usernames": {u.username: {"name": u.name, "email": u.email or "",
                                           "password": u.password_hash, "roles": [u.role],
                                           "failed_login_attempts": 0, "logged_in": False}
                              for u in users}}
