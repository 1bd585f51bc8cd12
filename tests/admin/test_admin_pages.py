"""AppTest tests of the nominations and administration pages, signed in through the real entry
script (demo accounts)."""
from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook
from sqlmodel import select

from app.admin import users as ua
from app.admin.xlsform import export_xlsform
from app.board import nominations as nom
from app.core.auth import Scope
from app.core.campaigns import active_campaign
from db.engine import session_scope
from db.models import AuditLog, Campaign, Nomination, Questionnaire, User
from tests.apptest import app_for, texts

TINH = Scope("demo.tinh", "Ban Dân vận Tỉnh ủy (demo)", "province")
ADMIN = Scope("demo.admin", "Quản trị viên (demo)", "admin")


def _button(at, key):
    for b in at.button:
        if b.key == key:
            return b
    raise AssertionError(f"no button {key}: {[b.key for b in at.button]}")


def _submit(at, form_prefix):
    for b in at.button:
        if (b.key or "").startswith(f"FormSubmitter:{form_prefix}"):
            return b
    raise AssertionError(f"no submit button of form {form_prefix}")


def _nominations():
    with session_scope() as s:
        return s.exec(select(Nomination).order_by(Nomination.id)).all()


# --- nominations ------------------------------------------------------------------------------

def test_nominations_page_proposes_from_a_suggestion(demo_db):
    at = app_for("pages/board/nominations.py", user="demo.tinh", timeout=60)
    assert not at.exception
    body = texts(at)
    assert "Tập thể: tổ công tác cấp xã" in body and "mới có 0 đề xuất được duyệt" in body
    assert [d.key for d in at.download_button if d.disabled] == ["nom_dl_xlsx", "nom_dl_pdf"]
    top = nom.suggestions(TINH, active_campaign(max_age=0).campaign.id).collectives[0]
    # the table's key follows the communes it lists (a row is never read against another list)
    table = next(df for df in at.dataframe
                 if str(getattr(df, "key", "") or "").startswith("nom_sug_collectives_"))
    at.session_state[table.key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    name = at.text_input(key=f"nom_c_{top.commune_code}_name")
    assert top.commune_name in name.value
    assert top.commune_name in at.text_area(key=f"nom_c_{top.commune_code}_ach").value
    _submit(at, f"nom_form_c_{top.commune_code}").click().run()
    assert not at.exception
    rows = _nominations()
    assert len(rows) == 1 and rows[0].commune_code == top.commune_code
    assert rows[0].proposed_by == "demo.tinh" and rows[0].status == "proposed"
    assert json.loads(rows[0].evidence)["commune"]["answers"] == top.answers
    assert "Đã lập đề xuất #" in texts(at)


def test_nominations_page_manual_proposal_and_validation(demo_db):
    at = app_for("pages/board/nominations.py", user="demo.hoind", timeout=60)
    at.text_input(key="nom_m_name").input("Nguyễn Thị Hoa")
    at.text_area(key="nom_m_ach").input("ngắn")
    _submit(at, "nom_form_manual").click().run()
    assert "Cần ghi thành tích" in texts(at) and _nominations() == []
    at.radio(key="nom_m_kind").set_value("individual").run()
    at.text_input(key="nom_m_name").input("Nguyễn Thị Hoa")
    at.text_area(key="nom_m_ach").input("Hỗ trợ người dân cả ba ngày tại bộ phận một cửa.")
    _submit(at, "nom_form_manual").click().run()
    assert not at.exception
    rows = _nominations()
    assert len(rows) == 1 and rows[0].kind == "individual" and rows[0].district_code
    # the Farmers' Association proposes but does not review
    assert not [b for b in at.button if (b.key or "").startswith("nom_shortlist_")]


def test_nominations_page_workflow_and_final_list(demo_db):
    cid = active_campaign(max_age=0).campaign.id
    ids = []
    for code in ("07201", "07204", "07207"):
        ids.append(nom.propose(TINH, cid, kind="collective", name=f"Tổ công tác {code}",
                               commune_code=code,
                               achievements="Thành tích tiêu biểu trong đợt khảo sát.").id)
    at = app_for("pages/board/nominations.py", user="demo.admin", timeout=60)
    for i in ids:
        _button(at, f"nom_shortlist_{i}").click().run()
        assert not at.exception
        _button(at, f"nom_approve_{i}").click().run()
        assert not at.exception
    body = texts(at)
    assert "có 3 đề xuất được duyệt" in body and "có thể xuất danh sách" in body
    assert not any(d.disabled for d in at.download_button)
    # reject needs a reason
    extra = nom.propose(TINH, cid, kind="collective", name="Tổ công tác 07210",
                        commune_code="07210", achievements="Thành tích khác của đơn vị.").id
    at.run()
    _button(at, f"nom_reject_{extra}").click().run()
    assert "Cần ghi lý do" in texts(at)
    at.text_input(key=f"nom_note_{extra}").input("Chưa đủ tiêu chuẩn")
    _button(at, f"nom_reject_{extra}").click().run()
    with session_scope() as s:
        assert s.get(Nomination, extra).status == "rejected"
        acts = s.exec(select(AuditLog.action).where(AuditLog.actor == "demo.admin")).all()
    assert acts.count("nomination.approve") == 3 and "nomination.reject" in acts


def test_province_staff_cannot_approve_their_own_proposal_in_the_page(demo_db):
    cid = active_campaign(max_age=0).campaign.id
    n = nom.propose(TINH, cid, kind="collective", name="Tổ công tác 07201",
                    commune_code="07201", achievements="Thành tích tiêu biểu của tổ.")
    nom.transition(TINH, n.id, "shortlist")
    at = app_for("pages/board/nominations.py", user="demo.tinh", timeout=60)
    keys = [b.key for b in at.button]
    assert f"nom_reject_{n.id}" in keys and f"nom_approve_{n.id}" not in keys
    assert "không tự duyệt" in texts(at)


# --- questionnaire builder -------------------------------------------------------------------

def test_questionnaire_page_edit_preview_and_save_a_new_version(demo_db):
    at = app_for("pages/admin/questionnaire.py", user="demo.admin", timeout=60)
    assert not at.exception
    assert "Xem trước (như người dân thấy)" in texts(at)
    assert _button(at, "qb_save").disabled  # nothing changed yet
    base = active_campaign(max_age=0).questionnaire_id
    at.session_state["qb_questions_1"] = {
        "edited_rows": {0: {"text": "Câu hỏi đầu tiên đã sửa?"}}, "added_rows": [],
        "deleted_rows": []}
    at.run()
    assert not at.exception
    assert any("Câu hỏi đầu tiên đã sửa?" in r.label for r in at.radio)  # in the preview
    assert "Sửa câu: q01" in texts(at)
    at.text_input(key="qb_note").input("Sửa câu 1")
    at.checkbox(key="qb_use_active").check().run()
    at.checkbox(key="qb_allow_mixed").check()
    _button(at, "qb_save").click().run()
    assert not at.exception
    assert "Đã lưu bảng hỏi PKS03 phiên bản 2" in texts(at)
    with session_scope() as s:
        versions = s.exec(select(Questionnaire).order_by(Questionnaire.version)).all()
        assert [v.version for v in versions] == [1, 2]
        assert json.loads(versions[0].definition)["questions"][0]["text"] != \
            "Câu hỏi đầu tiên đã sửa?"
        assert json.loads(versions[1].definition)["questions"][0]["text"] == \
            "Câu hỏi đầu tiên đã sửa?"
    assert active_campaign(max_age=0).questionnaire_id == versions[1].id != base


def test_questionnaire_page_reports_problems_and_blocks_saving(demo_db):
    at = app_for("pages/admin/questionnaire.py", user="demo.admin", timeout=60)
    at.session_state["qb_questions_1"] = {
        "edited_rows": {1: {"id": "q01"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    assert "Câu hỏi dòng 2: mã câu «q01» bị trùng" in texts(at)
    assert _button(at, "qb_save").disabled


def test_questionnaire_page_xlsform_upload(demo_db):
    at = app_for("pages/admin/questionnaire.py", user="demo.admin", timeout=60)
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    for r in (["type", "name", "label", "relevant"], ["text", "a", "A", "${b} = 1"]):
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    at.file_uploader(key="qb_xlsform_up").upload("bad.xlsx", buf.getvalue()).run()
    assert not at.exception
    assert "Trang «survey», dòng 2: cột «relevant»" in texts(at)
    from app.survey.questionnaire import load_seed_definition
    seed = load_seed_definition()
    seed["questions"][1]["text"] = "Câu 2 từ XLSForm?"
    at.file_uploader(key="qb_xlsform_up").clear()
    at.run()
    at.file_uploader(key="qb_xlsform_up").upload("pks.xlsx", export_xlsform(seed, 5)).run()
    assert "Đọc được 24 câu hỏi" in texts(at)
    _button(at, "qb_import_load").click().run()
    assert not at.exception
    assert "Sửa câu: q02" in texts(at) and not _button(at, "qb_save").disabled


# --- users ------------------------------------------------------------------------------------

def test_users_page_create_and_bulk_create(demo_db, monkeypatch):
    monkeypatch.setattr(ua, "GENERATED_ROUNDS", 4)
    at = app_for("pages/admin/users.py", user="demo.admin", timeout=120)
    assert not at.exception
    at.selectbox(key="users_n_role").set_value("district").run()
    at.text_input(key="users_n_username").input("bcd.vietyen")
    at.text_input(key="users_n_name").input("Ban Chỉ đạo thị xã Việt Yên")
    at.selectbox(key="users_n_district").set_value("223")
    _submit(at, "users_new").click().run()
    assert not at.exception
    assert "Đã tạo tài khoản bcd.vietyen" in texts(at)
    password = at.code[0].value
    assert len(password) == 12
    with session_scope() as s:
        u = s.exec(select(User).where(User.username == "bcd.vietyen")).one()
        assert (u.role, u.district_code, u.must_change_password) == ("district", "223", True)
    _button(at, "users_secret_done").click().run()
    assert not at.code
    _button(at, "users_bulk_run").click().run()
    assert not at.exception
    body = texts(at)
    assert "Đã tạo 218 tài khoản; 1 đơn vị đã có tài khoản." in body
    assert "chỉ tải được MỘT lần" in body
    dl = [d for d in at.download_button if d.key == "users_bulk_dl"]
    assert dl and not dl[0].disabled
    dl[0].click().run()  # once downloaded, the sheet is gone from the session
    assert not [d for d in at.download_button if d.key == "users_bulk_dl"]
    assert "đều đã có tài khoản" in texts(at)


def test_users_page_disable_and_reset(demo_db, monkeypatch):
    monkeypatch.setattr(ua, "GENERATED_ROUNDS", 4)
    ua.create_account(ADMIN, username="tinh.hai", name="Cán bộ hai", role="province")
    at = app_for("pages/admin/users.py", user="demo.admin", timeout=60)
    at.text_input(key="users_f_search").input("tinh.hai").run()
    at.session_state["users_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert "Tài khoản tinh.hai" in texts(at)
    uid = next(b.key for b in at.button if (b.key or "").startswith("users_disable_"))
    _button(at, uid).click().run()
    assert "Đã vô hiệu hóa tài khoản tinh.hai" in texts(at)
    reset = next(b.key for b in at.button if (b.key or "").startswith("users_reset_"))
    _button(at, reset).click().run()
    assert at.code and len(at.code[0].value) == 12
    with session_scope() as s:
        u = s.exec(select(User).where(User.username == "tinh.hai")).one()
        assert not u.active and u.must_change_password


# --- campaigns --------------------------------------------------------------------------------

def test_campaigns_page_create_validate_and_switch(demo_db):
    at = app_for("pages/admin/campaigns.py", user="demo.admin", timeout=60)
    assert not at.exception
    form_inputs = [ti for ti in at.text_input if ti.label == "Tên đợt khảo sát"]
    form_inputs[0].input("Đợt thử nghiệm")
    url = [ti for ti in at.text_input if ti.label == "Địa chỉ gốc cho mã QR"][0]
    url.input("khaosat")
    _submit(at, "camp_new").click().run()
    assert "Địa chỉ gốc phải bắt đầu bằng http://" in texts(at)
    url = [ti for ti in at.text_input if ti.label == "Địa chỉ gốc cho mã QR"][0]
    url.input("https://khaosat.bacgiang.gov.vn")
    _submit(at, "camp_new").click().run()
    assert not at.exception
    assert "Đã tạo đợt «Đợt thử nghiệm»" in texts(at)
    with session_scope() as s:
        new = s.exec(select(Campaign).where(Campaign.name == "Đợt thử nghiệm")).one()
    at.selectbox(key="camp_activate_pick").set_value(new.id).run()
    _button(at, "camp_activate").click().run()
    assert "Đợt «Đợt thử nghiệm» đang hoạt động" in texts(at)
    assert active_campaign().campaign.id == new.id


def test_campaigns_page_is_read_only_for_the_board(demo_db):
    at = app_for("pages/admin/campaigns.py", user="demo.tinh", timeout=60)
    assert not at.exception
    assert not [b for b in at.button if b.key == "camp_activate"]
    assert "Kết quả của một xã qua các đợt" in texts(at)
    at.selectbox(key="camp_cmp_district").set_value("213").run()
    at.selectbox(key="camp_cmp_commune").set_value("07201").run()
    assert not at.exception and at.dataframe


# --- audit log --------------------------------------------------------------------------------

def test_audit_page_filters_and_shows_before_after(demo_db):
    cid = active_campaign(max_age=0).campaign.id
    n = nom.propose(TINH, cid, kind="collective", name="Tổ công tác 07201",
                    commune_code="07201", achievements="Thành tích tiêu biểu của tổ.")
    nom.transition(ADMIN, n.id, "shortlist")
    at = app_for("pages/admin/audit.py", user="demo.admin", timeout=60)
    assert not at.exception
    at.multiselect(key="audit_f_action").set_value(["nomination.shortlist"]).run()
    assert "Hiển thị 1 trong 1 bản ghi" in texts(at)
    at.session_state["audit_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert any(j.value for j in at.json)
    values = [j.value for j in at.json]
    assert any('"proposed"' in v for v in values) and any('"shortlisted"' in v for v in values)


@pytest.mark.parametrize("page", ["pages/admin/questionnaire.py", "pages/admin/users.py",
                                  "pages/admin/audit.py"])
def test_admin_only_pages_are_not_offered_to_the_board(demo_db, page):
    from app.core import access
    spec = next(p for p in access.PAGES if p.path == page)
    assert not access.allowed(spec, "province") and access.allowed(spec, "admin")
    at = app_for(user="demo.tinh")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)
    assert not app_for(page, user="demo.admin", timeout=60).exception
