"""The administrator's API token page (/khoa-api) through the real entry script: issue a token
(shown once, works at once), see it listed with its use, set its expiry, revoke it."""
from __future__ import annotations

import json

from sqlmodel import select

from app.admin import api_tokens as svc
from app.core.auth import Scope
from db.engine import session_scope
from db.models import AuditLog
from tests.api.helpers import call
from tests.apptest import app_for, keyed_frame, select_row, texts

PAGE = "pages/admin/api_tokens.py"


def _submit(at, form):
    for b in at.button:
        if (b.key or "").startswith(f"FormSubmitter:{form}"):
            return b
    raise AssertionError(f"no submit button of form {form}: {[b.key for b in at.button]}")


def _codes(at) -> list[str]:
    return [str(c.value) for c in at.code]


def test_issue_list_expire_and_revoke_a_token(demo_db):
    at = app_for(PAGE, user="demo.admin", timeout=60)
    assert not at.exception
    assert "Chưa cấp khóa nào." in texts(at)
    at.selectbox(key="api_tokens_n_role").set_value("district").run()
    at.text_input[0].set_value("Phòng Thống kê Yên Thế")
    district = next(s for s in at.selectbox if s.key != "api_tokens_n_role")
    district.set_value("215")
    _submit(at, "api_tokens_new").click().run()
    assert not at.exception, at.exception
    body = texts(at)
    assert "chỉ hiện một lần" in body and "Đã cấp khóa cho «Phòng Thống kê Yên Thế»." in body
    token = next(c for c in _codes(at) if c.startswith("qcdc_"))
    assert any("Authorization: Bearer " + token in c for c in _codes(at))
    assert call(token, "communes", query={"district": "215"}).status == 200
    assert call(token, "communes", query={"district": "213"}).status == 403
    # closed: never shown again, the list shows the public part only
    at.button(key="api_tokens_secret_done").click().run()
    assert not any(token in c for c in _codes(at))
    frame = at.dataframe[0].value
    assert token not in frame.to_csv()
    assert list(frame.iloc[0][["Đơn vị sử dụng", "Trạng thái"]]) == [
        "Phòng Thống kê Yên Thế", "Đang dùng được"]
    assert "Huyện Yên Thế" in frame.iloc[0]["Quyền đọc"]
    # pick it: expire it now, then revoke it
    select_row(at, "api_tokens_table", 0)
    at.number_input[0].set_value(0)
    _submit(at, "api_tokens_expiry_").click().run()
    assert "Đã đặt lại hạn dùng" in texts(at)
    assert json.loads(call(token, "campaigns").body)["error"]["code"] == "token_expired"
    select_row(at, "api_tokens_table", 0)
    _submit(at, "api_tokens_revoke_").click().run()
    assert "Hãy đánh dấu ô xác nhận" in texts(at)           # not without the confirmation
    row = svc.list_tokens(Scope("a", "a", "admin"))[0]
    at.checkbox(key=f"api_tokens_sure_{row.id}").check()
    _submit(at, "api_tokens_revoke_").click().run()
    assert "Đã thu hồi khóa «Phòng Thống kê Yên Thế»." in texts(at)
    assert json.loads(call(token, "campaigns").body)["error"]["code"] == "token_revoked"
    assert keyed_frame(at, "api_tokens_table").iloc[0]["Trạng thái"] == "Đã thu hồi"
    with session_scope() as s:
        actions = [a.action for a in s.execute(select(AuditLog).where(
            AuditLog.action.like("api_token.%")).order_by(AuditLog.id)).scalars()]
    assert actions == ["api_token.create", "api_token.expire", "api_token.revoke"]


def test_a_name_is_required(demo_db):
    at = app_for(PAGE, user="demo.admin", timeout=60)
    _submit(at, "api_tokens_new").click().run()
    assert "Cần nhập tên đơn vị" in "\n".join(str(e.value) for e in at.error)
    assert svc.list_tokens(Scope("a", "a", "admin")) == []


def test_revoke_acts_on_the_token_picked_after_the_list_changed(demo_db):
    """Issue 14 item 1: the pick is the token, not the row's position. A token issued after
    the pick sorts first; the revocation still lands on the token the administrator read."""
    admin = Scope("demo.admin", "Quản trị", "admin")
    svc.create_token(admin, "Cổng báo cáo tỉnh", "province")
    svc.create_token(admin, "Sổ tay phân tích", "province")
    at = app_for(PAGE, user="demo.admin", timeout=60)
    frame = keyed_frame(at, "api_tokens_table")
    assert list(frame["Đơn vị sử dụng"]) == ["Sổ tay phân tích", "Cổng báo cáo tỉnh"]
    select_row(at, "api_tokens_table", 0)
    assert "Sổ tay phân tích" in at.subheader[0].value
    svc.create_token(admin, "Power BI Sở Nội vụ", "province")  # another tab, meanwhile
    at.run()
    frame = keyed_frame(at, "api_tokens_table")
    assert frame.iloc[0]["Đơn vị sử dụng"] == "Power BI Sở Nội vụ"
    assert "Sổ tay phân tích" in at.subheader[0].value  # still the token read
    picked = next(r for r in svc.list_tokens(admin) if r.name == "Sổ tay phân tích")
    at.checkbox(key=f"api_tokens_sure_{picked.id}").check()
    _submit(at, "api_tokens_revoke_").click().run()
    assert "Đã thu hồi khóa «Sổ tay phân tích»." in texts(at)
    states = {r.name: r.state for r in svc.list_tokens(admin)}
    assert states == {"Power BI Sở Nội vụ": "active", "Sổ tay phân tích": "revoked",
                      "Cổng báo cáo tỉnh": "active"}
