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
import time
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

ROLES = ("admin", "province", "farmers", "district", "commune")
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


def sign_in(username: str, password: str, *, sleep=time.sleep) -> SignInResult:
    """Check a username and password against the database, with lockout and audit."""
    username = (username or "").strip().lower()
    if not username or not password:
        return SignInResult(False, t("auth.empty"))
    now = clock.now()
    with session_scope() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None:
            check_password(password, "$2b$12$" + "x" * 53)  # same cost as a real check
            return SignInResult(False, t("auth.failed"))
        if not user.active:
            return SignInResult(False, t("auth.disabled"))
        if user.locked_until and user.locked_until > now:
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            return SignInResult(False, t("auth.locked", minutes=minutes))
        if check_password(password, user.password_hash):
            user.failed_attempts = 0
            user.locked_until = None
            user.last_login_at = now
            s.add(user)
            audit.record(s, username, "auth.sign_in", "user", user.id)
            return SignInResult(True, user=user)
        user.failed_attempts = (user.failed_attempts or 0) + 1
        attempts = user.failed_attempts
        if attempts >= LOCK_AFTER:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_attempts = 0
            audit.record(s, username, "auth.locked", "user", user.id,
                         after={"locked_until": user.locked_until})
        else:
            audit.record(s, username, "auth.failed", "user", user.id,
                         after={"failed_attempts": attempts})
        s.add(user)
        locked = user.locked_until
    sleep(failure_delay(attempts))
    if locked and locked > now:
        return SignInResult(False, t("auth.locked", minutes=LOCK_MINUTES))
    return SignInResult(False, t("auth.failed"))


def validate_unit(session, role: str, district_code: str | None,
                  commune_code: str | None) -> tuple[str | None, str | None]:
    if role not in ROLES:
        raise AuthError(f"Vai trò không hợp lệ: {role}")
    if role == "district":
        if not district_code or session.get(District, district_code) is None:
            raise AuthError("Tài khoản cấp huyện cần mã huyện hợp lệ.")
        return district_code, None
    if role == "commune":
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


@event.listens_for(_OrmSession, "before_flush")
def _revoke_on_credential_change(session, _flush_context, _instances) -> None:
    """A changed password or a disabled account ends the user's sessions, whoever changed it."""
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        state = sa_inspect(obj)
        pw = state.attrs.password_hash.history
        active = state.attrs.active.history
        if pw.has_changes() or (active.has_changes() and obj.active is False):
            obj.sessions_revoked_at = _precise_now()


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
