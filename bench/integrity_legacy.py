"""The warnings before the integrity engine (issue 12's "before"), kept for bench/integrity.py.

Until phase 2 of issue 12, ``app/monitoring/warnings.py`` flagged sheets with fixed counts:
``burst`` (at least 5 answers from one device fingerprint within 10 minutes), ``identical`` (at
least 5 sheets of one commune with the very same closed answers), ``fast`` (forms filled in
under 30 seconds, per commune and day) and the count-only ``ratio_high`` (answers over
``ratio_high`` × reported visits on a reported day; it lists no sheet). The app now runs on the
engine (``app/integrity``); these rules stay here, unchanged, so that the "before" figures of
docs/INTEGRITY.md can be measured again on any generated campaign.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

BURST_COUNT, BURST_MINUTES, IDENTICAL_COUNT, FAST_SECONDS = 5, 10.0, 5, 30.0


@dataclass
class LegacyWarning:
    kind: str
    commune: str
    day: date | None
    ids: tuple


def find_bursts(times: list[tuple[datetime, int]], count: int,
                minutes: float) -> list[list[int]]:
    """Groups of response ids where at least `count` fall within `minutes` (merged when they
    overlap). `times` are (submitted_at, response id) of one device."""
    times = sorted(times)
    window = timedelta(minutes=minutes)
    spans: list[tuple[int, int]] = []
    j = 0
    for i in range(len(times)):
        if j < i:
            j = i
        while j + 1 < len(times) and times[j + 1][0] - times[i][0] <= window:
            j += 1
        if j - i + 1 >= count:
            if spans and i <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], j))
            else:
                spans.append((i, j))
    return [[rid for _t, rid in times[a:b + 1]] for a, b in spans]


def legacy_warnings(campaign_id: int) -> list[LegacyWarning]:
    from db.engine import session_scope
    from db.models import Campaign, CommuneHourTally, DailyReport, Response
    out: list[LegacyWarning] = []
    with session_scope() as s:
        camp = s.get(Campaign, campaign_id)
        conn = s.connection()
        base = Response.campaign_id == campaign_id
        # burst
        per_dev: dict[str, list] = defaultdict(list)
        code_of: dict[int, str] = {}
        for rid, dev, code, at in conn.execute(
                select(Response.id, Response.device_hash, Response.commune_code,
                       Response.submitted_at).where(base, Response.device_hash.is_not(None))):
            per_dev[dev].append((at, rid))
            code_of[rid] = code
        for times in per_dev.values():
            if len(times) < BURST_COUNT:
                continue
            at_of = dict((rid, at) for at, rid in times)
            for ids in find_bursts(times, BURST_COUNT, BURST_MINUTES):
                codes: dict[str, int] = defaultdict(int)
                for rid in ids:
                    codes[code_of[rid]] += 1
                out.append(LegacyWarning("burst", max(codes, key=codes.get),
                                         min(at_of[r] for r in ids).date(), tuple(sorted(ids))))
        # identical
        groups: dict[tuple[str, str], list] = defaultdict(list)
        for rid, h, code, at in conn.execute(
                select(Response.id, Response.answer_hash, Response.commune_code,
                       Response.submitted_at).where(base, Response.answer_hash.is_not(None))):
            groups[(code, h)].append((rid, at))
        for (code, _h), rows in groups.items():
            if len(rows) >= IDENTICAL_COUNT:
                out.append(LegacyWarning("identical", code, min(r[1] for r in rows).date(),
                                         tuple(sorted(r[0] for r in rows))))
        # fast
        fast: dict[tuple[str, date], list] = defaultdict(list)
        for rid, code, day in conn.execute(
                select(Response.id, Response.commune_code, Response.day)
                .where(base, Response.duration_s.is_not(None),
                       Response.duration_s < FAST_SECONDS)):
            fast[(code, day)].append(rid)
        for (code, day), ids in fast.items():
            out.append(LegacyWarning("fast", code, day, tuple(sorted(ids))))
        # ratio_high (count only)
        answers: dict[tuple[str, date], int] = defaultdict(int)
        for code, day, n in conn.execute(
                select(CommuneHourTally.commune_code, CommuneHourTally.day,
                       func.sum(CommuneHourTally.n))
                .where(CommuneHourTally.campaign_id == campaign_id)
                .group_by(CommuneHourTally.commune_code, CommuneHourTally.day)):
            answers[(code, day)] += int(n or 0)
        for code, day, v in conn.execute(
                select(DailyReport.commune_code, DailyReport.day, DailyReport.visits)
                .where(DailyReport.campaign_id == campaign_id)):
            n = answers.get((code, day), 0)
            v = int(v or 0)
            if (v <= 0 and n > 0) or (v > 0 and n / v > camp.ratio_high):
                out.append(LegacyWarning("ratio_high", code, day, ()))
    return out
