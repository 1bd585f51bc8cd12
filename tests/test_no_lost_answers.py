"""No lost answers, nothing half-written.

- The database briefly locked (another connection holds ``BEGIN EXCLUSIVE`` on the SQLite
  file): ``submit_response`` retries, then raises ``DatabaseBusy`` having written nothing; the
  citizen sees "Hệ thống đang bận…" with every answer kept; once the lock is gone a retry stores
  exactly one response, and the running tallies equal a rebuild from the responses.
- Every write of a roster, a daily report (with photos), a nomination, the inspectors and a
  survey answer is all-or-nothing: a failure injected after the first row was written leaves
  the database (and the photo folder) as it was.

(A connection dropped mid-form in a real browser: tests/browser/test_flaky_network_browser.py.)
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select
from sqlmodel import Session

from app.survey.responses import DUPLICATE, STORED, DatabaseBusy, Signals, new_submission_token, submit_response
from db.engine import data_dir, session_scope
from db.models import (
    CommuneHourTally,
    DailyReport,
    Inspector,
    Nomination,
    OptionTally,
    ReportPhoto,
    Response,
    RosterEntry,
    RosterStatus,
    ScoreTally,
)
from tests.apptest import answer_all, app_for, submit_button, texts
from tests.commune_ops_helpers import ADMIN, HUYEN, TINH, XA, jpeg_with_gps
from tests.conftest import count_rows
from tests.survey.test_survey_service import full_answers

BUSY_MS = 150


@pytest.fixture
def short_busy_timeout(monkeypatch):
    """Wait 150 ms (not 10 s) for a lock, so a held lock turns into DatabaseBusy quickly."""
    import db.engine as engine
    real = engine._sqlite_pragmas

    def pragmas(dbapi_conn, record):
        real(dbapi_conn, record)
        dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    monkeypatch.setattr(engine, "_sqlite_pragmas", pragmas)
    engine.dispose_engines()
    yield
    engine.dispose_engines()


@contextmanager
def exclusive_lock():
    """Another process's exclusive write lock on the database file."""
    conn = sqlite3.connect(str(data_dir() / "qcdc.db"), isolation_level=None, timeout=5)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        yield conn
    finally:
        conn.execute("ROLLBACK")
        conn.close()


# --- tallies ---------------------------------------------------------------------------------------

def _tallies(session) -> dict:
    out = {}
    for model in (CommuneHourTally, OptionTally, ScoreTally):
        table = model.__table__
        pk = [c.name for c in table.primary_key.columns]
        rows = {}
        for r in session.execute(select(table)).mappings():
            rows[tuple(r[k] for k in pk)] = {k: (round(v, 6) if isinstance(v, float) else v)
                                             for k, v in r.items() if k not in pk}
        # a zero row is the same as no row
        out[table.name] = {k: v for k, v in rows.items() if any(v.values())}
    return out


def assert_tallies_match_a_rebuild(campaign_id: int, tmp_path: Path) -> None:
    """Copy the database (SQLite backup API), rebuild the campaign's tallies from its responses
    on the copy, and compare with the running tallies of the original."""
    from app.survey.tally import rebuild_tallies
    src = sqlite3.connect(str(data_dir() / "qcdc.db"))
    copy_path = tmp_path / "copy.db"
    dst = sqlite3.connect(str(copy_path))
    src.backup(dst)
    src.close()
    dst.close()
    with session_scope() as s:
        running = _tallies(s)
    engine = create_engine(f"sqlite:///{copy_path}")
    with Session(engine) as s:
        rebuild_tallies(s, campaign_id)
        s.flush()
        rebuilt = _tallies(s)
        s.rollback()
    engine.dispose()
    for name in running:
        assert running[name] == rebuilt[name], f"{name} differs from a rebuild"


# --- the database briefly locked -------------------------------------------------------------------

def test_locked_database_raises_busy_writes_nothing_and_a_retry_stores_once(
        active, short_busy_timeout, tmp_path):
    answers = full_answers(active.definition)
    token = new_submission_token()
    before = count_rows(Response)
    with exclusive_lock():
        started = time.monotonic()
        with pytest.raises(DatabaseBusy):
            submit_response(active, "07201", answers, token, Signals(session_id="s1"))
        assert time.monotonic() - started >= 4 * BUSY_MS / 1000  # it did retry
        assert count_rows(Response) == before  # readers still read: WAL
    first = submit_response(active, "07201", answers, token, Signals(session_id="s1"))
    again = submit_response(active, "07201", answers, token, Signals(session_id="s1"))
    assert first.status == STORED and again.status == DUPLICATE
    assert again.response_id == first.response_id
    assert count_rows(Response) == before + 1
    assert_tallies_match_a_rebuild(active.campaign.id, tmp_path)


def test_a_lock_released_during_the_retries_still_stores_once(active, short_busy_timeout,
                                                              tmp_path):
    answers = full_answers(active.definition)
    before = count_rows(Response)
    holder = sqlite3.connect(str(data_dir() / "qcdc.db"), isolation_level=None,
                             check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    timer = threading.Timer(0.3, lambda: holder.execute("ROLLBACK"))
    timer.start()
    try:
        result = submit_response(active, "07201", answers, new_submission_token(), retries=6)
    finally:
        timer.join()
        holder.close()
    assert result.status == STORED and count_rows(Response) == before + 1
    assert_tallies_match_a_rebuild(active.campaign.id, tmp_path)


def test_citizen_sees_busy_message_keeps_answers_and_retry_stores_once(
        active, short_busy_timeout, tmp_path):
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    answer_all(at, active.definition, choice=1)
    at.text_area[0].input("Ý kiến của tôi 👍")
    before = count_rows(Response)
    with exclusive_lock():
        submit_button(at).click().run()
        assert not at.exception
        assert "Hệ thống đang bận" in texts(at)
        assert count_rows(Response) == before
    chosen = {r.key: r.value for r in at.radio}
    assert sum(v is not None for v in chosen.values()) >= 18  # every answer is still there
    assert at.text_area[0].value == "Ý kiến của tôi 👍"
    submit_button(at).click().run()  # the citizen taps "Gửi" again
    assert "Cảm ơn ông/bà đã tham gia khảo sát!" in texts(at)
    assert count_rows(Response) == before + 1
    with session_scope() as s:
        stored = json.loads(s.execute(select(Response).order_by(Response.id.desc()))
                            .scalars().first().answers)
    assert stored["y_kien"] == "Ý kiến của tôi 👍"
    submit_button_again = [b for b in at.button if "Gửi phiếu" in str(b.label)]
    assert not submit_button_again  # the thank-you screen: nothing to send twice
    assert_tallies_match_a_rebuild(active.campaign.id, tmp_path)


# --- all-or-nothing writes ---------------------------------------------------------------------------

class Boom(RuntimeError):
    pass


def _rows(model, **where) -> list:
    with session_scope() as s:
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return sorted(json.dumps(r.model_dump(), default=str, sort_keys=True)
                       for r in s.execute(q).scalars())


def _fail_at_audit(monkeypatch, module):
    """Make the audit entry, written last in each transaction, fail: every row before it has
    been sent to the database by then."""
    def boom(*_a, **_k):
        raise Boom("injected failure")
    monkeypatch.setattr(module.audit, "record", boom)


def test_roster_write_is_all_or_nothing(active, monkeypatch):
    from app.operations import roster
    campaign, day = active.campaign, active.campaign.start_date
    rows = [{"full_name": f"Người {i}", "organisation": "Hội Nông dân",
             "phone": f"09123450{i:02d}", "duty_days": [day], "shift": "sang"} for i in range(5)]
    assert roster.save_roster(XA, campaign, "07201", rows[:2]).ok
    before = (_rows(RosterEntry), _rows(RosterStatus))
    _fail_at_audit(monkeypatch, roster)
    with pytest.raises(Boom):
        roster.save_roster(XA, campaign, "07201", rows)
    with pytest.raises(Boom):
        roster.set_published(XA, campaign, "07201", True)
    with pytest.raises(Boom):
        roster.set_contact(XA, campaign, "07201", "Lê Văn Liên", "0987654321")
    assert (_rows(RosterEntry), _rows(RosterStatus)) == before


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(bad_at=st.integers(0, 5), bad=st.sampled_from([
    {"phone": "12"}, {"full_name": ""}, {"organisation": "CLB bóng đá"}, {"shift": "đêm"},
    {"duty_days": ["31/02"]}, {"duty_days": ["01/01/1990"]}, {"full_name": "1234"}]))
def test_a_roster_batch_with_one_invalid_row_changes_nothing(active, bad_at, bad):
    from app.operations import roster
    day = active.campaign.start_date
    rows = [{"full_name": f"Người {i}", "organisation": "Hội Nông dân",
             "phone": f"09123451{i:02d}", "duty_days": [day], "shift": "chieu"} for i in range(6)]
    rows[bad_at] = {**rows[bad_at], **bad}
    before = _rows(RosterEntry)
    result = roster.save_roster(XA, active.campaign, "07201", rows)
    assert not result.ok and {p.row for p in result.problems} == {bad_at + 1}
    assert _rows(RosterEntry) == before


def test_report_write_with_photos_is_all_or_nothing(active, monkeypatch):
    from app.operations import daily_reports as reports
    from app.operations import photos
    campaign = active.campaign
    day = reports.report_days(campaign)[-1]
    data = {"visits": 12, "guided": 6, "helpers_on_duty": 2, "difficulties": "Mất điện"}
    ok = reports.save_report(ADMIN, campaign, "07201", day, data, [("a.jpg", jpeg_with_gps((300, 200)))])
    assert ok.ok
    folder = data_dir() / "photos"
    files = sorted(folder.rglob("*"))
    before = (_rows(DailyReport), _rows(ReportPhoto))
    real_store, calls = photos.store, []

    def store_then_fail(*a, **k):  # the first photo is written, the second one fails
        calls.append(1)
        if len(calls) == 2:
            raise Boom("disk full")
        return real_store(*a, **k)
    monkeypatch.setattr(photos, "store", store_then_fail)
    new = [("b.jpg", jpeg_with_gps((320, 200))), ("c.jpg", jpeg_with_gps((340, 200)))]
    with pytest.raises(Boom):
        reports.save_report(ADMIN, campaign, "07201", day, {**data, "visits": 99}, new,
                            remove_photo_ids=[])
    assert (_rows(DailyReport), _rows(ReportPhoto)) == before
    assert sorted(folder.rglob("*")) == files  # the photo written before the failure is gone
    monkeypatch.setattr(photos, "store", real_store)
    _fail_at_audit(monkeypatch, reports)
    with pytest.raises(Boom):
        reports.save_report(ADMIN, campaign, "07201", day, {**data, "visits": 50}, new[:1])
    assert (_rows(DailyReport), _rows(ReportPhoto)) == before
    assert sorted(folder.rglob("*")) == files


def test_nomination_writes_are_all_or_nothing(demo_db, monkeypatch):
    from app.board import nominations, workflow
    from app.core.campaigns import active_campaign
    cid = active_campaign(max_age=0).campaign.id
    v = nominations.propose(ADMIN, cid, kind="collective", name="Tổ công tác Thọ Xương",
                            commune_code="07201", achievements="Báo cáo đủ các ngày, đúng hạn.")
    before = _rows(Nomination)
    _fail_at_audit(monkeypatch, workflow)  # the workflow writes the nominations
    with pytest.raises(Boom):
        nominations.propose(ADMIN, cid, kind="collective", name="Tổ công tác Trần Nguyên Hãn",
                            commune_code="07204", achievements="Vận động được nhiều người dân.")
    with pytest.raises(Boom):
        nominations.transition(ADMIN, v.id, "shortlist")
    with pytest.raises(Boom):
        nominations.update_nomination(TINH, v.id, achievements="Sửa lời: báo cáo đủ, đúng hạn.")
    assert _rows(Nomination) == before


def test_inspector_write_is_all_or_nothing(demo_db, monkeypatch):
    from app.core.campaigns import active_campaign
    from app.operations import inspectors
    campaign = active_campaign(max_age=0).campaign
    day = campaign.start_date
    before = _rows(Inspector)
    _fail_at_audit(monkeypatch, inspectors)
    with pytest.raises(Boom):
        inspectors.save_inspectors(HUYEN, campaign, [
            {"full_name": "Trần Văn Kiểm", "phone": "0912345678", "commune_codes": ["07201"],
             "days": [day.isoformat()]}])
    assert _rows(Inspector) == before


def test_a_survey_answer_and_its_tallies_are_written_together(active, monkeypatch, tmp_path):
    import app.survey.responses as survey
    before = (count_rows(Response), _rows(CommuneHourTally), _rows(OptionTally))

    def tallies_fail(*_a, **_k):
        raise Boom("tally update failed")
    monkeypatch.setattr(survey, "apply_response", tallies_fail)
    with pytest.raises(Boom):
        submit_response(active, "07201", full_answers(active.definition), new_submission_token())
    assert (count_rows(Response), _rows(CommuneHourTally), _rows(OptionTally)) == before
    assert_tallies_match_a_rebuild(active.campaign.id, tmp_path)


def test_excluding_and_reincluding_answers_keeps_tallies_equal_to_a_rebuild(active, tmp_path):
    """The scores added to the tallies on submit are exactly those stored with the response (and
    subtracted again on exclusion), so the running sums never drift from the responses."""
    from app.monitoring.warnings import set_excluded
    ids = []
    for choice in range(4):
        r = submit_response(active, "07201", full_answers(active.definition, choice=choice % 3),
                            new_submission_token())
        ids.append(r.response_id)
    assert set_excluded(ADMIN, active.campaign.id, ids[:3], True, "kiểm thử") == 3
    assert set_excluded(ADMIN, active.campaign.id, ids[:1], False, "kiểm thử") == 1
    assert_tallies_match_a_rebuild(active.campaign.id, tmp_path)
