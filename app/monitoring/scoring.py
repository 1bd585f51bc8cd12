"""Friendly-government scoring: per-commune index per pillar and overall, with its 95% interval.

Everything is computed from the running ``ScoreTally`` (n, sum, sum of squares of the per-response
pillar scores 0..100), so the cost does not grow with the number of answers. Rules (search names):

- ``index_from_sums``: the index is the mean score ``total / n``; its 95% interval is
  ``mean ± t(0.975, n-1) · s / √n`` with ``s`` the sample standard deviation
  ``√((total_sq - total²/n) / (n - 1))``, clipped to 0..100. One answer has no interval.
- A commune's sample size is the number of counted (not excluded) responses that have an overall
  score. Below the campaign's ``min_sample`` it is "not enough answers": shown, never ranked.
- ``rank_communes``: communes with enough answers are ranked by the overall index (highest first,
  equal indices to one decimal share a rank: 1, 2, 2, 4, unless the threshold separates them).
  A commune is a "friendly government"
  when its overall index is at least the campaign's ``friendly_threshold``; ``uncertain`` marks
  those whose interval contains the threshold.
- District and province indices pool the answers of their communes (each answer weighs the same).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select

from app.core.auth import AuthError, Scope
from app.core.reference import geography
from app.survey.questionnaire import OVERALL, Definition
from db.engine import session_scope
from db.models import Campaign, ScoreTally

STATUS_FRIENDLY = "friendly"
STATUS_BELOW = "below"
STATUS_NOT_ENOUGH = "not_enough"
STATUS_NO_ANSWERS = "no_answers"

# two-sided 95% Student t quantiles for 1..30 degrees of freedom
_T975 = (12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
         2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
         2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423)
_Z975 = 1.959963984540054


@lru_cache(maxsize=4096)
def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with `df` degrees of freedom (1.96 as df grows)."""
    if df < 1:
        raise ValueError("df must be >= 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = _Z975
    # Cornish-Fisher expansion: error below 1e-5 for df > 30
    return (z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))


@dataclass(frozen=True)
class IndexValue:
    """A mean score 0..100 over `n` answers, with its 95% interval (None when n < 2)."""
    mean: float
    n: int
    low: float | None = None
    high: float | None = None
    sd: float | None = None

    def contains(self, x: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= x <= self.high


def index_from_sums(n: float, total: float, total_sq: float) -> IndexValue | None:
    """Mean and 95% interval from running sums; None for no answers."""
    n = int(round(n or 0))
    if n <= 0:
        return None
    mean = min(100.0, max(0.0, total / n))
    if n < 2:
        return IndexValue(mean, n)
    var = max(0.0, (total_sq - total * total / n) / (n - 1))
    sd = math.sqrt(var)
    half = t975(n - 1) * sd / math.sqrt(n)
    return IndexValue(mean, n, max(0.0, mean - half), min(100.0, mean + half), sd)


@dataclass
class Sums:
    n: float = 0.0
    total: float = 0.0
    total_sq: float = 0.0

    def add(self, n: float, total: float, total_sq: float) -> None:
        self.n += n
        self.total += total
        self.total_sq += total_sq

    def index(self) -> IndexValue | None:
        return index_from_sums(self.n, self.total, self.total_sq)


@dataclass
class CommuneScore:
    code: str
    name: str
    district_code: str
    district_name: str
    n: int
    overall: IndexValue | None
    pillars: dict[str, IndexValue | None] = field(default_factory=dict)
    status: str = STATUS_NO_ANSWERS
    rank: int | None = None
    uncertain: bool = False


@dataclass
class ScoreBoard:
    campaign_id: int
    threshold: float
    min_sample: int
    pillars: list[tuple[str, str]]          # (pillar id, name) in questionnaire order
    communes: list[CommuneScore]            # ranked first, then not-enough, then no answers
    districts: dict[str, dict[str, IndexValue | None]]  # district -> pillar/overall -> index
    total: dict[str, IndexValue | None]      # pooled over every commune in view
    # sheets verified in person per commune (issue 15), and whether only those are counted
    verified: dict[str, int] = field(default_factory=dict)
    verified_only: bool = False

    def verified_share(self, code: str) -> float | None:
        c = self.commune(code)
        if c is None or not c.n:
            return None
        return min(1.0, self.verified.get(code, 0) / c.n)

    def commune(self, code: str) -> CommuneScore | None:
        for c in self.communes:
            if c.code == code:
                return c
        return None

    @property
    def ranked(self) -> list[CommuneScore]:
        return [c for c in self.communes if c.rank is not None]


def status_for(overall: IndexValue | None, min_sample: int, threshold: float) -> str:
    if overall is None or overall.n == 0:
        return STATUS_NO_ANSWERS
    if overall.n < min_sample:
        return STATUS_NOT_ENOUGH
    return STATUS_FRIENDLY if overall.mean >= threshold - 1e-9 else STATUS_BELOW


def rank_communes(rows: list[CommuneScore], min_sample: int, threshold: float) -> list[CommuneScore]:
    """Set status, rank and `uncertain` on every row and return them in display order."""
    for r in rows:
        r.status = status_for(r.overall, min_sample, threshold)
        r.rank = None
        r.uncertain = bool(r.overall and r.status in (STATUS_FRIENDLY, STATUS_BELOW)
                           and r.overall.contains(threshold))
    ranked = sorted((r for r in rows if r.status in (STATUS_FRIENDLY, STATUS_BELOW)),
                    key=lambda r: (-r.overall.mean, r.code))
    prev, prev_rank = None, 0
    for i, r in enumerate(ranked, start=1):
        key = (round(r.overall.mean, 1), r.status)  # a tie never spans the threshold
        r.rank = prev_rank if key == prev else i
        prev, prev_rank = key, r.rank
    rest_enough = sorted((r for r in rows if r.status == STATUS_NOT_ENOUGH),
                         key=lambda r: (-r.n, r.code))
    rest_none = sorted((r for r in rows if r.status == STATUS_NO_ANSWERS), key=lambda r: r.code)
    return ranked + rest_enough + rest_none


def visible_codes(scope: Scope, district_code: str | None = None,
                  commune_code: str | None = None) -> list[str]:
    """The commune codes in view for `scope`, narrowed to a district or commune (checked)."""
    geo = geography()
    if commune_code:
        c = geo.by_code.get(commune_code)
        if c is None or not scope.can_see_commune(c.code, c.district_code):
            raise AuthError("Bạn không có quyền xem số liệu của đơn vị này.")
        if district_code and c.district_code != district_code:
            raise AuthError("Xã không thuộc huyện đã chọn.")
        return [c.code]
    if district_code:
        if geo.district(district_code) is None or not scope.can_see_district(district_code):
            raise AuthError("Bạn không có quyền xem số liệu của đơn vị này.")
        return [c.code for c in geo.communes_of(district_code)
                if scope.can_see_commune(c.code, c.district_code)]
    allowed = scope.visible_commune_codes()
    if allowed is None:
        return [c.code for c in geo.communes]
    return list(allowed)


def fetch_score_sums(conn, campaign_id: int, codes: list[str] | None) -> dict[str, dict[str, Sums]]:
    """{commune: {pillar: Sums}} from ScoreTally (None codes = every commune)."""
    q = (select(ScoreTally.commune_code, ScoreTally.pillar, ScoreTally.n, ScoreTally.total,
                ScoreTally.total_sq).where(ScoreTally.campaign_id == campaign_id))
    if codes is not None and len(codes) < 400:
        q = q.where(ScoreTally.commune_code.in_(codes))
    wanted = None if codes is None else set(codes)
    out: dict[str, dict[str, Sums]] = {}
    for code, pillar, n, total, total_sq in conn.execute(q):
        if wanted is not None and code not in wanted:
            continue
        out.setdefault(code, {})[pillar] = Sums(n, total, total_sq)
    return out


def fetch_verified_score_sums(conn, campaign_id: int,
                              codes: list[str] | None) -> dict[str, dict[str, Sums]]:
    """{commune: {pillar: Sums}} of the sheets verified in person only (not excluded), summed
    from their stored scores: the results filtered to verified sheets."""
    import json

    from db.models import Response
    q = (select(Response.commune_code, Response.scores)
         .where(Response.campaign_id == campaign_id, Response.verified == True,  # noqa: E712
                Response.excluded == False))  # noqa: E712
    if codes is not None and len(codes) < 400:
        q = q.where(Response.commune_code.in_(codes))
    wanted = None if codes is None else set(codes)
    out: dict[str, dict[str, Sums]] = {}
    for code, scores in conn.execute(q):
        if wanted is not None and code not in wanted:
            continue
        per = out.setdefault(code, {})
        for pillar, value in json.loads(scores or "{}").items():
            per.setdefault(pillar, Sums()).add(1, value, value * value)
    return out


def build_scoreboard(campaign: Campaign, definition: Definition, codes: list[str],
                     sums: dict[str, dict[str, Sums]]) -> ScoreBoard:
    geo = geography()
    pillars = [(p.id, p.name) for p in definition.pillars]
    pillar_ids = [p for p, _ in pillars] + [OVERALL]
    rows: list[CommuneScore] = []
    dist_sums: dict[str, dict[str, Sums]] = {}
    total_sums: dict[str, Sums] = {p: Sums() for p in pillar_ids}
    for code in codes:
        c = geo.by_code.get(code)
        if c is None:
            continue
        per = sums.get(code, {})
        dsum = dist_sums.setdefault(c.district_code, {p: Sums() for p in pillar_ids})
        for p, sm in per.items():
            if p in dsum:
                dsum[p].add(sm.n, sm.total, sm.total_sq)
                total_sums[p].add(sm.n, sm.total, sm.total_sq)
        overall = per[OVERALL].index() if OVERALL in per else None
        rows.append(CommuneScore(
            code=c.code, name=c.full_name, district_code=c.district_code,
            district_name=c.district_full_name, n=overall.n if overall else 0, overall=overall,
            pillars={p: (per[p].index() if p in per else None) for p, _ in pillars}))
    ordered = rank_communes(rows, campaign.min_sample, campaign.friendly_threshold)
    return ScoreBoard(
        campaign_id=campaign.id, threshold=campaign.friendly_threshold,
        min_sample=campaign.min_sample, pillars=pillars, communes=ordered,
        districts={d: {p: s.index() for p, s in ps.items()} for d, ps in dist_sums.items()},
        total={p: s.index() for p, s in total_sums.items()})


def load_campaign(campaign_id: int | None) -> Campaign:
    """The campaign `campaign_id`, or the active one (LookupError when there is none)."""
    from app.core.campaigns import active_campaign
    if campaign_id is None:
        active = active_campaign()
        if active is None:
            raise LookupError("no active campaign")
        return active.campaign
    with session_scope() as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise LookupError(f"campaign {campaign_id} not found")
        s.expunge(c)
        return c


def scoreboard(scope: Scope, campaign_id: int | None = None, *, district_code: str | None = None,
               commune_code: str | None = None, verified_only: bool = False) -> ScoreBoard:
    """Indices and ranking of the communes `scope` may see (optionally one district/commune);
    `verified_only`: from the sheets verified in person at the office screen only."""
    from app.core.campaigns import load_definition
    from app.survey.kiosk import verified_counts
    campaign = load_campaign(campaign_id)
    codes = visible_codes(scope, district_code, commune_code)
    sql_codes = None if scope.province_wide and not (district_code or commune_code) else codes
    with session_scope() as s:
        fetch = fetch_verified_score_sums if verified_only else fetch_score_sums
        sums = fetch(s.connection(), campaign.id, sql_codes)
    board = build_scoreboard(campaign, load_definition(campaign.questionnaire_id), codes, sums)
    board.verified = verified_counts(campaign.id, sql_codes)
    board.verified_only = verified_only
    return board
