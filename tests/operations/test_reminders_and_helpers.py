"""What district and province staff asked for: reminders ready to paste for the communes that
have not reported, and the helpers' shifts with an honest estimate of citizens guided."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from app.core.auth import AuthError
from app.operations.completeness import day_completeness, reminders
from app.operations.helpers import helper_figures
from app.operations.roster import save_roster, set_contact
from db.engine import session_scope
from db.models import DailyReport
from tests.apptest import app_for, texts
from tests.commune_ops_helpers import HUYEN, TINH, XA, row


@pytest.fixture
def campaign(active):
    return active.campaign


def test_reminders_per_district_with_the_contacts_phone(campaign):
    day = campaign.start_date
    assert set_contact(XA, campaign, None, "Nguyễn Thị Liên", "0912 345 678").ok
    with session_scope() as s:  # 07204 reported, the rest of the district did not
        s.add(DailyReport(campaign_id=campaign.id, commune_code="07204", day=day, visits=3))
    info = day_completeness(HUYEN, campaign, day)
    out = reminders(info, campaign, report_url="https://khaosat.bacgiang.gov.vn/bao-cao-ngay")
    assert [r.district_name for r in out] == ["Thành phố Bắc Giang"]
    r = out[0]
    assert "07204" not in r.group_text and "Phường Trần Nguyên Hãn" not in r.group_text
    assert "Phường Thọ Xương – Nguyễn Thị Liên, 0912345678" in r.group_text
    assert f"ngày {day:%d/%m/%Y}" in r.group_text and "21:00" in r.group_text
    assert "https://khaosat.bacgiang.gov.vn/bao-cao-ngay" in r.group_text
    sms = dict((m.commune.code, text) for m, text in r.messages)
    assert list(sms) == ["07201"] and len(sms["07201"]) <= 320
    assert "Phường Thọ Xương chưa gửi báo cáo" in sms["07201"]
    assert len(r.without_phone) == info.total - info.reported - 1
    # the province gets one block per district
    assert len(reminders(day_completeness(TINH, campaign, day), campaign)) == 10


def test_helpers_count_passed_reported_days_and_share_the_guided(campaign, monkeypatch):
    from app.core import clock
    d1, d2 = campaign.start_date, campaign.start_date + timedelta(days=1)
    days = [d1.isoformat(), d2.isoformat(), campaign.end_date.isoformat()]
    assert save_roster(XA, campaign, None, [
        row(name="Cả Ngày", phone="0911000001", days=days, shift="ca_ngay"),
        row(name="Buổi Sáng", phone="0911000002", days=days[:1], shift="sang")]).ok
    with session_scope() as s:
        s.add(DailyReport(campaign_id=campaign.id, commune_code="07201", day=d1, visits=40,
                          guided=30, helpers_on_duty=2))
        # day 2 reported with one helper on duty, and day 3 has not come yet
        s.add(DailyReport(campaign_id=campaign.id, commune_code="07201", day=d2, visits=20,
                          guided=10, helpers_on_duty=1))
    evening = datetime.combine(d2, time(22, 0))
    monkeypatch.setattr(clock, "now", lambda: evening)
    figs = helper_figures(HUYEN, campaign)
    by = {h.full_name: h for h in figs.helpers}
    # day 1: 30 guided shared 2:1 (whole day : morning); day 2: 10 to the one on duty
    assert by["Cả Ngày"].shifts == 4 and by["Cả Ngày"].guided_estimate == pytest.approx(30)
    assert by["Buổi Sáng"].shifts == 1 and by["Buổi Sáng"].guided_estimate == pytest.approx(10)
    assert by["Cả Ngày"].per_shift == pytest.approx(7.5)
    day1 = next(d for d in figs.days if d.day == d1)
    assert (day1.scheduled, day1.reported_helpers, day1.shifts) == (2, 2, 3)
    assert not day1.mismatch
    with pytest.raises(AuthError):
        helper_figures(XA, campaign)
    assert helper_figures(HUYEN, campaign, "215").helpers == []  # another district: nothing
    assert {h.commune_code for h in figs.helpers} == {"07201"}


def test_rosters_overview_page_shows_the_estimate_and_says_it_is_one(demo_db):
    at = app_for("pages/monitor/rosters_overview.py", user="demo.huyen", timeout=60)
    assert not at.exception
    body = texts(at)
    assert "Người hỗ trợ: ca trực và số người dân được hướng dẫn" in body
    assert "**ước tính**" in body


def test_completeness_page_offers_reminders_to_copy(demo_db):
    at = app_for("pages/monitor/completeness.py", user="demo.huyen", timeout=60)
    assert not at.exception
    assert "Tất cả các đơn vị đã gửi báo cáo" not in texts(at)  # the demo leaves some out
    assert "Tin nhắn nhắc các đơn vị chưa báo cáo" in texts(at)
    codes = [c.value for c in at.code]
    assert any(v.startswith("[Khảo sát QCDC]") for v in codes)
    assert all("localhost" not in v for v in codes)


def test_feed_search_in_difficulties_ignores_case_and_accents(campaign):
    from app.operations.daily_reports import feed
    day = campaign.start_date
    with session_scope() as s:
        s.add(DailyReport(campaign_id=campaign.id, commune_code="07201", day=day, visits=5,
                          difficulties="Mạng Internet yếu vào buổi sáng"))
        s.add(DailyReport(campaign_id=campaign.id, commune_code="07204", day=day, visits=5,
                          proposals="Đề nghị thêm máy tính bảng"))
        s.add(DailyReport(campaign_id=campaign.id, commune_code="07243", day=day, visits=5,
                          difficulties="Mạng yếu"))  # another district
    items, total = feed(HUYEN, campaign.id, text="mang YEU")
    assert total == 1 and [i.commune.code for i in items] == ["07201"]
    items, total = feed(TINH, campaign.id, text="mạng yếu")
    assert total == 2 and {i.commune.code for i in items} == {"07201", "07243"}
    assert feed(TINH, campaign.id, text="may tinh bang")[1] == 1
    assert feed(TINH, campaign.id, text="Thọ Xương")[1] == 1  # the commune's name
    assert feed(TINH, campaign.id, text="không có đâu")[1] == 0


def test_citizens_words_searchable_by_their_communes_staff_only(active):
    from app.monitoring.opinions import search_opinions
    from app.survey.responses import submit_response
    defn = active.definition
    base = {q.id: q.options[0].value for q in defn.questions if q.type == "single"}
    base.update({q.id: [q.options[0].value] for q in defn.questions if q.type == "multi"})
    base.update({q.id: q.scale_max for q in defn.questions if q.type == "rating"})
    for code, words, tok in (("07201", "Thủ tục chờ lâu quá", "tok-opinion-1"),
                             ("07204", "Cán bộ nhiệt tình", "tok-opinion-2"),
                             ("07243", "Chờ lâu, cần thêm ghế", "tok-opinion-3")):
        assert submit_response(active, code, base | {"y_kien": words}, tok).ok
    found, total = search_opinions(HUYEN, active.campaign.id, "cho lau")
    assert total == 1 and found[0].text == "Thủ tục chờ lâu quá"
    assert found[0].commune_name == "Phường Thọ Xương"
    assert search_opinions(TINH, active.campaign.id, "chờ lâu")[1] == 2
    assert search_opinions(TINH, active.campaign.id)[1] == 3
    assert search_opinions(HUYEN, active.campaign.id, district_code="215") == ([], 0)
    with pytest.raises(AuthError):
        search_opinions(XA, active.campaign.id, "chờ")


def test_feed_page_searches(demo_db):
    at = app_for("pages/monitor/feed.py", user="demo.huyen", timeout=60)
    assert not at.exception
    at.text_input(key="feed_search").input("không có chữ này đâu").run()
    assert "Không có báo cáo nào chứa nội dung này." in texts(at)
    assert "Ý kiến của người dân" in [tab.label for tab in at.tabs]
