"""The integrity engine on hand-made cases: honest reality is not flagged, each kind of
stuffing is, and every warning names its sheets and explains itself in Vietnamese."""
from __future__ import annotations

import re

import pytest

from app.core.auth import AuthError, Scope
from app.integrity import evaluate, flagged_json
from app.integrity.explain import fmt_seconds
from tests.integrity.helpers import AGENTS, SCRIPT_AGENTS, Town

A = "07201"          # the commune each test is about (district 213, like the background)
OTHER = "07243"      # a commune of another district (215)
DATE = re.compile(r"\d{2}/\d{2}/\d{4}")


@pytest.fixture
def town(active):
    t = Town(active)
    t.background()
    return t


def clusters_in(report, code):
    return [c for c in report.clusters if c.commune_code == code]


def test_honest_background_has_no_warning(town):
    report = evaluate(town.active.campaign.id)
    assert report.n_sheets == 240
    assert report.clusters == [] and report.flags == {}


def test_busy_office_morning_on_one_wifi_is_not_flagged(town):
    """60 citizens in two and a half hours, 25 of them in half an hour, all on the office
    Wi-Fi with a few phone models, many ticking the best answer everywhere, a few fast."""
    rng = town.rng
    for k in range(60):
        h = 8.25 + rng.uniform(0, 0.5) if k < 25 else rng.uniform(7.5, 10.5)
        town.put(A, town.all_top() if k % 2 else town.varied(), town.at(h),
                 town.honest_duration(), ip=town.wifi[A], agent=AGENTS[k % 3])
    report = evaluate(town.active.campaign.id)
    assert clusters_in(report, A) == []


def test_helper_phone_and_office_tablet_lent_to_elderly_are_not_flagged(town):
    """The helper's phone for 6 elderly citizens in a row (one session, "answer again"), the
    office tablet for 9 more over the day: minutes apart, the usual time on form or longer."""
    t = 9.0
    for _ in range(6):
        secs = town.rng.uniform(200, 420)
        t += secs / 3600 + town.rng.uniform(1, 3) / 60
        town.put(A, town.honest_answers(), town.at(t), secs, ip=town.wifi[A],
                 agent=AGENTS[0], browser="helper-phone", session="helper-session")
    for k in range(9):
        secs = town.rng.uniform(150, 500)
        town.put(A, town.honest_answers(), town.at(13.6 + 0.35 * k), secs, ip=town.wifi[A],
                 agent=AGENTS[2], browser="office-tablet", session=f"tablet-{k // 3}")
    report = evaluate(town.active.campaign.id)
    assert clusters_in(report, A) == []


def test_all_top_answers_alone_are_not_flagged(town):
    """40 more citizens, every one ticking the best answer everywhere (the same sheet), from
    their own phones: common in satisfaction surveys, expected, never a copy on its own."""
    for k in range(40):
        town.put(A, town.all_top(), town.at(7.6 + k * 0.08), town.honest_duration(),
                 ip=town.wifi[A], agent=AGENTS[k % 5])
    report = evaluate(town.active.campaign.id)
    assert clusters_in(report, A) == []


def test_sitting_on_one_phone_is_flagged(town):
    t = 12.0
    ids = []
    for _ in range(20):
        secs = town.rng.uniform(35, 60)
        t += (secs + 10) / 3600
        ids.append(town.put(A, town.varied(0.95), town.at(t), secs, ip=town.wifi[A],
                            agent=AGENTS[1], browser="stuffer", session="stuffer-1"))
    report = evaluate(town.active.campaign.id)
    (c,) = clusters_in(report, A)
    assert c.kind in ("browser", "session") and set(c.response_ids) == set(ids)
    assert c.score >= report.threshold
    assert c.text.startswith(f"20 phiếu từ một trình duyệt trong ngày {town.day:%d/%m/%Y}")
    assert "điền nhanh bất thường" in c.text
    codes = [r["code"] for r in c.reasons]
    assert "fast" in codes and "span" in codes
    assert all(report.flags[i].score == c.score for i in ids)


def test_slow_script_rotating_user_agents_is_flagged(town):
    """A patient script: 3 to 5 minutes a sheet, spread over the office day, a different user
    agent every time; the browser cookie gives it away."""
    ids = []
    for k in range(24):
        secs = town.rng.uniform(180, 300)
        ids.append(town.put(A, town.varied(0.9), town.at(8.0 + k * 0.35), secs,
                            ip=town.wifi[A], agent=SCRIPT_AGENTS[k % 12], browser="bot",
                            session=f"bot-{k}"))
    report = evaluate(town.active.campaign.id)
    (c,) = clusters_in(report, A)
    assert c.kind == "browser" and set(c.response_ids) == set(ids)
    assert any(r["code"] == "agents_change" and r["values"]["agents"] == 12
               for r in c.reasons)
    assert "12 loại trình duyệt khác nhau trong cùng một trình duyệt" in c.text


def test_slow_script_clearing_cookies_is_flagged_and_the_office_is_not(town):
    """New cookie and new session every sheet, borrowed user agents, from the office Wi-Fi:
    the warning names the script's sheets, not the citizens on the same Wi-Fi."""
    honest = [town.citizen(A, town.rng.uniform(7.5, 11), wifi_share=1.0) for _ in range(20)]
    ids = []
    for k in range(25):
        ids.append(town.put(A, town.varied(0.9), town.at(8.0 + k * 0.3),
                            town.rng.uniform(150, 300), ip=town.wifi[A],
                            agent=SCRIPT_AGENTS[k]))
    report = evaluate(town.active.campaign.id)
    (c,) = clusters_in(report, A)
    assert c.kind == "network"
    assert set(ids) <= set(c.response_ids)
    assert len(set(c.response_ids) & set(honest)) <= 3
    assert "loại trình duyệt không gặp ở xã nào khác" in c.text


def test_spread_over_the_day_between_citizens_is_flagged(town):
    """One phone adding 25 sheets between real citizens over the day, 40-90 s each."""
    for _ in range(20):
        town.citizen(A, town.rng.uniform(7.5, 16.5))
    ids = [town.put(A, town.varied(0.95), town.at(town.rng.uniform(7.6, 16.8)),
                    town.rng.uniform(40, 90), ip=town.wifi[A], agent=AGENTS[0],
                    browser="helper-2") for _ in range(25)]
    report = evaluate(town.active.campaign.id)
    (c,) = clusters_in(report, A)
    assert set(c.response_ids) == set(ids)


def test_night_sitting_is_flagged(town):
    t = 23.5
    ids = []
    for _ in range(12):
        secs = town.rng.uniform(60, 150)
        t += (secs + town.rng.uniform(20, 200)) / 3600
        ids.append(town.put(A, town.varied(0.95), town.at(t), secs, ip="14.230.1.2",
                            agent=AGENTS[3], browser="night-phone"))
    report = evaluate(town.active.campaign.id)
    (c,) = clusters_in(report, A)
    assert set(c.response_ids) == set(ids)
    assert c.day == town.day        # past midnight, still the evening's sitting
    assert any(r["code"] in ("night", "quiet") for r in c.reasons)


def test_copies_from_several_phones_are_flagged(town):
    """One unusual sheet copied on four phones, some with a profile answer changed, one with
    a closed answer changed."""
    template = town.varied(0.7)
    for q in town.defn.profile:
        template[q.id] = q.options[0].value
    ids = []
    prof = town.defn.profile[0]
    single = next(q for q in town.defn.questions if q.type == "single")
    for phone in range(4):
        for k in range(3):
            sheet = dict(template)
            if k == 1:
                sheet[prof.id] = prof.options[1].value
            if phone == 3 and k == 2:
                sheet[single.id] = next(o.value for o in single.options
                                        if o.value != template[single.id])
            ids.append(town.put(A, sheet, town.at(9 + phone + k * 0.1), town.rng.uniform(60, 200),
                                ip=f"113.185.9.{phone}", agent=AGENTS[phone],
                                browser=f"copier-{phone}"))
    report = evaluate(town.active.campaign.id)
    (c,) = clusters_in(report, A)
    assert c.kind == "copies" and set(c.response_ids) == set(ids)
    assert c.reasons[0]["values"]["near"] == 1 and c.reasons[0]["values"]["browsers"] == 4
    assert "câu trả lời giống hệt nhau" in c.text and "chỉ khác một câu" in c.text


def test_excess_over_reported_visits_names_the_sheets(town):
    """10 visits reported, 34 answers: the warning names the sheets that make the excess."""
    from app.operations.daily_reports import save_report
    from tests.dashboard_helpers import XA
    quick = [town.put(A, town.varied(0.95), town.at(14 + k * 0.05), town.rng.uniform(20, 35),
                      ip=town.wifi[A], agent=SCRIPT_AGENTS[k]) for k in range(12)]
    day_end = town.at(20.0)
    res = save_report(XA, town.active.campaign, A, town.day,
                      {"visits": 10, "guided": 10, "helpers_on_duty": 2}, now=day_end)
    assert res.ok
    report = evaluate(town.active.campaign.id)
    found = {i for c in clusters_in(report, A) for i in c.response_ids}
    assert set(quick) <= found
    kinds = {c.kind for c in clusters_in(report, A)}
    assert kinds & {"network", "excess"}


def test_report_json_scope_and_excluded_sheets(town):
    from app.monitoring.warnings import set_excluded
    ids = []
    for k in range(15):
        ids.append(town.put(OTHER, town.varied(0.95), town.at(12 + k * 0.02), 30,
                            ip=town.wifi[OTHER], agent=AGENTS[0], browser="x"))
    cid = town.active.campaign.id
    report = evaluate(cid)
    (c,) = report.clusters
    out = flagged_json(report)
    assert out["campaign"] == cid and out["clusters"] == 1
    assert set(out["flagged"]) == {str(i) for i in ids}
    first = out["flagged"][str(ids[0])]
    assert first["score"] == c.score and first["reasons"] == [c.text]
    # a district sees the warnings of its own communes only; a commune sees none
    assert evaluate(cid, Scope("h", "h", "district", "215", None)).clusters[0].key == c.key
    assert evaluate(cid, Scope("h", "h", "district", "213", None)).clusters == []
    with pytest.raises(AuthError):
        evaluate(cid, Scope("x", "x", "commune", "215", OTHER))
    # excluded sheets stay in their warning (exclusion is reversible), counted as excluded
    assert set_excluded(Scope("a", "a", "admin"), cid, ids[:5], True) == 5
    again = evaluate(cid)
    assert again.clusters[0].key == c.key and again.clusters[0].n_excluded == 5
    assert set(again.clusters[0].response_ids) == set(ids)


def test_keys_are_stable_as_sheets_arrive(town):
    for k in range(15):
        town.put(OTHER, town.varied(0.95), town.at(12 + k * 0.02), 30, ip=town.wifi[OTHER],
                 agent=AGENTS[0], browser="x")
    cid = town.active.campaign.id
    key = evaluate(cid).clusters[0].key
    assert key.startswith(f"browser:{OTHER}:{town.day.isoformat()}:")
    town.put(OTHER, town.varied(0.95), town.at(12.5), 30, ip=town.wifi[OTHER], agent=AGENTS[0],
             browser="x")
    for _ in range(5):
        town.citizen(A, 9.0)
    again = evaluate(cid).clusters[0]
    assert again.key == key and again.size == 16


def test_vietnamese_formats():
    assert fmt_seconds(45) == "45 giây"
    assert fmt_seconds(90) == "1 phút 30 giây"
    assert fmt_seconds(120) == "2 phút"
    assert fmt_seconds(3725) == "1 giờ 2 phút"


def test_empty_campaign(active):
    report = evaluate(active.campaign.id)
    assert report.n_sheets == 0 and report.clusters == [] and flagged_json(report)["flagged"] == {}
