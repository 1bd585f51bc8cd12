"""The database layer on both supported servers: SQLite (the default) and PostgreSQL
(DATABASE_URL). Every test runs once per backend; the PostgreSQL runs are marked `postgres`
and use a fresh database per module (tests/conftest.py `pg_db`)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlmodel import SQLModel

import db.models  # noqa: F401
from db.models import Commune, CommuneHourTally, OptionTally, Response, ScoreTally, User
from tests.conftest import BACKENDS, ROOT, _reset_process_caches, fresh_pg_database, use_pg
from tests.sheets import valid_answers


def _count(model) -> int:
    from db.engine import session_scope
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def _tallies() -> dict:
    from db.engine import session_scope
    with session_scope() as s:
        return {
            "hour": sorted((r.campaign_id, r.commune_code, str(r.day), r.hour, r.n, r.n_excluded)
                           for r in s.exec(select(CommuneHourTally)).scalars()),
            "option": sorted((r.commune_code, r.question_id, r.option_value, r.n)
                             for r in s.exec(select(OptionTally)).scalars()),
            "score": sorted((r.commune_code, r.pillar, r.n, r.total, r.total_sq)
                            for r in s.exec(select(ScoreTally)).scalars()),
        }


def _same_scores(a: list, b: list) -> bool:
    # the running sums add unrounded scores; a rebuild adds the stored ones (3 decimals)
    assert [x[:3] for x in a] == [x[:3] for x in b]
    for x, y in zip(a, b):
        assert x[3] == pytest.approx(y[3], rel=1e-5, abs=0.01), (x, y)
        assert x[4] == pytest.approx(y[4], rel=1e-5, abs=1.0), (x, y)
    return True


def test_submit_is_exactly_once_under_concurrency(backend):
    from app.core.campaigns import active_campaign
    from app.survey.responses import STORED, new_submission_token, submit_response
    active = active_campaign(max_age=0)
    before = _count(Response)
    same = new_submission_token()
    results, errors = [], []

    def go(i: int, token: str) -> None:
        try:
            results.append((token, submit_response(active, ["07201", "07204", "07207"][i % 3],
                                                   valid_answers(active.definition, i), token)))
        except Exception as exc:  # reported below
            errors.append(exc)
    # 8 taps of one form, and 24 citizens with their own forms, all at once
    jobs = [(i, same) for i in range(8)] + [(i, new_submission_token()) for i in range(24)]
    threads = [threading.Thread(target=go, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert all(r.ok for _, r in results) and len(results) == 32
    assert sum(1 for tok, r in results if tok == same and r.status == STORED) == 1
    assert len({r.response_id for tok, r in results if tok == same}) == 1
    assert _count(Response) == before + 25
    from db.engine import session_scope
    with session_scope() as s:
        dup = s.execute(select(Response.submission_token).group_by(Response.submission_token)
                        .having(func.count() > 1)).all()
        assert dup == []
        assert s.execute(select(func.sum(CommuneHourTally.n))).scalar_one() == before + 25


def test_running_tallies_equal_a_rebuild_from_the_answers(backend):
    from app.core.campaigns import active_campaign
    from app.survey.responses import new_submission_token, submit_response
    from app.survey.tally import rebuild_tallies
    from db.engine import session_scope
    active = active_campaign(max_age=0)
    for i in range(15):
        assert submit_response(active, ["07201", "07210"][i % 2], valid_answers(active.definition, i),
                               new_submission_token()).ok
    running = _tallies()
    assert sum(r[4] for r in running["hour"]) == _count(Response)
    with session_scope() as s:
        counted = rebuild_tallies(s, active.campaign.id)
    assert counted == _count(Response)
    rebuilt = _tallies()
    assert rebuilt["hour"] == running["hour"] and rebuilt["option"] == running["option"]
    assert _same_scores(rebuilt["score"], running["score"])
    per_question = Counter(q for _, q, _, _ in running["option"])
    assert per_question  # every closed question has option rows


def _boot_processes(n: int) -> list[subprocess.CompletedProcess]:
    """`n` app processes starting at once: each runs the start-up (migrate, seed) itself."""
    code = "from app.bootstrap import ensure_ready; ensure_ready(demo_mode=False)"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(n)]
    return [(p.wait(180), p.stdout.read()) for p in procs]


def test_bootstrap_is_idempotent(backend):
    from app.core.startup import ensure_ready
    for _ in range(2):
        info = ensure_ready(demo_mode=False)
        assert info["communes_added"] == 0 and not info["demo_mode"]
    assert _count(Commune) == 209
    from db.engine import session_scope
    with session_scope() as s:  # outside demo mode no demo account may sign in
        demo_active = s.execute(select(func.count()).select_from(User)
                                .where(User.username.like("demo.%"), User.active)).scalar_one()
    assert demo_active == 0


@pytest.mark.parametrize("kind", BACKENDS)
def test_processes_starting_at_once_on_an_empty_database(kind, db, tmp_path):
    # start-up is serialised (db.migrate.startup_lock): the later processes find the schema and
    # the seed rows instead of inserting them a second time
    if kind == "sqlite":
        os.environ["QCDC_DATA_DIR"] = str(tmp_path / "empty")
        _reset_process_caches()
        results = _boot_processes(3)
    else:
        with fresh_pg_database("qcdc_boot") as url:
            use_pg(url, tmp_path / "empty")
            results = _boot_processes(3)
            counted = _count(Commune)
    for rc, out in results:
        assert rc == 0, out
    if kind == "sqlite":
        counted = _count(Commune)
    assert counted == 209
    _reset_process_caches()
    os.environ.pop("DATABASE_URL", None)


def test_migrations_from_an_empty_database_match_the_models(backend, tmp_path):
    from db.engine import get_engine
    from db.migrate import current_tables, upgrade_to_head

    def check() -> None:
        upgrade_to_head()
        upgrade_to_head()  # a second run (another process starting) changes nothing
        assert "response" in current_tables()
        with get_engine().connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    if backend == "sqlite":
        os.environ["QCDC_DATA_DIR"] = str(tmp_path / "empty")
        _reset_process_caches()
        check()
    else:
        with fresh_pg_database("qcdc_empty") as url:
            use_pg(url, tmp_path / "empty")
            check()
    _reset_process_caches()


@pytest.mark.postgres
def test_a_test_database_is_dropped_even_with_sessions_left_open():
    """fresh_pg_database's teardown: a pool or a server process a test left connected does not
    keep the database (nor fail the teardown); nothing of it remains."""
    from sqlalchemy import create_engine, text
    with fresh_pg_database("qcdc_drop") as url:
        leaked = create_engine(url)
        held = leaked.connect()
        held.execute(text("CREATE TABLE t (a int)"))
        held.commit()
        idle_in_transaction = leaked.connect()
        idle_in_transaction.execute(text("SELECT count(*) FROM t"))
        name = url.rsplit("/", 1)[1]
    from tests.conftest import pg_admin_url
    admin = create_engine(pg_admin_url())
    with admin.connect() as c:
        left = c.execute(text("SELECT count(*) FROM pg_database WHERE datname = :n"),
                         {"n": name}).scalar()
    admin.dispose()
    # the leaked connections' server sessions were ended by the teardown: close them here, not
    # in the garbage collector (a connection finalised in the middle of the interpreter's AST
    # construction, at the end of the session, broke Python 3.11.7's ast.parse: "AST
    # constructor recursion depth mismatch", and with it the test run's exit status)
    for conn in (held, idle_in_transaction):
        conn.invalidate()
        conn.close()
    leaked.dispose()
    assert left == 0
