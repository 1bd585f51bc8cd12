"""Evidence for nominations: figures computed from the campaign's data (never typed in),
the suggestions built from them, and the frozen snapshot a nomination keeps.

Suggestions are computed from the campaign's data, never typed in:

- collectives (commune working groups), per commune, over the campaign days so far:
  ``reported_every_day`` (a DailyReport for each day), ``ratio_in_band`` (answers / visits inside
  the campaign's band on every reported day with visits; answers from CommuneHourTally, visits
  from DailyReport), ``mobilisation`` (answers per visit, like with like: the answers of the
  reported days with visits whose report is due over the visits of those same days, the
  higher the better while inside the band; today's answers before its cut-off, or a day
  without a report, never count),
  ``roster_on_time`` (RosterStatus.submitted_at on or before the roster deadline), and
  ``integrity_clean``: no high-score integrity warning left open (not reviewed, its sheets still
  counted; ``app.monitoring.warnings.open_high_for``). A commune with one is marked, never
  "meets all", and ranked after the clean ones;
- individuals: helpers of the rosters (RosterEntry) with the most duty shifts (a whole-day duty
  counts two shifts, a morning or afternoon one).

A nomination keeps a JSON **evidence snapshot** of those figures, computed on the server when it
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from app.board.rules import SHIFT_WEIGHT, VIEW_ROLES, NominationError, _require, get_campaign
from app.core import clock
from app.core.auth import Scope
from app.core.campaigns import campaign_days
from app.core.fmt import fmt_date, fmt_datetime, fmt_float, fmt_int
from app.core.i18n import t
from app.core.reference import find_commune, geography
from db.engine import session_scope
from db.models import Campaign, CommuneHourTally, DailyReport, RosterEntry, RosterStatus, ScoreTally


@dataclass
class CommuneFigures:
    commune_code: str
    commune_name: str
    district_code: str
    district_name: str
    days_total: int
    days_reported: int
    visits: int
    guided: int
    answers: int
    days_with_visits: int
    days_in_band: int
    ratio: float | None            # the ratio judged: answers_judged / visits_judged
    roster_submitted_at: datetime | None
    roster_on_time: bool
    index_overall: float | None
    index_n: int
    answers_judged: int = 0        # answers of the reported days with visits
    visits_judged: int = 0         # visits of those same days
    integrity_warnings: list = field(default_factory=list)  # [{"key", "label", "score"}]
    reported_every_day: bool = False
    ratio_in_band: bool = False
    criteria_met: int = 0
    meets_all: bool = False

    @property
    def integrity_open(self) -> int:
        """High-score integrity warnings nobody has dealt with yet."""
        return len(self.integrity_warnings)

    @property
    def integrity_clean(self) -> bool:
        return not self.integrity_warnings

    @property
    def mobilisation(self) -> float | None:
        """Answers per visit, counted only while inside the band (a too-high ratio is suspect)."""
        return self.ratio if self.ratio_in_band else None

    def as_evidence(self) -> dict:
        d = asdict(self)
        d["roster_submitted_at"] = (self.roster_submitted_at.isoformat(sep=" ")
                                    if self.roster_submitted_at else None)
        d["ratio"] = None if self.ratio is None else round(self.ratio, 4)
        d["index_overall"] = None if self.index_overall is None else round(self.index_overall, 2)
        d["integrity_open"] = self.integrity_open
        return d


@dataclass
class IndividualFigures:
    roster_entry_id: int
    full_name: str
    position: str
    organisation: str
    commune_code: str
    commune_name: str
    district_code: str
    district_name: str
    duty_days: list[str]
    shift: str
    shifts: int
    commune_integrity_open: int = 0   # open high-score integrity warnings of the commune

    def as_evidence(self) -> dict:
        return asdict(self)


@dataclass
class Suggestions:
    campaign_id: int
    days_due: list[date]  # days whose report is due (their cut-off has passed)
    collectives: list[CommuneFigures]
    individuals: list[IndividualFigures]
    ratio_low: float
    ratio_high: float
    roster_deadline: date
    report_cutoff: str



def _days_so_far(campaign: Campaign, now: datetime | None = None) -> list[date]:
    """Campaign days up to today (the figures of today so far count)."""
    today = (now or clock.now()).date()
    return [d for d in campaign_days(campaign) if d <= today]


def _days_due(campaign: Campaign, now: datetime | None = None) -> list[date]:
    """Campaign days whose daily report is due: earlier days, and today once the report
    cut-off time (e.g. 20:00) has passed."""
    now = now or clock.now()
    try:
        hh, mm = (int(x) for x in (campaign.report_cutoff or "20:00").split(":"))
        cutoff = dtime(hh, mm)
    except ValueError:
        cutoff = dtime(20, 0)
    return [d for d in campaign_days(campaign)
            if d < now.date() or (d == now.date() and now.time() >= cutoff)]



def integrity_marks(campaign_id: int, codes: list[str] | None = None,
                    report=None) -> dict[str, list[dict]]:
    """{commune code: its open high-score integrity warnings as [{"key", "label", "score"}]}."""
    from app.monitoring.warnings import open_high_for
    return {code: [{"key": w.key, "label": w.label, "score": w.score} for w in ws]
            for code, ws in open_high_for(campaign_id, codes, report=report).items()}


def _commune_figures(s, campaign: Campaign, codes: list[str] | None = None,
                     now: datetime | None = None,
                     integrity: dict[str, list[dict]] | None = None) -> dict[str, CommuneFigures]:
    """Figures of every commune (or of `codes`) for one campaign, over its days so far
    (reports are expected for the days whose cut-off has passed); `integrity`: the open
    high-score warnings per commune (``integrity_marks``)."""
    days = _days_so_far(campaign, now)
    due = _days_due(campaign, now)
    day_set = set(days)
    due_set = set(due)
    geo = geography()
    wanted = [c for c in geo.communes if codes is None or c.code in codes]
    want_codes = {c.code for c in wanted}

    reports: dict[str, dict[date, tuple[int, int]]] = {}
    q = select(DailyReport.commune_code, DailyReport.day, DailyReport.visits,
               DailyReport.guided).where(DailyReport.campaign_id == campaign.id)
    for code, day, visits, guided in s.exec(q).all():
        if code in want_codes and day in day_set:
            reports.setdefault(code, {})[day] = (int(visits or 0), int(guided or 0))

    answers: dict[str, dict[date, int]] = {}
    q = (select(CommuneHourTally.commune_code, CommuneHourTally.day,
                func.sum(CommuneHourTally.n))
         .where(CommuneHourTally.campaign_id == campaign.id)
         .group_by(CommuneHourTally.commune_code, CommuneHourTally.day))
    for code, day, n in s.exec(q).all():
        if code in want_codes and day in day_set:
            answers.setdefault(code, {})[day] = int(n or 0)

    roster = {code: at for code, at in s.exec(
        select(RosterStatus.commune_code, RosterStatus.submitted_at)
        .where(RosterStatus.campaign_id == campaign.id)).all()}

    index = {code: (total / n if n else None, n) for code, n, total in s.exec(
        select(ScoreTally.commune_code, ScoreTally.n, ScoreTally.total)
        .where(ScoreTally.campaign_id == campaign.id, ScoreTally.pillar == "overall")).all()}

    out: dict[str, CommuneFigures] = {}
    for c in wanted:
        rep = reports.get(c.code, {})
        ans = answers.get(c.code, {})
        visits = sum(v for v, _ in rep.values())
        guided = sum(g for _, g in rep.values())
        n_answers = sum(ans.values())
        days_with_visits = 0
        days_in_band = 0
        answers_judged = visits_judged = 0
        for day, (v, _g) in rep.items():
            if v <= 0 or day not in due_set:   # judged: the days whose report is due
                continue
            days_with_visits += 1
            answers_judged += ans.get(day, 0)
            visits_judged += v
            if campaign.ratio_low <= ans.get(day, 0) / v <= campaign.ratio_high:
                days_in_band += 1
        submitted = roster.get(c.code)
        idx, idx_n = index.get(c.code, (None, 0))
        f = CommuneFigures(
            commune_code=c.code, commune_name=c.full_name, district_code=c.district_code,
            district_name=c.district_full_name, days_total=len(due),
            days_reported=sum(1 for d in due if d in rep),
            visits=visits, guided=guided, answers=n_answers, days_with_visits=days_with_visits,
            days_in_band=days_in_band,
            ratio=(answers_judged / visits_judged) if visits_judged else None,
            roster_submitted_at=submitted,
            roster_on_time=bool(submitted and submitted.date() <= campaign.roster_deadline),
            index_overall=idx, index_n=int(idx_n or 0), answers_judged=answers_judged,
            visits_judged=visits_judged,
            integrity_warnings=list((integrity or {}).get(c.code, [])))
        f.reported_every_day = bool(due) and f.days_reported == len(due)
        f.ratio_in_band = f.days_with_visits > 0 and f.days_in_band == f.days_with_visits
        mobilised = f.ratio_in_band and f.ratio is not None
        f.criteria_met = sum((f.reported_every_day, f.ratio_in_band, mobilised, f.roster_on_time,
                              f.integrity_clean and n_answers > 0))
        f.meets_all = (f.reported_every_day and f.ratio_in_band and f.roster_on_time
                       and f.integrity_clean)
        out[c.code] = f
    return out


def _entry_figures(entry: RosterEntry, window: set[date]) -> IndividualFigures:
    c = find_commune(entry.commune_code)
    try:
        raw_days = json.loads(entry.duty_days or "[]")
    except (TypeError, ValueError):
        raw_days = []
    days: list[str] = []
    for d in raw_days:
        try:
            day = date.fromisoformat(str(d)[:10])
        except ValueError:
            continue
        if day in window and day.isoformat() not in days:
            days.append(day.isoformat())
    days.sort()
    return IndividualFigures(
        roster_entry_id=entry.id, full_name=entry.full_name, position=entry.position or "",
        organisation=entry.organisation or "", commune_code=entry.commune_code,
        commune_name=c.full_name if c else entry.commune_code,
        district_code=c.district_code if c else "", district_name=c.district_full_name if c else "",
        duty_days=days, shift=entry.shift or "", shifts=len(days) * SHIFT_WEIGHT.get(entry.shift, 1))


def suggestions(scope: Scope, campaign_id: int, *, limit_individuals: int = 10,
                now: datetime | None = None, report=None) -> Suggestions:
    """Every commune with its figures (best first: a commune with an open high-score
    integrity warning after every clean one) and the helpers with the most duty shifts.
    `report`: the integrity engine's judgement when the caller already has it."""
    _require(scope, VIEW_ROLES)
    integrity = integrity_marks(campaign_id, report=report)
    with session_scope() as s:
        campaign = get_campaign(s, campaign_id)
        figures = list(_commune_figures(s, campaign, now=now, integrity=integrity).values())
        window = set(campaign_days(campaign))
        entries = s.exec(select(RosterEntry).where(RosterEntry.campaign_id == campaign_id)).all()
        people = [_entry_figures(e, window) for e in entries]
    for p in people:
        p.commune_integrity_open = len(integrity.get(p.commune_code, []))
    figures.sort(key=lambda f: (f.integrity_clean, f.meets_all, f.criteria_met,
                                f.mobilisation or 0.0, f.answers_judged,
                                f.index_overall or 0.0), reverse=True)
    people = [p for p in people if p.shifts > 0]
    people.sort(key=lambda p: (-p.shifts, p.full_name, p.roster_entry_id))
    return Suggestions(campaign_id, _days_due(campaign, now), figures,
                       people[:limit_individuals], campaign.ratio_low, campaign.ratio_high,
                       campaign.roster_deadline, campaign.report_cutoff)


def draft_achievements(f: CommuneFigures | IndividualFigures) -> str:
    """A first wording of the achievements from the figures (staff edit it before proposing)."""
    if isinstance(f, IndividualFigures):
        return t("nominations.draft.individual", shifts=f.shifts, days=len(f.duty_days),
                 commune=f.commune_name, org=f.organisation or "")
    parts = []
    if f.reported_every_day:
        parts.append(t("nominations.draft.reports", days=f.days_total))
    if f.visits_judged:
        parts.append(t("nominations.draft.answers", answers=fmt_int(f.answers_judged),
                       visits=fmt_int(f.visits_judged), ratio=fmt_float(f.ratio, 2)))
    if f.ratio_in_band:
        parts.append(t("nominations.draft.band"))
    if f.roster_on_time:
        parts.append(t("nominations.draft.roster"))
    body = "; ".join(parts) if parts else t("nominations.draft.none")
    return t("nominations.draft.collective", commune=f.commune_name, body=body)


def commune_figures(scope: Scope, campaign_id: int, commune_code: str,
                    now: datetime | None = None) -> CommuneFigures:
    _require(scope, VIEW_ROLES)
    integrity = integrity_marks(campaign_id, [commune_code]) if find_commune(commune_code) \
        else {}
    with session_scope() as s:
        campaign = get_campaign(s, campaign_id)
        figs = _commune_figures(s, campaign, [commune_code], now, integrity)
    if commune_code not in figs:
        raise NominationError(t("nominations.err.unknown_commune"))
    return figs[commune_code]



def evidence_snapshot(s, campaign: Campaign, kind: str, commune_code: str | None,
              entry: RosterEntry | None) -> dict:
    snap: dict[str, Any] = {
        "taken_at": clock.now().isoformat(sep=" "),
        "campaign": {"id": campaign.id, "name": campaign.name, "year": campaign.year,
                     "ratio_low": campaign.ratio_low, "ratio_high": campaign.ratio_high,
                     "roster_deadline": campaign.roster_deadline.isoformat()},
        "kind": kind,
    }
    if commune_code:
        integrity = integrity_marks(campaign.id, [commune_code]) \
            if find_commune(commune_code) else {}
        figs = _commune_figures(s, campaign, [commune_code], integrity=integrity)
        if commune_code in figs:
            snap["commune"] = figs[commune_code].as_evidence()
    if entry is not None:
        snap["individual"] = _entry_figures(entry, set(campaign_days(campaign))).as_evidence()
    return snap



def evidence_summary(ev: dict) -> str:
    """The evidence snapshot in one Vietnamese sentence (for the list, Excel and PDF)."""
    parts: list[str] = []
    ind = ev.get("individual")
    if ind:
        shift = t(f"nominations.shift.{ind.get('shift')}") if ind.get("shift") in SHIFT_WEIGHT else ""
        parts.append(t("nominations.ev.individual", shifts=ind.get("shifts", 0),
                       days=len(ind.get("duty_days") or []), shift=shift,
                       commune=ind.get("commune_name", "")))
    com = ev.get("commune")
    camp = ev.get("campaign") or {}
    if com:
        parts.append(t("nominations.ev.reports", done=com.get("days_reported", 0),
                       total=com.get("days_total", 0)))
        ratio = com.get("ratio")
        if "answers_judged" in com:   # like with like (snapshots since issue 12)
            parts.append(t("nominations.ev.answers_judged",
                           answers=fmt_int(com.get("answers_judged", 0)),
                           visits=fmt_int(com.get("visits_judged", 0)),
                           days=com.get("days_with_visits", 0),
                           ratio=fmt_float(ratio, 2) if ratio is not None else "–"))
        else:
            parts.append(t("nominations.ev.answers", answers=fmt_int(com.get("answers", 0)),
                           visits=fmt_int(com.get("visits", 0)),
                           ratio=fmt_float(ratio, 2) if ratio is not None else "–"))
        parts.append(t("nominations.ev.band", inband=com.get("days_in_band", 0),
                       days=com.get("days_with_visits", 0),
                       low=fmt_float(camp.get("ratio_low"), 2),
                       high=fmt_float(camp.get("ratio_high"), 2)))
        sub = com.get("roster_submitted_at")
        if sub:
            when = fmt_date(datetime.fromisoformat(sub))
            parts.append(t("nominations.ev.roster_on_time" if com.get("roster_on_time")
                           else "nominations.ev.roster_late", when=when))
        else:
            parts.append(t("nominations.ev.roster_missing"))
        if com.get("index_overall") is not None:
            parts.append(t("nominations.ev.index", index=fmt_float(com["index_overall"], 1),
                           n=fmt_int(com.get("index_n", 0))))
        if "integrity_warnings" in com:
            open_ = com.get("integrity_warnings") or []
            parts.append(t("nominations.ev.integrity_open", n=len(open_),
                           labels="; ".join(w.get("label", "") for w in open_))
                         if open_ else t("nominations.ev.integrity_clean"))
    taken = ev.get("taken_at")
    if taken:
        parts.append(t("nominations.ev.taken", when=fmt_datetime(datetime.fromisoformat(taken))))
    return "; ".join(parts) + ("." if parts else "")


