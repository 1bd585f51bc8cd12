"""The engine reads PostgreSQL the same way as SQLite: the same hand-made day gives the same
warning on both."""
from __future__ import annotations

import pytest

from app.integrity import evaluate, flagged_json
from tests.integrity.helpers import AGENTS, Town

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def backend_active(request):
    request.getfixturevalue("db" if request.param == "sqlite" else "pg_db")
    from app.core.campaigns import active_campaign
    return active_campaign(max_age=0)


def test_same_warning_on_both_databases(backend_active):
    town = Town(backend_active, seed=11)
    town.background(per_commune=20, communes=["07201", "07204", "07207", "07210"])
    t, ids = 12.0, []
    for _ in range(15):
        t += 50 / 3600
        ids.append(town.put("07204", town.varied(0.95), town.at(t), 35, ip="27.72.1.10",
                            agent=AGENTS[1], browser="stuffer", session="s"))
    report = evaluate(backend_active.campaign.id)
    (c,) = report.clusters
    assert c.kind == "browser" and set(c.response_ids) == set(ids)
    assert set(flagged_json(report)["flagged"]) == {str(i) for i in ids}
