"""Helper roster and duty schedule of each commune (danh sách, lịch phân công hỗ trợ).

A commune working group keeps one list per campaign: who helps citizens at the one-stop office,
on which days of the survey window and in which shift. The list is saved whole (all-or-nothing,
after validation), the first save counts as the commune's submission (compared with the
campaign's roster deadline) and the commune may publish it on the public page
``/lich-truc?xa=<code>`` (names, organisation, days and shifts; never phone numbers).

Every function that reads or writes a commune's roster takes the signed-in user's ``Scope``:
a commune user only ever reaches its own commune, whatever code it sends; a district user only
the communes of its district.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import select

from app.core import audit, clock
from app.core.auth import AuthError, Scope, commune_in_scope
from app.core.campaigns import campaign_days
from app.core.fmt import fmt_date
from app.core.i18n import t
from app.core.reference import CommuneInfo, find_commune, geography
from app.core.text import clean_line
from db.engine import session_scope
from db.models import Campaign, RosterEntry, RosterStatus

ORGANISATIONS = ("Hội Nông dân", "Khối dân vận", "Đoàn Thanh niên", "Hội Phụ nữ", "Khác")
SHIFTS = {"sang": "Sáng", "chieu": "Chiều", "ca_ngay": "Cả ngày"}
MAX_ROWS = 200
MAX_NAME = 100
MAX_POSITION = 120

_PHONE_STRIP = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"^0[35789]\d{8}$")
_LANDLINE = re.compile(r"^02\d{9}$")


# --- small helpers --------------------------------------------------------------------------

def fold(text: object) -> str:
    """Lower-case, accent-free, single-spaced text for tolerant comparisons."""
    s = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Mn")
    return " ".join(s.lower().split())


def normalise_phone(raw: object) -> str | None:
    """A Vietnamese phone number as 10 (mobile) or 11 (landline) digits starting with 0,
    from e.g. ``0912 345 678``, ``+84912345678`` or ``84-912-345-678``; None if not valid."""
    if raw is None:
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if raw != raw or raw in (float("inf"), float("-inf")):  # NaN, or ±inf typed in Excel
            return None
        raw = str(int(raw))
        if not raw.startswith("0") and not raw.startswith("84"):
            raw = "0" + raw  # Excel drops the leading zero of numbers
    s = _PHONE_STRIP.sub("", str(raw).strip())
    if s.startswith("+84"):
        s = "0" + s[3:]
    elif s.startswith("84") and len(s) in (11, 12):
        s = "0" + s[2:]
    if _MOBILE.fullmatch(s) or _LANDLINE.fullmatch(s):
        return s
    return None


def match_organisation(raw: object) -> str | None:
    f = fold(raw)
    if not f:
        return None
    for org in ORGANISATIONS:
        if fold(org) == f:
            return org
    aliases = {"hnd": "Hội Nông dân", "hoi nong dan xa": "Hội Nông dân",
               "dan van": "Khối dân vận", "khoi dan van xa": "Khối dân vận",
               "doan thanh nien": "Đoàn Thanh niên", "doan tn": "Đoàn Thanh niên",
               "hoi phu nu": "Hội Phụ nữ", "hoi lhpn": "Hội Phụ nữ", "phu nu": "Hội Phụ nữ",
               "khac": "Khác", "to chuc khac": "Khác"}
    return aliases.get(f)


def match_shift(raw: object) -> str | None:
    f = fold(raw).replace("_", " ")
    if not f:
        return None
    if f in SHIFTS:
        return f
    for code, label in SHIFTS.items():
        if fold(label) == f or code.replace("_", " ") == f:
            return code
    if f in ("ca ngay", "ngay", "ca hai", "ca 2 buoi", "2 buoi", "sang chieu", "sang va chieu"):
        return "ca_ngay"
    return None


def shifts_overlap(a: str, b: str) -> bool:
    return a == b or "ca_ngay" in (a, b)


def day_label(d: date) -> str:
    names = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]
    return f"{names[d.weekday()]}, {fmt_date(d)}"


# --- validation -----------------------------------------------------------------------------

@dataclass
class RosterRow:
    full_name: str
    position: str
    organisation: str
    phone: str
    duty_days: list[date]
    shift: str


@dataclass
class Problem:
    """One validation message; `row` is the number the user sees (table row or Excel row)."""
    row: int | None
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


def parse_day(value: object, campaign: Campaign) -> date | None:
    """A day from a date, an ISO string, dd/mm/yyyy or dd/mm (campaign year)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = clean_line(value)
    if not s:
        return None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", s)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2}|\d{4}))?", s)
        if m:
            year = int(m.group(3)) if m.group(3) else campaign.start_date.year
            if year < 100:
                year += 2000
            return date(year, int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
    return None


def validate_rows(raw_rows: Iterable[dict], campaign: Campaign,
                  row_numbers: list[int] | None = None) -> tuple[list[RosterRow], list[Problem]]:
    """Check every row of a roster; returns the clean rows (only meaningful when there are no
    problems) and the problems, each naming its row. Blank rows are skipped.

    A raw row has keys full_name, position, organisation, phone, duty_days (list of dates or
    date-like strings), shift (code or label)."""
    window = set(campaign_days(campaign))
    clean: list[RosterRow] = []
    problems: list[Problem] = []
    seen: list[tuple[int, str, str, RosterRow]] = []  # (row number, phone, name, row)
    rows = list(raw_rows)
    if len(rows) > MAX_ROWS:
        return [], [Problem(None, "", t("roster.err.too_many", max=MAX_ROWS, n=len(rows)))]
    for i, raw in enumerate(rows):
        n = row_numbers[i] if row_numbers else i + 1
        name = clean_line(raw.get("full_name"))
        position = clean_line(raw.get("position"))
        org_raw = clean_line(raw.get("organisation"))
        phone_raw = raw.get("phone")
        if isinstance(phone_raw, bool) or not isinstance(phone_raw, (int, float)) \
                or phone_raw != phone_raw:
            phone_raw = clean_line(phone_raw)
        days_raw = raw.get("duty_days")
        shift_raw = clean_line(raw.get("shift"))
        if isinstance(days_raw, (str, date)):
            days_raw = [days_raw]
        elif isinstance(days_raw, (int, float)):
            days_raw = []
        days_raw = [d for d in list(days_raw if days_raw is not None else [])
                    if isinstance(d, date) or clean_line(d)]
        if not (name or position or org_raw or phone_raw or days_raw or shift_raw):
            continue  # an empty row
        row_problems: list[Problem] = []
        if not name:
            row_problems.append(Problem(n, "full_name", t("roster.err.name_required")))
        elif len(name) > MAX_NAME or not re.search(r"[^\W\d_]", name):
            row_problems.append(Problem(n, "full_name", t("roster.err.name_invalid")))
        if len(position) > MAX_POSITION:
            row_problems.append(Problem(n, "position", t("roster.err.position_long",
                                                          max=MAX_POSITION)))
        org = match_organisation(org_raw)
        if not org_raw:
            row_problems.append(Problem(n, "organisation", t("roster.err.org_required")))
        elif org is None:
            row_problems.append(Problem(n, "organisation", t(
                "roster.err.org_invalid", value=org_raw[:40], allowed=", ".join(ORGANISATIONS))))
        phone = normalise_phone(phone_raw)
        if phone_raw in (None, ""):
            row_problems.append(Problem(n, "phone", t("roster.err.phone_required")))
        elif phone is None:
            row_problems.append(Problem(n, "phone", t("roster.err.phone_invalid",
                                                       value=str(phone_raw)[:30])))
        days: list[date] = []
        if not days_raw:
            row_problems.append(Problem(n, "duty_days", t("roster.err.days_required")))
        for d_raw in days_raw:
            d = parse_day(d_raw, campaign)
            if d is None:
                row_problems.append(Problem(n, "duty_days", t(
                    "roster.err.day_invalid", value=clean_line(d_raw)[:30])))
            elif d not in window:
                row_problems.append(Problem(n, "duty_days", t(
                    "roster.err.day_outside", day=fmt_date(d), start=fmt_date(campaign.start_date),
                    end=fmt_date(campaign.end_date))))
            elif d not in days:
                days.append(d)
        shift = match_shift(shift_raw)
        if not shift_raw:
            row_problems.append(Problem(n, "shift", t("roster.err.shift_required")))
        elif shift is None:
            row_problems.append(Problem(n, "shift", t("roster.err.shift_invalid",
                                                       value=shift_raw[:30])))
        if row_problems:
            problems.extend(row_problems)
            continue
        row = RosterRow(name, position, org, phone, sorted(days), shift)
        for other_n, other_phone, _other_name, other in seen:
            if other_phone != phone:
                continue  # a phone number identifies a person; namesakes are different people
            common = sorted(set(days) & set(other.duty_days))
            if common and shifts_overlap(shift, other.shift):
                problems.append(Problem(n, "shift", t(
                    "roster.err.duplicate", name=name, other=other_n,
                    day=fmt_date(common[0]), shift=SHIFTS[shift].lower())))
                break
        seen.append((n, phone, fold(name), row))
        clean.append(row)
    return clean, problems


# --- reading --------------------------------------------------------------------------------

@dataclass
class RosterView:
    commune: CommuneInfo
    entries: list[RosterEntry]
    status: RosterStatus | None

    @property
    def submitted_at(self) -> datetime | None:
        return self.status.submitted_at if self.status else None

    @property
    def published(self) -> bool:
        return bool(self.status and self.status.published)

    @property
    def last_update(self) -> tuple[datetime | None, str | None]:
        """When the list was last saved (a full replacement rewrites every entry), and by whom."""
        latest = max((e for e in self.entries if e.updated_at), key=lambda e: e.updated_at,
                     default=None)
        return (latest.updated_at, latest.updated_by) if latest else (None, None)


def entry_record(e: RosterEntry) -> dict:
    """A stored entry as the row `save_roster` takes (to save the list with one person changed)."""
    return {"full_name": e.full_name, "position": e.position, "organisation": e.organisation,
            "phone": e.phone, "duty_days": [d.isoformat() for d in entry_days(e)],
            "shift": e.shift}


def entry_days(e: RosterEntry) -> list[date]:
    try:
        return [date.fromisoformat(d) for d in json.loads(e.duty_days or "[]")]
    except (ValueError, TypeError):
        return []


def get_roster(scope: Scope, campaign_id: int, commune_code: str | None = None) -> RosterView:
    c = commune_in_scope(scope, commune_code)
    with session_scope() as s:
        entries = list(s.exec(select(RosterEntry).where(
            RosterEntry.campaign_id == campaign_id, RosterEntry.commune_code == c.code)
            .order_by(RosterEntry.id)).all())
        status = s.get(RosterStatus, (campaign_id, c.code))
    return RosterView(c, entries, status)


# --- writing --------------------------------------------------------------------------------

@dataclass
class SaveResult:
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    saved: int = 0


def save_roster(scope: Scope, campaign: Campaign, commune_code: str | None,
                raw_rows: Iterable[dict], *, row_numbers: list[int] | None = None,
                source: str = "editor") -> SaveResult:
    """Replace the commune's whole roster with `raw_rows` if every row is valid; otherwise
    change nothing and return the problems."""
    c = commune_in_scope(scope, commune_code, write=True)
    rows, problems = validate_rows(raw_rows, campaign, row_numbers)
    if problems:
        return SaveResult(False, problems)
    if not rows:
        return SaveResult(False, [Problem(None, "", t("roster.err.empty"))])
    now = clock.now()
    with session_scope() as s:
        if s.get(Campaign, campaign.id) is None:
            raise AuthError(t("roster.err.no_campaign"))
        before = s.exec(select(func.count()).select_from(RosterEntry).where(
            RosterEntry.campaign_id == campaign.id, RosterEntry.commune_code == c.code)).one()
        s.execute(delete(RosterEntry).where(RosterEntry.campaign_id == campaign.id,
                                            RosterEntry.commune_code == c.code))
        for r in rows:
            s.add(RosterEntry(campaign_id=campaign.id, commune_code=c.code, full_name=r.full_name,
                              position=r.position, organisation=r.organisation, phone=r.phone,
                              duty_days=json.dumps([d.isoformat() for d in r.duty_days]),
                              shift=r.shift, updated_at=now, updated_by=scope.username))
        status = s.get(RosterStatus, (campaign.id, c.code))
        if status is None:
            status = RosterStatus(campaign_id=campaign.id, commune_code=c.code)
        if status.submitted_at is None:
            status.submitted_at = now
        s.add(status)
        audit.record(s, scope.username, "roster.save", "roster", f"{campaign.id}/{c.code}",
                     before={"entries": before}, after={"entries": len(rows), "source": source})
    return SaveResult(True, saved=len(rows))


def set_contact(scope: Scope, campaign: Campaign, commune_code: str | None, name: str,
                phone: str) -> SaveResult:
    """The working group's contact person (used in reminders of the completeness board)."""
    c = commune_in_scope(scope, commune_code, write=True)
    name = clean_line(name)
    problems = []
    norm = normalise_phone(phone) if clean_line(phone) else ""
    if name and len(name) > MAX_NAME:
        problems.append(Problem(None, "contact_name", t("roster.err.name_invalid")))
    if norm is None:
        problems.append(Problem(None, "contact_phone",
                                t("roster.err.phone_invalid", value=clean_line(phone)[:30])))
    if problems:
        return SaveResult(False, problems)
    with session_scope() as s:
        status = s.get(RosterStatus, (campaign.id, c.code)) or RosterStatus(
            campaign_id=campaign.id, commune_code=c.code)
        before = {"name": status.contact_name, "phone": status.contact_phone}
        status.contact_name, status.contact_phone = name or None, norm or None
        s.add(status)
        audit.record(s, scope.username, "roster.contact", "roster", f"{campaign.id}/{c.code}",
                     before=before, after={"name": status.contact_name,
                                           "phone": status.contact_phone})
    return SaveResult(True)


def set_published(scope: Scope, campaign: Campaign, commune_code: str | None,
                  published: bool) -> SaveResult:
    c = commune_in_scope(scope, commune_code, write=True)
    with session_scope() as s:
        n = s.exec(select(func.count()).select_from(RosterEntry).where(
            RosterEntry.campaign_id == campaign.id, RosterEntry.commune_code == c.code)).one()
        if published and n == 0:
            return SaveResult(False, [Problem(None, "", t("roster.err.publish_empty"))])
        status = s.get(RosterStatus, (campaign.id, c.code)) or RosterStatus(
            campaign_id=campaign.id, commune_code=c.code)
        before = bool(status.published)
        status.published = bool(published)
        s.add(status)
        audit.record(s, scope.username, "roster.publish" if published else "roster.unpublish",
                     "roster", f"{campaign.id}/{c.code}", before={"published": before},
                     after={"published": bool(published)})
    return SaveResult(True)


# --- public schedule ------------------------------------------------------------------------

@dataclass(frozen=True)
class ScheduleLine:
    full_name: str
    position: str
    organisation: str
    shift: str


@dataclass(frozen=True)
class PublicSchedule:
    commune: CommuneInfo
    published: bool
    days: tuple[tuple[date, tuple[ScheduleLine, ...]], ...] = ()
    updated_at: datetime | None = None


# the order of a day: morning, afternoon, then those on duty all day
SHIFT_ORDER = {"sang": 0, "chieu": 1, "ca_ngay": 2}


def public_schedule(campaign: Campaign, commune_code: str) -> PublicSchedule | None:
    """What anyone may see: the published schedule of one commune, by day and shift, with no
    phone numbers. None for an unknown commune; `published=False` if not published."""
    c = find_commune(commune_code)
    if c is None:
        return None
    with session_scope() as s:
        status = s.get(RosterStatus, (campaign.id, c.code))
        if status is None or not status.published:
            return PublicSchedule(c, False)
        entries = s.exec(select(RosterEntry).where(
            RosterEntry.campaign_id == campaign.id, RosterEntry.commune_code == c.code)).all()
    by_day: dict[date, list[ScheduleLine]] = {d: [] for d in campaign_days(campaign)}
    updated = None
    for e in entries:
        updated = max(updated, e.updated_at) if updated and e.updated_at else (e.updated_at or updated)
        for d in entry_days(e):
            by_day.setdefault(d, []).append(ScheduleLine(e.full_name, e.position, e.organisation,
                                                         e.shift))
    days = tuple((d, tuple(sorted(lines, key=lambda x: (SHIFT_ORDER.get(x.shift, 9),
                                                         fold(x.full_name)))))
                 for d, lines in sorted(by_day.items()))
    return PublicSchedule(c, True, days, updated)


# --- province / district overview -------------------------------------------------------------

ON_TIME = "on_time"
LATE = "late"
MISSING = "missing"


@dataclass(frozen=True)
class CommuneRosterStatus:
    commune: CommuneInfo
    entries: int
    submitted_at: datetime | None
    published: bool
    contact_name: str
    contact_phone: str
    updated_at: datetime | None = None  # the list's last save (may be after the submission)

    def state(self, deadline: date) -> str:
        if self.submitted_at is None or self.entries == 0:
            return MISSING
        return ON_TIME if self.submitted_at.date() <= deadline else LATE


def roster_overview(scope: Scope, campaign: Campaign,
                    district_code: str | None = None) -> list[CommuneRosterStatus]:
    """One line per commune the user may see (optionally one district): entries, submission,
    publication, contact (the status's contact, else the first Farmers' Association helper)."""
    if scope.role == "commune":
        raise AuthError(t("ops.forbidden"))
    visible = scope.visible_commune_codes()
    geo = geography()
    communes = [c for c in geo.communes
                if (visible is None or c.code in visible)
                and (district_code is None or c.district_code == district_code)]
    codes = {c.code for c in communes}
    with session_scope() as s:
        counts = dict(s.exec(select(RosterEntry.commune_code, func.count())
                             .where(RosterEntry.campaign_id == campaign.id)
                             .group_by(RosterEntry.commune_code)).all())
        statuses = {st.commune_code: st for st in s.exec(
            select(RosterStatus).where(RosterStatus.campaign_id == campaign.id)).all()}
        updated = dict(s.exec(select(RosterEntry.commune_code, func.max(RosterEntry.updated_at))
                              .where(RosterEntry.campaign_id == campaign.id)
                              .group_by(RosterEntry.commune_code)).all())
        first_contact: dict[str, tuple[str, str]] = {}
        for e in s.exec(select(RosterEntry).where(RosterEntry.campaign_id == campaign.id)
                        .order_by(RosterEntry.id)).all():
            if e.commune_code not in codes:
                continue
            have = first_contact.get(e.commune_code)
            if have is None or (e.organisation == "Hội Nông dân" and have[2] != "Hội Nông dân"):
                first_contact[e.commune_code] = (e.full_name, e.phone, e.organisation)
    out = []
    for c in communes:
        st = statuses.get(c.code)
        name, phone = (st.contact_name, st.contact_phone) if st and st.contact_name else (None, None)
        if not name and c.code in first_contact:
            name, phone = first_contact[c.code][:2]
        if st and st.contact_phone and not phone:
            phone = st.contact_phone
        out.append(CommuneRosterStatus(c, counts.get(c.code, 0), st.submitted_at if st else None,
                                       bool(st and st.published), name or "", phone or "",
                                       updated.get(c.code)))
    return out


def roster_entries_for(scope: Scope, campaign: Campaign,
                       district_code: str | None = None) -> dict[str, list[RosterEntry]]:
    """Every visible commune's entries, by commune code (for the consolidated export)."""
    if scope.role == "commune":
        raise AuthError(t("ops.forbidden"))
    visible = scope.visible_commune_codes()
    geo = geography()
    with session_scope() as s:
        q = select(RosterEntry).where(RosterEntry.campaign_id == campaign.id)
        if visible is not None:
            q = q.where(RosterEntry.commune_code.in_(visible))
        rows = s.exec(q.order_by(RosterEntry.commune_code, RosterEntry.id)).all()
    out: dict[str, list[RosterEntry]] = {}
    for e in rows:
        c = geo.by_code.get(e.commune_code)
        if c is None or (district_code and c.district_code != district_code):
            continue
        out.setdefault(e.commune_code, []).append(e)
    return out


# --- demo data ------------------------------------------------------------------------------

_DEMO_SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Ngô", "Đỗ", "Vũ", "Dương", "Thân",
                  "Giáp", "Hà"]
_DEMO_MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Hồng", "Quang", "Ngọc"]
_DEMO_GIVEN = ["An", "Bình", "Chung", "Dũng", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Linh", "Mai",
               "Nam", "Phương", "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Yến"]
_DEMO_POSITIONS = {"Hội Nông dân": ["Chủ tịch Hội Nông dân", "Phó Chủ tịch Hội Nông dân",
                                    "Chi hội trưởng nông dân"],
                   "Khối dân vận": ["Cán bộ dân vận", "Ủy viên Ủy ban MTTQ"],
                   "Đoàn Thanh niên": ["Bí thư Đoàn", "Đoàn viên"],
                   "Hội Phụ nữ": ["Chủ tịch Hội Phụ nữ", "Hội viên"],
                   "Khác": ["Cựu chiến binh", "Công chức văn phòng"]}
# communes that have no roster in the demo (the deadline view lists them)
DEMO_NO_ROSTER_EVERY = 9


def _party_committee(d) -> str:
    if d.full_name.startswith("Thành phố"):
        return f"Thành ủy {d.name}"
    if d.full_name.startswith("Thị xã"):
        return f"Thị ủy {d.name}"
    return f"Huyện ủy {d.name}"


def generate_demo_rosters(session, campaign: Campaign, rng) -> int:
    """Rosters for most communes (every ninth has none, a few were late), most published,
    plus a few inspectors. Called from ``app.demo.generate_activity`` in its transaction."""
    from db.models import Inspector
    geo = geography()
    days = campaign_days(campaign)
    entries, statuses = [], []
    deadline = datetime.combine(campaign.roster_deadline, datetime.min.time())
    for i, c in enumerate(geo.communes):
        if i % DEMO_NO_ROSTER_EVERY == 4 and c.code != "07201":
            continue
        late = i % 13 == 7
        when = campaign.roster_deadline + timedelta(days=1) if late else campaign.roster_deadline
        submitted = datetime.combine(when, datetime.min.time()).replace(hour=rng.randint(7, 16))
        n = rng.randint(4, 8)
        names = set()
        for k in range(n):
            while True:
                name = (f"{rng.choice(_DEMO_SURNAMES)} {rng.choice(_DEMO_MIDDLE)} "
                        f"{rng.choice(_DEMO_GIVEN)}")
                if name not in names:
                    names.add(name)
                    break
            org = "Hội Nông dân" if k < max(2, n // 2) else rng.choice(ORGANISATIONS[1:])
            pick = sorted(rng.sample(days, rng.randint(1, len(days)))) if days else []
            entries.append(dict(
                campaign_id=campaign.id, commune_code=c.code, full_name=name,
                position=rng.choice(_DEMO_POSITIONS[org]), organisation=org,
                phone="09" + "".join(str(rng.randint(0, 9)) for _ in range(8)),
                duty_days=json.dumps([d.isoformat() for d in pick]),
                shift=rng.choice(["sang", "chieu", "ca_ngay", "sang", "chieu"]),
                updated_at=submitted, updated_by="demo"))
        statuses.append(dict(campaign_id=campaign.id, commune_code=c.code,
                             submitted_at=submitted, published=(i % 5 != 2 or c.code == "07201"),
                             contact_name=None, contact_phone=None))
    if entries:
        session.execute(RosterEntry.__table__.insert(), entries)
    if statuses:
        session.execute(RosterStatus.__table__.insert(), statuses)
    # a few inspectors: provincial leaders and one per district
    inspectors = []
    for d in geo.districts:
        codes = [c.code for c in geo.communes_of(d.code)]
        inspectors.append(dict(
            campaign_id=campaign.id, full_name=f"{rng.choice(_DEMO_SURNAMES)} "
            f"{rng.choice(_DEMO_MIDDLE)} {rng.choice(_DEMO_GIVEN)}",
            position="Phó Trưởng Ban Dân vận", organisation=_party_committee(d),
            phone="09" + "".join(str(rng.randint(0, 9)) for _ in range(8)),
            district_code=d.code, commune_codes=json.dumps(rng.sample(codes, min(4, len(codes)))),
            days=json.dumps([days[0].isoformat()] if days else []), created_by="demo",
            updated_at=deadline))
    for k in range(3):
        d = geo.districts[k * 3 % len(geo.districts)]
        codes = [c.code for c in geo.communes_of(d.code)]
        inspectors.append(dict(
            campaign_id=campaign.id, full_name=f"{rng.choice(_DEMO_SURNAMES)} "
            f"{rng.choice(_DEMO_MIDDLE)} {rng.choice(_DEMO_GIVEN)}",
            position=["Trưởng Ban Dân vận Tỉnh ủy", "Phó Chủ tịch Hội Nông dân tỉnh",
                      "Chuyên viên Ban Dân vận Tỉnh ủy"][k],
            organisation=["Ban Dân vận Tỉnh ủy", "Hội Nông dân tỉnh", "Ban Dân vận Tỉnh ủy"][k],
            phone="09" + "".join(str(rng.randint(0, 9)) for _ in range(8)),
            district_code=None, commune_codes=json.dumps(rng.sample(codes, min(2, len(codes)))),
            days=json.dumps([x.isoformat() for x in days[:2]]), created_by="demo",
            updated_at=deadline))
    session.execute(Inspector.__table__.insert(), inspectors)
    return len(entries)
