"""A small run of the load harness (bench/survey_load.py) against a real `streamlit run`:
20 citizens per scenario (plain, double submit, reconnect mid-form), none lost, none doubled.
The full-size figures are in README "Performance"."""
from __future__ import annotations

import shutil
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
