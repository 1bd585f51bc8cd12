"""AppTest tests of the commune-operations pages, through the real entry script and navigation."""
from __future__ import annotations

from datetime import datetime, time

import pytest
from sqlmodel import select

from app.core import access, clock
from app.core.campaigns import active_campaign
from app.operations.roster import get_roster
from db.engine import session_scope
from db.models import DailyReport, ReportPhoto, RosterEntry
from tests.apptest import app_for, texts
from tests.commune_ops_helpers import HUYEN, XA, jpeg_with_gps


@pytest.fixture
def campaign(demo_db):
    return active_campaign(max_age=0).campaign


@pytest.fixture
def morning(monkeypatch, campaign):
    """Freeze the clock at 10:00 of the demo campaign's middle day (before the cut-off)."""
    day = campaign.start_date.fromordinal(campaign.start_date.toordinal() + 1)
    fixed = datetime.combine(day, time(10, 0))
    monkeypatch.setattr(clock, "now", lambda: fixed)
    return day


def _button(at, label):
    for b in at.button:
        if label in str(b.label):
            return b
    raise AssertionError(f"no button {label!r}: {[b.label for b in at.button]}")


def _entries(code, campaign_id):
    with session_scope() as s:
        return list(s.exec(select(RosterEntry).where(RosterEntry.commune_code == code,
                                                     RosterEntry.campaign_id == campaign_id)
                           .order_by(RosterEntry.id)).all())


def test_pages_are_registered_for_the_right_roles():
    assert {p.key for p in access.pages_for("commune")} >= {"roster", "report", "schedule"}
    assert not {"feed", "completeness", "rosters_overview", "inspectors"} & {
        p.key for p in access.pages_for("commune")}
    for role in ("district", "province", "farmers", "admin"):
        keys = {p.key for p in access.pages_for(role)}
        assert {"feed", "completeness", "rosters_overview", "inspectors"} <= keys
        assert not {"roster", "report"} & keys
    assert "schedule" in {p.key for p in access.pages_for("public")}
    assert access.page("schedule").url_path == "lich-truc"


def _table_view(at):
    """The laptop view of the roster: the whole list in one editable table."""
    at.session_state["roster_view_mode"] = "table"
    return at.run()


def test_roster_page_shows_own_roster_and_saves_an_added_row(campaign):
    at = app_for("pages/commune/roster.py", user="demo.xa")
    assert not at.exception
    body = texts(at)
    assert "Phường Thọ Xương" in body and "Đã nộp danh sách" in body
    _table_view(at)
    before = _entries("07201", campaign.id)
    editor = at.data_editor[0]
    assert list(editor.value["full_name"]) == [e.full_name for e in before]
    at.session_state["roster_editor_0"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"full_name": "Người Hỗ Trợ Mới", "position": "Hội viên",
                        "organisation": "Hội Phụ nữ", "phone": "0911 222 333",
                        "duty_days": [campaign.start_date.isoformat()], "shift": "Chiều"}]}
    _button(at, "Lưu danh sách").click().run()
    assert not at.exception
    assert f"Đã lưu danh sách {len(before) + 1} người" in texts(at)
    after = _entries("07201", campaign.id)
    assert after[-1].full_name == "Người Hỗ Trợ Mới" and after[-1].phone == "0911222333"
    assert after[-1].shift == "chieu"


def test_roster_page_refuses_bad_rows_and_keeps_the_old_list(campaign):
    at = _table_view(app_for("pages/commune/roster.py", user="demo.xa"))
    before = [(e.full_name, e.phone) for e in _entries("07201", campaign.id)]
    at.session_state["roster_editor_0"] = {
        "edited_rows": {0: {"phone": "12345"}}, "deleted_rows": [],
        "added_rows": [{"full_name": "Người Thiếu Ngày", "organisation": "Khác",
                        "phone": "0911222333", "shift": "Sáng"}]}
    _button(at, "Lưu danh sách").click().run()
    assert not at.exception
    body = texts(at)
    assert "Có 2 lỗi cần sửa" in body and "Danh sách cũ vẫn giữ nguyên" in body
    problems = at.dataframe[-1].value
    assert "12345" in " ".join(problems["Lỗi"]) and "Chưa chọn ngày trực." in list(problems["Lỗi"])
    assert [(e.full_name, e.phone) for e in _entries("07201", campaign.id)] == before


def test_roster_on_a_phone_one_person_at_a_time(campaign):
    """The default view: a card per person, a form per person; nothing typed is lost on a
    refusal, and the list keeps everyone else."""
    at = app_for("pages/commune/roster.py", user="demo.xa")
    before = _entries("07201", campaign.id)
    assert not at.data_editor  # no table by default
    body = texts(at)
    assert all(e.full_name in body for e in before)
    assert "Cập nhật lần cuối lúc" in body
    _button(at, "Thêm người hỗ trợ").click().run()
    form = [ti for ti in at.text_input if ti.label == "Họ và tên"]
    assert form and form[0].placeholder == "Ví dụ: Nguyễn Văn An"
    org = next(sb for sb in at.selectbox if sb.label == "Tổ chức")
    assert org.value is None and org.placeholder == "Chọn tổ chức"
    form[0].input("Trần Thị Mới")
    next(ti for ti in at.text_input if ti.label == "Số điện thoại").input("0912 000 111")
    org.set_value("Hội Phụ nữ")
    _button(at, "Lưu người này").click().run()
    assert "Chưa chọn ngày trực." in texts(at) and "Danh sách cũ vẫn giữ nguyên" in texts(at)
    assert len(_entries("07201", campaign.id)) == len(before)
    assert [ti for ti in at.text_input if ti.label == "Họ và tên"][0].value == "Trần Thị Mới"
    days = next(m for m in at.multiselect if m.label == "Ngày trực")
    days.set_value([campaign.start_date.isoformat()])
    next(r for r in at.radio if r.label == "Ca trực").set_value("chieu")
    _button(at, "Lưu người này").click().run()
    assert not at.exception
    assert f"Đã lưu Trần Thị Mới. Danh sách có {len(before) + 1} người." in texts(at)
    after = _entries("07201", campaign.id)
    assert [e.full_name for e in after] == [e.full_name for e in before] + ["Trần Thị Mới"]
    assert (after[-1].phone, after[-1].shift, after[-1].organisation) == (
        "0912000111", "chieu", "Hội Phụ nữ")
    # edit one person: only that one changes
    first = after[0]
    at.button(key=f"roster_edit_{first.id}").click().run()
    pos = [ti for ti in at.text_input if ti.label == "Chức vụ"][0]
    pos.input("Trưởng nhóm hỗ trợ")
    _button(at, "Lưu người này").click().run()
    again = _entries("07201", campaign.id)
    assert again[0].position == "Trưởng nhóm hỗ trợ" and again[0].full_name == first.full_name
    assert [(e.full_name, e.phone) for e in again] == [(e.full_name, e.phone) for e in after]
    # remove the new person, after saying who
    new = again[-1]
    at.button(key=f"roster_remove_{new.id}").click().run()
    assert "Đã xóa Trần Thị Mới" in texts(at)
    assert [e.full_name for e in _entries("07201", campaign.id)] == [e.full_name for e in before]


def test_roster_page_excel_import_bad_then_good(campaign):
    import io

    from openpyxl import load_workbook

    from app.operations.workbooks import roster_template
    at = app_for("pages/commune/roster.py", user="demo.xa")
    before = [(e.full_name, e.phone) for e in _entries("07201", campaign.id)]
    at.file_uploader(key="roster_upload_0").set_value(
        ("ds.xlsx", b"not a workbook", "application/octet-stream")).run()
    assert "không phải là tệp Excel" in texts(at)
    assert [(e.full_name, e.phone) for e in _entries("07201", campaign.id)] == before
    wb = load_workbook(io.BytesIO(roster_template(campaign)))
    wb["Danh sách"].append([1, "Hoàng Văn Nhập", "", "Hội Nông dân", "0977123456", "Cả đợt",
                            "Cả ngày"])
    out = io.BytesIO()
    wb.save(out)
    at.file_uploader(key="roster_upload_0").set_value(
        ("ds.xlsx", out.getvalue(), "application/octet-stream")).run()
    assert "Tệp hợp lệ: 1 người" in texts(at)
    _button(at, "Thay danh sách bằng 1 người").click().run()
    assert not at.exception
    assert [e.full_name for e in _entries("07201", campaign.id)] == ["Hoàng Văn Nhập"]


def test_public_schedule_page_hides_phones(campaign):
    view = get_roster(XA, campaign.id)
    at = app_for("pages/public/schedule.py", query={"xa": "07201"})
    assert not at.exception
    body = texts(at)
    assert "Lịch trực hỗ trợ" in body and "Phường Thọ Xương" in body
    assert view.entries and all(e.full_name in body for e in view.entries)
    assert not any(e.phone in body for e in view.entries)


@pytest.mark.parametrize("code,needle", [("abc", "không hợp lệ"), ("99999", "Không tìm thấy"),
                                         ("", "chưa có mã")])
def test_public_schedule_bad_codes(demo_db, code, needle):
    at = app_for("pages/public/schedule.py", query={"xa": code} if code else None)
    assert not at.exception
    assert needle in texts(at)
    assert [s.label for s in at.selectbox][:2] == ["Huyện, thị xã, thành phố",
                                                   "Xã, phường, thị trấn"]


def test_report_page_saves_report_with_photo_and_shows_todays_answers(campaign, morning):
    from app.operations.daily_reports import get_report
    had = len(get_report(XA, campaign.id, None, morning).photos)  # demo reports may have one
    at = app_for("pages/commune/report.py", user="demo.xa")
    assert not at.exception
    body = texts(at)
    assert "Có thể gửi và sửa báo cáo đến 21:00" in body
    k = f"rep0_{morning.isoformat()}"
    at.number_input(key=f"{k}_visits").set_value(42)
    at.number_input(key=f"{k}_guided").set_value(30)
    at.number_input(key=f"{k}_helpers").set_value(4)
    at.multiselect(key=f"{k}_publicity").set_value(["loa", "mang_xa_hoi"])
    at.text_area(key=f"{k}_difficulties").set_value("Người cao tuổi cần **hỗ trợ** <b>nhiều</b>")
    at.file_uploader(key=f"{k}_photos").set_value([("anh1.jpg", jpeg_with_gps(), "image/jpeg"),
                                                   ("hong.jpg", b"garbage", "image/jpeg")])
    _button(at, "báo cáo").click().run()
    assert not at.exception
    body = texts(at)
    assert "Đã lưu báo cáo ngày" in body and f"({had + 1} ảnh)" in body
    assert "hong.jpg" in body  # the refused photo is named, the rest was saved
    with session_scope() as s:
        r = s.exec(select(DailyReport).where(DailyReport.commune_code == "07201",
                                             DailyReport.day == morning)).one()
        assert (r.visits, r.guided, r.helpers_on_duty) == (42, 30, 4)
        assert r.difficulties.startswith("Người cao tuổi")
        assert len(s.exec(select(ReportPhoto).where(ReportPhoto.report_id == r.id)).all()) == had + 1
    # the form is shown again with the saved values and the saved photo
    assert at.number_input(key=f"rep1_{morning.isoformat()}_visits").value == 42
    assert f"Ảnh đã lưu: {had + 1}/10" in texts(at)


def test_report_page_is_read_only_after_the_cutoff(campaign, monkeypatch):
    day = campaign.start_date
    monkeypatch.setattr(clock, "now", lambda: datetime.combine(day, time(22, 0)))
    at = app_for("pages/commune/report.py", user="demo.xa")
    assert not at.exception
    body = texts(at)
    assert "đã chốt lúc 21:00" in body
    assert not at.number_input and not [b for b in at.button if "báo cáo" in str(b.label)]


def test_feed_page_for_district_shows_only_its_communes(campaign, morning):
    from app.operations.daily_reports import feed
    at = app_for("pages/monitor/feed.py", user="demo.huyen")
    assert not at.exception
    items, total = feed(HUYEN, campaign.id, limit=15)
    body = texts(at)
    assert f"{total} báo cáo" in body and total > 0
    assert items[0].commune.full_name in body
    assert "Huyện Yên Thế" not in body


def test_completeness_page_lists_missing_communes(campaign, morning):
    at = app_for("pages/monitor/completeness.py", user="demo.huyen")
    assert not at.exception
    body = texts(at)
    assert "Đơn vị chưa báo cáo" in body
    missing = at.dataframe[1].value
    assert set(missing["Huyện, thị xã, thành phố"]) <= {"Thành phố Bắc Giang"}
    assert at.get("download_button")


def test_overview_and_inspector_pages_render(campaign):
    at = app_for("pages/monitor/rosters_overview.py", user="demo.hoind")
    assert not at.exception
    assert not at.exception
    assert [m.label for m in at.metric][:3] == ["Nộp đúng hạn", "Nộp muộn", "Chưa nộp"]
    assert len(at.dataframe[0].value) == 209
    at = app_for("pages/monitor/inspectors.py", user="demo.huyen")
    assert not at.exception
    assert "Đoàn kiểm tra của tỉnh" in texts(at) or len(at.data_editor[0].value) >= 1


def test_inspector_page_saves_an_added_inspector_and_refuses_a_row_without_communes(campaign):
    from app.core.auth import get_user, scope_for
    from app.operations.inspectors import list_inspectors

    def scope_for_username(name):
        return scope_for(get_user(name))
    at = app_for("pages/monitor/inspectors.py", user="demo.huyen")
    before = len(at.data_editor[0].value)
    at.session_state["insp_editor_0"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"full_name": "Người Kiểm Tra Thiếu Xã", "phone": "0911222333"}]}
    _button(at, "Lưu").click().run()
    assert not at.exception
    body = texts(at)
    assert "lỗi cần sửa" in body and "Đã lưu danh sách" not in body
    from app.core.i18n import t
    problems = [m for df in at.dataframe if t("ops.col.problem") in df.value.columns
                for m in df.value[t("ops.col.problem")]]
    assert t("inspectors.err.communes_required") in problems
    assert len(list_inspectors(scope_for_username("demo.huyen"), campaign.id).editable) == before
    at.session_state["insp_editor_0"] = {
        "edited_rows": {}, "deleted_rows": [],
        "added_rows": [{"full_name": "Người Kiểm Tra Mới", "phone": "0911222333",
                        "commune_codes": ["07201"],
                        "days": [campaign.start_date.isoformat()]}]}
    _button(at, "Lưu").click().run()
    assert not at.exception
    assert f"Đã lưu danh sách {before + 1} người" in texts(at)
    names = [i.full_name for i in
             list_inspectors(scope_for_username("demo.huyen"), campaign.id).editable]
    assert "Người Kiểm Tra Mới" in names
