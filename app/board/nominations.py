"""Nominations (đề xuất khen thưởng): data-backed suggestions, the approval workflow, the final list.

Suggestions are computed from the campaign's data, never typed in:

- collectives (commune working groups), per commune, over the campaign days so far:
  ``reported_every_day`` (a DailyReport for each day), ``ratio_in_band`` (answers / visits inside
  the campaign's band on every reported day with visits; answers from CommuneHourTally, visits
  from DailyReport), ``mobilisation`` (answers per visit over the campaign, the higher the better
  while inside the band), ``roster_on_time`` (RosterStatus.submitted_at on or before the roster
  deadline);
- individuals: helpers of the rosters (RosterEntry) with the most duty shifts (a whole-day duty
  counts two shifts, a morning or afternoon one).

A nomination keeps a JSON **evidence snapshot** of those figures, computed on the server when it
is proposed; later data never changes it.

Workflow and permissions (enforced here, whatever the page shows):

=====================  ==================================  ==================================
step                   from → to                           who
=====================  ==================================  ==================================
propose                (new) → proposed                    province, farmers, admin
edit                   proposed / shortlisted              province, farmers, admin
shortlist              proposed → shortlisted              province, admin
approve                shortlisted → approved              province, admin; not the proposer
reject                 proposed / shortlisted → rejected   province, admin (reason required)
reopen                 approved / rejected → shortlisted   province, admin (reason required)
=====================  ==================================  ==================================

Every step appends ``{at, by, role, action, from, to, note}`` to ``history`` and writes an audit
entry in the same transaction. The final list is the approved nominations of a campaign; it must
hold ``FINAL_MIN``..``FINAL_MAX`` (3–5) of them, and exports refuse any other count.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time as dtime
from typing import Any, Iterable

from sqlalchemy import func
from sqlmodel import select

from app.core import audit, clock
from app.core.auth import AuthError, Scope
from app.core.campaigns import campaign_days
from app.core.fmt import fmt_date, fmt_datetime, fmt_float, fmt_int
from app.core.i18n import t
from app.core.reference import find_commune, geography
from db.engine import session_scope
from db.models import (Campaign, CommuneHourTally, DailyReport, Nomination, RosterEntry,
                       RosterStatus, ScoreTally)

FINAL_MIN = 3
FINAL_MAX = 5
KINDS = ("collective", "individual")
STATUSES = ("proposed", "shortlisted", "approved", "rejected")

PROPOSE_ROLES = ("province", "farmers", "admin")
REVIEW_ROLES = ("province", "admin")
VIEW_ROLES = ("province", "farmers", "admin")

# action -> (statuses it may start from, status it leads to, roles allowed)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "shortlist": (("proposed",), "shortlisted", REVIEW_ROLES),
    "approve": (("shortlisted",), "approved", REVIEW_ROLES),
    "reject": (("proposed", "shortlisted"), "rejected", REVIEW_ROLES),
    "reopen": (("approved", "rejected"), "shortlisted", REVIEW_ROLES),
}
NOTE_REQUIRED = ("reject", "reopen")
SHIFT_WEIGHT = {"ca_ngay": 2, "sang": 1, "chieu": 1}
MAX_TEXT = 4000
MAX_NAME = 200


class NominationError(ValueError):
    """A refused nomination action; the message is Vietnamese and meant for the user."""


# --------------------------------------------------------------------------------------------
# Figures behind the suggestions
# --------------------------------------------------------------------------------------------

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
    ratio: float | None
    roster_submitted_at: datetime | None
    roster_on_time: bool
    index_overall: float | None
    index_n: int
    reported_every_day: bool = False
    ratio_in_band: bool = False
    criteria_met: int = 0
    meets_all: bool = False

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


def _require(scope: Scope, roles: Iterable[str]) -> None:
    if scope.role not in roles:
        raise AuthError(t("nominations.err.not_allowed"))


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


def _get_campaign(s, campaign_id: int) -> Campaign:
    c = s.get(Campaign, campaign_id)
    if c is None:
        raise NominationError(t("nominations.err.no_campaign"))
    return c


def _commune_figures(s, campaign: Campaign, codes: list[str] | None = None,
                     now: datetime | None = None) -> dict[str, CommuneFigures]:
    """Figures of every commune (or of `codes`) for one campaign, over its days so far
    (reports are expected for the days whose cut-off has passed)."""
    days = _days_so_far(campaign, now)
    due = _days_due(campaign, now)
    day_set = set(days)
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
        for day, (v, _g) in rep.items():
            if v <= 0:
                continue
            days_with_visits += 1
            if campaign.ratio_low <= ans.get(day, 0) / v <= campaign.ratio_high:
                days_in_band += 1
        submitted = roster.get(c.code)
        idx, idx_n = index.get(c.code, (None, 0))
        f = CommuneFigures(
            commune_code=c.code, commune_name=c.full_name, district_code=c.district_code,
            district_name=c.district_full_name, days_total=len(due),
            days_reported=sum(1 for d in due if d in rep),
            visits=visits, guided=guided, answers=n_answers, days_with_visits=days_with_visits,
            days_in_band=days_in_band, ratio=(n_answers / visits) if visits else None,
            roster_submitted_at=submitted,
            roster_on_time=bool(submitted and submitted.date() <= campaign.roster_deadline),
            index_overall=idx, index_n=int(idx_n or 0))
        f.reported_every_day = bool(due) and f.days_reported == len(due)
        f.ratio_in_band = f.days_with_visits > 0 and f.days_in_band == f.days_with_visits
        mobilised = f.ratio_in_band and f.ratio is not None
        f.criteria_met = sum((f.reported_every_day, f.ratio_in_band, mobilised, f.roster_on_time))
        f.meets_all = f.reported_every_day and f.ratio_in_band and f.roster_on_time
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
                now: datetime | None = None) -> Suggestions:
    """Every commune with its figures (best first) and the helpers with the most duty shifts."""
    _require(scope, VIEW_ROLES)
    with session_scope() as s:
        campaign = _get_campaign(s, campaign_id)
        figures = list(_commune_figures(s, campaign, now=now).values())
        window = set(campaign_days(campaign))
        entries = s.exec(select(RosterEntry).where(RosterEntry.campaign_id == campaign_id)).all()
        people = [_entry_figures(e, window) for e in entries]
    figures.sort(key=lambda f: (f.meets_all, f.criteria_met, f.mobilisation or 0.0, f.answers,
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
    if f.visits:
        parts.append(t("nominations.draft.answers", answers=fmt_int(f.answers), visits=fmt_int(f.visits),
                       ratio=fmt_float(f.ratio, 2)))
    if f.ratio_in_band:
        parts.append(t("nominations.draft.band"))
    if f.roster_on_time:
        parts.append(t("nominations.draft.roster"))
    body = "; ".join(parts) if parts else t("nominations.draft.none")
    return t("nominations.draft.collective", commune=f.commune_name, body=body)


def commune_figures(scope: Scope, campaign_id: int, commune_code: str,
                    now: datetime | None = None) -> CommuneFigures:
    _require(scope, VIEW_ROLES)
    with session_scope() as s:
        campaign = _get_campaign(s, campaign_id)
        figs = _commune_figures(s, campaign, [commune_code], now)
    if commune_code not in figs:
        raise NominationError(t("nominations.err.unknown_commune"))
    return figs[commune_code]


# --------------------------------------------------------------------------------------------
# Nominations
# --------------------------------------------------------------------------------------------

@dataclass
class NominationView:
    id: int
    campaign_id: int
    kind: str
    name: str
    unit: str
    commune_code: str | None
    district_code: str | None
    commune_name: str
    district_name: str
    achievements: str
    evidence: dict
    status: str
    proposed_by: str | None
    proposed_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    history: list[dict] = field(default_factory=list)

    @property
    def evidence_text(self) -> str:
        return evidence_summary(self.evidence)


def _view(n: Nomination) -> NominationView:
    c = find_commune(n.commune_code) if n.commune_code else None
    d = geography().district(n.district_code) if n.district_code else None
    return NominationView(
        id=n.id, campaign_id=n.campaign_id, kind=n.kind, name=n.name, unit=n.unit,
        commune_code=n.commune_code, district_code=n.district_code,
        commune_name=c.full_name if c else "", district_name=d.full_name if d else "",
        achievements=n.achievements, evidence=json.loads(n.evidence or "{}"), status=n.status,
        proposed_by=n.proposed_by, proposed_at=n.proposed_at, decided_by=n.decided_by,
        decided_at=n.decided_at, history=json.loads(n.history or "[]"))


def _clean(text: Any, limit: int) -> str:
    from app.core.text import clean_text
    return clean_text(str(text or ""))[:limit]


def _snapshot(s, campaign: Campaign, kind: str, commune_code: str | None,
              entry: RosterEntry | None) -> dict:
    snap: dict[str, Any] = {
        "taken_at": clock.now().isoformat(sep=" "),
        "campaign": {"id": campaign.id, "name": campaign.name, "year": campaign.year,
                     "ratio_low": campaign.ratio_low, "ratio_high": campaign.ratio_high,
                     "roster_deadline": campaign.roster_deadline.isoformat()},
        "kind": kind,
    }
    if commune_code:
        figs = _commune_figures(s, campaign, [commune_code])
        if commune_code in figs:
            snap["commune"] = figs[commune_code].as_evidence()
    if entry is not None:
        snap["individual"] = _entry_figures(entry, set(campaign_days(campaign))).as_evidence()
    return snap


def list_nominations(scope: Scope, campaign_id: int,
                     status: str | None = None) -> list[NominationView]:
    _require(scope, VIEW_ROLES)
    with session_scope() as s:
        q = select(Nomination).where(Nomination.campaign_id == campaign_id)
        if status:
            q = q.where(Nomination.status == status)
        rows = s.exec(q.order_by(Nomination.id)).all()
        return [_view(n) for n in rows]


def get_nomination(scope: Scope, nomination_id: int) -> NominationView:
    _require(scope, VIEW_ROLES)
    with session_scope() as s:
        n = s.get(Nomination, nomination_id)
        if n is None:
            raise NominationError(t("nominations.err.not_found"))
        return _view(n)


def propose(scope: Scope, campaign_id: int, *, kind: str, name: str, unit: str = "",
            commune_code: str | None = None, district_code: str | None = None,
            achievements: str, roster_entry_id: int | None = None) -> NominationView:
    """Create a nomination in status ``proposed`` with a frozen evidence snapshot."""
    _require(scope, PROPOSE_ROLES)
    if kind not in KINDS:
        raise NominationError(t("nominations.err.kind"))
    name = _clean(name, MAX_NAME + 1)
    unit = _clean(unit, MAX_NAME + 1)
    achievements = _clean(achievements, MAX_TEXT + 1)
    if not name:
        raise NominationError(t("nominations.err.name"))
    if len(name) > MAX_NAME or len(unit) > MAX_NAME:
        raise NominationError(t("nominations.err.too_long", max=MAX_NAME))
    if len(achievements) < 10:
        raise NominationError(t("nominations.err.achievements"))
    if len(achievements) > MAX_TEXT:
        raise NominationError(t("nominations.err.too_long", max=fmt_int(MAX_TEXT)))
    commune_code = (commune_code or "").strip() or None
    district_code = (district_code or "").strip() or None
    now = clock.now()
    with session_scope() as s:
        campaign = _get_campaign(s, campaign_id)
        entry = None
        if roster_entry_id is not None:
            entry = s.get(RosterEntry, roster_entry_id)
            if entry is None or entry.campaign_id != campaign_id:
                raise NominationError(t("nominations.err.roster_entry"))
            if kind != "individual":
                raise NominationError(t("nominations.err.kind"))
            commune_code = commune_code or entry.commune_code
            if commune_code != entry.commune_code:
                raise NominationError(t("nominations.err.roster_entry"))
        if commune_code:
            c = find_commune(commune_code)
            if c is None:
                raise NominationError(t("nominations.err.unknown_commune"))
            if district_code and district_code != c.district_code:
                raise NominationError(t("nominations.err.district_mismatch"))
            district_code = c.district_code
        elif district_code:
            if geography().district(district_code) is None:
                raise NominationError(t("nominations.err.unknown_district"))
        elif kind == "collective":
            raise NominationError(t("nominations.err.unit_required"))
        dup = s.exec(select(Nomination).where(
            Nomination.campaign_id == campaign_id, Nomination.kind == kind,
            Nomination.status != "rejected",
            func.lower(Nomination.name) == name.lower(),
            Nomination.commune_code == commune_code if commune_code
            else Nomination.commune_code.is_(None))).first()
        if dup is not None:
            raise NominationError(t("nominations.err.duplicate", id=dup.id))
        evidence = _snapshot(s, campaign, kind, commune_code, entry)
        step = {"at": now.isoformat(sep=" "), "by": scope.username, "role": scope.role,
                "action": "propose", "from": None, "to": "proposed", "note": ""}
        n = Nomination(campaign_id=campaign_id, kind=kind, name=name, unit=unit,
                       commune_code=commune_code, district_code=district_code,
                       achievements=achievements,
                       evidence=json.dumps(evidence, ensure_ascii=False, sort_keys=True),
                       status="proposed", proposed_by=scope.username, proposed_at=now,
                       history=json.dumps([step], ensure_ascii=False))
        s.add(n)
        s.flush()
        audit.record(s, scope.username, "nomination.propose", "nomination", n.id,
                     after={"campaign_id": campaign_id, "kind": kind, "name": name, "unit": unit,
                            "commune": commune_code, "district": district_code,
                            "status": "proposed"})
        return _view(n)


def update_nomination(scope: Scope, nomination_id: int, *, name: str | None = None,
                      unit: str | None = None, achievements: str | None = None) -> NominationView:
    """Edit the words of a nomination still under review (the evidence stays as it was)."""
    _require(scope, PROPOSE_ROLES)
    with session_scope() as s:
        n = s.get(Nomination, nomination_id)
        if n is None:
            raise NominationError(t("nominations.err.not_found"))
        if n.status not in ("proposed", "shortlisted"):
            raise NominationError(t("nominations.err.locked", status=t(f"nominations.status.{n.status}")))
        before = {"name": n.name, "unit": n.unit, "achievements": n.achievements}
        if name is not None:
            name = _clean(name, MAX_NAME + 1)
            if not name:
                raise NominationError(t("nominations.err.name"))
            if len(name) > MAX_NAME:
                raise NominationError(t("nominations.err.too_long", max=MAX_NAME))
            n.name = name
        if unit is not None:
            unit = _clean(unit, MAX_NAME + 1)
            if len(unit) > MAX_NAME:
                raise NominationError(t("nominations.err.too_long", max=MAX_NAME))
            n.unit = unit
        if achievements is not None:
            achievements = _clean(achievements, MAX_TEXT + 1)
            if len(achievements) < 10:
                raise NominationError(t("nominations.err.achievements"))
            if len(achievements) > MAX_TEXT:
                raise NominationError(t("nominations.err.too_long", max=fmt_int(MAX_TEXT)))
            n.achievements = achievements
        after = {"name": n.name, "unit": n.unit, "achievements": n.achievements}
        if after == before:
            return _view(n)
        history = json.loads(n.history or "[]")
        history.append({"at": clock.now().isoformat(sep=" "), "by": scope.username,
                        "role": scope.role, "action": "edit", "from": n.status, "to": n.status,
                        "note": ""})
        n.history = json.dumps(history, ensure_ascii=False)
        s.add(n)
        audit.record(s, scope.username, "nomination.edit", "nomination", n.id, before=before,
                     after=after)
        return _view(n)


def blocked_actions(scope: Scope, nom: NominationView) -> dict[str, str]:
    """The steps this user's role could take on this nomination now but this user may not,
    each with the reason (shown on the page): nobody approves their own proposal."""
    out = {}
    for action, (sources, _target, roles) in TRANSITIONS.items():
        if nom.status in sources and scope.role in roles and action == "approve" \
                and nom.proposed_by == scope.username:
            out[action] = t("nominations.err.own_proposal")
    return out


def allowed_actions(scope: Scope, nom: NominationView) -> list[str]:
    """The workflow steps this user may take on this nomination now (for the page's buttons)."""
    blocked = blocked_actions(scope, nom)
    return [action for action, (sources, _target, roles) in TRANSITIONS.items()
            if nom.status in sources and scope.role in roles and action not in blocked]


def transition(scope: Scope, nomination_id: int, action: str, note: str = "") -> NominationView:
    """Move a nomination one step along the workflow (see the module docstring)."""
    if action not in TRANSITIONS:
        raise NominationError(t("nominations.err.action"))
    sources, target, roles = TRANSITIONS[action]
    _require(scope, roles)
    note = _clean(note, 1001)[:1000]
    if action in NOTE_REQUIRED and not note:
        raise NominationError(t("nominations.err.note_required"))
    now = clock.now()
    with session_scope() as s:
        n = s.get(Nomination, nomination_id)
        if n is None:
            raise NominationError(t("nominations.err.not_found"))
        if n.status not in sources:
            raise NominationError(t("nominations.err.bad_step", action=t(f"nominations.action.{action}"),
                                    status=t(f"nominations.status.{n.status}")))
        blocked = blocked_actions(scope, _view(n)).get(action)
        if blocked:
            raise AuthError(blocked)
        before = {"status": n.status, "decided_by": n.decided_by}
        history = json.loads(n.history or "[]")
        history.append({"at": now.isoformat(sep=" "), "by": scope.username, "role": scope.role,
                        "action": action, "from": n.status, "to": target, "note": note})
        n.status = target
        if target in ("approved", "rejected"):
            n.decided_by, n.decided_at = scope.username, now
        else:
            n.decided_by, n.decided_at = None, None
        n.history = json.dumps(history, ensure_ascii=False)
        s.add(n)
        audit.record(s, scope.username, f"nomination.{action}", "nomination", n.id,
                     before=before, after={"status": target, "note": note,
                                           "decided_by": n.decided_by})
        return _view(n)


# --------------------------------------------------------------------------------------------
# Final list and exports
# --------------------------------------------------------------------------------------------

@dataclass
class FinalList:
    campaign_id: int
    campaign_name: str
    campaign_year: int
    approved: list[NominationView]

    @property
    def count(self) -> int:
        return len(self.approved)

    @property
    def ok(self) -> bool:
        return FINAL_MIN <= self.count <= FINAL_MAX

    @property
    def message(self) -> str:
        n = self.count
        if n < FINAL_MIN:
            return t("nominations.final.too_few", n=n, min=FINAL_MIN, max=FINAL_MAX, more=FINAL_MIN - n)
        if n > FINAL_MAX:
            return t("nominations.final.too_many", n=n, min=FINAL_MIN, max=FINAL_MAX, less=n - FINAL_MAX)
        return t("nominations.final.ok", n=n, min=FINAL_MIN, max=FINAL_MAX)


def final_list(scope: Scope, campaign_id: int) -> FinalList:
    _require(scope, VIEW_ROLES)
    with session_scope() as s:
        c = _get_campaign(s, campaign_id)
        rows = s.exec(select(Nomination).where(Nomination.campaign_id == campaign_id,
                                               Nomination.status == "approved")
                      .order_by(Nomination.kind, Nomination.decided_at, Nomination.id)).all()
        return FinalList(c.id, c.name, c.year, [_view(n) for n in rows])


def _checked_final(scope: Scope, campaign_id: int) -> FinalList:
    fl = final_list(scope, campaign_id)
    if not fl.ok:
        raise NominationError(t("nominations.err.export_range", n=fl.count, min=FINAL_MIN, max=FINAL_MAX))
    return fl


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
    taken = ev.get("taken_at")
    if taken:
        parts.append(t("nominations.ev.taken", when=fmt_datetime(datetime.fromisoformat(taken))))
    return "; ".join(parts) + ("." if parts else "")


def _rows(fl: FinalList) -> list[list[str]]:
    rows = []
    for i, n in enumerate(fl.approved, start=1):
        place = ", ".join(x for x in (n.commune_name, n.district_name) if x)
        rows.append([str(i), t(f"nominations.kind.{n.kind}"), n.name,
                     "; ".join(x for x in (n.unit, place) if x), n.achievements,
                     n.evidence_text])
    return rows


def export_excel(scope: Scope, campaign_id: int) -> bytes:
    """The final list as an .xlsx workbook (refused unless it holds 3–5 approved nominations)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    from app.core.spreadsheet import append_row
    fl = _checked_final(scope, campaign_id)
    wb = Workbook()
    ws = wb.active
    ws.title = "De xuat khen thuong"
    headers = [t("nominations.col.no"), t("nominations.col.kind"), t("nominations.col.name"), t("nominations.col.unit"),
               t("nominations.col.achievements"), t("nominations.col.evidence")]
    append_row(ws, [t("nominations.export.title").upper()])
    append_row(ws, [t("nominations.export.subtitle", campaign=fl.campaign_name)])
    ws.append([])
    append_row(ws, headers)
    for r in _rows(fl):
        append_row(ws, r)
    ws.append([])
    append_row(ws, [t("nominations.export.made", date=fmt_date(clock.today()), by=scope.name)])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws["A2"].alignment = Alignment(horizontal="center")
    thin = Side(style="thin", color="999999")
    for cell in ws[4]:
        cell.font = Font(bold=True)
    for row in ws.iter_rows(min_row=4, max_row=4 + fl.count):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    for col, width in zip("ABCDEF", (6, 12, 30, 34, 60, 60)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A5"
    buf = io.BytesIO()
    wb.save(buf)
    _audit_export(scope, campaign_id, "xlsx", fl.count)
    return buf.getvalue()


def export_pdf(scope: Scope, campaign_id: int) -> bytes:
    """The final list as a PDF "Danh sách đề xuất khen thưởng" (DejaVu fonts, Vietnamese)."""
    import unicodedata

    from fpdf import FPDF
    from fpdf.fonts import FontFace

    from app.core import pdf as pdf_setup
    fl = _checked_final(scope, campaign_id)

    def nfc(x: str) -> str:
        return unicodedata.normalize("NFC", x or "")

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf_setup.set_up(pdf, title=t("nominations.export.title"), margins=(12, 12, 12),
                     page_break=15, author=nfc(scope.name))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(120, 5, nfc(t("nominations.export.org")), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 8, nfc(t("nominations.export.title").upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, nfc(t("nominations.export.subtitle", campaign=fl.campaign_name)), align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 9)
    headers = [t("nominations.col.no"), t("nominations.col.kind"), t("nominations.col.name"), t("nominations.col.unit"),
               t("nominations.col.achievements"), t("nominations.col.evidence")]
    with pdf.table(col_widths=(11, 19, 40, 45, 80, 78), text_align="LEFT", line_height=4.6,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(230, 236, 245)),
                   padding=1.2) as table:
        row = table.row()
        for h in headers:
            row.cell(nfc(h))
        for r in _rows(fl):
            row = table.row()
            for v in r:
                row.cell(nfc(v))
    pdf.ln(6)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, nfc(t("nominations.export.made", date=fmt_date(clock.today()), by=scope.name)),
             align="R", new_x="LMARGIN", new_y="NEXT")
    out = bytes(pdf.output())
    _audit_export(scope, campaign_id, "pdf", fl.count)
    return out


def _audit_export(scope: Scope, campaign_id: int, fmt: str, count: int) -> None:
    with session_scope() as s:
        audit.record(s, scope.username, "nomination.export", "campaign", campaign_id,
                     after={"format": fmt, "approved": count})
