"""Campaign administration: create and edit campaigns (validated), switch the active one,
archive or delete them, and browse earlier campaigns' results (a year-on-year comparison per
commune).

Writes are for ``admin`` only and audited; reads follow the user's scope (province-wide roles
see every commune, a district its communes, a commune itself).

- Names are unique: creating a campaign that exists already with exactly the same settings
  returns that campaign (a double click on "Tạo đợt khảo sát" makes one campaign); another
  campaign of the same name is refused.
- A campaign that nothing refers to yet (no answer, report, roster, nomination...) may be
  deleted; one with data is archived instead: it leaves the pickers of the dashboards and the
  campaign menus but keeps its data and its place in the year-on-year comparison. The archive
  is the ``campaigns.archived`` setting (a JSON list of ids), so no schema change was needed.
- The printed address is no longer a campaign field: QR codes and links use the one public
  address setting (``app/core/public_url.py``). The ``base_url`` column stays, unused.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from app.core import audit, campaigns, clock
from app.core.auth import AuthError, Scope
from app.core.fmt import fmt_date
from app.core.i18n import t
from app.core.reference import find_commune, geography
from db.engine import session_scope
from db.models import (
    Campaign,
    CommuneHourTally,
    DailyReport,
    Inspector,
    Nomination,
    OptionTally,
    Questionnaire,
    Response,
    RosterEntry,
    RosterStatus,
    ScoreTally,
    Setting,
    WarningReview,
)

FIELDS = ("name", "year", "start_date", "end_date", "roster_deadline", "report_cutoff",
          "ratio_low", "ratio_high", "min_sample", "friendly_threshold", "questionnaire_id")
ARCHIVE_SETTING = campaigns.ARCHIVE_SETTING
MAX_WINDOW_DAYS = 31
_CUTOFF = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class CampaignError(ValueError):
    """Refused: `errors` maps a field name to its Vietnamese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _require_admin(scope: Scope) -> None:
    if scope.role != "admin":
        raise AuthError(t("campaigns.err.not_allowed"))


def _campaign_dict(c: Campaign) -> dict[str, Any]:
    return {f: getattr(c, f) for f in FIELDS} | {"is_active": c.is_active}


def validate(values: dict[str, Any], *, session=None) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a campaign's fields. Returns (clean values, {field: Vietnamese message})."""
    e: dict[str, str] = {}
    v: dict[str, Any] = {}
    name = str(values.get("name") or "").strip()
    if not 3 <= len(name) <= 200:
        e["name"] = t("campaigns.err.name")
    v["name"] = name
    for f in ("start_date", "end_date", "roster_deadline"):
        d = values.get(f)
        if isinstance(d, str):
            try:
                d = date.fromisoformat(d)
            except ValueError:
                d = None
        if not isinstance(d, date):
            e[f] = t("campaigns.err.date")
        v[f] = d
    start, end, deadline = v["start_date"], v["end_date"], v["roster_deadline"]
    if isinstance(start, date) and isinstance(end, date):
        if end < start:
            e["end_date"] = t("campaigns.err.window_order")
        elif (end - start).days + 1 > MAX_WINDOW_DAYS:
            e["end_date"] = t("campaigns.err.window_long", max=MAX_WINDOW_DAYS)
    if isinstance(start, date) and isinstance(deadline, date) and deadline > start:
        e["roster_deadline"] = t("campaigns.err.deadline")
    try:
        year = int(values.get("year"))
    except (TypeError, ValueError):
        year = 0
    if not 2000 <= year <= 2100:
        e["year"] = t("campaigns.err.year")
    elif isinstance(start, date) and year != start.year:
        e["year"] = t("campaigns.err.year_start", year=start.year)
    v["year"] = year
    cutoff = str(values.get("report_cutoff") or "").strip()
    if not _CUTOFF.fullmatch(cutoff):
        e["report_cutoff"] = t("campaigns.err.cutoff")
    v["report_cutoff"] = cutoff

    def num(f: str, cast=float):
        try:
            x = cast(values.get(f))
        except (TypeError, ValueError):
            return None
        return x

    low, high = num("ratio_low"), num("ratio_high")
    if low is None or low < 0:
        e["ratio_low"] = t("campaigns.err.ratio_low")
    if high is None or high > 20:
        e["ratio_high"] = t("campaigns.err.ratio_high")
    elif low is not None and high <= low:
        e["ratio_high"] = t("campaigns.err.ratio_order")
    v["ratio_low"], v["ratio_high"] = low, high
    ms = num("min_sample", int)
    if ms is None or not 1 <= ms <= 100000:
        e["min_sample"] = t("campaigns.err.min_sample")
    v["min_sample"] = ms
    ft = num("friendly_threshold")
    if ft is None or not 0 <= ft <= 100:
        e["friendly_threshold"] = t("campaigns.err.threshold")
    v["friendly_threshold"] = ft
    qid = num("questionnaire_id", int)
    v["questionnaire_id"] = qid
    if qid is None or session is not None and session.get(Questionnaire, qid) is None:
        e["questionnaire_id"] = t("campaigns.err.questionnaire")
    return v, e


def _same_name(s, name: str, other_than: int | None = None) -> Campaign | None:
    """The campaign named `name` whatever its capitals (compared in Python: SQLite's lower()
    leaves "Đ" as it is)."""
    key = " ".join(name.split()).casefold()
    for c in s.exec(select(Campaign).order_by(Campaign.id)).all():
        if c.id != other_than and " ".join(c.name.split()).casefold() == key:
            return c
    return None


def create_campaign(scope: Scope, values: dict[str, Any], *, activate: bool = False) -> Campaign:
    """A new campaign. The same campaign asked for twice (a double click) is created once: the
    second request finds its twin (same name, same settings) and returns it."""
    _require_admin(scope)
    with session_scope() as s:
        clean, errors = validate(values, session=s)
        if errors:
            raise CampaignError(errors)
        twin = _same_name(s, clean["name"])
        if twin is not None and any(getattr(twin, f) != clean[f] for f in FIELDS):
            raise CampaignError({"name": t("campaigns.err.name_taken", name=clean["name"])})
        if twin is None:
            twin = Campaign(**clean, is_active=False, is_demo=False, created_at=clock.now())
            s.add(twin)
            s.flush()
            audit.record(s, scope.username, "campaign.create", "campaign", twin.id,
                         after=_campaign_dict(twin))
        cid = twin.id
    if activate:
        activate_campaign(scope, cid)
    with session_scope() as s:
        return s.get(Campaign, cid)


def update_campaign(scope: Scope, campaign_id: int, values: dict[str, Any], *,
                    allow_mixed: bool = False) -> Campaign:
    """Change a campaign's settings. Refuses a window that would leave answers outside it, and
    (unless `allow_mixed`) another questionnaire version once answers exist."""
    _require_admin(scope)
    with session_scope() as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise CampaignError({"_": t("campaigns.err.not_found")})
        clean, errors = validate(values, session=s)
        if not errors and _same_name(s, clean["name"], other_than=campaign_id) is not None:
            errors["name"] = t("campaigns.err.name_taken", name=clean["name"])
        if not errors:
            first, last = s.exec(select(func.min(Response.day), func.max(Response.day))
                                 .where(Response.campaign_id == campaign_id)).one()
            if first is not None and (first < clean["start_date"] or last > clean["end_date"]):
                errors["start_date"] = t("campaigns.err.answers_outside", first=fmt_date(first),
                                         last=fmt_date(last))
            if clean["questionnaire_id"] != c.questionnaire_id and not allow_mixed:
                n = s.exec(select(func.count()).select_from(Response)
                           .where(Response.campaign_id == campaign_id)).one()
                if n:
                    errors["questionnaire_id"] = t("campaigns.err.questionnaire_in_use", n=n)
        if errors:
            raise CampaignError(errors)
        before = _campaign_dict(c)
        for k, val in clean.items():
            setattr(c, k, val)
        after = _campaign_dict(c)
        if after != before:
            s.add(c)
            changed = {k for k in after if after[k] != before[k]}
            audit.record(s, scope.username, "campaign.update", "campaign", c.id,
                         before={k: before[k] for k in changed},
                         after={k: after[k] for k in changed})
    campaigns.invalidate()
    with session_scope() as s:
        return s.get(Campaign, campaign_id)


def activate_campaign(scope: Scope, campaign_id: int) -> None:
    """Make this the active campaign (the one the survey and the dashboards use)."""
    _require_admin(scope)
    from app.core.settings import load_settings
    with session_scope() as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise CampaignError({"_": t("campaigns.err.not_found")})
        if c.is_demo and not load_settings().demo_mode:
            raise CampaignError({"_": t("campaigns.err.demo")})
        if c.id in _archived_ids(s):
            raise CampaignError({"_": t("campaigns.err.archived_active")})
        others = s.exec(select(Campaign).where(Campaign.is_active == True,  # noqa: E712
                                               Campaign.id != campaign_id)).all()
        before = [o.id for o in others]
        for o in others:
            o.is_active = False
            s.add(o)
        if c.is_active and not others:
            return
        c.is_active = True
        s.add(c)
        s.flush()
        audit.record(s, scope.username, "campaign.activate", "campaign", c.id,
                     before={"active": before}, after={"active": [c.id]})
    campaigns.invalidate()


# --------------------------------------------------------------------------------------------
# Archive and delete
# --------------------------------------------------------------------------------------------

def _archived_ids(s) -> set[int]:
    return campaigns.archived_ids_in(s)


def archived_ids() -> set[int]:
    with session_scope() as s:
        return _archived_ids(s)


def _save_archived(s, ids: set[int]) -> None:
    row = s.get(Setting, ARCHIVE_SETTING) or Setting(key=ARCHIVE_SETTING)
    row.value = json.dumps(sorted(ids))
    s.add(row)


def _campaign_data(s, campaign_id: int) -> dict[str, int]:
    counts = {}
    for key, model in (("answers", Response), ("reports", DailyReport), ("roster", RosterEntry),
                       ("roster_status", RosterStatus), ("inspectors", Inspector),
                       ("nominations", Nomination), ("reviews", WarningReview)):
        counts[key] = int(s.exec(select(func.count()).select_from(model)
                                 .where(model.campaign_id == campaign_id)).one())
    return counts


def campaign_data(campaign_id: int) -> dict[str, int]:
    """How many rows of each kind belong to a campaign (what a deletion would lose)."""
    with session_scope() as s:
        return _campaign_data(s, campaign_id)


def can_delete(campaign_id: int) -> bool:
    return not any(campaign_data(campaign_id).values())


def delete_campaign(scope: Scope, campaign_id: int) -> str:
    """Delete a campaign nothing refers to yet (a mistake, a test); returns its name. One with
    answers or any other data must be archived instead; the active one cannot go."""
    _require_admin(scope)
    with session_scope() as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise CampaignError({"_": t("campaigns.err.not_found")})
        if c.is_active:
            raise CampaignError({"_": t("campaigns.err.delete_active")})
        data = {k: n for k, n in _campaign_data(s, campaign_id).items() if n}
        if data:
            raise CampaignError({"_": t("campaigns.err.delete_has_data", answers=data.get(
                "answers", 0), other=sum(n for k, n in data.items() if k != "answers"))})
        before = _campaign_dict(c)
        name = c.name
        for model in (CommuneHourTally, OptionTally, ScoreTally):  # empty for such a campaign
            for row in s.exec(select(model).where(model.campaign_id == campaign_id)).all():
                s.delete(row)
        s.delete(c)
        ids = _archived_ids(s)
        if campaign_id in ids:
            _save_archived(s, ids - {campaign_id})
        audit.record(s, scope.username, "campaign.delete", "campaign", campaign_id,
                     before=before)
    campaigns.invalidate()
    return name


def set_archived(scope: Scope, campaign_id: int, archived: bool) -> str:
    """Archive (or bring back) a campaign; returns its name. The active campaign cannot be
    archived: switch to another first."""
    _require_admin(scope)
    with session_scope() as s:
        c = s.get(Campaign, campaign_id)
        if c is None:
            raise CampaignError({"_": t("campaigns.err.not_found")})
        if archived and c.is_active:
            raise CampaignError({"_": t("campaigns.err.archive_active")})
        ids = _archived_ids(s)
        if (campaign_id in ids) == archived:
            return c.name
        _save_archived(s, ids | {campaign_id} if archived else ids - {campaign_id})
        audit.record(s, scope.username, "campaign.archive" if archived else "campaign.unarchive",
                     "campaign", campaign_id, before={"archived": not archived},
                     after={"archived": archived, "name": c.name})
        return c.name


# --------------------------------------------------------------------------------------------
# Browsing results across campaigns
# --------------------------------------------------------------------------------------------

@dataclass
class CampaignSummary:
    id: int
    name: str
    year: int
    start_date: date
    end_date: date
    is_active: bool
    is_demo: bool
    questionnaire: str
    answers: int
    communes_with_answers: int
    index_overall: float | None
    reports: int
    archived: bool = False


def _visible(scope: Scope) -> set[str] | None:
    codes = scope.visible_commune_codes()
    return None if codes is None else set(codes)


def campaign_summaries(scope: Scope) -> list[CampaignSummary]:
    if scope.role not in ("admin", "province", "farmers", "district", "commune"):
        raise AuthError(t("campaigns.err.not_allowed"))
    visible = _visible(scope)
    with session_scope() as s:
        camps = s.exec(select(Campaign).order_by(Campaign.start_date.desc())).all()
        qs = {q.id: f"{q.code} v{q.version}" for q in s.exec(select(Questionnaire)).all()}
        answers: dict[int, dict[str, int]] = {}
        for cid, code, n in s.exec(select(CommuneHourTally.campaign_id,
                                          CommuneHourTally.commune_code,
                                          func.sum(CommuneHourTally.n))
                                   .group_by(CommuneHourTally.campaign_id,
                                             CommuneHourTally.commune_code)).all():
            if visible is None or code in visible:
                answers.setdefault(cid, {})[code] = int(n or 0)
        idx: dict[int, list[float]] = {}
        for cid, code, n, total in s.exec(select(ScoreTally.campaign_id, ScoreTally.commune_code,
                                                 ScoreTally.n, ScoreTally.total)
                                          .where(ScoreTally.pillar == "overall")).all():
            if visible is None or code in visible:
                acc = idx.setdefault(cid, [0, 0.0])
                acc[0] += n
                acc[1] += total
        archived = _archived_ids(s)
        reports: dict[int, int] = {}
        for cid, code in s.exec(select(DailyReport.campaign_id, DailyReport.commune_code)).all():
            if visible is None or code in visible:
                reports[cid] = reports.get(cid, 0) + 1
        out = []
        for c in camps:
            a = answers.get(c.id, {})
            i = idx.get(c.id)
            out.append(CampaignSummary(c.id, c.name, c.year, c.start_date, c.end_date,
                                       c.is_active, c.is_demo, qs.get(c.questionnaire_id, "?"),
                                       sum(a.values()), sum(1 for v in a.values() if v > 0),
                                       (i[1] / i[0]) if i and i[0] else None,
                                       reports.get(c.id, 0), c.id in archived))
        return out


def get_campaign(campaign_id: int) -> Campaign | None:
    with session_scope() as s:
        return s.get(Campaign, campaign_id)


def _per_commune(s, campaign_id: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for code, n in s.exec(select(CommuneHourTally.commune_code, func.sum(CommuneHourTally.n))
                          .where(CommuneHourTally.campaign_id == campaign_id)
                          .group_by(CommuneHourTally.commune_code)).all():
        out.setdefault(code, {})["answers"] = int(n or 0)
    for code, n, total in s.exec(select(ScoreTally.commune_code, ScoreTally.n, ScoreTally.total)
                                 .where(ScoreTally.campaign_id == campaign_id,
                                        ScoreTally.pillar == "overall")).all():
        out.setdefault(code, {})["index"] = (total / n) if n else None
        out[code]["index_n"] = int(n)
    for code, visits in s.exec(select(DailyReport.commune_code, func.sum(DailyReport.visits))
                               .where(DailyReport.campaign_id == campaign_id)
                               .group_by(DailyReport.commune_code)).all():
        out.setdefault(code, {})["visits"] = int(visits or 0)
    return out


def commune_history(scope: Scope, commune_code: str) -> list[dict[str, Any]]:
    """One row per campaign (oldest first): answers, visits and overall index of one commune."""
    if not scope.can_see_commune(commune_code):
        raise AuthError(t("campaigns.err.not_allowed"))
    c = find_commune(commune_code)
    if c is None:
        return []
    rows = []
    with session_scope() as s:
        for camp in s.exec(select(Campaign).order_by(Campaign.start_date)).all():
            f = _per_commune(s, camp.id).get(commune_code, {})
            rows.append({"campaign_id": camp.id, "campaign": camp.name, "year": camp.year,
                         "is_demo": camp.is_demo, "answers": f.get("answers", 0),
                         "visits": f.get("visits", 0), "index": f.get("index"),
                         "index_n": f.get("index_n", 0), "min_sample": camp.min_sample,
                         "threshold": camp.friendly_threshold})
    return rows


def compare_campaigns(scope: Scope, earlier_id: int, later_id: int,
                      district_code: str | None = None) -> list[dict[str, Any]]:
    """Per commune: answers and overall index in two campaigns and the change of the index."""
    visible = _visible(scope)
    if scope.role not in ("admin", "province", "farmers", "district", "commune"):
        raise AuthError(t("campaigns.err.not_allowed"))
    with session_scope() as s:
        a, b = _per_commune(s, earlier_id), _per_commune(s, later_id)
        ca, cb = s.get(Campaign, earlier_id), s.get(Campaign, later_id)
    if ca is None or cb is None:
        return []
    rows = []
    for c in geography().communes:
        if visible is not None and c.code not in visible:
            continue
        if district_code and c.district_code != district_code:
            continue
        fa, fb = a.get(c.code, {}), b.get(c.code, {})
        ia, ib = fa.get("index"), fb.get("index")
        small_a = fa.get("index_n", 0) < ca.min_sample
        small_b = fb.get("index_n", 0) < cb.min_sample
        rows.append({"commune_code": c.code, "commune": c.full_name,
                     "district": c.district_full_name,
                     "answers_a": fa.get("answers", 0), "index_a": ia, "small_a": small_a,
                     "answers_b": fb.get("answers", 0), "index_b": ib, "small_b": small_b,
                     "delta": (ib - ia) if ia is not None and ib is not None else None})
    return rows


def questionnaire_choices() -> list[tuple[int, str]]:
    with session_scope() as s:
        return [(q.id, f"{q.code} – phiên bản {q.version} ({q.title})")
                for q in s.exec(select(Questionnaire)
                                .order_by(Questionnaire.code, Questionnaire.version.desc())).all()]


def default_values(today: date | None = None) -> dict[str, Any]:
    """Suggested values for a new campaign (the 2024 plan's shape, moved to this year)."""
    from datetime import timedelta
    today = today or clock.today()
    active = campaigns.active_campaign(max_age=0)
    start = date(today.year, 5, 6) if today < date(today.year, 5, 6) else today + timedelta(days=14)
    latest_q = questionnaire_choices()
    return {"name": t("campaigns.default_name", year=start.year), "year": start.year,
            "start_date": start, "end_date": start + timedelta(days=2),
            "roster_deadline": start - timedelta(days=2), "report_cutoff": "20:00",
            "ratio_low": 0.3, "ratio_high": 1.2, "min_sample": 30, "friendly_threshold": 80.0,
            "questionnaire_id": active.questionnaire_id if active else
            (latest_q[0][0] if latest_q else None)}
