"""Which communes have sent their daily report, per campaign day and district.

Used by district steering committees and the province to chase communes that have not reported;
the list of missing communes carries the roster's contact for reminders. A district user only
ever sees its own communes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import select

from app.core.auth import AuthError, Scope
from app.core.i18n import t
from app.core.reference import CommuneInfo, geography
from app.operations.daily_reports import report_days
from app.operations.roster import roster_overview
from db.engine import session_scope
from db.models import Campaign, DailyReport, ReportPhoto


@dataclass(frozen=True)
class DistrictProgress:
    district_code: str
    district_name: str
    total: int
    reported: int
    with_photos: int
    # beside the reported visits: the office screens of the day (issue 15)
    visits: int = 0
    screens: int = 0          # communes whose screen showed at least one code
    codes_opened: int = 0
    verified: int = 0

    @property
    def missing(self) -> int:
        return self.total - self.reported


@dataclass(frozen=True)
class MissingCommune:
    commune: CommuneInfo
    contact_name: str
    contact_phone: str


@dataclass(frozen=True)
class DayCompleteness:
    day: date
    total: int
    reported: int
    districts: tuple[DistrictProgress, ...]
    missing: tuple[MissingCommune, ...]
    reported_codes: frozenset[str]


def _visible_communes(scope: Scope, district_code: str | None) -> list[CommuneInfo]:
    if scope.role == "commune":
        raise AuthError(t("ops.forbidden"))
    visible = scope.visible_commune_codes()
    if district_code and not scope.can_see_district(district_code):
        return []
    return [c for c in geography().communes
            if (visible is None or c.code in visible)
            and (not district_code or c.district_code == district_code)]


def reported_by_day(scope: Scope, campaign: Campaign,
                    district_code: str | None = None) -> list[tuple[date, int, int]]:
    """(day, communes reported, communes expected) for each campaign day up to today."""
    communes = _visible_communes(scope, district_code)
    codes = {c.code for c in communes}
    with session_scope() as s:
        rows = s.exec(select(DailyReport.day, DailyReport.commune_code)
                      .where(DailyReport.campaign_id == campaign.id)).all()
    counts: dict[date, int] = {}
    for d, code in rows:
        if code in codes:
            counts[d] = counts.get(d, 0) + 1
    return [(d, counts.get(d, 0), len(communes)) for d in report_days(campaign)]


def day_completeness(scope: Scope, campaign: Campaign, day: date,
                     district_code: str | None = None) -> DayCompleteness:
    communes = _visible_communes(scope, district_code)
    codes = {c.code for c in communes}
    from app.survey.kiosk import counts_by_commune_day
    screen = counts_by_commune_day(campaign.id, None, day)
    with session_scope() as s:
        rows = s.exec(select(DailyReport.commune_code, DailyReport.id, DailyReport.visits).where(
            DailyReport.campaign_id == campaign.id, DailyReport.day == day)).all()
        reports = {code: rid for code, rid, _v in rows}
        visits = {code: int(v or 0) for code, _rid, v in rows}
        ids = [rid for code, rid in reports.items() if code in codes]
        with_photo = set()
        if ids:
            with_photo = set(s.exec(select(ReportPhoto.report_id)
                                    .where(ReportPhoto.report_id.in_(ids))
                                    .group_by(ReportPhoto.report_id)
                                    .having(func.count() > 0)).all())
    reported = {code for code in reports if code in codes}
    photo_codes = {code for code, rid in reports.items() if rid in with_photo}
    geo = geography()
    districts = []
    for d in geo.districts:
        mine = [c for c in communes if c.district_code == d.code]
        if not mine:
            continue
        kiosk = [screen[(c.code, day)] for c in mine if (c.code, day) in screen]
        districts.append(DistrictProgress(
            d.code, d.full_name, len(mine), sum(1 for c in mine if c.code in reported),
            sum(1 for c in mine if c.code in photo_codes),
            visits=sum(visits.get(c.code, 0) for c in mine),
            screens=sum(1 for k in kiosk if k.shown), codes_opened=sum(k.opened for k in kiosk),
            verified=sum(k.verified for k in kiosk)))
    contacts = {st.commune.code: st for st in roster_overview(scope, campaign, district_code)}
    missing = tuple(MissingCommune(c, contacts[c.code].contact_name if c.code in contacts else "",
                                   contacts[c.code].contact_phone if c.code in contacts else "")
                    for c in communes if c.code not in reported)
    return DayCompleteness(day, len(communes), len(reported), tuple(districts), missing,
                           frozenset(reported))


# --- reminders to paste into Zalo or an SMS --------------------------------------------------

@dataclass(frozen=True)
class Reminder:
    district_name: str
    group_text: str                            # one message for the district's Zalo group
    messages: tuple[tuple[MissingCommune, str], ...]  # one SMS per commune with a phone
    without_phone: tuple[MissingCommune, ...]  # communes nobody can be texted for


def reminders(info: DayCompleteness, campaign: Campaign, *, report_url: str | None = None,
              cutoff: str | None = None) -> list[Reminder]:
    """For each district with communes that have not reported `info.day`: a message for the
    district's group listing them with their contact, and a short SMS per commune (plain
    text, no link shorteners, under 320 characters)."""
    from app.core.fmt import fmt_date
    by_district: dict[str, list[MissingCommune]] = {}
    for m in info.missing:
        by_district.setdefault(m.commune.district_full_name, []).append(m)
    day = fmt_date(info.day)
    cutoff = cutoff or campaign.report_cutoff
    where = t("reminder.where", url=report_url) if report_url else t("reminder.where_app")
    out = []
    for district, items in by_district.items():
        lines = [t("reminder.group_head", day=day, n=len(items), cutoff=cutoff, where=where)]
        for i, m in enumerate(items, 1):
            who = ", ".join(x for x in (m.contact_name, m.contact_phone) if x)
            lines.append(t("reminder.group_line", i=i, commune=m.commune.full_name,
                           who=who or t("reminder.no_contact")))
        lines.append(t("reminder.group_foot", district=district))
        sms = tuple((m, t("reminder.sms", commune=m.commune.full_name, day=day, cutoff=cutoff,
                          where=where, district=district))
                    for m in items if m.contact_phone)
        out.append(Reminder(district, "\n".join(lines), sms,
                            tuple(m for m in items if not m.contact_phone)))
    return out
