"""Overview aggregation and friendly-government scoring against small hand-computed cases."""
from __future__ import annotations

import math

import pytest
from sqlmodel import select

from app.core.auth import AuthError
from app.monitoring.scoring import (
    STATUS_BELOW,
    STATUS_FRIENDLY,
    STATUS_NO_ANSWERS,
    STATUS_NOT_ENOUGH,
    CommuneScore,
    IndexValue,
    index_from_sums,
    rank_communes,
    scoreboard,
    t975,
)
from app.monitoring.stats import RATIO_HIGH, RATIO_LOW, RATIO_NO_REPORT, RATIO_OK, overview, ratio_status
from db.engine import session_scope
from db.models import Campaign
from tests.dashboard_helpers import HOIND, HUYEN, HUYEN_YT, TINH, XA, A, B, C, make_small


# ---------------------------------------------------------------- pure rules
def test_t_quantiles_match_known_values():
    assert t975(1) == pytest.approx(12.7062, abs=1e-4)
    assert t975(4) == pytest.approx(2.7764, abs=1e-4)
    assert t975(30) == pytest.approx(2.0423, abs=1e-4)
    assert t975(40) == pytest.approx(2.0211, abs=2e-4)
    assert t975(120) == pytest.approx(1.9799, abs=2e-4)
    assert t975(10 ** 6) == pytest.approx(1.95996, abs=1e-4)


def test_index_from_sums_hand_computed():
    # scores 100, 100, 100, 100, 0: mean 80, s = sqrt(2000) = 44.72, half = 2.7764 * s / sqrt 5
    scores = [100, 100, 100, 100, 0]
    iv = index_from_sums(5, sum(scores), sum(x * x for x in scores))
    assert iv.mean == pytest.approx(80.0)
    assert iv.sd == pytest.approx(math.sqrt(2000))
    assert iv.low == pytest.approx(80 - 2.7764 * math.sqrt(2000) / math.sqrt(5), abs=1e-3)
    assert iv.high == 100.0  # clipped
    # scores 70, 80, 90: mean 80, s = 10, half = 4.3027 * 10 / sqrt 3 = 24.84
    iv = index_from_sums(3, 240, 70 ** 2 + 80 ** 2 + 90 ** 2)
    assert iv.low == pytest.approx(80 - 4.3027 * 10 / math.sqrt(3), abs=1e-3)
    assert iv.high == 100.0  # 104.84 clipped to the scale
    one = index_from_sums(1, 60, 3600)
    assert one.mean == 60 and one.low is None and one.high is None
    assert index_from_sums(0, 0, 0) is None
    # floating residue after removals never gives a negative variance
    assert index_from_sums(2, 100.0, 5000.0000000001).sd == pytest.approx(0.0, abs=1e-4)


def test_ratio_status_band_both_directions():
    assert ratio_status(10, 100, 0.3, 1.2) == RATIO_LOW
    assert ratio_status(30, 100, 0.3, 1.2) == RATIO_OK
    assert ratio_status(120, 100, 0.3, 1.2) == RATIO_OK
    assert ratio_status(121, 100, 0.3, 1.2) == RATIO_HIGH
    assert ratio_status(5, 0, 0.3, 1.2) == RATIO_HIGH       # answers while 0 visits reported
    assert ratio_status(0, 0, 0.3, 1.2) == RATIO_NO_REPORT
    assert ratio_status(50, None, 0.3, 1.2) == RATIO_NO_REPORT  # never judged without a report


def _row(code, mean, n, low=None, high=None):
    return CommuneScore(code=code, name=code, district_code="213", district_name="x", n=n,
                        overall=IndexValue(mean, n, low, high) if n else None)


def test_ranking_threshold_min_sample_and_ties():
    rows = [_row("a", 91.04, 40), _row("b", 85.0, 40, 79.0, 91.0), _row("c", 91.0, 35),
            _row("d", 79.99, 50), _row("e", 99.0, 29), _row("f", 0, 0), _row("g", 80.0, 30)]
    out = rank_communes(rows, min_sample=30, threshold=80.0)
    by = {r.code: r for r in out}
    assert [r.code for r in out[:4]] == ["a", "c", "b", "g"]
    assert by["a"].rank == 1 and by["c"].rank == 1          # 91.04 and 91.0 tie at one decimal
    assert by["b"].rank == 3 and by["g"].rank == 4
    assert by["d"].rank == 5  # 79.99 shows as 80,0 like g, but the threshold separates them
    assert by["g"].status == STATUS_FRIENDLY                 # exactly at the threshold
    assert by["d"].status == STATUS_BELOW
    assert by["e"].status == STATUS_NOT_ENOUGH and by["e"].rank is None
    assert by["f"].status == STATUS_NO_ANSWERS and by["f"].rank is None
    assert by["b"].uncertain and not by["a"].uncertain       # interval 79–91 contains 80


# ---------------------------------------------------------------- against the database
@pytest.fixture
def small(active):
    return make_small(active)


def test_province_overview_hand_computed(small):
    active, today, y = small
    ov = overview(TINH, active.campaign.id, today=today)
    k = ov.kpi
    assert k["answers_total"] == 8 and k["answers_today"] == 6
    assert k["communes_total"] == 209 and k["communes_with_answers"] == 3
    assert k["visits_total"] == 32 and k["visits_today"] == 22
    # matched answers: A yesterday 2 / 10, A today 3 / 2, C today 2 / 20 (B has no report)
    assert k["ratio"] == pytest.approx(7 / 32)
    assert k["reports_today"] == 2 and k["reports_total"] == 3
    assert k["reports_expected_total"] == 209 * 2
    # pooled overall: 5 × 100 and 3 × 0 -> mean 62.5
    assert k["index"].mean == pytest.approx(62.5) and k["index"].n == 8
    rows = ov.communes.set_index("code")
    a = rows.loc[A]
    assert (a.answers, a.answers_today, a.visits, a.reports) == (5, 3, 12, 2)
    assert a.ratio == pytest.approx(5 / 12) and a.ratio_status == RATIO_OK
    assert a["index"] == pytest.approx(80.0) and a.n_scored == 5
    assert a.score_status == STATUS_FRIENDLY and a["rank"] == 1
    assert a.index_low == pytest.approx(80 - 2.7764 * math.sqrt(2000) / math.sqrt(5), abs=1e-3)
    assert rows.loc[B].ratio_status == RATIO_NO_REPORT and rows.loc[B].score_status == \
        STATUS_NOT_ENOUGH
    assert rows.loc[C].ratio_status == RATIO_LOW and rows.loc[C]["index"] == pytest.approx(0.0)
    assert rows.loc[C].completeness == pytest.approx(0.5)
    d = ov.districts.set_index("district_code")
    assert d.loc["213"].answers == 6 and d.loc["213"].communes_with_answers == 2
    assert d.loc["213"]["index"] == pytest.approx(100 * 5 / 6)
    assert d.loc["215"].answers == 2 and d.loc["215"].ratio_status == RATIO_LOW
    days = ov.by_day.set_index("day")
    assert days.loc[y].answers == 2 and days.loc[today].answers == 6
    assert days.loc[today].visits == 22 and days.loc[today].reports == 2
    hours = {(r.day, r.hour): r.answers for r in ov.by_hour.itertuples()}
    assert hours == {(y, 9): 1, (y, 15): 1, (today, 8): 2, (today, 9): 2, (today, 10): 1,
                     (today, 14): 1}
    q = ov.questions
    q01 = q[q.question_id == "q01"].set_index("option_value")
    best_opt = max((o for o in active.definition.question("q01").options if o.score is not None),
                   key=lambda o: o.score).value
    assert q01.loc[best_opt].n == 5 and q01.loc[best_opt].share == pytest.approx(5 / 8)
    assert int(q01.n.sum()) == 8
    q04 = q[q.question_id == "q04"].set_index("option_value")
    assert q04.loc["niem_yet"].n == 5 and q04.loc["niem_yet"].share == pytest.approx(5 / 8)


def test_district_user_sees_only_its_district(small):
    active, today, _y = small
    ov = overview(HUYEN, active.campaign.id, today=today)
    assert set(ov.communes["district_code"]) == {"213"}
    assert C not in set(ov.communes["code"])
    assert ov.kpi["answers_total"] == 6 and ov.kpi["visits_total"] == 12
    assert ov.kpi["index"].mean == pytest.approx(100 * 5 / 6)
    assert list(ov.districts["district_code"]) == ["213"]
    assert int(ov.questions[ov.questions.question_id == "q01"].n.sum()) == 6
    with pytest.raises(AuthError):
        overview(HUYEN, active.campaign.id, district_code="215")
    with pytest.raises(AuthError):
        overview(HUYEN, active.campaign.id, commune_code=C)
    with pytest.raises(AuthError):
        overview(XA, active.campaign.id, commune_code=B)
    other = overview(HUYEN_YT, active.campaign.id, today=today)
    assert set(other.communes["district_code"]) == {"215"} and other.kpi["answers_total"] == 2
    board = scoreboard(HUYEN, active.campaign.id)
    assert {c.district_code for c in board.communes} == {"213"}


def test_drill_down_to_commune_and_farmers_see_province(small):
    active, today, _y = small
    ov = overview(HOIND, active.campaign.id, district_code="213", commune_code=A, today=today)
    assert ov.level == "commune" and list(ov.communes["code"]) == [A]
    assert ov.kpi["answers_total"] == 5
    sc = ov.scores.commune(A)
    assert sc.overall.mean == pytest.approx(80.0)
    assert all(sc.pillars[p].mean == pytest.approx(80.0) for p, _ in ov.scores.pillars)
    assert ov.rank_among == (1, 1, 209)   # ranked among every commune the user may see
    assert overview(HUYEN, active.campaign.id, commune_code=A).rank_among == (1, 1, 16)
    with pytest.raises(AuthError):
        overview(HOIND, active.campaign.id, district_code="215", commune_code=A)
    d = overview(TINH, active.campaign.id, district_code="215", today=today)
    assert d.level == "district" and d.kpi["answers_total"] == 2


def test_cost_does_not_read_responses(small, monkeypatch):
    """The overview reads aggregates only: even with the response table emptied behind the
    tallies' back it reports the same figures."""
    active, today, _y = small
    before = overview(TINH, active.campaign.id, today=today).kpi
    with session_scope() as s:
        s.exec(select(Campaign)).all()
        s.connection().exec_driver_sql("PRAGMA foreign_keys=OFF")
        s.connection().exec_driver_sql("DELETE FROM response")
    after = overview(TINH, active.campaign.id, today=today).kpi
    assert after["answers_total"] == before["answers_total"] == 8
