"""Nominations: data-backed suggestions, frozen evidence, workflow permissions, the 3–5 rule and
the Excel/PDF exports of the final list."""
from __future__ import annotations

import io
import json
import re
import zlib
from datetime import datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.board import nominations as nom
from app.core.auth import AuthError, Scope
from db.engine import session_scope
from db.models import AuditLog, CommuneHourTally, DailyReport, Nomination, RosterEntry, RosterStatus
from db.upsert import upsert_add

STAFF = Scope("tinh.a", "Cán bộ A", "province")
STAFF_B = Scope("tinh.b", "Cán bộ B", "province")
FARMERS = Scope("hoind", "Hội Nông dân", "farmers")
ADMIN = Scope("admin1", "Quản trị", "admin")
DISTRICT = Scope("huyen.213", "BCĐ", "district", district_code="213")
COMMUNE = Scope("xa.07201", "Tổ công tác", "commune", district_code="213", commune_code="07201")


def _report(cid, code, day, visits, guided=0):
    with session_scope() as s:
        s.add(DailyReport(campaign_id=cid, commune_code=code, day=day, visits=visits,
                          guided=guided))


def _answers(cid, code, day, n, hour=9):
    with session_scope() as s:
        upsert_add(s, CommuneHourTally.__table__, ("campaign_id", "commune_code", "day", "hour"),
                   ("n", "n_excluded"), [{"campaign_id": cid, "commune_code": code, "day": day,
                                          "hour": hour, "n": n, "n_excluded": 0}])


def _roster(cid, code, when):
    with session_scope() as s:
        s.add(RosterStatus(campaign_id=cid, commune_code=code, submitted_at=when, published=True))


def _entry(cid, code, name, days, shift):
    with session_scope() as s:
        e = RosterEntry(campaign_id=cid, commune_code=code, full_name=name, position="Hội viên",
                        organisation="Hội Nông dân", phone="0912345678",
                        duty_days=json.dumps([d.isoformat() for d in days]), shift=shift)
        s.add(e)
        s.flush()
        return e.id


@pytest.fixture
def data(active):
    """Four communes over the two campaign days so far:
    07201 meets every criterion; 07204 misses a report; 07207 is over the band on one day;
    07210 submitted its roster after the deadline."""
    c = active.campaign
    d1, d2 = c.start_date, c.start_date + timedelta(days=1)
    on_time = datetime.combine(c.roster_deadline, time(10, 0))
    late = on_time + timedelta(days=1)
    for code, visits, answers, when in (
            ("07201", (40, 50), (30, 45), on_time),
            ("07204", (40, None), (20, 10), on_time),
            ("07207", (40, 20), (20, 60), on_time),
            ("07210", (40, 40), (30, 30), late)):
        for day, v, a in zip((d1, d2), visits, answers):
            if v is not None:
                _report(c.id, code, day, v, guided=v // 2)
            _answers(c.id, code, day, a)
        _roster(c.id, code, when)
    people = {
        "full": _entry(c.id, "07201", "Nguyễn Văn Cả", [d1, d2, c.end_date], "ca_ngay"),
        "morning": _entry(c.id, "07204", "Trần Thị Sáng", [d1, d2, c.end_date], "sang"),
        "outside": _entry(c.id, "07207", "Lê Văn Ngoài", [c.end_date + timedelta(days=5)],
                          "ca_ngay"),
    }
    return c, people


def _evening(c):
    """The second campaign day after the report cut-off: both days' reports are due."""
    return datetime.combine(c.start_date + timedelta(days=1), time(22, 0))


def test_suggestions_rank_communes_by_the_criteria_with_their_figures(data):
    c, _ = data
    sug = nom.suggestions(STAFF, c.id, now=_evening(c))
    assert len(sug.days_due) == 2
    by = {f.commune_code: f for f in sug.collectives}
    best = sug.collectives[0]
    assert best.commune_code == "07201" and best.meets_all
    assert (best.visits, best.answers, best.days_reported) == (90, 75, 2)
    assert best.ratio == pytest.approx(75 / 90)
    assert best.days_in_band == 2 and best.roster_on_time and best.criteria_met == 5
    assert best.integrity_clean and best.integrity_open == 0
    assert not by["07204"].reported_every_day and by["07204"].days_reported == 1
    assert not by["07207"].ratio_in_band and by["07207"].days_in_band == 1
    assert by["07207"].mobilisation is None  # a ratio above the band is not "mobilisation"
    assert not by["07210"].roster_on_time and by["07210"].reported_every_day
    assert not any(by[x].meets_all for x in ("07204", "07207", "07210"))
    # a commune with no data at all is listed last, meeting nothing
    assert by["07213"].criteria_met == 0 and by["07213"].ratio is None


def test_suggestions_compare_answers_and_visits_of_the_same_days(active):
    """Today's answers before today's report are not divided by yesterday's visits: a commune
    whose mixed-day ratio looks high does not outrank one that did better on the same days."""
    c = active.campaign
    d1, d2 = c.start_date, c.start_date + timedelta(days=1)
    on_time = datetime.combine(c.roster_deadline, time(10, 0))
    for code, a1, a2 in (("07201", 30, 45), ("07204", 34, 0)):
        _report(c.id, code, d1, 40)
        _answers(c.id, code, d1, a1)
        if a2:
            _answers(c.id, code, d2, a2)
        _roster(c.id, code, on_time)
    morning = datetime.combine(d2, time(9, 0))      # today's report is not due yet
    sug = nom.suggestions(STAFF, c.id, now=morning)
    by = {f.commune_code: f for f in sug.collectives}
    a, b = by["07201"], by["07204"]
    assert (a.answers, a.answers_judged, a.visits_judged) == (75, 30, 40)
    assert a.ratio == pytest.approx(30 / 40) and b.ratio == pytest.approx(34 / 40)
    assert a.meets_all and b.meets_all
    assert [f.commune_code for f in sug.collectives[:2]] == ["07204", "07201"]
    # the ratio judged is what the evidence keeps and says
    n = nom.propose(STAFF, c.id, kind="collective", name="Tổ công tác Phường Thọ Xương",
                    commune_code="07201", achievements="Vận động người dân trả lời phiếu.")
    ev = nom.get_nomination(STAFF, n.id).evidence
    assert ev["commune"]["answers_judged"] == 30 and ev["commune"]["ratio"] == 0.75
    assert "30 phiếu / 40 lượt khách của 1 ngày có báo cáo (tỷ lệ được xét 0,75)" in \
        nom.evidence_summary(ev)


def test_a_commune_with_an_open_high_integrity_warning_is_marked_and_ranked_last(active):
    from app.monitoring.warnings import mark_reviewed, open_high_for
    from tests.integrity.helpers import AGENTS, Town
    c = active.campaign
    town = Town(active)
    town.background(per_commune=20)
    for k in range(20):                    # a sitting: 20 quick sheets on one phone
        town.put("07204", town.all_top(), town.at(12.0 + k * 0.02), 35, ip=town.wifi["07204"],
                 agent=AGENTS[0], browser="one-phone")
    on_time = datetime.combine(c.roster_deadline, time(10, 0))
    for code in ("07201", "07204"):
        _report(c.id, code, town.day, 60)
        _roster(c.id, code, on_time)
    sug = nom.suggestions(STAFF, c.id)
    by = {f.commune_code: f for f in sug.collectives}
    flagged = by["07204"]
    assert flagged.integrity_open == 1 and not flagged.meets_all
    assert "Nhiều phiếu từ một trình duyệt" in flagged.integrity_warnings[0]["label"]
    assert sug.collectives.index(flagged) > max(sug.collectives.index(f)
                                                for f in sug.collectives if f.integrity_clean)
    assert by["07201"].integrity_clean
    n = nom.propose(STAFF, c.id, kind="collective", name="Tổ công tác 07204",
                    commune_code="07204", achievements="Hoàn thành tốt nhiệm vụ khảo sát.")
    ev = nom.get_nomination(STAFF, n.id).evidence
    assert ev["commune"]["integrity_open"] == 1
    assert ev["commune"]["integrity_warnings"][0]["key"].startswith("browser:07204:")
    assert "1 cảnh báo toàn vẹn mức cao chưa xử lý" in nom.evidence_summary(ev)
    # once a reviewer has dealt with it, the commune is clean again
    mark_reviewed(Scope("tinh.r", "R", "province"), c.id,
                  ev["commune"]["integrity_warnings"][0]["key"], "Đã xác minh")
    assert open_high_for(c.id, ["07204"]) == {}
    assert {f.commune_code: f for f in nom.suggestions(STAFF, c.id).collectives}[
        "07204"].integrity_clean


def test_todays_report_is_only_expected_after_the_cut_off(data):
    c, _ = data
    morning = datetime.combine(c.start_date + timedelta(days=1), time(9, 0))
    sug = nom.suggestions(STAFF, c.id, now=morning)
    assert sug.days_due == [c.start_date]
    by = {f.commune_code: f for f in sug.collectives}
    # 07204 has not reported today yet: fine before the 21:00 cut-off
    assert by["07204"].reported_every_day and by["07204"].days_total == 1
    assert nom.suggestions(STAFF, c.id, now=_evening(c)).collectives[0].commune_code == "07201"
    first_morning = datetime.combine(c.start_date, time(9, 0))
    assert not any(f.reported_every_day
                   for f in nom.suggestions(STAFF, c.id, now=first_morning).collectives)


def test_individuals_ranked_by_duty_shifts_inside_the_window(data):
    c, people = data
    sug = nom.suggestions(STAFF, c.id, now=_evening(c))
    names = [p.full_name for p in sug.individuals]
    assert names == ["Nguyễn Văn Cả", "Trần Thị Sáng"]  # out-of-window duty not counted
    # only the days gone by and reported: 07201 reported both days (a whole day: 2 shifts
    # each), 07204 only the first; the last campaign day has not come yet
    assert [p.shifts for p in sug.individuals] == [4, 1]
    assert [len(p.duty_days) for p in sug.individuals] == [2, 1]
    assert [p.days_planned for p in sug.individuals] == [3, 3]
    assert sug.individuals[0].commune_code == "07201"


def test_a_duty_day_counts_once_it_has_passed_and_was_reported(data):
    c, _ = data
    first_morning = datetime.combine(c.start_date, time(9, 0))
    assert nom.suggestions(STAFF, c.id, now=first_morning).individuals == []  # nothing yet
    next_morning = datetime.combine(c.start_date + timedelta(days=1), time(9, 0))
    sug = nom.suggestions(STAFF, c.id, now=next_morning)  # only the first day is due
    assert [(p.full_name, p.shifts) for p in sug.individuals] == [
        ("Nguyễn Văn Cả", 2), ("Trần Thị Sáng", 1)]


def test_only_board_farmers_and_admin_see_nominations(data):
    c, _ = data
    for scope in (FARMERS, ADMIN, STAFF):
        nom.suggestions(scope, c.id)
    for scope in (DISTRICT, COMMUNE):
        with pytest.raises(AuthError):
            nom.suggestions(scope, c.id)
        with pytest.raises(AuthError):
            nom.list_nominations(scope, c.id)
        with pytest.raises(AuthError):
            nom.propose(scope, c.id, kind="collective", name="X", commune_code="07201",
                        achievements="Thành tích nổi bật của đơn vị")


def test_evidence_snapshot_is_frozen_at_proposal_time(data, monkeypatch):
    c, people = data
    from app.core import clock
    # the second campaign day before its report cut-off (21:00), whatever the hour of the run:
    # only the first day's report is due (after 21:00 Vietnam time both would be)
    monkeypatch.setattr(clock, "now", lambda: datetime.combine(c.start_date + timedelta(days=1),
                                                               time(15, 0)))
    v = nom.propose(STAFF, c.id, kind="collective", name="Tổ công tác Phường Thọ Xương",
                    unit="Tổ công tác cấp xã", commune_code="07201",
                    achievements="Báo cáo đầy đủ, vận động nhiều người dân trả lời.")
    assert v.status == "proposed" and v.district_code == "213"
    ev = v.evidence
    assert ev["commune"]["answers"] == 75 and ev["commune"]["visits"] == 90
    assert ev["commune"]["roster_on_time"] is True and ev["campaign"]["id"] == c.id
    with session_scope() as s:
        stored = s.get(Nomination, v.id).evidence
    # later data: more answers and a late report change the live figures...
    _answers(c.id, "07201", c.start_date, 500, hour=10)
    with session_scope() as s:
        r = s.exec(select(DailyReport).where(DailyReport.commune_code == "07201")).first()
        r.visits = 1
        s.add(r)
    live = nom.commune_figures(STAFF, c.id, "07201", now=_evening(c))
    assert live.answers == 575 and not live.ratio_in_band
    # ...but never the snapshot
    with session_scope() as s:
        assert s.get(Nomination, v.id).evidence == stored
    again = nom.get_nomination(STAFF, v.id)
    # the ratio judged: the answers and visits of the day whose report was due (yesterday)
    assert again.evidence == ev and "30 phiếu / 40 lượt khách" in again.evidence_text
    monkeypatch.setattr(clock, "now", lambda: _evening(c))  # day 2 of 3, its report due
    ind = nom.propose(FARMERS, c.id, kind="individual", name="Nguyễn Văn Cả",
                      achievements="Trực hỗ trợ người dân cả ba ngày khảo sát.",
                      roster_entry_id=people["full"])
    assert ind.evidence["individual"]["shifts"] == 4 and ind.commune_code == "07201"
    assert "Trực 4 ca trong 2 ngày đã qua và đã báo cáo" in ind.evidence_text
    assert "lịch trực đăng ký 3 ngày" in ind.evidence_text


def test_proposal_validation(data):
    c, people = data
    with pytest.raises(nom.NominationError, match="thành tích"):
        nom.propose(STAFF, c.id, kind="collective", name="A", commune_code="07201",
                    achievements="ngắn")
    with pytest.raises(nom.NominationError, match="xã, phường"):
        nom.propose(STAFF, c.id, kind="collective", name="A", achievements="x" * 20)
    with pytest.raises(nom.NominationError):
        nom.propose(STAFF, c.id, kind="team", name="A", commune_code="07201",
                    achievements="x" * 20)
    with pytest.raises(nom.NominationError, match="không thuộc"):
        nom.propose(STAFF, c.id, kind="collective", name="A", commune_code="07201",
                    district_code="216", achievements="x" * 20)
    with pytest.raises(nom.NominationError):  # roster entry of another commune
        nom.propose(STAFF, c.id, kind="individual", name="B", commune_code="07207",
                    roster_entry_id=people["full"], achievements="x" * 20)
    nom.propose(STAFF, c.id, kind="collective", name="Tổ công tác A", commune_code="07201",
                achievements="x" * 20)
    with pytest.raises(nom.NominationError, match="Đã có đề xuất"):
        nom.propose(FARMERS, c.id, kind="collective", name="tổ công tác a",
                    commune_code="07201", achievements="y" * 20)


def _proposed(c, name, code="07201", by=STAFF):
    return nom.propose(by, c.id, kind="collective", name=name, commune_code=code,
                       achievements="Thành tích tiêu biểu trong đợt khảo sát.")


def test_workflow_permissions_history_and_audit(data):
    c, _ = data
    n = _proposed(c, "Tổ công tác 1", by=FARMERS)
    with pytest.raises(AuthError):  # the Farmers' Association proposes, the Board reviews
        nom.transition(FARMERS, n.id, "shortlist")
    with pytest.raises(nom.NominationError, match="Không thể"):  # approve needs a shortlist
        nom.transition(STAFF, n.id, "approve")
    n = nom.transition(STAFF, n.id, "shortlist")
    assert n.status == "shortlisted" and nom.allowed_actions(FARMERS, n) == []
    assert set(nom.allowed_actions(STAFF, n)) == {"approve", "reject"}
    n = nom.transition(STAFF_B, n.id, "approve", note="Đủ tiêu chuẩn")
    assert n.status == "approved" and n.decided_by == "tinh.b" and n.decided_at
    with pytest.raises(nom.NominationError, match="lý do"):
        nom.transition(STAFF, n.id, "reopen")
    n = nom.transition(ADMIN, n.id, "reopen", note="Xem lại số liệu")
    assert n.status == "shortlisted" and n.decided_by is None
    with pytest.raises(nom.NominationError, match="lý do"):
        nom.transition(STAFF, n.id, "reject")
    n = nom.transition(STAFF, n.id, "reject", note="Chưa tiêu biểu")
    assert n.status == "rejected"
    steps = [(h["action"], h["by"], h["to"]) for h in n.history]
    assert steps == [("propose", "hoind", "proposed"), ("shortlist", "tinh.a", "shortlisted"),
                     ("approve", "tinh.b", "approved"), ("reopen", "admin1", "shortlisted"),
                     ("reject", "tinh.a", "rejected")]
    assert all(h["at"] for h in n.history)
    with session_scope() as s:
        actions = [a.action for a in s.exec(select(AuditLog).where(
            AuditLog.entity == "nomination", AuditLog.entity_id == str(n.id))
            .order_by(AuditLog.id)).all()]
    assert actions == ["nomination.propose", "nomination.shortlist", "nomination.approve",
                       "nomination.reopen", "nomination.reject"]


def test_a_proposer_cannot_approve_their_own_nomination(data):
    c, _ = data
    n = _proposed(c, "Tổ công tác 2", by=STAFF)
    n = nom.transition(STAFF, n.id, "shortlist")
    assert "approve" not in nom.allowed_actions(STAFF, n)
    with pytest.raises(AuthError, match="không tự duyệt"):
        nom.transition(STAFF, n.id, "approve")
    assert nom.transition(ADMIN, n.id, "approve").status == "approved"


def test_edit_keeps_evidence_and_is_locked_after_decision(data):
    c, _ = data
    n = _proposed(c, "Tổ công tác 3")
    ev = n.evidence
    n2 = nom.update_nomination(FARMERS, n.id, achievements="Thành tích đã được viết lại đầy đủ.")
    assert n2.achievements.startswith("Thành tích đã") and n2.evidence == ev
    assert n2.history[-1]["action"] == "edit"
    nom.transition(STAFF, n.id, "shortlist")
    nom.transition(STAFF_B, n.id, "approve")
    with pytest.raises(nom.NominationError, match="không sửa"):
        nom.update_nomination(STAFF, n.id, name="Tên khác")


def _approve(c, n_items, codes=("07201", "07204", "07207", "07210", "07213", "07216")):
    out = []
    for i in range(n_items):
        n = _proposed(c, f"Tổ công tác số {i + 1}", code=codes[i])
        nom.transition(STAFF, n.id, "shortlist")
        out.append(nom.transition(STAFF_B, n.id, "approve"))
    return out


def test_final_list_must_hold_three_to_five(data):
    c, _ = data
    _approve(c, 2)
    fl = nom.final_list(STAFF, c.id)
    assert fl.count == 2 and not fl.ok and "cần duyệt thêm ít nhất 1" in fl.message
    with pytest.raises(nom.NominationError, match="từ 3 đến 5"):
        nom.export_excel(STAFF, c.id)
    with pytest.raises(nom.NominationError, match="từ 3 đến 5"):
        nom.export_pdf(STAFF, c.id)
    # a proposed or rejected nomination does not count
    _proposed(c, "Chỉ mới đề xuất", code="07219")
    assert nom.final_list(STAFF, c.id).count == 2


def test_more_than_five_blocks_the_export_until_reopened(data):
    c, _ = data
    approved = _approve(c, 6)
    fl = nom.final_list(STAFF, c.id)
    assert fl.count == 6 and not fl.ok and "vượt quá 5" in fl.message
    with pytest.raises(nom.NominationError):
        nom.export_excel(STAFF, c.id)
    nom.transition(STAFF, approved[-1].id, "reopen", note="Giảm còn 5")
    assert nom.final_list(STAFF, c.id).ok
    assert nom.export_excel(STAFF, c.id)[:2] == b"PK"


def test_excel_export_of_the_final_list(data):
    c, _ = data
    _approve(c, 3)
    content = nom.export_excel(FARMERS, c.id)
    ws = load_workbook(io.BytesIO(content)).active
    cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert "DANH SÁCH ĐỀ XUẤT KHEN THƯỞNG" in cells
    assert {"Tổ công tác số 1", "Tổ công tác số 2", "Tổ công tác số 3"} <= set(cells)
    assert any("phiếu / " in x for x in cells)  # the evidence figures are in the list
    with session_scope() as s:
        assert s.exec(select(AuditLog).where(AuditLog.action == "nomination.export")).first()


def _pdf_unicode(content: bytes) -> str:
    """The text of every ToUnicode map of the PDF (which characters its fonts draw)."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        raw = m.group(1)
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
        if b"beginbfchar" in raw or b"beginbfrange" in raw:
            for hexcode in re.findall(rb"<([0-9A-Fa-f]{4,})>\s*$", raw, re.M):
                try:
                    out.append(bytes.fromhex(hexcode.decode()).decode("utf-16-be"))
                except (ValueError, UnicodeDecodeError):
                    pass
            out.append(raw.decode("latin-1"))
    return "".join(out)


def test_pdf_export_embeds_dejavu_and_draws_vietnamese(data):
    c, _ = data
    _approve(c, 4)
    content = nom.export_pdf(STAFF, c.id)
    assert content.startswith(b"%PDF")
    assert b"DejaVuSans" in content
    chars = _pdf_unicode(content)
    for ch in "CỘNGHÒAXÃỦĨỆđềơư":  # heading and campaign name letters with diacritics
        assert ch in chars, ch


def test_pdf_is_an_administrative_document_with_demo_banner_and_signature(data, monkeypatch):
    from app.core import clock
    from db.models import Campaign
    from tests.pdf_helpers import pdf_pages
    c, _ = data
    _approve(c, 5)
    monkeypatch.setattr(clock, "today", lambda: c.start_date.replace(day=7, month=5))
    pages = pdf_pages(nom.export_pdf(STAFF, c.id))
    first, last = pages[0], pages[-1]
    for line in ("TỈNH ỦY BẮC GIANG", "BAN DÂN VẬN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", f"Bắc Giang, ngày 07 tháng 05 năm {c.year}",
                 "DANH SÁCH", "Tổ công tác số 1"):
        assert line in first, line
    assert "CHẾ ĐỘ DEMO" not in first  # a real campaign outside demo mode
    # the signature block comes after the list, with the recipients, never alone
    assert "T/M BAN DÂN VẬN" in last and "TRƯỞNG BAN" in last and "Nơi nhận:" in last
    assert "Tổ công tác số" in last or len(pages) == 1
    with session_scope() as s:
        camp = s.get(Campaign, c.id)
        camp.is_demo = True
        s.add(camp)
    assert "CHẾ ĐỘ DEMO" in pdf_pages(nom.export_pdf(STAFF, c.id))[0]
    wb = load_workbook(io.BytesIO(nom.export_excel(STAFF, c.id)))
    assert wb.sheetnames == ["Đề xuất khen thưởng"]
