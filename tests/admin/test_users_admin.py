"""User administration: create/edit/disable/reset with audit, the last-administrator rule, and
the idempotent bulk creation of district and commune accounts with a one-time credential sheet."""
from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from app import cli
from app.admin import users as ua
from app.core.auth import AuthError, Scope, change_password, create_user, sign_in
from app.core.reference import geography
from db.engine import session_scope
from db.models import AuditLog, User
from tests.apptest import app_for, texts
from tests.pdf_helpers import pdf_pages

ADMIN = Scope("admin1", "Quản trị", "admin")
STAFF = Scope("tinh.a", "Cán bộ", "province")


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch):
    # generated passwords are hashed at cost 10 in production; cost 4 keeps 219 accounts quick
    monkeypatch.setattr(ua, "GENERATED_ROUNDS", 4)


@pytest.fixture
def admin(db):
    create_user("admin1", "Quản trị 1", "Admin@2024x", "admin", actor="test")
    return ADMIN


def _actions(entity_id=None) -> list[str]:
    with session_scope() as s:
        q = select(AuditLog.action).order_by(AuditLog.id)
        if entity_id is not None:
            q = q.where(AuditLog.entity_id == str(entity_id))
        return list(s.exec(q).all())


def test_bulk_create_gives_every_unit_exactly_one_account(admin):
    geo = geography()
    # a district that already has an account (any username) is skipped
    create_user("bcd.tp", "BCĐ TP Bắc Giang", "Matkhau123", "district", district_code="213")
    result = ua.bulk_create("admin1", scope=admin)
    assert len(result.created) == len(geo.districts) - 1 + len(geo.communes) == 218
    assert result.skipped == 1 and result.conflicts == []
    with session_scope() as s:
        rows = s.exec(select(User.role, User.district_code, User.commune_code)
                      .where(User.is_demo == False)).all()  # noqa: E712
    communes = [c for r, _d, c in rows if r == "commune"]
    districts = [d for r, d, _c in rows if r == "district"]
    assert sorted(communes) == sorted(c.code for c in geo.communes) == sorted(set(communes))
    assert sorted(districts) == sorted(d.code for d in geo.districts)
    assert len(geo.communes) == 209 and len(geo.districts) == 10
    # idempotent: a second run creates nothing
    again = ua.bulk_create("admin1", scope=admin)
    assert again.created == [] and again.skipped == 219 and again.sheet() is None
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(User)
                      .where(User.role.in_(("district", "commune")))).one() == 219
    assert _actions().count("user.bulk_create") == 2


def test_credential_sheet_and_forced_password_change(admin):
    result = ua.bulk_create("admin1", scope=admin)
    wb = load_workbook(io.BytesIO(result.sheet("https://khaosat.bacgiang.gov.vn/dang-nhap")))
    assert wb.sheetnames == ["Tài khoản"]
    ws = wb.active
    assert "https://khaosat.bacgiang.gov.vn/dang-nhap" in ws["A3"].value
    rows = [r for r in ws.iter_rows(min_row=6, values_only=True) if r[0]]
    assert len(rows) == 219
    creds = {r[4]: r[5] for r in rows}
    assert "xa.07201" in creds and "huyen.213" in creds
    assert all(len(p) == 12 for p in creds.values())
    # read off paper: no character that reads like another
    assert not set("".join(creds.values())) & set("Il1Oo0")
    slips = pdf_pages(result.slips("https://khaosat.bacgiang.gov.vn/dang-nhap"))
    assert len(slips) == (219 + 3) // 4
    first = slips[0]
    assert "Tổ công tác" in first or "Ban Chỉ đạo" in first
    assert "khaosat.bacgiang.gov.vn/dang-nhap" in first
    assert sum(p.count("Mật khẩu tạm thời") for p in slips) == 219
    assert creds["huyen.213"] in "".join(slips)
    with session_scope() as s:
        u = s.exec(select(User).where(User.username == "xa.07201")).one()
        assert u.must_change_password and u.role == "commune" and u.commune_code == "07201"
        assert creds["xa.07201"] not in u.password_hash
    # no password reaches the audit log
    with session_scope() as s:
        blobs = " ".join((a.after or "") for a in s.exec(select(AuditLog)).all())
    assert creds["xa.07201"] not in blobs
    res = sign_in("xa.07201", creds["xa.07201"], sleep=lambda _s: None)
    assert res.ok and res.user.must_change_password
    # signed in with the generated password: the app shows only the account page
    at = app_for(user="xa.07201")
    assert not at.exception
    assert "Bạn cần đổi mật khẩu trước khi tiếp tục." in texts(at)
    change_password("xa.07201", creds["xa.07201"], "MatKhauMoi2024", "MatKhauMoi2024")
    with session_scope() as s:
        assert not s.exec(select(User).where(User.username == "xa.07201")).one() \
            .must_change_password
    at = app_for(user="xa.07201")
    assert "Bạn cần đổi mật khẩu" not in texts(at)


def test_cli_bulk_create_writes_the_sheet_once(db, tmp_path, capsys):
    out = tmp_path / "tai_khoan.xlsx"
    assert cli.main(["users", "bulk-create", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["created"] == 219 and out.exists()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    # never overwrites the earlier sheet (it holds the only copy of those passwords)
    assert cli.main(["users", "bulk-create", "--out", str(out)]) == 2
    out2 = tmp_path / "lan2.xlsx"
    assert cli.main(["users", "bulk-create", "--out", str(out2)]) == 0
    assert json.loads(capsys.readouterr().out)["created"] == 0 and not out2.exists()


def test_create_edit_disable_reset_are_audited(admin):
    row, pw = ua.create_account(admin, username="tinh.moi", name="Cán bộ mới", role="province",
                                email="a@b.vn")
    assert row.must_change_password and len(pw) == 12
    assert sign_in("tinh.moi", pw, sleep=lambda _s: None).ok
    with pytest.raises(AuthError, match="đã tồn tại"):
        ua.create_account(admin, username="tinh.moi", name="X", role="province")
    with pytest.raises(AuthError):
        ua.create_account(admin, username="Bad Name", name="X", role="province")
    with pytest.raises(AuthError, match="mã xã"):
        ua.create_account(admin, username="xa.moi", name="X", role="commune",
                          commune_code="99999")
    row = ua.update_account(admin, row.id, name="Cán bộ huyện", role="district",
                            district_code="216")
    assert (row.role, row.district_code, row.commune_code) == ("district", "216", None)
    ua.set_active(admin, row.id, False)
    res = sign_in("tinh.moi", pw, sleep=lambda _s: None)
    assert not res.ok and res.message == sign_in("khong.co", pw, sleep=lambda _s: None).message
    ua.set_active(admin, row.id, True)
    new_pw = ua.reset_password(admin, row.id)
    assert new_pw != pw and sign_in("tinh.moi", new_pw, sleep=lambda _s: None).ok
    assert not sign_in("tinh.moi", pw, sleep=lambda _s: None).ok
    with session_scope() as s:
        u = s.get(User, row.id)
        assert u.must_change_password
        entries = s.exec(select(AuditLog).where(AuditLog.entity == "user",
                                                AuditLog.entity_id == str(row.id))
                         .order_by(AuditLog.id)).all()
        admin_actions = [(e.actor, e.action) for e in entries if e.actor == "admin1"]
        assert admin_actions == [("admin1", "user.create"), ("admin1", "user.update"),
                                 ("admin1", "user.disable"), ("admin1", "user.enable"),
                                 ("admin1", "user.reset_password")]
        upd = next(e for e in entries if e.action == "user.update")
        assert json.loads(upd.before)["role"] == "province"
        assert json.loads(upd.after)["district"] == "216"
        assert all(new_pw not in (e.after or "") and pw not in (e.after or "") for e in entries)


def test_the_last_active_administrator_stays(admin):
    with session_scope() as s:
        me = s.exec(select(User).where(User.username == "admin1")).one().id
    with pytest.raises(AuthError, match="tự vô hiệu hóa"):
        ua.set_active(admin, me, False)
    other_admin = Scope("root", "Vận hành", "admin")
    with pytest.raises(AuthError, match="quản trị viên cuối cùng"):
        ua.set_active(other_admin, me, False)
    with pytest.raises(AuthError, match="quản trị viên cuối cùng"):
        ua.update_account(admin, me, name="Quản trị 1", role="province")
    row, _pw = ua.create_account(admin, username="admin2", name="Quản trị 2", role="admin")
    ua.set_active(admin, row.id, False)  # another admin can go while one remains
    with pytest.raises(AuthError, match="quản trị viên cuối cùng"):
        ua.set_active(other_admin, me, False)
    ua.set_active(admin, row.id, True)
    ua.set_active(Scope("admin2", "Quản trị 2", "admin"), me, False)
    with session_scope() as s:
        assert not s.get(User, me).active


def test_only_admins_manage_users_and_demo_accounts_are_left_alone(demo_db):
    with pytest.raises(AuthError):
        ua.list_users(STAFF)
    with pytest.raises(AuthError):
        ua.bulk_create("x", scope=STAFF)
    with session_scope() as s:
        demo = s.exec(select(User).where(User.username == "demo.xa")).one()
    with pytest.raises(AuthError, match="demo"):
        ua.reset_password(ADMIN, demo.id)
    with pytest.raises(AuthError, match="demo"):
        ua.set_active(ADMIN, demo.id, False)
    # demo accounts do not count as a unit's account: bulk creation still covers 07201
    result = ua.bulk_create("admin", scope=ADMIN)
    assert "xa.07201" in {c.username for c in result.created}


def test_an_office_screen_account_is_made_here_and_lands_on_its_screen(admin):
    """A screen-only account (issue 15): one commune, never asked to change its password (it
    has no account page), lands on its office screen."""
    with pytest.raises(AuthError):
        ua.create_account(admin, username="man-hinh.x", name="Màn hình", role="screen")
    row, pw = ua.create_account(admin, username="man-hinh.07201", name="Màn hình một cửa",
                                role="screen", commune_code="07201")
    assert (row.role, row.commune_code, row.must_change_password) == ("screen", "07201", False)
    assert row.unit_name == geography().by_code["07201"].full_name
    pw = ua.reset_password(admin, row.id)
    res = sign_in("man-hinh.07201", pw, sleep=lambda _s: None)
    assert res.ok and not res.user.must_change_password
    at = app_for(user="man-hinh.07201")
    assert not at.exception
    body = texts(at)
    assert "Mời ông/bà quét mã để đánh giá" in body and "Bạn cần đổi mật khẩu" not in body
