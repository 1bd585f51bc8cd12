"""Helper performance: duty shifts per helper, and citizens guided per helper and shift, from
the data that exists.

What is recorded: the roster says who is on duty on which days and in which shift; the daily
report says, per commune and day, how many citizens were guided to the survey and how many
helpers were on duty. Nothing records how many citizens *each* helper guided. So:

- shifts are counted from the roster, on the days gone by (report due) that the commune
  reported (as the nomination evidence counts them, ``app/board/evidence.py``);
- a helper's "citizens guided" is an **estimate**: the commune's count of the day shared among
  the helpers scheduled that day in proportion to their shifts (a whole day counts two);
- per day and commune, the helpers scheduled are set beside those the report says were on duty,
  so a roster that does not match what happened is visible.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import select

from app.board.evidence import days_due
from app.board.rules import SHIFT_WEIGHT
from app.core.auth import AuthError, Scope
from app.core.i18n import t
from app.core.reference import geography
from app.operations.roster import entry_days
from db.engine import session_scope
from db.models import Campaign, DailyReport, RosterEntry


@dataclass(frozen=True)
class HelperLine:
    entry_id: int
    full_name: str
    organisation: str
    commune_code: str
    commune_name: str
    district_name: str
    days: tuple[date, ...]   # duty days counted (passed and reported)
    shifts: int
    guided_estimate: float   # the helper's share of the citizens guided on those days

    @property
    def per_shift(self) -> float | None:
        return self.guided_estimate / self.shifts if self.shifts else None


@dataclass(frozen=True)
class CommuneDay:
    commune_code: str
    commune_name: str
    day: date
    scheduled: int       # helpers on the roster for that day
    shifts: int          # their shifts
    reported_helpers: int
    guided: int

    @property
    def per_shift(self) -> float | None:
        return self.guided / self.shifts if self.shifts else None

    @property
    def mismatch(self) -> bool:
        return self.scheduled != self.reported_helpers


@dataclass(frozen=True)
class HelperFigures:
    helpers: list[HelperLine]
    days: list[CommuneDay]


def helper_figures(scope: Scope, campaign: Campaign, district_code: str | None = None,
                   now: datetime | None = None) -> HelperFigures:
    """Every visible commune's helpers (optionally one district), busiest first."""
    if scope.role == "commune":
        raise AuthError(t("ops.forbidden"))
    visible = scope.visible_commune_codes()
    if district_code and not scope.can_see_district(district_code):
        return HelperFigures([], [])
    geo = geography()
    codes = {c.code for c in geo.communes
             if (visible is None or c.code in visible)
             and (not district_code or c.district_code == district_code)}
    due = set(days_due(campaign, now))
    with session_scope() as s:
        reports = {(r.commune_code, r.day): r for r in s.exec(
            select(DailyReport).where(DailyReport.campaign_id == campaign.id)).all()
            if r.commune_code in codes and r.day in due}
        entries = [e for e in s.exec(select(RosterEntry).where(
            RosterEntry.campaign_id == campaign.id).order_by(RosterEntry.id)).all()
            if e.commune_code in codes]
    on_day: dict[tuple[str, date], list[RosterEntry]] = {}
    for e in entries:
        for d in entry_days(e):
            if (e.commune_code, d) in reports:
                on_day.setdefault((e.commune_code, d), []).append(e)
    shares: dict[int, float] = {}
    counted: dict[int, list[date]] = {}
    days: list[CommuneDay] = []
    for (code, d), r in sorted(reports.items(), key=lambda x: (x[0][1], x[0][0])):
        people = on_day.get((code, d), [])
        weights = {e.id: SHIFT_WEIGHT.get(e.shift, 1) for e in people}
        total = sum(weights.values())
        for e in people:
            counted.setdefault(e.id, []).append(d)
            shares[e.id] = shares.get(e.id, 0.0) + (r.guided or 0) * weights[e.id] / total
        c = geo.by_code[code]
        days.append(CommuneDay(code, c.full_name, d, len(people), total,
                               int(r.helpers_on_duty or 0), int(r.guided or 0)))
    helpers = []
    for e in entries:
        c = geo.by_code.get(e.commune_code)
        mine = tuple(sorted(counted.get(e.id, [])))
        if c is None or not mine:
            continue
        helpers.append(HelperLine(e.id, e.full_name, e.organisation, e.commune_code,
                                  c.full_name, c.district_full_name, mine,
                                  len(mine) * SHIFT_WEIGHT.get(e.shift, 1),
                                  shares.get(e.id, 0.0)))
    helpers.sort(key=lambda h: (-h.shifts, -h.guided_estimate, h.full_name))
    return HelperFigures(helpers, days)
