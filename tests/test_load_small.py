"""A small run of the load harness (bench/survey_load.py) against a real `streamlit run`:
20 citizens per scenario (plain, double submit, reconnect mid-form), none lost, none doubled.
The full-size figures are in docs/PERFORMANCE.md."""
from __future__ import annotations

import shutil
import sqlite3
import sys

import pytest

from tests.browser.conftest import start_server, stop_server
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))


@pytest.fixture(scope="module")
def load_server(_templates, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("load")
    shutil.copy(_templates["demo"] / "qcdc.db", data_dir / "qcdc.db")
    # the gate never turns anyone away here: this test is about lost and doubled answers
    server = start_server(data_dir, env_extra={"QCDC_SURVEY_MAX_WAIT": "120"})
    yield server
    stop_server(server)


@pytest.mark.load
@pytest.mark.parametrize("scenario", ["plain", "double", "reconnect"])
def test_small_load_loses_and_doubles_nothing(load_server, scenario):
    from survey_load import run_load
    out = run_load(["--url", load_server.url, "--citizens", "20", "--within", "2",
                    "--scenario", scenario, "--fraction", "0.25", "--timeout", "60",
                    "--database-url", load_server.database_url(),
                    "--server-pid", str(load_server.process.pid), "--quiet"])
    assert out["db_error"] is None
    assert out["special_citizens"] == (5 if scenario != "plain" else 0)
    assert out["errors"] == 0 and out["busy_messages"] == 0, out["error_kinds"]
    assert out["confirmed"] == out["citizens"] == 20
    assert out["stored"] == out["confirmed"], out      # nothing lost
    assert out["duplicates"] == 0 and out["duplicate_tokens"] == 0, out
    if scenario == "reconnect":
        assert out["reconnect_resumed"] == 5               # the session (and its form) came back
    # every result says how fast the machine was around it (to compare runs on a drifting VM)
    assert 0 < out["speed_index_before_s"] < 60 and 0 < out["speed_index_after_s"] < 60


@pytest.mark.load
def test_citizens_arriving_together_right_after_a_fresh_start_all_get_the_form(tmp_path):
    """The first visits after `streamlit run` on an empty data folder: Streamlit starts them in
    its old pages-folder mode, so each must be sent through start-up (migrate, seed) before its
    page reads the database. Regression: 4 of 20 simultaneous first citizens used to get an
    error ("no such table: district") instead of the form."""
    from survey_load import run_load
    server = start_server(tmp_path, env_extra={"QCDC_SURVEY_MAX_WAIT": "120"})
    try:
        out = run_load(["--url", server.url, "--citizens", "15", "--timeout", "90",
                        "--codes", "07201,07204,07207,07210,07213,07216,07219",
                        "--server-pid", str(server.process.pid), "--quiet",
                        "--database-url", server.database_url()])
        assert out["errors"] == 0 and out["busy_messages"] == 0, out["error_kinds"]
        assert out["confirmed"] == 15, out
        assert out["duplicate_tokens"] == 0, out
        # start-up also seeded the labelled demo answers; the citizens' own sheets are the rest
        with sqlite3.connect(tmp_path / "qcdc.db") as c:
            citizens = c.execute("SELECT count(*) FROM response WHERE NOT is_demo").fetchone()[0]
        assert citizens == 15
        assert "Traceback" not in server.log_path.read_text()
    finally:
        stop_server(server)
