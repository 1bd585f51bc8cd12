"""What the read API answers: every response exactly once while answers keep arriving (SQLite and
PostgreSQL), CSV that opens with its Vietnamese intact, a valid OpenAPI 3.1 document that
describes every answer, and never an integrity fingerprint."""
from __future__ import annotations

import io
import json
import re
import threading
import time
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import delete, select

from app.api import queries
from app.api.openapi import document
from app.api.routes import api_routes
from app.core import clock
from app.core.auth import Scope
from app.core.campaigns import active_campaign
from app.survey.responses import Signals, new_submission_token, submit_response
from db.engine import get_engine, session_scope
from db.models import Response
from tests.api.helpers import (
    ENDPOINTS,
    all_responses,
    as_json,
    body_bytes,
    call,
    csv_rows,
    issue,
)
from tests.sheets import valid_answers


def _submit(active, code: str, i: int, now: datetime | None = None) -> int:
    sig = Signals(session_id=new_submission_token(), user_agent=f"Điện thoại {i}",
                  accept_language="vi", client_ip=f"10.0.{i % 7}.9")
    answers = valid_answers(active.definition, i, every_question=True, texts=True)
    r = submit_response(active, code, answers, new_submission_token(), sig, now=now)
    assert r.status == "stored", r
    return r.response_id


def _stored_ids(codes: set[str] | None = None) -> set[int]:
    with session_scope() as s:
        q = select(Response.id, Response.commune_code)
        return {i for i, c in s.execute(q) if codes is None or c in codes}


# --- paging -----------------------------------------------------------------------------------

def test_paging_returns_every_response_once_while_answers_arrive(backend):
    active = active_campaign(max_age=0)
    codes = ["07201", "07204", "07243", "07246", "07207"]
    own = {"07201", "07204", "07207"}  # the communes of district 213 among them
    for i in range(60):
        _submit(active, codes[i % len(codes)], i)
    province, district = issue("province"), issue("district", "213")
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(50):
                _submit(active, codes[(i + k) % len(codes)], 1000 * k + i)
                time.sleep(0.002)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(k,)) for k in (1, 2, 3)]
    for w in writers:
        w.start()
    got = {"province": [], "district": []}
    cursors = {"province": None, "district": None}
    tokens = {"province": province, "district": district}
    pages = 0
    while True:
        writing = any(w.is_alive() for w in writers)
        caught_up = True
        for who in got:
            q = {"limit": "7"} | ({"cursor": cursors[who]} if cursors[who] else {})
            res = call(tokens[who], "responses", query=q)
            assert res.status == 200, res.body
            page = as_json(res)
            got[who] += [r["id"] for r in page["data"]]
            cursors[who] = page["next_cursor"]
            caught_up = caught_up and not page["has_more"]
            pages += 1
        if not writing and caught_up:
            break
    for w in writers:
        w.join()
    assert not errors, errors
    assert pages > 20
    for who, wanted in (("province", None), ("district", own)):
        ids = got[who]
        assert len(ids) == len(set(ids)), f"{who}: a response came twice"
        assert ids == sorted(ids)
        assert set(ids) == _stored_ids(wanted), f"{who}: responses missing or extra"
    assert len(got["province"]) == 60 + 150
    # later, the kept cursor gives only what arrived since
    new = {_submit(active, "07201", 5000), _submit(active, "07243", 5001)}
    items, _ = all_responses(province, cursor=cursors["province"])
    assert {r["id"] for r in items} == new


@pytest.mark.postgres
def test_a_page_never_steps_over_an_answer_still_being_written(pg_db):
    """PostgreSQL hands out ids before commit: an answer whose transaction is still open when a
    later one is already visible must not be stepped over by the cursor."""
    active = active_campaign(max_age=0)
    province = issue("province")
    _submit(active, "07201", 1)
    _items, cursor = all_responses(province)
    row = {"campaign_id": active.campaign.id, "commune_code": "07204",
           "questionnaire_id": active.questionnaire_id, "answers": "{}", "scores": "{}",
           "submitted_at": clock.now(), "day": clock.today(), "hour": clock.now().hour,
           "submission_token": new_submission_token(), "excluded": False, "is_demo": False}
    conn = get_engine().connect()
    tx = conn.begin()
    slow_id = conn.execute(Response.__table__.insert().values(**row)).inserted_primary_key[0]
    fast_id = _submit(active, "07207", 2)          # committed, with a later id
    assert fast_id > slow_id
    page = as_json(call(province, "responses", query={"cursor": cursor}))
    assert page["data"] == [] and page["has_more"] is False   # waits before the open one
    tx.commit()
    conn.close()
    items, _ = all_responses(province, cursor=page["next_cursor"])
    assert [r["id"] for r in items] == [slow_id, fast_id]


def test_a_gap_stops_the_page_only_while_it_is_young(db):
    """An id missing between stored ones (a transaction not yet committed, on PostgreSQL) stops
    a page until the answer after it is SETTLE_SECONDS old; then it is taken as never coming."""
    active = active_campaign(max_age=0)
    ids = [_submit(active, "07201", i) for i in range(4)]
    with session_scope() as s:
        s.execute(delete(Response).where(Response.id == ids[1]))  # a hole, as a rollback leaves
    scope = Scope("t", "T", "province")
    page = queries.responses_page(scope, limit=10)
    assert [r["id"] for r in page.items] == [ids[0]] and page.has_more is False
    later = clock.now() + timedelta(seconds=queries.SETTLE_SECONDS + 1)
    page = queries.responses_page(scope, limit=10, cursor=page.next_cursor, now=later)
    assert [r["id"] for r in page.items] == ids[2:]
    # answers stamped in the future (demo data) never hold a page back
    future = clock.now() + timedelta(hours=3)
    a, b, c = (_submit(active, "07201", 10 + i, now=future) for i in range(3))
    with session_scope() as s:
        s.execute(delete(Response).where(Response.id == b))
    page = queries.responses_page(scope, limit=10, cursor=page.next_cursor)
    assert [r["id"] for r in page.items] == [a, c]


# --- CSV --------------------------------------------------------------------------------------

def test_csv_opens_with_its_vietnamese_intact(demo_db):
    token = issue("province")
    res = call(token, "communes", query={"format": "csv"}, headers={"Accept-Encoding": "gzip"})
    assert res.status == 200 and res.header("Content-Encoding") == "gzip"
    assert res.header("Content-Type") == "text/csv; charset=utf-8"
    raw = body_bytes(res)
    assert raw[:3] == b"\xef\xbb\xbf"                       # the BOM Excel needs
    df = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype={"code": str,
                                                                  "district_code": str})
    by_code = df.set_index("code")
    assert by_code.loc["07201", "name"] == "Phường Thọ Xương"
    assert by_code.loc["07243", "district_name"] == "Huyện Yên Thế"
    js = {c["code"]: c for c in as_json(call(token, "communes"))["data"]}
    assert len(df) == len(js) == 209
    for code in ("07201", "07243"):
        assert by_code.loc[code, "answers"] == js[code]["answers"]
        assert by_code.loc[code, "index"] == pytest.approx(js[code]["index"])
        pillar = next(iter(js[code]["pillars"]))
        assert by_code.loc[code, f"index_{pillar}"] == pytest.approx(
            js[code]["pillars"][pillar]["index"])


def test_responses_csv_keeps_labels_and_text_and_never_runs_a_formula(db):
    active = active_campaign(max_age=0)
    defn = active.definition
    answers = valid_answers(defn, 0, every_question=True, texts=True)
    text_q = next(q for q in defn.questions if q.type == "text")
    answers[text_q.id] = '=HYPERLINK("http://x.example","Bấm vào đây") – ý kiến của người dân'
    r = submit_response(active, "07201", answers, new_submission_token(), Signals())
    assert r.ok
    token = issue("province")
    rows = csv_rows(call(token, "responses", query={"format": "csv"}))
    js = as_json(call(token, "responses"))["data"]
    assert len(rows) == len(js) == 1
    row, item = rows[0], js[0]
    assert row[text_q.id] == "'" + answers[text_q.id]       # quote-prefixed: stays text
    assert item["answers"][text_q.id]["text"] == answers[text_q.id]
    single = next(q for q in defn.questions if q.type == "single")
    assert row[single.id] == answers[single.id]
    assert row[f"{single.id}_label"] == single.option(answers[single.id]).label
    assert any(ch in row[f"{single.id}_label"] for ch in "ăâđêôơưáàảãạếềểễệ")
    multi = next(q for q in defn.questions if q.type == "multi")
    assert row[multi.id].split("|") == item["answers"][multi.id]["codes"]
    df = pd.read_csv(io.BytesIO(body_bytes(call(token, "responses", query={"format": "csv"}))),
                     encoding="utf-8-sig", dtype=str)
    assert df.loc[0, "commune_name"] == "Phường Thọ Xương"


# --- the OpenAPI document -----------------------------------------------------------------

def _validator(schema_name: str):
    from jsonschema import Draft202012Validator
    doc = document()
    return Draft202012Validator({"$ref": f"#/components/schemas/{schema_name}",
                                 "components": doc["components"]})


def test_the_openapi_document_is_valid_and_describes_every_route(db):
    from openapi_spec_validator import validate
    doc = document()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    served = {r.path for r in api_routes()} - {"/api/{rest:path}"}
    assert served == set(doc["paths"])
    res = call(None, "openapi", campaign=None)
    assert res.status == 200 and as_json(res) == json.loads(json.dumps(doc))


def test_every_answer_and_error_matches_the_document(demo_db):
    token = issue("province")
    schemas = {"campaigns": "CampaignList", "questionnaire": "Questionnaire",
               "communes": "CommuneList", "daily_reports": "DailyReportList",
               "responses": "ResponsePage"}
    for endpoint, name in schemas.items():
        body = as_json(call(token, endpoint))
        errors = sorted(_validator(name).iter_errors(body), key=str)
        assert not errors, (endpoint, [e.message for e in errors[:3]])
        assert body.get("data") or body.get("questions")
    for res in (call(None, "campaigns"), call(token, "communes", query={"district": "99"}),
                call(token, "communes", campaign="424242"), call(token, "nothing")):
        assert res.status >= 400
        assert not list(_validator("Error").iter_errors(as_json(res)))


# --- no fingerprints ----------------------------------------------------------------------

FINGERPRINT_LIKE = re.compile(r"hash|token|session|device|network|browser|agent|client|"
                              r"pattern|duration|ip|tz|locale|user", re.I)


def test_the_private_columns_are_read_from_the_model():
    private = set(queries.private_response_columns())
    columns = {c.name for c in Response.__table__.columns}
    assert {"session_hash", "device_hash", "network_hash", "answer_hash", "submission_token",
            "duration_s"} <= private
    assert private == columns - set(queries.RESPONSE_COLUMNS)
    # a column that looks like a fingerprint is never among the published ones
    assert not [c for c in queries.RESPONSE_COLUMNS if FINGERPRINT_LIKE.search(c)]


def _keys(value, out: set[str]) -> set[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(str(k))
            _keys(v, out)
    elif isinstance(value, list):
        for v in value:
            _keys(v, out)
    return out


def test_no_endpoint_ever_gives_a_fingerprint(demo_db):
    active = active_campaign(max_age=0)
    _submit(active, "07201", 7)  # one sheet with every signal the survey records
    private = queries.private_response_columns()
    with session_scope() as s:
        rows = s.execute(select(*[getattr(Response, c) for c in private])).all()
    secrets = {str(v) for r in rows for v in r if isinstance(v, str) and len(v) >= 12}
    assert len(secrets) > 1000  # the demo sheets' hashes and tokens
    token = issue("province")
    for endpoint in ENDPOINTS:
        for fmt in ("json", "csv"):
            res = call(token, endpoint, query={"format": fmt, **(
                {"limit": "2000"} if endpoint == "responses" else {})})
            assert res.status == 200
            raw = body_bytes(res).decode("utf-8-sig")
            if fmt == "json":
                names = _keys(json.loads(raw), set())
            else:
                names = set(raw.splitlines()[0].split(","))
            for column in private:
                assert not [n for n in names if n == column or n.startswith(column + "_")], \
                    (endpoint, fmt, column)
            assert not [n for n in names if re.search(r"hash|token|device|network|session", n)]
            words = set(re.findall(r"[A-Za-z0-9_\-]{12,}", raw))
            assert not words & secrets, (endpoint, fmt, sorted(words & secrets)[:3])


def test_an_unchanged_answer_keeps_its_etag_as_time_passes(demo_db, monkeypatch):
    """A client polling the figures gets 304 as long as nothing changed: no time of computation
    in the answers (the communes' figures used to carry one, so every second gave a new ETag)."""
    from app.core import clock as clock_mod
    token = issue("province")
    first = {e: call(token, e).header("ETag") for e in ENDPOINTS}
    real_now = clock_mod.now
    later = real_now() + timedelta(minutes=3)
    if later.date() != real_now().date():
        later = real_now()  # (a run just before midnight: the day's figures do change then)
    monkeypatch.setattr(clock_mod, "now", lambda: later)
    for endpoint, etag in first.items():
        res = call(token, endpoint, headers={"If-None-Match": etag})
        assert res.status == 304, endpoint
