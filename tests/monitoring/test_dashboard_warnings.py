"""Warnings: the ratio band, missing answers/reports, the demo's planted integrity anomalies
found by the engine, the sheets behind a too-high ratio, review marks and the audited,
reversible exclusion of flagged responses (tallies follow)."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlmodel import select

from app.core import demo
from app.core.auth import AuthError
from app.core.campaigns import active_campaign
from app.monitoring import warnings as anomalies
from app.monitoring.stats import overview
from app.monitoring.warnings import (
    ENGINE_KINDS,
    KIND_NO_ANSWERS,
    KIND_NO_REPORT,
    KIND_RATIO_HIGH,
    KIND_RATIO_LOW,
    KIND_VISITS_HIGH,
    compute_warnings,
)
from app.survey.tally import rebuild_tallies
from db.engine import session_scope
from db.models import (
    AuditLog,
    CommuneHourTally,
    DailyReport,
    OptionTally,
    Response,
    ScoreTally,
    Setting,
    WarningReview,
)
from tests.dashboard_helpers import HOIND, HUYEN, HUYEN_YT, TINH, A, B, C, make_small, report


def _evening(day):
    return datetime(day.year, day.month, day.day, 18, 0)


# ---------------------------------------------------------------- coverage and ratio band
def test_ratio_band_both_directions_and_missing_reports(active):
    active, today, y = make_small(active)
    ws = compute_warnings(TINH, active.campaign.id, now=_evening(today))
    by = {(w.kind, w.commune_code, w.day): w for w in ws}
    # A today: 3 answers / 2 visits = 1.5 > 1.2; A yesterday 2/10 = 0.2 < 0.3; C today 2/20
    assert (KIND_RATIO_HIGH, A, today) in by and (KIND_RATIO_LOW, A, y) in by
    assert (KIND_RATIO_LOW, C, today) in by
    assert "2 phiếu nhưng" not in by[(KIND_RATIO_LOW, C, today)].reason
    assert "1,50" in by[(KIND_RATIO_HIGH, A, today)].reason
    assert "0,10" in by[(KIND_RATIO_LOW, C, today)].reason
    # B answered but never reported: no ratio judgement, a missing-report warning instead
    assert not any(k[1] == B and k[0] in (KIND_RATIO_LOW, KIND_RATIO_HIGH) for k in by)
    assert (KIND_NO_REPORT, B, today) in by and (KIND_NO_REPORT, B, y) in by
    assert (KIND_NO_ANSWERS, B, y) in by and (KIND_NO_ANSWERS, B, today) not in by
    assert (KIND_NO_ANSWERS, A, today) not in by and (KIND_NO_REPORT, A, today) not in by
    # every warning says why, in Vietnamese, and names its commune
    assert all(w.reason and w.commune_name for w in ws)


def test_today_is_only_judged_later_in_the_day(active):
    active, today, _y = make_small(active)
    early = datetime(today.year, today.month, today.day, 7, 30)
    ws = compute_warnings(TINH, active.campaign.id, now=early)
    assert not any(w.day == today and w.kind in (KIND_NO_ANSWERS, KIND_NO_REPORT) for w in ws)
    late = compute_warnings(TINH, active.campaign.id, now=_evening(today))
    assert any(w.day == today and w.kind == KIND_NO_REPORT for w in late)


# ---------------------------------------------------------------- planted demo anomalies
def _integrity(ws):
    return {(w.kind, w.commune_code) for w in ws if w.kind in ENGINE_KINDS}


def test_planted_anomalies_are_found_and_nothing_else(demo_db):
    ws = compute_warnings(TINH)
    assert _integrity(ws) == {("browser", demo.BURST), ("copies", demo.IDENTICAL),
                              ("network", demo.FAST), ("excess", demo.RATIO_HIGH)}
    assert all(w.severity == "high" and w.score >= 4 for w in ws if w.kind in ENGINE_KINDS)
    # ranked: open warnings by score, highest first, count warnings after
    scores = [w.score for w in ws if w.score is not None]
    assert scores == sorted(scores, reverse=True)
    sitting = next(w for w in ws if w.kind == "browser" and w.response_ids)
    assert len(sitting.response_ids) >= 20 and "một trình duyệt" in sitting.reason
    assert "điền nhanh bất thường" in sitting.reason
    with session_scope() as s:
        durs = s.exec(select(Response.duration_s)
                      .where(Response.id.in_(sitting.response_ids))).all()
    assert max(durs) < 60
    copies = next(w for w in ws if w.kind == "copies")
    with session_scope() as s:
        hashes = set(s.exec(select(Response.answer_hash)
                            .where(Response.id.in_(copies.response_ids))).all())
    assert len(hashes) == 1 and len(copies.response_ids) >= 10
    # too many answers against visits: with the sheets behind it, and the part nothing explains
    excess = next(w for w in ws if w.kind == "excess")
    assert excess.response_ids and "không gắn được với máy nào" in excess.reason
    assert excess.details["answers"] > 1.2 * min(excess.details["visits"],
                                                 excess.details["dossiers"] or 10**9)
    # every reported day of the commune with far too many answers is a warning (its own
    # excess when the engine names sheets enough, else a too-high ratio)
    too_many = {w.day for w in ws if w.commune_code == demo.RATIO_HIGH
                and w.kind in ("excess", KIND_RATIO_HIGH)}
    with session_scope() as s:
        reported = set(s.exec(select(DailyReport.day)
                              .where(DailyReport.commune_code == demo.RATIO_HIGH)).all())
    assert reported and too_many == reported
    # the one-stop office's count: a commune reporting far more visits than dossiers
    visits_high = [w for w in ws if w.kind == KIND_VISITS_HIGH]
    assert {w.commune_code for w in visits_high} == {demo.INFLATED_VISITS}
    assert "hồ sơ" in visits_high[0].reason


def test_retired_thresholds_change_nothing(demo_db):
    """The fixed counts of the rules before the engine are ignored if still set."""
    before = [w.key for w in compute_warnings(TINH)]
    with session_scope() as s:
        for key in anomalies.RETIRED_SETTINGS:
            s.add(Setting(key=key, value="500"))
    assert [w.key for w in compute_warnings(TINH)] == before


def test_district_sees_only_its_own_warnings(demo_db):
    own = compute_warnings(HUYEN)
    assert own and {w.district_code for w in own} == {"213"}
    other = compute_warnings(HUYEN_YT)
    assert all(w.district_code == "215" for w in other)
    assert not _integrity(other)


# ---------------------------------------------------------------- review and exclusion
def _tallies(campaign_id):
    with session_scope() as s:
        hours = {(r.commune_code, r.day, r.hour): (r.n, r.n_excluded) for r in s.exec(
            select(CommuneHourTally).where(CommuneHourTally.campaign_id == campaign_id))
            if r.n or r.n_excluded}
        opts = {(r.commune_code, r.question_id, r.option_value): r.n for r in s.exec(
            select(OptionTally).where(OptionTally.campaign_id == campaign_id)) if r.n}
        scores = {(r.commune_code, r.pillar): (r.n, round(r.total, 3), round(r.total_sq, 1))
                  for r in s.exec(select(ScoreTally).where(ScoreTally.campaign_id == campaign_id))
                  if r.n}
    return hours, opts, scores


def test_exclusion_updates_tallies_audits_and_is_reversible(demo_db):
    cid = active_campaign(max_age=0).campaign.id
    burst = next(w for w in compute_warnings(HUYEN) if w.kind == "browser")
    n = len(burst.response_ids)
    original = _tallies(cid)
    before = overview(TINH).kpi
    changed = anomalies.exclude_warning(HUYEN, cid, burst.key, True, "thiết bị của tổ công tác")
    assert changed == n
    excluded = _tallies(cid)
    after = overview(TINH).kpi
    assert after["answers_total"] == before["answers_total"] - n
    assert after["excluded_total"] == before["excluded_total"] + n
    with session_scope() as s:
        assert all(s.get(Response, i).excluded for i in burst.response_ids)
        rebuild_tallies(s, cid)  # the running tallies equal a full recount
    assert _tallies(cid) == excluded
    with session_scope() as s:
        logs = s.exec(select(AuditLog).where(AuditLog.action == "response.exclude")).all()
    assert len(logs) == n and all(json.loads(x.after)["reason"] == "thiết bị của tổ công tác"
                                  for x in logs)
    assert {x.actor for x in logs} == {HUYEN.username}
    # the warning stays, showing what was excluded; excluding again changes nothing
    again = next(w for w in compute_warnings(TINH) if w.key == burst.key)
    assert again.n_excluded == n
    assert anomalies.exclude_warning(TINH, cid, burst.key, True, "lần nữa") == 0
    # and back
    assert anomalies.exclude_warning(TINH, cid, burst.key, False, "xác minh là phiếu thật") == n
    assert _tallies(cid) == original
    assert overview(TINH).kpi["answers_total"] == before["answers_total"]
    with session_scope() as s:
        assert s.exec(select(AuditLog).where(AuditLog.action == "response.include")).all()


def test_exclusion_outside_scope_changes_nothing(demo_db):
    cid = active_campaign(max_age=0).campaign.id
    burst = next(w for w in compute_warnings(TINH) if w.kind == "browser")
    with pytest.raises(AuthError):
        anomalies.exclude_warning(HUYEN_YT, cid, burst.key, True, "x")
    with pytest.raises(AuthError):
        anomalies.set_excluded(HUYEN_YT, cid, burst.response_ids, True, "x")
    with pytest.raises(AuthError):   # farmers may look, not judge
        anomalies.set_excluded(HOIND, cid, burst.response_ids, True, "x")
    # one foreign response in the batch: the whole batch is refused
    with session_scope() as s:
        foreign = s.exec(select(Response.id).where(Response.commune_code == "07243")).first()
    with pytest.raises(AuthError):
        anomalies.set_excluded(HUYEN, cid, list(burst.response_ids) + [foreign], True, "x")
    with pytest.raises(AuthError):
        anomalies.set_excluded(HUYEN, cid + 999, burst.response_ids, True, "x")
    with session_scope() as s:
        assert not any(s.get(Response, i).excluded for i in burst.response_ids)
        assert not s.exec(select(AuditLog).where(AuditLog.action == "response.exclude")).all()


def test_mark_reviewed_is_audited_and_scoped(demo_db):
    cid = active_campaign(max_age=0).campaign.id
    w = next(w for w in compute_warnings(TINH) if w.kind in ("excess", KIND_RATIO_HIGH)
             and w.commune_code == demo.RATIO_HIGH)
    with pytest.raises(AuthError):
        anomalies.mark_reviewed(HUYEN_YT, cid, w.key, "không phải của tôi")
    with pytest.raises(AuthError):
        anomalies.mark_reviewed(HOIND, cid, w.key)
    with pytest.raises(AuthError):
        anomalies.mark_reviewed(TINH, cid, "ratio_high:07213:1999-01-01")  # no such warning
    anomalies.mark_reviewed(HUYEN, cid, w.key, "Xã đã giải trình: nhập thiếu lượt đến")
    marked = next(x for x in compute_warnings(TINH) if x.key == w.key)
    assert marked.reviewed and marked.reviewed_by == HUYEN.username
    assert marked.note.startswith("Xã đã giải trình")
    with session_scope() as s:
        assert s.exec(select(AuditLog).where(AuditLog.action == "warning.review",
                                             AuditLog.entity_id == w.key)).first()
    assert anomalies.unmark_reviewed(TINH, cid, w.key) is True
    assert not next(x for x in compute_warnings(TINH) if x.key == w.key).reviewed
    with session_scope() as s:
        assert not s.exec(select(WarningReview)).all()
        assert s.exec(select(AuditLog).where(AuditLog.action == "warning.unreview")).first()


# ---------------------------------------------------------------- a too-high ratio, explained
D = "07228"   # a commune of district 213 outside the honest background


def _helper_day(active):
    """An honest background, then commune D's day: 12 citizens on their own phones and the
    helper's phone sending 6 sheets (at the usual pace: no group warning of its own), against
    a report of 8 visits: 18 answers where 9 is the band's limit."""
    from tests.integrity.helpers import AGENTS, Town
    town = Town(active)
    town.background(per_commune=20)
    for k in range(12):
        town.put(D, town.honest_answers(), town.at(8 + k * 0.3), 150 + 10 * k,
                 ip="27.72.99.10", agent=AGENTS[k % 3])
    helper = [town.put(D, town.honest_answers(), town.at(9 + k * 0.4), 200 + 20 * k,
                       ip="27.72.99.10", agent=AGENTS[0], browser="helper-phone")
              for k in range(6)]
    report(active.campaign.id, D, town.day, 8)
    return town, helper


def _evening_after(day):
    return datetime(day.year, day.month, day.day, 23, 0)


def test_a_too_high_ratio_names_the_phone_that_makes_the_excess(active):
    town, helper = _helper_day(active)
    ws = compute_warnings(TINH, active.campaign.id, now=_evening_after(town.day))
    w = next(w for w in ws if w.key == f"ratio_high:{D}:{town.day.isoformat()}")
    assert set(w.response_ids) == set(helper)
    assert "18 phiếu nhưng báo cáo chỉ 8 lượt" in w.reason
    assert "Phần vượt (9 phiếu) có thể đến từ: 6 phiếu từ một trình duyệt" in w.reason
    assert "3 phiếu của phần vượt không gắn được với máy nào" in w.reason
    assert w.score is not None and w.severity == "medium"   # a mild excess, no sheet unusual
    assert not [x for x in ws if x.kind in ENGINE_KINDS and x.commune_code == D]


def test_excluded_sheets_come_back_even_when_their_warning_is_gone(active):
    town, helper = _helper_day(active)
    cid = active.campaign.id
    now = _evening_after(town.day)
    key = f"ratio_high:{D}:{town.day.isoformat()}"
    original = _tallies(cid)
    assert anomalies.exclude_warning(TINH, cid, key, True, "máy của người hỗ trợ", now=now) == 6
    # the counted ratio is still above the band (12 for 8 visits) but no phone explains it now
    w = next(w for w in compute_warnings(TINH, cid, now=now) if w.key == key)
    assert w.response_ids == () and "3 phiếu của phần vượt" in w.reason
    groups = anomalies.excluded_groups(HUYEN, cid)
    assert [(g.commune_code, g.day, set(g.response_ids)) for g in groups] == \
        [(D, town.day, set(helper))]
    assert groups[0].reasons == ["máy của người hỗ trợ"] and groups[0].warnings == [key]
    with pytest.raises(AuthError):      # another district may not touch them
        anomalies.include_group(HUYEN_YT, cid, groups[0].key, "x")
    assert anomalies.include_group(HUYEN, cid, groups[0].key, "xác minh: người cao tuổi") == 6
    assert _tallies(cid) == original and anomalies.excluded_groups(TINH, cid) == []
