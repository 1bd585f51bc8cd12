"""Leaders and cadres assigned to direct, inspect and supervise (thành phần chỉ đạo, kiểm tra).

Each inspector belongs to a managing unit: a district (``district_code``: added by that district's
steering committee, covering only its communes) or the province (``district_code`` None: added by
the Board or the provincial Farmers' Association, covering any commune). Province-wide users
(``farmers``, ``province``, ``admin``) keep the whole list; a ``district`` user keeps its own
district's inspectors and sees, read-only, the provincial ones who cover its communes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete
from sqlmodel import select

from app.core import audit, clock
from app.core.auth import AuthError, Scope
from app.core.campaigns import campaign_days
from app.core.fmt import fmt_date
from app.core.i18n import t
from app.core.reference import find_commune, geography
from app.core.text import clean_line
from app.operations.roster import MAX_NAME, Problem, SaveResult, normalise_phone, parse_day
from db.engine import session_scope
from db.models import Campaign, Inspector

ROLES = ("admin", "province", "farmers", "district")
MAX_INSPECTORS = 500


def _codes(text: str | None) -> list[str]:
    try:
        v = json.loads(text or "[]")
        return [str(x) for x in v] if isinstance(v, list) else []
    except ValueError:
        return []


def inspector_days(i: Inspector) -> list[date]:
    out = []
    for d in _codes(i.days):
        try:
            out.append(date.fromisoformat(d))
        except ValueError:
            pass
    return out


def inspector_communes(i: Inspector) -> list[str]:
    return _codes(i.commune_codes)


@dataclass
class InspectorList:
    editable: list[Inspector]   # the rows this user keeps
    read_only: list[Inspector]  # provincial inspectors covering a district user's communes


def list_inspectors(scope: Scope, campaign_id: int) -> InspectorList:
    if scope.role not in ROLES:
        raise AuthError(t("ops.forbidden"))
    with session_scope() as s:
        rows = list(s.exec(select(Inspector).where(Inspector.campaign_id == campaign_id)
                           .order_by(Inspector.district_code, Inspector.id)).all())
    if scope.province_wide:
        return InspectorList(rows, [])
    mine = set(scope.visible_commune_codes() or [])
    editable = [i for i in rows if i.district_code == scope.district_code]
    read_only = [i for i in rows if i.district_code is None
                 and mine.intersection(inspector_communes(i))]
    return InspectorList(editable, read_only)


def save_inspectors(scope: Scope, campaign: Campaign, raw_rows: list[dict]) -> SaveResult:
    """Replace the inspectors this user keeps with `raw_rows` (all or nothing).

    A raw row: full_name, position, organisation, phone, district_code (province-wide users
    only; a district user's rows are always its district), commune_codes (list), days (list)."""
    if scope.role not in ROLES:
        raise AuthError(t("ops.forbidden"))
    window = set(campaign_days(campaign))
    geo = geography()
    problems: list[Problem] = []
    clean: list[dict] = []
    if len(raw_rows) > MAX_INSPECTORS:
        return SaveResult(False, [Problem(None, "", t("roster.err.too_many", max=MAX_INSPECTORS,
                                                      n=len(raw_rows)))])
    for n, raw in enumerate(raw_rows, start=1):
        name = clean_line(raw.get("full_name"))
        position = clean_line(raw.get("position"))
        org = clean_line(raw.get("organisation"))
        phone_raw = clean_line(raw.get("phone"))
        communes = [clean_line(c) for c in (raw.get("commune_codes") or []) if clean_line(c)]
        days_raw = [d for d in (raw.get("days") or []) if clean_line(d) or isinstance(d, date)]
        if not (name or position or org or phone_raw or communes or days_raw):
            continue
        before = len(problems)
        if not name:
            problems.append(Problem(n, "full_name", t("roster.err.name_required")))
        elif len(name) > MAX_NAME:
            problems.append(Problem(n, "full_name", t("roster.err.name_invalid")))
        phone = normalise_phone(phone_raw) if phone_raw else ""
        if phone is None:
            problems.append(Problem(n, "phone", t("roster.err.phone_invalid", value=phone_raw[:30])))
        if scope.province_wide:
            dcode = clean_line(raw.get("district_code")) or None
            if dcode and geo.district(dcode) is None:
                problems.append(Problem(n, "district_code", t("inspectors.err.district")))
        else:
            dcode = scope.district_code
        if not communes:
            problems.append(Problem(n, "commune_codes", t("inspectors.err.communes_required")))
        for code in communes:
            c = find_commune(code)
            if c is None or not scope.can_see_commune(c.code, c.district_code):
                problems.append(Problem(n, "commune_codes",
                                        t("inspectors.err.commune", code=code[:10])))
            elif dcode and c.district_code != dcode:
                problems.append(Problem(n, "commune_codes", t(
                    "inspectors.err.commune_other_district", commune=c.full_name)))
        days = []
        if not days_raw:
            problems.append(Problem(n, "days", t("roster.err.days_required")))
        for d_raw in days_raw:
            d = parse_day(d_raw, campaign)
            if d is None or d not in window:
                problems.append(Problem(n, "days", t(
                    "roster.err.day_outside", day=fmt_date(d) if d else clean_line(d_raw)[:20],
                    start=fmt_date(campaign.start_date), end=fmt_date(campaign.end_date))))
            elif d not in days:
                days.append(d)
        if len(problems) == before:
            clean.append(dict(full_name=name, position=position[:120], organisation=org[:120],
                              phone=phone or "", district_code=dcode,
                              commune_codes=json.dumps(sorted(set(communes))),
                              days=json.dumps([d.isoformat() for d in sorted(days)])))
    if problems:
        return SaveResult(False, problems)
    now = clock.now()
    with session_scope() as s:
        q = delete(Inspector).where(Inspector.campaign_id == campaign.id)
        if not scope.province_wide:
            q = q.where(Inspector.district_code == scope.district_code)
        before_n = s.execute(q).rowcount
        for row in clean:
            s.add(Inspector(campaign_id=campaign.id, created_by=scope.username, updated_at=now,
                            **row))
        audit.record(s, scope.username, "inspectors.save", "inspector",
                     f"{campaign.id}/{scope.district_code or 'tinh'}",
                     before={"rows": before_n}, after={"rows": len(clean)})
    return SaveResult(True, saved=len(clean))
