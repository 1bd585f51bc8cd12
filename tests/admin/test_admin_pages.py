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
from tests.apptest import app_for, keyed_frame, select_row, texts

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
    select_row(at, "nom_sug_collectives", 0)
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


def _drop_reports(code: str) -> None:
    from db.models import DailyReport, ReportPhoto
    with session_scope() as s:
        for r in s.exec(select(DailyReport).where(DailyReport.commune_code == code)).all():
            for p in s.exec(select(ReportPhoto).where(ReportPhoto.report_id == r.id)).all():
                s.delete(p)
            s.flush()
            s.delete(r)


def test_nominations_proposal_stays_on_the_commune_read_after_the_list_changes(demo_db):
    cid = active_campaign(max_age=0).campaign.id
    first, _second, third = nom.suggestions(TINH, cid).collectives[:3]
    at = app_for("pages/board/nominations.py", user="demo.tinh", timeout=60)
    select_row(at, "nom_sug_collectives", 2)
    assert at.text_input(key=f"nom_c_{third.commune_code}_name")
    # the first commune loses its reports: everything below moves up one row
    _drop_reports(first.commune_code)
    at.run()
    assert nom.suggestions(TINH, cid).collectives[1].commune_code == third.commune_code
    assert at.text_input(key=f"nom_c_{third.commune_code}_name")  # still the commune read
    assert [f.key for f in at.text_input if (f.key or "").startswith("nom_c_")] == [
        f"nom_c_{third.commune_code}_name", f"nom_c_{third.commune_code}_unit"]
    # the commune read drops out of the list: no form for whichever row took its place
    _drop_reports(third.commune_code)
    at.run()
    assert third.commune_code not in {f.commune_code
                                      for f in nom.suggestions(TINH, cid).collectives[:40]}
    assert "Dòng đã chọn không còn trong danh sách" in texts(at)
    assert not [f for f in at.text_input if (f.key or "").startswith("nom_c_")]


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


def test_questionnaire_page_insert_a_question_mid_campaign(demo_db):
    at = app_for("pages/admin/questionnaire.py", user="demo.admin", timeout=60)
    editors = [d for d in at.dataframe if d.proto.editing_mode]
    questions = json.loads(editors[0].proto.columns)
    # empty cells stay empty, pillars are offered by name, not by code
    assert all(e.proto.placeholder == "" for e in editors)
    assert "Dân biết" in json.dumps(questions["pillar"], ensure_ascii=False)
    # a new question (between q04 and q05) ...
    at.session_state["qb_questions_1"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"order": 45, "id": "q_moi", "type": "single", "text": "Câu chèn thêm?",
         "required": False, "pillar": "dan_biet", "profile": False}]}
    at.run()
    assert not at.exception
    # ... is offered at once in the options' question list, without "Cập nhật bảng"
    options = json.loads([d for d in at.dataframe if d.proto.editing_mode][1].proto.columns)
    assert "q_moi" in json.dumps(options["question"], ensure_ascii=False)
    rev = at.session_state["qb_rev"]
    at.session_state[f"qb_options_{rev}"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"question": "q_moi", "order": 1, "value": "1", "label": "Có", "score": 100},
        {"question": "q_moi", "order": 2, "value": "0", "label": "Không", "score": 0}]}
    at.run()
    assert "Thêm câu: q\\_moi" in texts(at)
    at.checkbox(key="qb_use_active").check().run()
    body = texts(at)
    assert "số thứ tự câu hỏi người dân thấy sẽ thay đổi giữa đợt" in body
    assert "câu mới q\\_moi là câu 5; câu 5 (q05) thành câu 6" in body
    # saved without confirming: the version exists, the campaign keeps its own, and the
    # confirmation is offered on this page
    before = active_campaign(max_age=0).questionnaire_id
    _button(at, "qb_save").click().run()
    assert not at.exception
    body = texts(at)
    assert "Đã lưu bảng hỏi PKS03 phiên bản 2" in body and "Xác nhận ở mục" in body
    assert active_campaign(max_age=0).questionnaire_id == before
    with session_scope() as s:
        v2 = s.exec(select(Questionnaire).where(Questionnaire.version == 2)).one().id
    assert at.selectbox(key="qb_switch_pick").value == v2
    assert _button(at, "qb_switch").disabled
    at.checkbox(key=f"qb_sw{v2}_allow_mixed").check()
    at.checkbox(key=f"qb_sw{v2}_allow_renumber").check().run()
    _button(at, "qb_switch").click().run()
    assert not at.exception
    assert "dùng phiên bản 2 cho các phiếu mới" in texts(at)
    assert active_campaign(max_age=0).questionnaire_id == v2


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
    slips = [d for d in at.download_button if d.key == "users_bulk_slips_dl"]
    assert slips and "đều đã có tài khoản" not in texts(at)
    slips[0].click().run()  # so are the slips, once downloaded
    assert not at.download_button
    assert "đều đã có tài khoản" in texts(at)


def test_users_page_disable_and_reset(demo_db, monkeypatch):
    monkeypatch.setattr(ua, "GENERATED_ROUNDS", 4)
    ua.create_account(ADMIN, username="tinh.hai", name="Cán bộ hai", role="province")
    at = app_for("pages/admin/users.py", user="demo.admin", timeout=60)
    at.text_input(key="users_f_search").input("tinh.hai").run()
    select_row(at, "users_table", 0)
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


def test_users_page_acts_on_the_account_read_after_the_list_changes(demo_db, monkeypatch):
    """The row picked is remembered by its account, not by its position: another account
    that appears above it (created by another admin, or shown by a filter) changes nothing."""
    monkeypatch.setattr(ua, "GENERATED_ROUNDS", 4)
    ua.create_account(ADMIN, username="tinh.hai", name="Cán bộ hai", role="province")
    at = app_for("pages/admin/users.py", user="demo.admin", timeout=60)
    at.text_input(key="users_f_search").input("tinh.h").run()
    select_row(at, "users_table", 0)
    assert "Tài khoản tinh.hai" in texts(at)
    # meanwhile another account sorts first in the same list
    ua.create_account(ADMIN, username="tinh.ha", name="Cán bộ ba", role="province")
    at.run()
    assert list(at.dataframe[0].value["Tên đăng nhập"]) == ["tinh.ha", "tinh.hai"]
    assert "Tài khoản tinh.hai" in texts(at)  # still the one read
    disable = next(b for b in at.button if (b.key or "").startswith("users_disable_"))
    disable.click().run()
    assert "Đã vô hiệu hóa tài khoản tinh.hai" in texts(at)
    with session_scope() as s:
        states = dict(s.exec(select(User.username, User.active)
                             .where(User.username.in_(["tinh.ha", "tinh.hai"]))).all())
    assert states == {"tinh.hai": False, "tinh.ha": True}
    # a filter that hides the picked account: nothing to act on, and said so
    at.text_input(key="users_f_search").input("tinh.ha").run()
    at.toggle(key="users_f_disabled").set_value(False).run()
    assert "Dòng đã chọn không còn trong danh sách" in texts(at)
    assert not [b for b in at.button if (b.key or "").startswith(("users_disable_",
                                                                  "users_enable_"))]


# --- campaigns --------------------------------------------------------------------------------

def test_campaigns_page_create_validate_and_switch(demo_db):
    at = app_for("pages/admin/campaigns.py", user="demo.admin", timeout=60)
    assert not at.exception
    # demo mode: the printed address is the browser's (AppTest has none: said plainly)
    assert "QCDC_PUBLIC_URL" in texts(at)
    names = list(at.dataframe[0].value["Đợt khảo sát"])
    assert len(names) == 1 and names[0].endswith(" (DEMO)")  # said once, not "(DEMO) (demo)"
    name = [ti for ti in at.text_input if ti.label == "Tên đợt khảo sát"][0]
    name.input("Đợt thử nghiệm")
    low = [ti for ti in at.text_input if ti.label.startswith("Tỷ lệ phiếu/lượt khách tối thiểu")][0]
    assert low.value == "0,30"  # decimals written the Vietnamese way
    low.input("abc")
    _submit(at, "camp_new").click().run()
    assert "Tỷ lệ tối thiểu phải là số" in texts(at)
    # nothing typed is lost after a refusal
    assert [ti for ti in at.text_input if ti.label == "Tên đợt khảo sát"][0].value == "Đợt thử nghiệm"
    low = [ti for ti in at.text_input if ti.label.startswith("Tỷ lệ phiếu/lượt khách tối thiểu")][0]
    low.input("0,25")
    _submit(at, "camp_new").click().run()
    assert not at.exception
    assert "Đã tạo đợt «Đợt thử nghiệm»" in texts(at)
    with session_scope() as s:
        new = s.exec(select(Campaign).where(Campaign.name == "Đợt thử nghiệm")).one()
    assert new.ratio_low == 0.25
    # the form starts afresh after a campaign was created
    assert [ti for ti in at.text_input if ti.label == "Tên đợt khảo sát"][0].value != "Đợt thử nghiệm"
    # "Sửa đợt" opens the active campaign, not the newest
    assert at.selectbox(key="camp_edit_pick").value == active_campaign(max_age=0).campaign.id
    at.selectbox(key="camp_activate_pick").set_value(new.id).run()
    _button(at, "camp_activate").click().run()
    assert "Đợt «Đợt thử nghiệm» đang hoạt động" in texts(at)
    assert active_campaign().campaign.id == new.id


def test_campaign_form_sent_twice_makes_one_campaign(demo_db):
    """A double click: the same submitted form reaches the server twice."""
    at = app_for("pages/admin/campaigns.py", user="demo.admin", timeout=60)
    [ti for ti in at.text_input if ti.label == "Tên đợt khảo sát"][0].input("Đợt bấm hai lần")
    _submit(at, "camp_new").click().run()
    assert "Đã tạo đợt «Đợt bấm hai lần»" in texts(at)
    # the same values once more, as the second click of a double click would send them
    from app.admin import campaigns as ca
    with session_scope() as s:
        made = s.exec(select(Campaign).where(Campaign.name == "Đợt bấm hai lần")).one()
    values = {f: getattr(made, f) for f in ca.FIELDS}
    again = ca.create_campaign(ADMIN, values)
    assert again.id == made.id
    with session_scope() as s:
        assert len(s.exec(select(Campaign).where(Campaign.name == "Đợt bấm hai lần")).all()) == 1


def test_campaigns_page_archives_a_used_campaign_and_deletes_an_empty_one(demo_db):
    from app.admin import campaigns as ca
    cid = active_campaign(max_age=0).campaign.id
    c = active_campaign(max_age=0).campaign
    values = {f: getattr(c, f) for f in ca.FIELDS}
    empty = ca.create_campaign(ADMIN, values | {"name": "Đợt tạo nhầm"})
    at = app_for("pages/admin/campaigns.py", user="demo.admin", timeout=60)
    at.selectbox(key="camp_archive_pick").set_value(empty.id).run()
    assert not [b for b in at.button if b.key == f"camp_archive_{empty.id}"]
    assert _button(at, f"camp_delete_{empty.id}").disabled  # until confirmed
    at.checkbox(key=f"camp_delete_sure_{empty.id}").check().run()
    _button(at, f"camp_delete_{empty.id}").click().run()
    assert "Đã xóa đợt «Đợt tạo nhầm»" in texts(at)
    with session_scope() as s:
        assert s.get(Campaign, empty.id) is None
    # the demo campaign has answers: switch away from it, then it can only be archived
    other = ca.create_campaign(ADMIN, values | {"name": "Đợt mới"}, activate=True)
    at.run()
    at.selectbox(key="camp_archive_pick").set_value(cid).run()
    assert not [b for b in at.button if b.key == f"camp_delete_{cid}"]
    _button(at, f"camp_archive_{cid}").click().run()
    assert "Đã lưu trữ đợt" in texts(at)
    assert cid in ca.archived_ids() and other.id not in ca.archived_ids()


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
    select_row(at, "audit_table", 0)
    assert not at.exception
    assert any(j.value for j in at.json)
    values = [j.value for j in at.json]
    assert any('"proposed"' in v for v in values) and any('"shortlisted"' in v for v in values)
    # in words, not codes and JSON
    table = keyed_frame(at, "audit_table")
    assert list(table["Thao tác"]) == ["Đưa đề xuất vào danh sách xét chọn"]
    assert "{" not in " ".join(table["Nội dung"])
    assert f"demo.admin đưa đề xuất vào danh sách xét chọn: đề xuất {n.id}" in texts(at)


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
