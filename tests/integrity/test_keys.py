"""Keyed fingerprints (issue 13 item 6): a copy of the database and the source code alone
reveal no address; the key lives outside the database file."""
from __future__ import annotations

import ipaddress
import json
import multiprocessing
import os
import stat
from datetime import datetime

import pytest
from sqlmodel import select

from app.core import keyfiles
from app.integrity import keys
from app.integrity.keys import fingerprint, inner_digest, key_path, signal_key
from app.survey.responses import Signals, _signal_salt, new_submission_token, submit_response
from db.engine import data_dir, session_scope
from db.models import Response
from tests.dashboard_helpers import sheet

IP = "10.7.23.45"


def _store(active, **sig) -> Response:
    signals = Signals(session_id="sess-1", user_agent="Mozilla/5.0 (Linux; Android 10; K)",
                      accept_language="vi-VN", client_ip=IP, browser_id="cookie-abc",
                      timezone="Asia/Saigon", timezone_offset=-420, locale="vi_VN", **sig)
    r = submit_response(active, "07201", sheet(active.definition, True), new_submission_token(),
                        signals)
    assert r.status == "stored"
    with session_scope() as s:
        row = s.get(Response, r.response_id)
        s.expunge(row)
    return row


def test_stored_row_has_keyed_hashes_and_coarse_facts_only(active):
    row = _store(active)
    dump = json.dumps(row.model_dump(), default=str)
    for raw in (IP, "cookie-abc", "sess-1", "Android 10"):
        assert raw not in dump
    assert row.browser_hash and row.agent_hash and row.network_hash and row.session_hash
    assert len({row.browser_hash, row.agent_hash, row.network_hash, row.session_hash}) == 4
    assert (row.client_tz, row.client_tz_offset, row.client_locale) == \
        ("Asia/Saigon", -420, "vi-VN")
    assert row.answer_pattern and set(row.answer_pattern) <= set(
        chr(c) for c in range(45, 48 + 64))


def test_forged_facts_are_kept_coarse(active):
    r = submit_response(active, "07201", sheet(active.definition, True), new_submission_token(),
                        Signals(timezone="<img src=x>", timezone_offset="-420; DROP",
                                locale="x" * 500))
    with session_scope() as s:
        row = s.get(Response, r.response_id)
        assert (row.client_tz, row.client_tz_offset, row.client_locale) == ("?", None, "?")


def test_address_not_recoverable_from_database_copy_and_source(active):
    row = _store(active)
    salt = _signal_salt(active.campaign.id)
    net = ipaddress.ip_network("10.7.0.0/16")
    # what an attacker holding the database and the code can compute: the public inner digest,
    # and the keyed hash under any key they might guess; none of them is stored
    guesses = [b"", b"qcdc", salt.encode(), b"0" * 64]
    stored = {row.network_hash, row.device_hash}
    for ip in net:
        inner = inner_digest(salt, str(ip))
        assert inner not in stored
        for g in guesses:
            assert fingerprint(g, salt, str(ip)) not in stored
    # the same search with the installation's key does find it: the search itself is sound
    key = signal_key()
    found = [str(ip) for ip in net if fingerprint(key, salt, str(ip)) == row.network_hash]
    assert found == [IP]


def test_key_file_is_private_and_outside_the_database(active):
    _store(active)
    path = key_path()
    assert path.parent == data_dir() / "keys"
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    key = signal_key()
    for name in os.listdir(data_dir()):
        p = data_dir() / name
        if p.is_file() and name.startswith("qcdc.db"):
            blob = p.read_bytes()
            assert key not in blob and key.hex().encode() not in blob


def test_key_from_environment(active, monkeypatch):
    monkeypatch.setenv(keys.ENV_KEY, "k" * 40)
    assert signal_key() == b"k" * 40
    monkeypatch.setenv(keys.ENV_KEY, "short")
    with pytest.raises(keys.SignalKeyError):
        signal_key()


def _child_key(d: str, q) -> None:
    os.environ["QCDC_DATA_DIR"] = d
    os.environ.pop(keys.ENV_KEY, None)
    from app.integrity.keys import signal_key as sk
    q.put(sk().hex())


def test_processes_starting_together_share_one_key(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_child_key, args=(str(tmp_path), q)) for _ in range(4)]
    for p in procs:
        p.start()
    got = {q.get(timeout=60) for _ in procs}
    for p in procs:
        p.join(30)
    assert len(got) == 1
    assert (tmp_path / "keys" / "signals.key").read_text().strip() == got.pop()


def test_migration_rekeys_old_fingerprints(db):
    """A database written before the keyed hashes: its public-salt fingerprints are re-keyed by
    the migration, the same way new sheets are hashed, so old and new still match."""
    from alembic import command
    from sqlalchemy import text

    from db.engine import get_engine
    from db.migrate import alembic_config, upgrade_to_head
    cfg = alembic_config()
    with get_engine().begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    salt = "qcdc-signals-1"
    old = inner_digest(salt, IP)
    with get_engine().begin() as conn:
        cid, qid = conn.execute(text("SELECT id, questionnaire_id FROM campaign LIMIT 1")).one()
        conn.execute(text(
            "INSERT INTO response (campaign_id, commune_code, questionnaire_id, answers, scores, "
            "submitted_at, day, hour, submission_token, network_hash, excluded, is_demo) "
            "VALUES (:c, '07201', :q, '{}', '{}', :at, :d, 9, 'tok-old-1', :h, 0, 0)"),
            {"c": cid, "q": qid, "at": datetime(2024, 5, 6, 9), "d": "2024-05-06", "h": old})
    upgrade_to_head()
    with session_scope() as s:
        row = s.exec(select(Response).where(Response.submission_token == "tok-old-1")).one()
        assert row.network_hash != old
        assert row.network_hash == fingerprint(signal_key(), salt, IP)


def test_answers_are_stored_even_without_a_usable_key(active):
    """A data folder where the key cannot be created: the sheet is stored, without
    fingerprints (the answers matter more), and the failure is logged."""
    (data_dir() / "keys").write_text("not a folder")
    keyfiles._cache.clear()
    r = submit_response(active, "07201", sheet(active.definition, True), new_submission_token(),
                        Signals(session_id="s", client_ip=IP))
    assert r.status == "stored"
    with session_scope() as s:
        row = s.get(Response, r.response_id)
        assert row.network_hash is None and row.session_hash is None and row.answer_pattern
