"""submit_response against a real SQLite file: exactly-once storage, tallies, refusals."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

from sqlmodel import select

from app.core import clock
from app.survey.responses import (
    CLOSED,
    CODE_MALFORMED,
    CODE_MISSING,
    CODE_OK,
    CODE_UNKNOWN,
    DUPLICATE,
    INVALID,
    STORED,
    UNKNOWN_COMMUNE,
    Signals,
    new_submission_token,
    resolve_commune_code,
    submit_response,
)
from db.engine import session_scope
from db.models import CommuneHourTally, OptionTally, Response, ScoreTally
from tests.conftest import count_rows


def full_answers(defn, choice=0):
    out = {}
    for q in defn.questions:
        if q.type in ("single",):
            out[q.id] = q.options[choice].value
        elif q.type == "multi":
            out[q.id] = [q.options[0].value]
        elif q.type == "rating":
            out[q.id] = q.scale_max
    return out


def test_resolve_commune_code_cases(db):
    assert resolve_commune_code("07201")[0] == CODE_OK
    assert resolve_commune_code("07201")[1].full_name == "Phường Thọ Xương"
    assert resolve_commune_code(" 07201 ")[0] == CODE_OK
    for raw in (None, "", []):
        assert resolve_commune_code(raw)[0] == CODE_MISSING
    for raw in ("abc", "0720", "072011", "07201'--", "07201; DROP TABLE response", "٠٧٢٠١",
                "x" * 10000):
        assert resolve_commune_code(raw)[0] == CODE_MALFORMED, raw
    assert resolve_commune_code("99999")[0] == CODE_UNKNOWN


def test_store_once_and_tallies_follow(active):
    defn = active.definition
    token = new_submission_token()
    before = count_rows(Response)
    r1 = submit_response(active, "07201", full_answers(defn), token,
                         Signals(session_id="s", user_agent="UA", client_ip="10.0.0.1",
                                 accept_language="vi"))
    r2 = submit_response(active, "07201", full_answers(defn), token)
    assert r1.status == STORED and r2.status == DUPLICATE and r1.response_id == r2.response_id
    assert count_rows(Response) == before + 1
    with session_scope() as s:
        resp = s.get(Response, r1.response_id)
        assert "10.0.0.1" not in json.dumps(resp.model_dump(), default=str)
        assert resp.device_hash and resp.network_hash and resp.session_hash
        hour = s.exec(select(CommuneHourTally).where(
            CommuneHourTally.commune_code == "07201")).all()
        assert sum(h.n for h in hour) == 1
        q01 = s.exec(select(OptionTally).where(OptionTally.commune_code == "07201",
                                               OptionTally.question_id == "q01")).one()
        assert (q01.option_value, q01.n) == (defn.question("q01").options[0].value, 1)
        overall = s.exec(select(ScoreTally).where(ScoreTally.commune_code == "07201",
                                                  ScoreTally.pillar == "overall")).one()
        # best option everywhere except q04 (one channel, 25 points): dan_biet pillar
        # (100+100+100+25)/4 = 81.25, five other pillars 100 -> overall (81.25+500)/6
        assert overall.n == 1 and overall.total == (81.25 + 500) / 6


def test_invalid_closed_unknown_store_nothing(active):
    defn = active.definition
    before = count_rows(Response)
    assert submit_response(active, "07201", {}, new_submission_token()).status == INVALID
    assert submit_response(active, "99999", full_answers(defn),
                           new_submission_token()).status == UNKNOWN_COMMUNE
    bad = dict(full_answers(defn), q01="not-an-option")
    res = submit_response(active, "07201", bad, new_submission_token())
    assert res.status == INVALID and "q01" in res.errors
    later = clock.now() + timedelta(days=5)
    assert submit_response(active, "07201", full_answers(defn), new_submission_token(),
                           now=later).status == CLOSED
    assert count_rows(Response) == before
    assert count_rows(OptionTally) == 0


def test_concurrent_double_submit_stores_one(active):
    defn = active.definition
    token = new_submission_token()
    results = []

    def go():
        results.append(submit_response(active, "07204", full_answers(defn, 1), token))
    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in results).count(STORED) == 1
    assert all(r.ok for r in results)
    with session_scope() as s:
        n = s.exec(select(Response).where(Response.submission_token == token)).all()
        assert len(n) == 1
        tally = s.exec(select(CommuneHourTally).where(
            CommuneHourTally.commune_code == "07204")).all()
        assert sum(h.n for h in tally) == 1


def test_many_concurrent_citizens_all_stored(active):
    defn = active.definition
    before = count_rows(Response)
    codes = ["07201", "07204", "07207", "07210"]
    errors = []

    def citizen(i):
        try:
            r = submit_response(active, codes[i % 4], full_answers(defn, i % 3),
                                new_submission_token())
            assert r.status == STORED
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=citizen, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert count_rows(Response) == before + 40
    with session_scope() as s:
        assert sum(h.n for h in s.exec(select(CommuneHourTally)).all()) == 40
