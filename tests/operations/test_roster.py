"""Helper roster: validation, all-or-nothing saves, scoping, publishing, inspectors."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from app.core.auth import AuthError
from app.operations.inspectors import list_inspectors, save_inspectors
from app.operations.roster import (
    LATE,
    MISSING,
    ON_TIME,
    get_roster,
    normalise_phone,
    public_schedule,
    roster_overview,
    save_roster,
    set_contact,
    set_published,
    validate_rows,
)
from db.engine import session_scope
from db.models import AuditLog, Inspector, RosterEntry, RosterStatus
from tests.commune_ops_helpers import ADMIN, HOIND, HUYEN, HUYEN_OTHER, TINH, XA, XA_OTHER, row


@pytest.fixture
def campaign(active):
    return active.campaign


def _days(c, *offsets):
    return [(c.start_date + timedelta(days=o)).isoformat() for o in offsets]


def _entries(code, campaign_id):
    with session_scope() as s:
        return list(s.exec(select(RosterEntry).where(RosterEntry.commune_code == code,
                                                     RosterEntry.campaign_id == campaign_id)
                           .order_by(RosterEntry.id)).all())


@pytest.mark.parametrize("raw,expected", [
    ("0912345678", "0912345678"), ("0912 345 678", "0912345678"), ("+84912345678", "0912345678"),
    ("84-912-345-678", "0912345678"), ("(+84) 912.345.678", "0912345678"),
    (912345678, "0912345678"), ("02043854321", "02043854321"),
    ("091234567", None), ("09123456789", None), ("0112345678", None), ("abc", None), ("", None),
    ("+1 202 555 0100", None),
])
def test_phone_numbers(raw, expected):
    assert normalise_phone(raw) == expected


def test_valid_rows_are_cleaned(campaign):
    rows, problems = validate_rows([
        row(days=_days(campaign, 0, 1), shift="Sáng", org="hội nông dân", phone="+84 912 345 678"),
        {"full_name": "", "position": "", "organisation": "", "phone": "", "duty_days": [],
         "shift": ""},  # an empty row is ignored
    ], campaign)
    assert problems == []
    assert len(rows) == 1
    r = rows[0]
    assert (r.organisation, r.phone, r.shift) == ("Hội Nông dân", "0912345678", "sang")
    assert [d.isoformat() for d in r.duty_days] == _days(campaign, 0, 1)


def test_every_problem_is_named_with_its_row(campaign):
    outside = (campaign.end_date + timedelta(days=3)).strftime("%d/%m/%Y")
    _, problems = validate_rows([
        row(name="", days=_days(campaign, 0)),
        row(name="Trần Thị Bình", phone="12345", days=_days(campaign, 0)),
        row(name="Lê Văn Cường", phone="0987654321", days=[outside]),
        row(name="Phạm Văn Dũng", phone="0977000111", days=["32/13/2024"]),
        row(name="Hoàng Thị E", phone="0977000222", days=_days(campaign, 0), org="Hội Cựu giáo chức"),
        row(name="Đỗ Văn G", phone="0977000333", days=[], shift="tối"),
    ], campaign)
    by_row = {}
    for p in problems:
        by_row.setdefault(p.row, []).append(p)
    assert by_row[1][0].field == "full_name" and "họ và tên" in by_row[1][0].message
    assert by_row[2][0].field == "phone" and "12345" in by_row[2][0].message
    assert by_row[3][0].field == "duty_days" and "ngoài đợt khảo sát" in by_row[3][0].message
    assert by_row[4][0].field == "duty_days" and "32/13/2024" in by_row[4][0].message
    assert by_row[5][0].field == "organisation" and "Khác" in by_row[5][0].message
    assert {p.field for p in by_row[6]} == {"duty_days", "shift"}


def test_same_person_twice_in_one_shift_is_refused(campaign):
    d = _days(campaign, 0)
    _, problems = validate_rows([row(days=d, shift="sang"),
                                 row(name="Nguyễn  văn An", days=d, shift="sang")], campaign)
    assert len(problems) == 1 and problems[0].row == 2 and "dòng 1" in problems[0].message
    # all day overlaps the morning; a phone number written differently is the same person
    _, problems = validate_rows([row(days=d, shift="ca_ngay"),
                                 row(phone="+84912345678", days=d, shift="chieu")], campaign)
    assert len(problems) == 1
    # morning and afternoon of the same day, or the same shift on different days, are fine
    _, problems = validate_rows([row(days=d, shift="sang"), row(days=d, shift="chieu"),
                                 row(days=_days(campaign, 1), shift="sang")], campaign)
    assert problems == []
    # namesakes with different phones are different people
    _, problems = validate_rows([row(days=d), row(phone="0988777666", days=d)], campaign)
    assert problems == []


def test_save_replaces_whole_roster_and_marks_submission(campaign):
    res = save_roster(XA, campaign, "07201", [row(days=_days(campaign, 0)),
                                              row(name="Trần Thị Bình", phone="0988111222",
                                                  days=_days(campaign, 1, 2), shift="Cả ngày")])
    assert res.ok and res.saved == 2
    view = get_roster(XA, campaign.id)
    assert [e.full_name for e in view.entries] == ["Nguyễn Văn An", "Trần Thị Bình"]
    first_submit = view.submitted_at
    assert first_submit is not None
    res = save_roster(XA, campaign, "07201", [row(name="Lê Thị Cúc", days=_days(campaign, 0))])
    assert res.ok
    view = get_roster(XA, campaign.id)
    assert [e.full_name for e in view.entries] == ["Lê Thị Cúc"]
    assert view.submitted_at == first_submit  # the first submission counts for the deadline
    with session_scope() as s:
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.action == "roster.save"))]
    assert len(actions) == 2


def test_one_bad_row_saves_nothing(campaign):
    assert save_roster(XA, campaign, None, [row(days=_days(campaign, 0))]).ok
    before = [(e.full_name, e.phone) for e in _entries("07201", campaign.id)]
    res = save_roster(XA, campaign, None, [row(name="Người Mới", phone="0911000111",
                                               days=_days(campaign, 0)),
                                           row(name="Người Sai", phone="sai", days=_days(campaign, 0))])
    assert not res.ok and res.problems[0].row == 2
    assert [(e.full_name, e.phone) for e in _entries("07201", campaign.id)] == before
    assert not save_roster(XA, campaign, None, []).ok  # an empty list is not a roster


def test_commune_user_cannot_touch_another_commune(campaign):
    assert save_roster(XA_OTHER, campaign, None, [row(days=_days(campaign, 0))]).ok
    other_before = [(e.full_name, e.phone) for e in _entries("07243", campaign.id)]
    with pytest.raises(AuthError):
        get_roster(XA, campaign.id, "07243")
    with pytest.raises(AuthError):
        save_roster(XA, campaign, "07243", [row(name="Kẻ Lạ", days=_days(campaign, 0))])
    with pytest.raises(AuthError):
        set_published(XA, campaign, "07243", False)
    with pytest.raises(AuthError):
        set_contact(XA, campaign, "07243", "Kẻ Lạ", "0911222333")
    with pytest.raises(AuthError):
        roster_overview(XA, campaign)
    assert [(e.full_name, e.phone) for e in _entries("07243", campaign.id)] == other_before
    # no code at all means its own commune
    assert get_roster(XA, campaign.id, None).commune.code == "07201"


def test_district_user_reads_only_its_communes_and_writes_none(campaign):
    assert save_roster(XA, campaign, None, [row(days=_days(campaign, 0))]).ok
    assert len(get_roster(HUYEN, campaign.id, "07201").entries) == 1
    with pytest.raises(AuthError):
        get_roster(HUYEN_OTHER, campaign.id, "07201")
    with pytest.raises(AuthError):
        save_roster(HUYEN, campaign, "07201", [row(days=_days(campaign, 0))])
    overview = roster_overview(HUYEN, campaign)
    assert len(overview) == 16 and {s.commune.district_code for s in overview} == {"213"}
    assert len(roster_overview(HOIND, campaign)) == 209


def test_overview_states_against_the_deadline(campaign):
    assert save_roster(XA, campaign, None, [row(days=_days(campaign, 0))]).ok
    assert save_roster(XA_OTHER, campaign, None, [row(days=_days(campaign, 0))]).ok
    with session_scope() as s:  # Đồng Tiến submitted one day after the deadline
        st = s.get(RosterStatus, (campaign.id, "07243"))
        st.submitted_at = st.submitted_at.replace(
            year=campaign.roster_deadline.year, month=campaign.roster_deadline.month,
            day=campaign.roster_deadline.day) + timedelta(days=1)
        s.add(st)
        st = s.get(RosterStatus, (campaign.id, "07201"))
        st.submitted_at = st.submitted_at.replace(
            year=campaign.roster_deadline.year, month=campaign.roster_deadline.month,
            day=campaign.roster_deadline.day)
        s.add(st)
    states = {s.commune.code: s.state(campaign.roster_deadline)
              for s in roster_overview(TINH, campaign)}
    assert states["07201"] == ON_TIME and states["07243"] == LATE and states["07204"] == MISSING


def test_publish_and_public_schedule_has_no_phone(campaign):
    assert not set_published(XA, campaign, None, True).ok  # nothing to publish yet
    assert save_roster(XA, campaign, None, [row(days=_days(campaign, 0, 1), shift="chieu"),
                                            row(name="Trần Thị Bình", phone="0988111222",
                                                days=_days(campaign, 0), shift="sang")]).ok
    assert public_schedule(campaign, "07201").published is False
    assert set_published(XA, campaign, None, True).ok
    sched = public_schedule(campaign, "07201")
    assert sched.published
    first_day = dict(sched.days)[campaign.start_date]
    assert [x.full_name for x in first_day] == ["Trần Thị Bình", "Nguyễn Văn An"]  # morning first
    assert "0912345678" not in repr(sched) and "0988111222" not in repr(sched)
    assert public_schedule(campaign, "99999") is None


def test_a_day_lists_morning_then_afternoon_then_whole_day(campaign):
    d = _days(campaign, 0)
    assert save_roster(XA, campaign, None, [
        row(name="Cả Ngày", phone="0911000001", days=d, shift="ca_ngay"),
        row(name="Buổi Chiều", phone="0911000002", days=d, shift="chieu"),
        row(name="Buổi Sáng", phone="0911000003", days=d, shift="sang")]).ok
    assert set_published(XA, campaign, None, True).ok
    first_day = dict(public_schedule(campaign, "07201").days)[campaign.start_date]
    assert [x.shift for x in first_day] == ["sang", "chieu", "ca_ngay"]


def test_the_last_update_is_kept_beside_the_first_submission(campaign, monkeypatch):
    from datetime import datetime

    from app.core import clock
    monkeypatch.setattr(clock, "now", lambda: datetime(2024, 5, 1, 8, 0))
    assert save_roster(XA, campaign, None, [row(days=_days(campaign, 0))]).ok
    monkeypatch.setattr(clock, "now", lambda: datetime(2024, 5, 3, 16, 30))
    assert save_roster(XA, campaign, None, [row(name="Lê Thị Cúc", days=_days(campaign, 0))]).ok
    view = get_roster(XA, campaign.id)
    assert view.submitted_at == datetime(2024, 5, 1, 8, 0)
    assert view.last_update == (datetime(2024, 5, 3, 16, 30), "demo.xa")
    line = next(s for s in roster_overview(HUYEN, campaign) if s.commune.code == "07201")
    assert line.updated_at == datetime(2024, 5, 3, 16, 30)


def test_contact_is_validated_and_used_by_overview(campaign):
    assert not set_contact(XA, campaign, None, "Chị Hoa", "123").ok
    assert set_contact(XA, campaign, None, "Chị Hoa", "0912 000 111").ok
    st = [s for s in roster_overview(HUYEN, campaign) if s.commune.code == "07201"][0]
    assert (st.contact_name, st.contact_phone) == ("Chị Hoa", "0912000111")


def test_inspectors_scoped_by_district(campaign):
    day = _days(campaign, 0)
    assert save_inspectors(TINH, campaign, [
        {"full_name": "Lãnh đạo Tỉnh", "position": "Phó Trưởng ban", "organisation": "Ban Dân vận",
         "phone": "", "district_code": "", "commune_codes": ["07201", "07243"], "days": day}]).ok
    # a district user may not assign communes of another district
    res = save_inspectors(HUYEN, campaign, [
        {"full_name": "Cán bộ huyện", "commune_codes": ["07243"], "days": day}])
    assert not res.ok and res.problems[0].field == "commune_codes"
    res = save_inspectors(HUYEN, campaign, [
        {"full_name": "Cán bộ huyện", "phone": "0912345678", "commune_codes": ["07201"],
         "days": day}])
    assert res.ok
    mine = list_inspectors(HUYEN, campaign.id)
    assert [i.full_name for i in mine.editable] == ["Cán bộ huyện"]
    assert [i.full_name for i in mine.read_only] == ["Lãnh đạo Tỉnh"]
    # the district's save replaced only its own rows: the provincial one is still there
    assert save_inspectors(HUYEN, campaign, []).ok
    with session_scope() as s:
        names = [i.full_name for i in s.exec(select(Inspector)).all()]
    assert names == ["Lãnh đạo Tỉnh"]
    assert list_inspectors(HUYEN_OTHER, campaign.id).read_only[0].full_name == "Lãnh đạo Tỉnh"
    with pytest.raises(AuthError):
        list_inspectors(XA, campaign.id)
    # days outside the window are refused
    res = save_inspectors(ADMIN, campaign, [{"full_name": "X", "commune_codes": ["07201"],
                                             "days": [(campaign.end_date + timedelta(days=5))
                                                      .isoformat()]}])
    assert not res.ok and res.problems[0].field == "days"


def test_demo_has_rosters_for_most_communes_some_missing(demo_db):
    from app.core.campaigns import active_campaign
    c = active_campaign(max_age=0).campaign
    overview = roster_overview(TINH, c)
    missing = [s for s in overview if s.state(c.roster_deadline) == MISSING]
    assert 10 <= len(missing) <= 40
    assert sum(s.published for s in overview) > 100
    assert any(s.state(c.roster_deadline) == LATE for s in overview)
    sched = public_schedule(c, "07201")
    assert sched.published and any(lines for _, lines in sched.days)
    with session_scope() as s:
        assert s.exec(select(Inspector)).first() is not None
        e = s.exec(select(RosterEntry)).first()
        assert json.loads(e.duty_days)
        # the demo district's reports carry illustrative photos, the others none
        from db.models import DailyReport, ReportPhoto
        rows = s.exec(select(DailyReport.commune_code).join(
            ReportPhoto, ReportPhoto.report_id == DailyReport.id)).all()
        from app.core.reference import geography
        city = {c.code for c in geography().communes_of("213")}
        assert rows and set(rows) <= city
