"""Users, sign-in rules and scopes against the real database."""
from __future__ import annotations

import pytest
from sqlmodel import select

from app.core import auth
from app.core.auth import AuthError, Scope, create_user, sign_in
from db.engine import session_scope
from db.models import AuditLog, User


def no_sleep(_):
    return None


def test_passwords_are_bcrypt_hashes(db):
    u = create_user("chief", "Chief", "Secret123", "admin")
    assert u.password_hash.startswith("$2b$") and "Secret123" not in u.password_hash
    assert sign_in("chief", "Secret123", sleep=no_sleep).ok
    assert not sign_in("chief", "secret123", sleep=no_sleep).ok


@pytest.mark.parametrize("pw", ["short1", "onlyletters", "12345678", "", "x" * 80 + "1"])
def test_password_rules(db, pw):
    with pytest.raises(AuthError):
        create_user("someone", "Someone", pw, "province")


def test_units_are_required_and_checked(db):
    with pytest.raises(AuthError):
        create_user("xa1", "Xã", "Secret123", "commune", commune_code="99999")
    with pytest.raises(AuthError):
        create_user("huyen1", "Huyện", "Secret123", "district", district_code="999")
    u = create_user("xa2", "Xã", "Secret123", "commune", commune_code="07201")
    assert (u.district_code, u.commune_code) == ("213", "07201")
    with pytest.raises(AuthError):
        create_user("xa2", "Again", "Secret123", "commune", commune_code="07201")


def test_repeated_failures_lock_the_account_and_are_audited(db):
    create_user("target", "T", "Secret123", "province")
    delays = []
    for _ in range(auth.LOCK_AFTER):
        res = sign_in("target", "wrong-pass1", sleep=delays.append)
        assert not res.ok
    assert delays == sorted(delays) and delays[-1] > delays[0]  # slows down
    locked = sign_in("target", "Secret123", sleep=no_sleep)
    assert not locked.ok and "tạm khóa" in locked.message
    with session_scope() as s:
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.actor == "target"))]
    assert actions == ["auth.failed"] * (auth.LOCK_AFTER - 1) + ["auth.locked", "auth.failed"]


def test_disabled_user_cannot_sign_in(db):
    create_user("gone", "Gone", "Secret123", "farmers")
    with session_scope() as s:
        u = s.exec(select(User).where(User.username == "gone")).one()
        u.active = False
        s.add(u)
    res = sign_in("gone", "Secret123", sleep=no_sleep)
    # the same words as a wrong password: nothing tells whether the account exists
    assert not res.ok and res.message == sign_in("nobody.else", "Secret123", sleep=no_sleep).message


def test_change_password(db):
    create_user("pwuser", "PW", "Secret123", "province", must_change_password=True)
    with pytest.raises(AuthError):
        auth.change_password("pwuser", "Secret123", "Newpass12", "Newpass13")
    with pytest.raises(AuthError):
        auth.change_password("pwuser", "bad", "Newpass12", "Newpass12")
    auth.change_password("pwuser", "Secret123", "Newpass12", "Newpass12")
    assert sign_in("pwuser", "Newpass12", sleep=no_sleep).ok
    assert not auth.get_user("pwuser").must_change_password


def test_scopes(db):
    province = Scope("p", "P", "province")
    district = Scope("d", "D", "district", district_code="213")
    commune = Scope("c", "C", "commune", district_code="213", commune_code="07201")
    assert province.can_see_commune("07603") and province.visible_commune_codes() is None
    assert district.can_see_commune("07201") and not district.can_see_commune("07603")
    assert len(district.visible_commune_codes()) == 16
    assert commune.can_see_commune("07201") and not commune.can_see_commune("07204")
    assert commune.visible_commune_codes() == ["07201"]
    assert not auth.ANONYMOUS.can_see_commune("07201")
    assert not district.can_see_district("215") and district.can_see_district("213")
