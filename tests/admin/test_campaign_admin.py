"""Campaign administration (validation, active campaign switch, edits) and browsing results of
earlier campaigns year on year."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.admin import campaigns as ca
from app.core.auth import AuthError, Scope
from app.core.campaigns import active_campaign
from app.core.reference import geography
from app.survey.responses import submit_response
from db.engine import session_scope
from db.models import AuditLog, Campaign, CommuneHourTally, ScoreTally

ADMIN = Scope("admin1", "Quản trị", "admin")
STAFF = Scope("tinh.a", "Cán bộ", "province")
DISTRICT = Scope("huyen.213", "BCĐ", "district", district_code="213")


def _values(active, **over):
    v = {"name": "Khảo sát PKS 03 năm 2025", "year": 2025, "start_date": date(2025, 5, 6),
         "end_date": date(2025, 5, 8), "roster_deadline": date(2025, 5, 4),
         "report_cutoff": "20:00", "ratio_low": 0.3, "ratio_high": 1.2, "min_sample": 30,
         "friendly_threshold": 80, "questionnaire_id": active.questionnaire_id}
    v.update(over)
    return v


@pytest.mark.parametrize("over,field,message", [
    ({"name": "x"}, "name", "từ 3 đến 200"),
    ({"end_date": date(2025, 5, 1)}, "end_date", "từ ngày bắt đầu"),
    ({"end_date": date(2025, 7, 1)}, "end_date", "tối đa 31 ngày"),
    ({"roster_deadline": date(2025, 5, 7)}, "roster_deadline", "trước hoặc đúng ngày"),
    ({"year": 2024}, "year", "trùng với năm"),
    ({"report_cutoff": "25:00"}, "report_cutoff", "GG:PP"),
    ({"ratio_low": 1.5, "ratio_high": 1.2}, "ratio_high", "lớn hơn tỷ lệ tối thiểu"),
    ({"ratio_low": -1}, "ratio_low", "không âm"),
    ({"min_sample": 0}, "min_sample", "từ 1"),
    ({"friendly_threshold": 120}, "friendly_threshold", "từ 0 đến 100"),
    ({"questionnaire_id": 9999}, "questionnaire_id", "bảng hỏi"),
    ({"start_date": "06/05/2025"}, "start_date", "không hợp lệ"),
])
def test_invalid_campaigns_are_refused_with_vietnamese_messages(active, over, field, message):
    with pytest.raises(ca.CampaignError) as exc:
        ca.create_campaign(ADMIN, _values(active, **over))
    assert field in exc.value.errors and message in exc.value.errors[field]


def test_create_and_switch_the_active_campaign(active):
    old = active.campaign
    c = ca.create_campaign(ADMIN, _values(active))
    assert not c.is_active
    assert active_campaign().campaign.id == old.id  # cached a few seconds...
    ca.activate_campaign(ADMIN, c.id)
    assert active_campaign().campaign.id == c.id  # ...but switching invalidates the cache
    with session_scope() as s:
        assert [x.id for x in s.exec(select(Campaign).where(Campaign.is_active == True))  # noqa
                .all()] == [c.id]
        acts = [(a.action, a.entity_id) for a in s.exec(
            select(AuditLog).where(AuditLog.entity == "campaign").order_by(AuditLog.id)).all()]
        assert acts[-2:] == [("campaign.create", str(c.id)), ("campaign.activate", str(c.id))]
        assert json.loads(s.exec(select(AuditLog.before).where(
            AuditLog.action == "campaign.activate")).one())["active"] == [old.id]
    with pytest.raises(AuthError):
        ca.create_campaign(STAFF, _values(active, name="Khác"))
    with pytest.raises(AuthError):
        ca.activate_campaign(STAFF, old.id)


def test_edit_refuses_to_strand_answers(active):
    c = active.campaign
    answers = {q.id: q.options[0].value for q in active.definition.questions
               if q.type == "single"}
    for q in active.definition.questions:
        if q.type == "multi":
            answers[q.id] = [q.options[0].value]
        elif q.type == "rating":
            answers[q.id] = q.scale_max
    assert submit_response(active, "07201", answers, "tok-campaign-edit").ok
    today = c.start_date + timedelta(days=1)
    values = {f: getattr(c, f) for f in ca.FIELDS}
    with pytest.raises(ca.CampaignError) as exc:
        ca.update_campaign(ADMIN, c.id, values | {"start_date": today + timedelta(days=1),
                                                  "end_date": today + timedelta(days=2),
                                                  "roster_deadline": today})
    assert "đã có phiếu" in exc.value.errors["start_date"]
    updated = ca.update_campaign(ADMIN, c.id, values | {"ratio_high": 1.5, "min_sample": 20})
    assert updated.ratio_high == 1.5 and active_campaign().campaign.ratio_high == 1.5
    with session_scope() as s:
        e = s.exec(select(AuditLog).where(AuditLog.action == "campaign.update")).one()
        assert json.loads(e.before) == {"ratio_high": 1.2, "min_sample": 30}
        assert json.loads(e.after) == {"ratio_high": 1.5, "min_sample": 20}


def _tally(cid, code, n, index):
    with session_scope() as s:
        s.add(CommuneHourTally(campaign_id=cid, commune_code=code, day=date(2024, 5, 6), hour=9,
                               n=n))
        s.add(ScoreTally(campaign_id=cid, commune_code=code, pillar="overall", n=n,
                         total=index * n, total_sq=index * index * n))


def test_year_on_year_comparison_per_commune(active):
    old = ca.create_campaign(ADMIN, _values(active, name="Khảo sát năm 2024", year=2024,
                                            start_date=date(2024, 5, 6),
                                            end_date=date(2024, 5, 8),
                                            roster_deadline=date(2024, 5, 4)))
    new = active.campaign
    _tally(old.id, "07201", 40, 70.0)
    _tally(old.id, "07204", 10, 90.0)
    _tally(old.id, "07243", 50, 60.0)  # a commune of another district
    _tally(new.id, "07201", 60, 78.5)
    rows = {r["commune_code"]: r for r in ca.compare_campaigns(ADMIN, old.id, new.id)}
    assert len(rows) == 209
    r = rows["07201"]
    assert (r["answers_a"], r["answers_b"]) == (40, 60)
    assert r["delta"] == pytest.approx(8.5) and not r["small_a"] and not r["small_b"]
    assert rows["07204"]["small_a"] and rows["07204"]["index_b"] is None
    assert rows["07204"]["delta"] is None
    hist = ca.commune_history(STAFF, "07201")
    mine = {h["campaign_id"]: h for h in hist}
    assert mine[old.id]["answers"] == 40 and mine[old.id]["index"] == pytest.approx(70.0)
    assert mine[new.id]["index"] == pytest.approx(78.5)
    # a district sees only its own communes
    drows = ca.compare_campaigns(DISTRICT, old.id, new.id)
    own = {c.code for c in geography().communes_of("213")}
    assert drows and {x["commune_code"] for x in drows} == own
    assert "07243" not in {x["commune_code"] for x in drows}
    with pytest.raises(AuthError):
        ca.commune_history(DISTRICT, "07243")
    summaries = {s.id: s for s in ca.campaign_summaries(ADMIN)}
    assert summaries[old.id].answers == 100 and summaries[old.id].communes_with_answers == 3
    assert summaries[old.id].index_overall == pytest.approx((70 * 40 + 90 * 10 + 60 * 50) / 100)


def test_the_same_campaign_asked_twice_is_created_once(active):
    first = ca.create_campaign(ADMIN, _values(active))
    again = ca.create_campaign(ADMIN, _values(active))  # a double click sends the form twice
    assert again.id == first.id
    with session_scope() as s:
        assert len(s.exec(select(Campaign).where(Campaign.name == first.name)).all()) == 1
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "campaign.create")).all()) == 1
    # another campaign under the same name is refused (however it is capitalised)
    with pytest.raises(ca.CampaignError) as exc:
        ca.create_campaign(ADMIN, _values(active, name=first.name.upper(), min_sample=20))
    assert "Đã có đợt khảo sát tên" in exc.value.errors["name"]
    values = {f: getattr(active.campaign, f) for f in ca.FIELDS}
    with pytest.raises(ca.CampaignError) as exc:
        ca.update_campaign(ADMIN, active.campaign.id, values | {"name": first.name})
    assert "name" in exc.value.errors


def test_delete_only_without_data_archive_otherwise(active):
    from app.core.campaigns import list_campaigns
    empty = ca.create_campaign(ADMIN, _values(active))
    used = active.campaign
    with pytest.raises(AuthError):
        ca.delete_campaign(STAFF, empty.id)
    with pytest.raises(ca.CampaignError) as exc:
        ca.delete_campaign(ADMIN, used.id)  # the active one
    assert "đang hoạt động" in str(exc.value)
    with pytest.raises(ca.CampaignError):
        ca.set_archived(ADMIN, used.id, True)  # the active one cannot be archived either
    # a campaign with answers cannot be deleted, only archived
    other = ca.create_campaign(ADMIN, _values(active, name="Đợt có phiếu"))
    ca.activate_campaign(ADMIN, other.id)
    answers = {q.id: q.options[0].value for q in active.definition.questions if q.type == "single"}
    answers.update({q.id: [q.options[0].value] for q in active.definition.questions
                    if q.type == "multi"})
    answers.update({q.id: q.scale_max for q in active.definition.questions if q.type == "rating"})
    assert submit_response(active, "07201", answers, "tok-archive").ok  # on the old campaign
    ca.activate_campaign(ADMIN, empty.id)
    with pytest.raises(ca.CampaignError) as exc:
        ca.delete_campaign(ADMIN, used.id)
    assert "1 phiếu" in str(exc.value) and "lưu trữ" in str(exc.value)
    assert ca.set_archived(ADMIN, used.id, True) == used.name
    assert used.id not in {c.id for c in list_campaigns()}
    assert used.id in {c.id for c in list_campaigns(include_archived=True)}
    assert {s.id: s.archived for s in ca.campaign_summaries(ADMIN)}[used.id]
    with pytest.raises(ca.CampaignError):
        ca.activate_campaign(ADMIN, used.id)
    ca.set_archived(ADMIN, used.id, False)
    assert used.id in {c.id for c in list_campaigns()}
    # the one without data goes for good
    assert ca.delete_campaign(ADMIN, other.id) == "Đợt có phiếu"
    with session_scope() as s:
        assert s.get(Campaign, other.id) is None
        acts = [a for a in s.exec(select(AuditLog.action)).all() if a.startswith("campaign.")]
    assert {"campaign.delete", "campaign.archive", "campaign.unarchive"} <= set(acts)
