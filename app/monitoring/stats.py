"""Live overview figures of a campaign for one user's scope: province, one district or one commune.

Read only from the running aggregates (``CommuneHourTally``, ``OptionTally``, ``ScoreTally``) and
the daily reports (one row per commune per day), so the cost of ``overview`` does not depend on
how many answers there are. Rules (names a reader can search for):

- answers = counted (not excluded) responses; ``excluded`` are shown apart.
- ``ratio``: answers / visits over the commune-days that have a daily report. ``ratio_status``:
  ``no_report`` (no report with visits yet), ``low`` / ``high`` (outside the campaign's
  ``[ratio_low, ratio_high]`` band), ``ok``. A report of 0 visits with answers is ``high``.
- ``ref_day``: today while the survey window is open, the window's last day after it closed, its
  first day before it opened. "Today" figures are the reference day's.
- report completeness: reports received / days of the window up to the reference day.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from app.core import clock
from app.core.auth import Scope
from app.core.campaigns import campaign_days, load_definition
from app.core.reference import geography
from app.monitoring.scoring import ScoreBoard, build_scoreboard, fetch_score_sums, load_campaign, visible_codes
from app.survey.questionnaire import OVERALL, Definition
from db.engine import session_scope
from db.models import Campaign, CommuneHourTally, DailyReport, OptionTally

RATIO_OK = "ok"
RATIO_LOW = "low"
RATIO_HIGH = "high"
RATIO_NO_REPORT = "no_report"

LEVEL_PROVINCE = "province"
LEVEL_DISTRICT = "district"
LEVEL_COMMUNE = "commune"

COMMUNE_COLUMNS = [
    "code", "name", "type", "district_code", "district_name", "lat", "lon", "answers",
    "answers_today", "excluded", "visits", "visits_today", "matched_answers", "ratio",
    "ratio_status", "reports", "reports_expected", "report_today", "completeness", "index",
    "index_low", "index_high", "n_scored", "score_status", "rank",
    # the office screen (issue 15): codes shown and opened, sheets verified in person
    "codes_shown", "codes_opened", "verified", "verified_today", "verified_share",
    "codes_shown_today", "codes_opened_today"]


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    start_date: date
    end_date: date
    ratio_low: float
    ratio_high: float
    min_sample: int
    friendly_threshold: float
    questionnaire_id: int
    is_demo: bool

    @classmethod
    def of(cls, c: Campaign) -> CampaignInfo:
        return cls(c.id, c.name, c.start_date, c.end_date, c.ratio_low, c.ratio_high,
                   c.min_sample, c.friendly_threshold, c.questionnaire_id, bool(c.is_demo))


@dataclass
class Overview:
    campaign: CampaignInfo
    level: str
    district_code: str | None
    commune_code: str | None
    ref_day: date
    is_today: bool
    days: list[date]
    kpi: dict[str, Any]
    communes: pd.DataFrame
    districts: pd.DataFrame
    by_day: pd.DataFrame
    by_hour: pd.DataFrame
    questions: pd.DataFrame
    scores: ScoreBoard
    computed_at: datetime
    seconds: float = 0.0
    pillars: list[tuple[str, str]] = field(default_factory=list)
    # for one commune: (its rank or None, communes ranked, communes compared) among every commune
    # the user may see, since a ranking "1 of 1" would say nothing
    rank_among: tuple[int | None, int, int] | None = None


def reference_day(campaign: Campaign | CampaignInfo, today: date | None = None) -> date:
    today = today or clock.today()
    return min(max(today, campaign.start_date), campaign.end_date)


def elapsed_days(campaign: Campaign | CampaignInfo, ref_day: date) -> list[date]:
    return [d for d in campaign_days(campaign) if d <= ref_day]


def ratio_status(answers: int, visits: int | None, low: float, high: float) -> str:
    """Classify answers against reported visits (None = no report)."""
    if visits is None:
        return RATIO_NO_REPORT
    if visits <= 0:
        return RATIO_HIGH if answers > 0 else RATIO_NO_REPORT
    r = answers / visits
    if r < low:
        return RATIO_LOW
    if r > high:
        return RATIO_HIGH
    return RATIO_OK


def _fetch(conn, campaign_id: int, codes: list[str] | None):
    """The aggregates for the communes `codes` (None = all), summed in SQL so that Python only
    sees a few hundred rows whatever the number of answers."""
    def narrow(q, col):
        return q.where(col.in_(codes)) if codes is not None else q
    h = CommuneHourTally
    per_day = conn.execute(narrow(
        select(h.commune_code, h.day, func.sum(h.n), func.sum(h.n_excluded))
        .where(h.campaign_id == campaign_id), h.commune_code)
        .group_by(h.commune_code, h.day)).all()
    per_hour = conn.execute(narrow(
        select(h.day, h.hour, func.sum(h.n)).where(h.campaign_id == campaign_id), h.commune_code)
        .group_by(h.day, h.hour)).all()
    reports = conn.execute(narrow(
        select(DailyReport.commune_code, DailyReport.day, DailyReport.visits)
        .where(DailyReport.campaign_id == campaign_id), DailyReport.commune_code)).all()
    o = OptionTally
    options = conn.execute(narrow(
        select(o.questionnaire_id, o.question_id, o.option_value, func.sum(o.n))
        .where(o.campaign_id == campaign_id), o.commune_code)
        .group_by(o.questionnaire_id, o.question_id, o.option_value)).all()
    return per_day, per_hour, reports, options


def overview(scope: Scope, campaign_id: int | None = None, *, district_code: str | None = None,
             commune_code: str | None = None, today: date | None = None,
             now: datetime | None = None) -> Overview:
    """Everything the overview page and the map show, for what `scope` may see."""
    t0 = time.perf_counter()
    campaign = load_campaign(campaign_id)
    info = CampaignInfo.of(campaign)
    definition = load_definition(campaign.questionnaire_id)
    codes = visible_codes(scope, district_code, commune_code)
    whole = scope.province_wide and not district_code and not commune_code
    sql_codes = None if whole else codes
    with session_scope() as s:
        conn = s.connection()
        per_day, per_hour_rows, reports, options = _fetch(conn, campaign.id, sql_codes)
        sums = fetch_score_sums(conn, campaign.id, sql_codes)
        from app.survey.kiosk import counts_by_commune_day as kiosk_counts
        screen = kiosk_counts(campaign.id, sql_codes)
        peers = visible_codes(scope) if commune_code else None
        peer_sums = (fetch_score_sums(conn, campaign.id, None if scope.province_wide else peers)
                     if peers is not None else None)
    now = now or clock.now()
    today = today or now.date()
    ref = reference_day(campaign, today)
    days = elapsed_days(campaign, ref)
    board = build_scoreboard(campaign, definition, codes, sums)
    rank_among = None
    if peers is not None:
        peer_board = build_scoreboard(campaign, definition, peers, peer_sums)
        mine = peer_board.commune(commune_code)
        rank_among = (mine.rank if mine else None, len(peer_board.ranked), len(peers))
    level = LEVEL_COMMUNE if commune_code else (LEVEL_DISTRICT if district_code else
                                                (LEVEL_PROVINCE if scope.province_wide
                                                 else LEVEL_DISTRICT))
    if level == LEVEL_DISTRICT and not district_code and scope.role == "district":
        district_code = scope.district_code

    wanted = set(codes)
    ans_cd: dict[tuple[str, date], int] = defaultdict(int)
    excl_c: dict[str, int] = defaultdict(int)
    for code, day, n, n_ex in per_day:
        if code not in wanted:
            continue
        ans_cd[(code, day)] += int(n or 0)
        excl_c[code] += int(n_ex or 0)
    per_hour = {(day, hour): int(n or 0) for day, hour, n in per_hour_rows if n}
    visits_cd: dict[tuple[str, date], int] = {}
    for code, day, visits in reports:
        if code in wanted and day <= ref:
            visits_cd[(code, day)] = int(visits or 0)

    geo = geography()
    score_by = {c.code: c for c in board.communes}
    ans_c: dict[str, int] = defaultdict(int)
    for (code, _day), n in ans_cd.items():
        ans_c[code] += n
    scr_c: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # shown, opened, verified
    scr_d: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (code, day), k in screen.items():
        if code not in wanted:
            continue
        for acc in (scr_c[code], scr_d[day]):
            acc[0] += k.shown
            acc[1] += k.opened
            acc[2] += k.verified
    rows = []
    for code in codes:
        c = geo.by_code[code]
        reported = [(d, v) for d in days if (v := visits_cd.get((code, d))) is not None]
        visits = sum(v for _d, v in reported)
        matched = sum(ans_cd.get((code, d), 0) for d, _v in reported)
        status = ratio_status(matched, visits if reported else None,
                              campaign.ratio_low, campaign.ratio_high)
        sc = score_by.get(code)
        ov = sc.overall if sc else None
        rows.append({
            "code": code, "name": c.full_name, "type": c.type,
            "district_code": c.district_code, "district_name": c.district_full_name,
            "lat": c.lat, "lon": c.lon,
            "answers": ans_c.get(code, 0), "answers_today": ans_cd.get((code, ref), 0),
            "excluded": excl_c.get(code, 0),
            "visits": visits, "visits_today": visits_cd.get((code, ref)),
            "matched_answers": matched,
            "ratio": (matched / visits) if visits > 0 else None,
            "ratio_status": status,
            "reports": len(reported), "reports_expected": len(days),
            "report_today": (code, ref) in visits_cd,
            "completeness": (len(reported) / len(days)) if days else None,
            "index": ov.mean if ov else None, "index_low": ov.low if ov else None,
            "index_high": ov.high if ov else None, "n_scored": sc.n if sc else 0,
            "score_status": sc.status if sc else "no_answers",
            "rank": sc.rank if sc else None,
            "codes_shown": scr_c[code][0], "codes_opened": scr_c[code][1],
            "verified": scr_c[code][2],
            "verified_today": screen[(code, ref)].verified if (code, ref) in screen else 0,
            "verified_share": (scr_c[code][2] / ans_c[code]) if ans_c.get(code) else None,
            "codes_shown_today": screen[(code, ref)].shown if (code, ref) in screen else 0,
            "codes_opened_today": screen[(code, ref)].opened if (code, ref) in screen else 0,
        })
    communes = pd.DataFrame(rows, columns=COMMUNE_COLUMNS)

    districts = _district_table(communes, board, campaign)
    day_ans: dict[date, int] = defaultdict(int)
    for (_code, d), n in ans_cd.items():
        day_ans[d] += n
    day_vis: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for (_code, d), v in visits_cd.items():
        day_vis[d][0] += v
        day_vis[d][1] += 1
    by_day = pd.DataFrame(
        [{"day": d, "answers": day_ans.get(d, 0), "visits": day_vis[d][0],
          "reports": day_vis[d][1], "codes_shown": scr_d[d][0], "codes_opened": scr_d[d][1],
          "verified": scr_d[d][2]} for d in campaign_days(campaign)],
        columns=["day", "answers", "visits", "reports", "codes_shown", "codes_opened",
                 "verified"])
    by_hour = pd.DataFrame(
        sorted(({"day": d, "hour": h, "answers": n} for (d, h), n in per_hour.items()),
               key=lambda r: (r["day"], r["hour"])),
        columns=["day", "hour", "answers"])
    questions = question_table(definition, options, int(communes["answers"].sum()))

    total_visits = int(communes["visits"].sum())
    matched_total = int(communes["matched_answers"].sum())
    overall = board.total.get(OVERALL)
    kpi = {
        "answers_total": int(communes["answers"].sum()),
        "answers_today": int(communes["answers_today"].sum()),
        "excluded_total": int(communes["excluded"].sum()),
        "communes_total": len(codes),
        "communes_with_answers": int((communes["answers"] > 0).sum()),
        "communes_with_answers_today": int((communes["answers_today"] > 0).sum()),
        "visits_total": total_visits,
        "visits_today": int(communes["visits_today"].fillna(0).sum()),
        "ratio": (matched_total / total_visits) if total_visits else None,
        "ratio_status": ratio_status(matched_total, total_visits if total_visits else None,
                                     campaign.ratio_low, campaign.ratio_high),
        "reports_today": int(communes["report_today"].sum()),
        "reports_total": int(communes["reports"].sum()),
        "reports_expected_total": len(codes) * len(days),
        "index": overall,
        "communes_ranked": len(board.ranked),
        "communes_friendly": sum(1 for c in board.ranked if c.status == "friendly"),
        "communes_not_enough": sum(1 for c in board.communes if c.status == "not_enough"),
        "verified_total": int(communes["verified"].sum()),
        "verified_today": int(communes["verified_today"].sum()),
        "verified_share": (int(communes["verified"].sum()) / int(communes["answers"].sum())
                           if int(communes["answers"].sum()) else None),
        "codes_shown_total": int(communes["codes_shown"].sum()),
        "codes_opened_total": int(communes["codes_opened"].sum()),
        "communes_with_screen": int((communes["codes_shown"] > 0).sum()),
    }
    return Overview(
        campaign=info, level=level, district_code=district_code, commune_code=commune_code,
        ref_day=ref, is_today=(ref == today), days=campaign_days(campaign), kpi=kpi,
        communes=communes, districts=districts, by_day=by_day, by_hour=by_hour,
        questions=questions, scores=board, computed_at=now,
        seconds=time.perf_counter() - t0, pillars=board.pillars, rank_among=rank_among)


def _district_table(communes: pd.DataFrame, board: ScoreBoard, campaign: Campaign) -> pd.DataFrame:
    cols = ["district_code", "district_name", "communes", "communes_with_answers", "answers",
            "answers_today", "excluded", "visits", "matched_answers", "ratio", "ratio_status",
            "reports_today", "index", "index_low", "index_high", "n_scored"]
    acc: dict[str, dict] = {}
    for r in communes.itertuples(index=False):
        d = acc.get(r.district_code)
        if d is None:
            d = acc[r.district_code] = {
                "district_code": r.district_code, "district_name": r.district_name,
                "communes": 0, "communes_with_answers": 0, "answers": 0, "answers_today": 0,
                "excluded": 0, "visits": 0, "matched_answers": 0, "reports_today": 0}
        d["communes"] += 1
        d["communes_with_answers"] += 1 if r.answers > 0 else 0
        d["answers"] += r.answers
        d["answers_today"] += r.answers_today
        d["excluded"] += r.excluded
        d["visits"] += r.visits
        d["matched_answers"] += r.matched_answers
        d["reports_today"] += 1 if r.report_today else 0
    rows = []
    for code in sorted(acc):
        d = acc[code]
        v, m = d["visits"], d["matched_answers"]
        d["ratio"] = (m / v) if v else None
        d["ratio_status"] = ratio_status(m, v if v else None, campaign.ratio_low,
                                         campaign.ratio_high)
        i = board.districts.get(code, {}).get(OVERALL)
        d["index"] = i.mean if i else None
        d["index_low"] = i.low if i else None
        d["index_high"] = i.high if i else None
        d["n_scored"] = i.n if i else 0
        rows.append(d)
    return pd.DataFrame(rows, columns=cols)


def option_label(q, value: str) -> str:
    if q.type == "rating":
        try:
            v = int(value)
        except ValueError:
            return value
        if v == q.scale_min and q.min_label:
            return f"{v} – {q.min_label}"
        if v == q.scale_max and q.max_label:
            return f"{v} – {q.max_label}"
        return str(v)
    opt = q.option(value)
    return opt.label if opt else value


def question_table(definition: Definition, options, respondents: int) -> pd.DataFrame:
    """Distribution of every closed question: one row per (question, option) in form order.

    ``share`` is the option's part of the answers to that question; for multiple-choice
    questions it is the part of all counted answer sheets that chose it."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for _qid_version, qid, value, n in options:
        counts[(qid, value)] += int(n or 0)
    numbers = {q.id: i + 1 for i, q in enumerate(definition.questions)}
    rows = []
    for q in definition.all_questions:
        if q.type == "text":
            continue
        if q.type == "rating":
            values = [str(v) for v in range(q.scale_min, q.scale_max + 1)]
        else:
            values = [o.value for o in q.options]
        known = set(values)
        values += sorted(v for (qq, v) in counts if qq == q.id and v not in known)
        answered = sum(counts.get((q.id, v), 0) for v in values)
        denom = respondents if q.type == "multi" else answered
        pillar = q.pillar if not q.profile else "_profile"
        for order, v in enumerate(values):
            n = counts.get((q.id, v), 0)
            opt = q.option(v) if q.type != "rating" else None
            rows.append({
                "pillar_id": pillar,
                "pillar": definition.pillar_name(q.pillar) if q.pillar and not q.profile
                else "Thông tin người trả lời",
                "number": numbers.get(q.id), "question_id": q.id, "question": q.text,
                "type": q.type, "option_value": v, "option": option_label(q, v),
                "order": order, "score": opt.score if opt else None, "n": n,
                "share": (n / denom) if denom else None})
    return pd.DataFrame(rows, columns=["pillar_id", "pillar", "number", "question_id", "question",
                                       "type", "option_value", "option", "order", "score", "n",
                                       "share"])
