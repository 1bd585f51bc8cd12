"""Accounts made in demo mode do not survive the switch to production.

In demo mode anybody may sign in as demo.admin (public password) and create accounts, reset
passwords or raise roles. Every account created or changed there is marked ``made_in_demo``
(whichever way: the users page's service, bulk creation, the command line); when the app starts
with demo mode off it is disabled with the demo accounts, and stays so until an administrator
resets its password in production. Accounts made in production are not touched.
"""
from __future__ import annotations

import pytest
from sqlmodel import select

from app import cli
from app.admin import users as ua
from app.core.auth import AuthError, Scope, create_user, sign_in, user_from_cookie
from app.core.settings import load_settings
from app.core.startup import ensure_ready
from db.engine import session_scope
from db.models import AuditLog, User

DEMO_ADMIN = Scope("demo.admin", "Quản trị viên (demo)", "admin")


def no_sleep(_s):
    return None


def _user(username: str) -> User:
    with session_scope() as s:
        return s.exec(select(User).where(User.username == username)).one()


@pytest.fixture
def fast_hashes(monkeypatch):
    monkeypatch.setattr(ua, "GENERATED_ROUNDS", 4)


def test_accounts_made_in_demo_mode_are_disabled_when_production_starts(
        demo_db, monkeypatch, fast_hashes):
    # production made one account before anybody tried the demo on this server
    monkeypatch.setenv("QCDC_DEMO", "0")
    create_user("truong.ban", "Trưởng ban", "Secret123", "province")
    create_user("nguoi.khac", "Người khác", "Secret123", "farmers")
    monkeypatch.setenv("QCDC_DEMO", "1")
    # ... then, in demo mode, whoever signed in as demo.admin:
    _row, backdoor_pw = ua.create_account(DEMO_ADMIN, username="quan.tri2", name="Q",
                                          role="admin")                       # the users page
    monkeypatch.setenv("QCDC_NEW_PASSWORD", "Cli-pass-2024")
    assert cli.main(["create-user", "chief", "--role", "admin"]) == 0         # the command line
    bulk = ua.bulk_create("demo.admin", scope=DEMO_ADMIN)                      # bulk creation
    taken_pw = ua.reset_password(DEMO_ADMIN, _user("truong.ban").id)          # a takeover
    assert sign_in("quan.tri2", backdoor_pw, sleep=no_sleep).ok
    made = ["quan.tri2", "chief", "truong.ban", *(c.username for c in bulk.created)]
    assert len(made) == 3 + 219
    assert all(_user(u).made_in_demo for u in made)
    assert not _user("nguoi.khac").made_in_demo and not _user("demo.admin").made_in_demo
    cfg = load_settings()
    from tests.test_signin_security import _cookie
    token = _cookie("quan.tri2")

    # the README's switch: QCDC_DEMO=0 and a cookie key, then the app starts
    monkeypatch.setenv("QCDC_DEMO", "0")
    info = ensure_ready()
    from app.core.demo import DEMO_ACCOUNTS
    assert info["demo_accounts_disabled"] == len(made) + len(DEMO_ACCOUNTS)
    for username, password in (("quan.tri2", backdoor_pw), ("chief", "Cli-pass-2024"),
                               ("truong.ban", taken_pw), ("demo.admin", "Demo@2024"),
                               (bulk.created[0].username, bulk.created[0].password)):
        assert not sign_in(username, password, sleep=no_sleep).ok, username
    assert user_from_cookie(token, cfg.cookie_key, cfg.session_hours) is None
    assert sign_in("nguoi.khac", "Secret123", sleep=no_sleep).ok  # made in production: kept
    with session_scope() as s:
        logged = s.exec(select(AuditLog).where(AuditLog.action == "demo.disable_accounts")).one()
    assert "quan.tri2" in logged.after and "truong.ban" in logged.after

    # an administrator of production brings one back: only after resetting its password there
    chief = Scope("nguoi.khac", "Người khác", "admin")
    with pytest.raises(AuthError, match="chế độ demo"):
        ua.set_active(chief, _user("truong.ban").id, True)
    new_pw = ua.reset_password(chief, _user("truong.ban").id)
    ua.set_active(chief, _user("truong.ban").id, True)
    assert not _user("truong.ban").made_in_demo
    assert sign_in("truong.ban", new_pw, sleep=no_sleep).ok
    ensure_ready()  # the next start leaves it alone
    assert _user("truong.ban").active and not _user("quan.tri2").active


@pytest.mark.parametrize("ran_demo", [True, False])
def test_the_migration_marks_accounts_of_a_database_that_ran_the_demo(
        request, monkeypatch, ran_demo):
    """A database upgraded from before the mark: if its demo accounts are active (the demo
    ran), every other account may have been made by anybody, so all are marked; a database
    that never ran the demo keeps its accounts as they are."""
    from alembic import command

    from db.engine import get_engine
    from db.migrate import alembic_config
    request.getfixturevalue("demo_db" if ran_demo else "db")
    monkeypatch.setenv("QCDC_DEMO", "0")
    create_user("xa.07201", "Xã", "Secret123", "commune", commune_code="07201")
    assert not _user("xa.07201").made_in_demo
    cfg = alembic_config()
    with get_engine().begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0004")
        command.upgrade(cfg, "heads")
    assert _user("xa.07201").made_in_demo == ran_demo
    if ran_demo:
        assert not _user("demo.xa").made_in_demo  # the demo accounts have their own flag
