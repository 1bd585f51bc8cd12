"""`python -m app.cli backup` / `restore` (app/admin/backup.py): consistent copies of a live SQLite
database while citizens keep submitting, and a guarded restore."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from app.admin.backup import BackupError, backup, check_database, restore
from tests.conftest import ROOT, count_rows


def _answers(defn, i):
    out = {}
    for q in defn.questions:
        if q.type == "single":
            out[q.id] = q.options[i % len(q.options)].value
        elif q.type == "multi":
            out[q.id] = [q.options[0].value]
        elif q.type == "rating":
            out[q.id] = q.scale_max
    return out


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env or dict(
        os.environ), capture_output=True, text=True, timeout=120)


def _wait_for_more_answers(stored: list, errors: list, target: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(stored) < target and not errors:
        assert time.monotonic() < deadline, f"only {len(stored)} answers stored in {timeout} s"
        time.sleep(0.05)


def test_backups_taken_while_citizens_submit_are_consistent(active, tmp_path):
    from app.survey.responses import new_submission_token, submit_response
    stop = threading.Event()
    stored, errors = [], []

    def citizen(k: int) -> None:
        i = 0
        while not stop.is_set():
            try:
                r = submit_response(active, ["07201", "07204", "07207"][k], _answers(
                    active.definition, i), new_submission_token())
                stored.append(r.status)
            except Exception as exc:  # reported below
                errors.append(exc)
            i += 1
    threads = [threading.Thread(target=citizen, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    try:
        copies = []
        for n in range(3):
            # each copy is taken after more answers have been stored, so the first
            # one cannot be empty on a slow machine and later ones differ from it
            _wait_for_more_answers(stored, errors, len(stored) + 5)
            if n == 1:  # once through the command line, like an operator or a cron job
                out = _cli("backup", str(tmp_path / "cli.db"))
                assert out.returncode == 0, out.stderr
                copies.append(json.loads(out.stdout.strip().splitlines()[-1]))
            else:
                copies.append(backup(tmp_path / f"copy{n}.db"))
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert not errors and len(stored) > 10
    assert copies[0]["responses"] < count_rows(__import__("db.models").models.Response)
    for info in copies:
        path = info["path"]
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        responses = conn.execute("SELECT count(*) FROM response").fetchone()[0]
        tallied = conn.execute("SELECT sum(n) + sum(n_excluded) FROM commune_hour_tally")\
            .fetchone()[0]
        per_option = conn.execute("SELECT sum(n) FROM option_tally WHERE question_id='q01'")\
            .fetchone()[0]
        conn.close()
        # one snapshot: every answer with its tallies, or neither
        assert responses == tallied == per_option == info["responses"] > 0
        assert not os.path.exists(path + "-wal")


def test_restore_refuses_while_the_app_has_the_database_open(db, tmp_path):
    from db.engine import get_engine
    copy = backup(tmp_path / "good.db")
    with get_engine().connect() as conn:  # this test process plays the running app
        conn.exec_driver_sql("SELECT 1")
        out = _cli("restore", copy["path"])
    assert out.returncode == 3 and "open in process" in out.stderr
    forced = _cli("restore", copy["path"], "--force")
    assert forced.returncode == 0, forced.stderr
    info = json.loads(forced.stdout.strip().splitlines()[-1])
    assert info["forced"] and info["previous"].endswith(".bak")


def test_restore_puts_the_copy_back_and_keeps_the_old_file(active, tmp_path):
    from app.survey.responses import new_submission_token, submit_response
    from db.engine import dispose_engines
    from db.models import Response
    copy = backup(tmp_path / "before.db")
    for i in range(3):
        assert submit_response(active, "07201", _answers(active.definition, i),
                               new_submission_token()).ok
    assert count_rows(Response) == copy["responses"] + 3
    dispose_engines()  # the app is stopped
    info = restore(copy["path"])
    assert info["previous"].endswith("qcdc.db.bak") and info["responses"] == copy["responses"]
    assert count_rows(Response) == copy["responses"]
    assert check_database(__import__("pathlib").Path(info["previous"]))["responses"] == \
        copy["responses"] + 3


def test_restore_refuses_files_that_are_not_qcdc_databases(db, tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("hello")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    for bad, why in ((text, "not an SQLite database"), (other, "not a QCDC database"),
                     (tmp_path / "missing.db", "no such file")):
        with pytest.raises(BackupError, match=why):
            restore(bad)


def test_postgres_points_to_pg_dump(tmp_path):
    env = dict(os.environ, DATABASE_URL="postgresql+psycopg://u:p@127.0.0.1:1/none")
    out = _cli("backup", str(tmp_path / "x.db"), env=env)
    assert out.returncode == 2 and "pg_dump" in out.stderr
    out = _cli("restore", str(tmp_path / "x.db"), env=env)
    assert out.returncode == 2 and "pg_restore" in out.stderr
