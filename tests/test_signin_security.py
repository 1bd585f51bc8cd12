"""Sign-in security: bcrypt only, slow-down and lockout (audited), session expiry, sign-out that
ends the session on the server even if the browser keeps the cookie, the cookie key outside demo
mode, password rules for new and reset passwords, and the last administrator."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import jwt
import pytest
from sqlmodel import select

from app.admin import users as ua
from app.core import auth, clock
from app.core.auth import (
    AuthError,
    Scope,
    change_password,
    create_user,
    password_problem,
    sign_in,
    sign_out_everywhere,
    user_from_cookie,
)
from app.core.settings import DEFAULT_DEMO_COOKIE_KEY, ConfigError, load_settings
from db.engine import session_scope
from db.models import AuditLog, User
from tests.apptest import app_for, texts

BCRYPT = re.compile(r"^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$")
ADMIN = Scope("chef", "Quản trị", "admin")


def no_sleep(_seconds):
    return None


def _user(username: str) -> User:
    with session_scope() as s:
        return s.exec(select(User).where(User.username == username)).one()


def _actions(actor: str) -> list[str]:
    with session_scope() as s:
        return [a.action for a in s.exec(select(AuditLog).where(AuditLog.actor == actor)
                                         .order_by(AuditLog.id))]


def _cookie(username: str, *, issued: float | None = None, hours: float | None = None,
            key: str | None = None) -> str:
    """A sign-in cookie exactly as streamlit-authenticator writes it."""
    cfg = load_settings()
    hours = cfg.session_hours if hours is None else hours
    issued = time.time() if issued is None else issued
    return jwt.encode({"username": username, "exp_date": issued + hours * 3600},
                      key or cfg.cookie_key, algorithm="HS256")


# --- passwords --------------------------------------------------------------------------------

def test_every_stored_password_is_a_bcrypt_hash(demo_db):
    create_user("chef", "Chef", "Secret123", "admin")
    with session_scope() as s:
        hashes = [u.password_hash for u in s.exec(select(User)).all()]
    assert len(hashes) >= 6 and all(BCRYPT.match(h) for h in hashes)
    # anything else stored in the column (plain text, another hash) never lets anyone in
    for fake in ("Secret123", "5ebe2294ecd0e0f08eab7690d2a6ee69", "", "$2b$04$short"):
        assert not auth.check_password("Secret123", fake)


def test_new_and_reset_passwords_follow_the_rules(db, monkeypatch):
    monkeypatch.setattr(ua, "GENERATED_ROUNDS", 4)
    for weak in ("short1", "onlyletters", "12345678", "x" * 80 + "1", ""):
        assert password_problem(weak)
        with pytest.raises(AuthError):
            create_user("weak.user", "W", weak, "province")
    create_user("chef", "Chef", "Secret123", "admin")
    create_user("pw.user", "PW", "Secret123", "province")
    with pytest.raises(AuthError, match="ít nhất 8 ký tự"):
        change_password("pw.user", "Secret123", "abc", "abc")
    row, first = ua.create_account(ADMIN, username="new.staff", name="Mới", role="farmers")
    resets = [ua.reset_password(ADMIN, row.id) for _ in range(20)]
    for pw in [first, *resets]:
        assert password_problem(pw) is None, pw  # generated passwords pass the same rules
    assert len(set(resets)) == 20
    assert _user("new.staff").must_change_password
    # the command line refuses a weak password for a new account
    from app import cli
    monkeypatch.setenv("QCDC_NEW_PASSWORD", "weak")
    assert cli.main(["create-user", "cli.user", "--role", "province"]) == 2


# --- failures slow down, then lock (audited) ----------------------------------------------------

def test_repeated_failures_slow_down_then_lock_and_unlock_later(db, monkeypatch):
    create_user("target", "T", "Secret123", "province")
    delays = []
    for _ in range(auth.LOCK_AFTER):
        assert not sign_in("target", "Wrong-pass1", sleep=delays.append).ok
    assert delays == sorted(delays) and delays[-1] > delays[0] and max(delays) <= 4.0
    locked = sign_in("target", "Secret123", sleep=no_sleep)  # the right password, but locked
    assert not locked.ok and "tạm khóa" in locked.message
    actions = _actions("target")
    # four failures, the lock, then the refused attempt while locked (audited too)
    assert actions == ["auth.failed"] * (auth.LOCK_AFTER - 1) + ["auth.locked", "auth.failed"]
    # an unknown user name costs a bcrypt check too and says exactly the same thing
    assert sign_in("nobody.at.all", "Wrong-pass1", sleep=no_sleep).message == \
        sign_in("target2", "x", sleep=no_sleep).message
    later = clock.now() + timedelta(minutes=auth.LOCK_MINUTES + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert sign_in("target", "Secret123", sleep=no_sleep).ok
    assert _user("target").failed_attempts == 0


# --- no account enumeration: one answer, one time -------------------------------------------------

def _refusals(rounds: int) -> dict[str, list[tuple[str, float, float]]]:
    """Sign-in attempts as an attacker makes them: (message, delay asked for, work done before
    that delay) per kind of account. The work is this thread's CPU time (bcrypt runs in the
    calling thread): what the answer time is made of, without the noise of a shared machine."""
    from app.admin import users as users_admin
    create_user("chef", "Chef", "Secret123", "admin")
    out: dict[str, list] = {k: [] for k in ("unknown", "wrong", "generated", "disabled", "locked")}
    accounts = []
    for i in range(rounds):
        create_user(f"real.{i}", "R", "Secret123", "province")
        gen, _pw = users_admin.create_account(ADMIN, username=f"xa.gen{i}", name="G",
                                              role="commune", commune_code="07201")
        gone = create_user(f"gone.{i}", "G", "Secret123", "farmers")
        locked = create_user(f"locked.{i}", "L", "Secret123", "province")
        with session_scope() as s:
            s.get(User, gone.id).active = False
            s.get(User, locked.id).locked_until = clock.now() + timedelta(minutes=10)
        accounts.append({"unknown": (f"nobody.{i}", "Secret123"), "wrong": (f"real.{i}", "Wrong-pass1"),
                         "generated": (gen.username, "Wrong-pass1"),
                         "disabled": (f"gone.{i}", "Secret123"),  # the right password
                         "locked": (f"locked.{i}", "Secret123")})
    for attempt in accounts:
        for kind, (username, password) in attempt.items():
            delays: list[float] = []
            t0 = time.thread_time()
            res = sign_in(username, password, sleep=delays.append)
            out[kind].append((res.message, delays, time.thread_time() - t0))
            assert not res.ok
    return out


def test_unknown_wrong_disabled_and_locked_accounts_answer_alike(db):
    """Whatever the account (none, a wrong password, a generated password hashed at a lower
    cost, disabled, locked), a failed sign-in says the same words after the same delay and the
    same bcrypt work: nothing tells an attacker which names exist."""
    got = _refusals(rounds=3)
    messages = {m for rows in got.values() for m, _d, _s in rows}
    assert len(messages) == 1, messages
    assert {repr(d) for rows in got.values() for _m, d, _s in rows} == {repr([auth.failure_delay(1)])}
    medians = {k: sorted(s for _m, _d, s in rows)[len(rows) // 2] for k, rows in got.items()}
    slow, fast = max(medians.values()), min(medians.values())
    assert fast > 0.02, medians  # a real bcrypt check every time (cost 12: ~0.2 s of CPU)
    assert slow / fast < 1.6, medians


# --- sessions expire ----------------------------------------------------------------------------

def test_a_session_expires_after_session_hours(demo_db):
    at = app_for("pages/commune/report.py", user="demo.xa")
    assert not at.exception and "Phường Thọ Xương" in texts(at)
    hours = load_settings().session_hours
    at.session_state["qcdc_signed_in_at"] = time.time() - hours * 3600 - 5
    at.run()
    assert "qcdc_user" not in at.session_state
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/commune/report.py")
        at.run()


def test_an_expired_or_forged_cookie_is_refused(demo_db):
    hours = load_settings().session_hours
    assert user_from_cookie(_cookie("demo.xa"), load_settings().cookie_key, hours)
    old = _cookie("demo.xa", issued=time.time() - hours * 3600 - 1)
    forged = _cookie("demo.admin", key="not-the-server-key-" + "y" * 30)
    longer = _cookie("demo.xa", hours=hours * 10)  # a lifetime the server never grants
    unknown = _cookie("nobody.here")
    for token in (old, forged, longer, unknown, "", "abc.def.ghi", "x" * 10000, None):
        assert user_from_cookie(token, load_settings().cookie_key, hours) is None


# --- signing out ends the session on the server ---------------------------------------------------

class _Client:
    """What a browser sends: cookies (AppTest cannot seed them, so st.context is patched)."""

    def __init__(self, cookies):
        self.cookies = cookies
        self.headers = []
        self.remote_ip = "127.0.0.1"


@pytest.fixture
def browser_cookie(monkeypatch):
    jar: dict[str, str] = {}
    import streamlit.runtime.context as ctx
    monkeypatch.setattr(ctx, "_get_client_context", lambda: _Client(jar))
    return jar


def _signed_in(at) -> str | None:
    return at.session_state["qcdc_user"] if "qcdc_user" in at.session_state else None  # noqa: SIM401


def test_signing_out_makes_a_kept_cookie_worthless(demo_db, browser_cookie):
    cfg = load_settings()
    browser_cookie[cfg.cookie_name] = _cookie("demo.xa", issued=time.time() - 60)
    at = app_for(None)  # a new browser tab with the cookie: signed in from it
    assert _signed_in(at) == "demo.xa"
    assert at.session_state["qcdc_signed_in_at"] == pytest.approx(time.time() - 60, abs=5)
    [b for b in at.sidebar.button if "Đăng xuất" in str(b.label)][0].click().run()
    assert _signed_in(at) is None
    assert "auth.sign_out" in _actions("demo.xa")
    # the browser kept the cookie (deleting it is up to the browser): a new tab is anonymous
    again = app_for(None)
    assert _signed_in(again) is None
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        again.switch_page("pages/commune/report.py")
        again.run()
    # a fresh sign-in works again at once
    assert auth.sign_in("demo.xa", "Demo@2024", sleep=no_sleep).ok
    browser_cookie[cfg.cookie_name] = _cookie("demo.xa")
    assert _signed_in(app_for(None)) == "demo.xa"


def test_signing_out_elsewhere_ends_an_open_session(demo_db):
    at = app_for("pages/commune/report.py", user="demo.xa")
    at.session_state["qcdc_signed_in_at"] = time.time() - 30
    at.run()
    assert _signed_in(at) == "demo.xa"
    sign_out_everywhere("demo.xa")  # e.g. the sign-out button on another phone
    at.run()
    assert _signed_in(at) is None
    # the tab shows the sign-in page, saying why
    assert "Phiên làm việc đã kết thúc" in texts(at)
    assert [w for w in at.text_input if w.label == "Mật khẩu"]


@pytest.mark.parametrize("how", ["own change", "admin reset", "disabled"])
def test_password_change_reset_or_disabling_revokes_sessions(db, how, monkeypatch):
    monkeypatch.setattr(ua, "GENERATED_ROUNDS", 4)
    create_user("chef", "Chef", "Secret123", "admin")
    u = create_user("staff1", "Staff", "Secret123", "province")
    cfg = load_settings()
    token = _cookie("staff1", issued=time.time() - 5)
    assert user_from_cookie(token, cfg.cookie_key, cfg.session_hours)
    assert _user("staff1").sessions_revoked_at is None
    if how == "own change":
        change_password("staff1", "Secret123", "Newpass123", "Newpass123")
    elif how == "admin reset":
        ua.reset_password(ADMIN, u.id)
    else:
        ua.set_active(ADMIN, u.id, False)
    assert _user("staff1").sessions_revoked_at is not None
    assert user_from_cookie(token, cfg.cookie_key, cfg.session_hours) is None
    if how != "disabled":  # a cookie issued after the change is good
        assert user_from_cookie(_cookie("staff1"), cfg.cookie_key, cfg.session_hours)


def test_own_password_change_keeps_the_current_session(db):
    create_user("moi.tao", "Mới tạo", "Secret123", "province", must_change_password=True)
    at = app_for(None, user="moi.tao")
    at.session_state["qcdc_signed_in_at"] = time.time() - 30
    at.run()
    at.text_input[0].input("Secret123")
    at.text_input[1].input("Matkhau2024")
    at.text_input[2].input("Matkhau2024")
    [b for b in at.button if "Đổi mật khẩu" in str(b.label)][0].click().run()
    assert not at.exception
    assert _signed_in(at) == "moi.tao"  # this session goes on; every other one ended
    assert _user("moi.tao").sessions_revoked_at is not None


def test_renaming_or_other_edits_do_not_end_sessions(db, monkeypatch):
    monkeypatch.setattr(ua, "GENERATED_ROUNDS", 4)
    create_user("chef", "Chef", "Secret123", "admin")
    u = create_user("staff2", "Staff", "Secret123", "province")
    ua.update_account(ADMIN, u.id, name="Tên mới", role="farmers")
    assert sign_in("staff2", "Secret123", sleep=no_sleep).ok
    assert _user("staff2").sessions_revoked_at is None


# --- the cookie key outside demo mode -----------------------------------------------------------

@pytest.mark.parametrize("key,ok", [
    (None, False), ("", False), ("short-key", False), (DEFAULT_DEMO_COOKIE_KEY, False),
    ("change-me-to-64-random-hex-characters-from-openssl-rand-hex-32-xxxx", False),
    ("k" * 31, False), ("a-random-production-key-" + "z" * 16, True),
])
def test_cookie_key_is_required_outside_demo_mode(monkeypatch, tmp_path, key, ok):
    monkeypatch.setenv("QCDC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QCDC_DEMO", "0")
    if key is None:
        monkeypatch.delenv("QCDC_COOKIE_KEY", raising=False)
    else:
        monkeypatch.setenv("QCDC_COOKIE_KEY", key)
    if ok:
        assert load_settings().cookie_key == key
    else:
        with pytest.raises(ConfigError):
            load_settings()


@pytest.mark.parametrize("secret,ok", [
    (None, True), ("change-me-too", False), ("too-short", False), ("s" * 31, False),
    ("0123456789abcdef" * 4, True),
])
def test_streamlit_cookie_secret_is_not_the_placeholder_outside_demo_mode(
        monkeypatch, tmp_path, secret, ok):
    """deploy/qcdc.env.example's STREAMLIT_SERVER_COOKIE_SECRET placeholder (Streamlit signs the
    upload XSRF tokens with it) stops the app from starting, as the cookie key's does."""
    monkeypatch.setenv("QCDC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("QCDC_DEMO", "0")
    monkeypatch.setenv("QCDC_COOKIE_KEY", "a-random-production-key-" + "z" * 16)
    if secret is None:
        monkeypatch.delenv("STREAMLIT_SERVER_COOKIE_SECRET", raising=False)
    else:
        monkeypatch.setenv("STREAMLIT_SERVER_COOKIE_SECRET", secret)
    if ok:
        assert load_settings().cookie_key
    else:
        with pytest.raises(ConfigError, match="STREAMLIT_SERVER_COOKIE_SECRET"):
            load_settings()


def test_demo_mode_signs_cookies_with_a_key_of_its_own(monkeypatch, tmp_path):
    """Demo mode without a configured key: a key generated for the installation, kept in the
    data folder (0600), the same for every process and restart; never a published one."""
    monkeypatch.setenv("QCDC_DEMO", "1")
    monkeypatch.delenv("QCDC_COOKIE_KEY", raising=False)
    monkeypatch.setenv("QCDC_DATA_DIR", str(tmp_path / "one"))
    key = load_settings().cookie_key
    path = tmp_path / "one" / "keys" / "cookie.key"
    assert re.fullmatch(r"[0-9a-f]{64}", key) and path.read_text().strip() == key
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert load_settings().cookie_key == key  # kept
    monkeypatch.setenv("QCDC_DATA_DIR", str(tmp_path / "two"))
    assert load_settings().cookie_key != key  # another installation, another key
    for published in (DEFAULT_DEMO_COOKIE_KEY, "change-me-too"):
        monkeypatch.setenv("QCDC_COOKIE_KEY", published)
        with pytest.raises(ConfigError):
            load_settings()


def test_the_app_refuses_to_start_without_a_cookie_key(db, monkeypatch):
    import streamlit as st
    monkeypatch.setenv("QCDC_DEMO", "0")
    monkeypatch.delenv("QCDC_COOKIE_KEY", raising=False)
    st.cache_resource.clear()
    at = app_for(None)
    assert at.exception  # (the message is redacted in the browser; it is in the server log)
    assert not at.text_input and not at.button  # nothing of the app runs
    st.cache_resource.clear()


# --- the last administrator -------------------------------------------------------------------------

def test_the_last_active_administrator_cannot_be_removed(db, monkeypatch):
    monkeypatch.setattr(ua, "GENERATED_ROUNDS", 4)
    chef = create_user("chef", "Chef", "Secret123", "admin")
    with pytest.raises(AuthError):
        ua.set_active(ADMIN, chef.id, False)  # nor by themself
    with pytest.raises(AuthError, match="quản trị viên cuối cùng"):
        ua.set_active(Scope("cli", "cli", "admin"), chef.id, False)
    with pytest.raises(AuthError, match="quản trị viên cuối cùng"):
        ua.update_account(ADMIN, chef.id, name="Chef", role="province")
    row, _pw = ua.create_account(ADMIN, username="deputy", name="Phó", role="admin")
    ua.set_active(Scope("deputy", "Phó", "admin"), chef.id, False)  # one admin remains
    with pytest.raises(AuthError, match="quản trị viên cuối cùng"):
        ua.set_active(Scope("cli", "cli", "admin"), row.id, False)
    with session_scope() as s:
        admins = s.exec(select(User).where(User.role == "admin", User.active == True)).all()  # noqa: E712
    assert [a.username for a in admins] == ["deputy"]
