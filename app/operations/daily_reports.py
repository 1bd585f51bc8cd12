"""Daily reports of the commune working groups (báo cáo tình hình, kết quả hằng ngày).

One report per commune and campaign day: visits to the one-stop office, citizens guided to the
survey, helpers on duty, publicity done, difficulties and proposals, and 1–10 photos. A commune
user edits its report of a day until the campaign's ``report_cutoff`` (local "HH:MM") of that day;
after that it is read-only to them. Counts are whole numbers ≥ 0; guided > visits, or survey
answers far above visits, is stored but warned about (the plausibility rule).

Every function takes the signed-in user's ``Scope`` and enforces it: a commune user only reaches
its own commune whatever it sends, a district user only its district.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.core import audit, clock
from app.core.auth import AuthError, Scope, commune_in_scope
from app.core.campaigns import campaign_days
from app.core.fmt import fmt_date, fmt_int
from app.core.i18n import t
from app.core.reference import CommuneInfo, find_commune, geography
from app.operations import photos
from db.engine import session_scope
from db.models import Campaign, CommuneHourTally, DailyReport, ReportPhoto

log = logging.getLogger("qcdc.reports")

PUBLICITY_CHANNELS = {
    "niem_yet": "Niêm yết tại bộ phận một cửa",
    "loa": "Loa truyền thanh thôn, tổ dân phố",
    "website": "Trang thông tin điện tử của xã",
    "mang_xa_hoi": "Zalo, Facebook",
    "truong_thon": "Qua trưởng thôn, tổ trưởng tổ dân phố",
    "dan_van": "Tổ dân vận cộng đồng",
}
MAX_PHOTOS = 10
MAX_COUNT = 100_000
MAX_TEXT = 2000


def cutoff_at(campaign: Campaign, day: date) -> datetime:
    """The moment after which the report of `day` is read-only for the commune."""
    try:
        hh, mm = (int(x) for x in (campaign.report_cutoff or "23:59").split(":", 1))
        cut = time(hh, mm)
    except (ValueError, TypeError):
        cut = time(23, 59)
    return datetime.combine(day, cut)


def report_days(campaign: Campaign, today: date | None = None) -> list[date]:
    """Campaign days up to today (the days a report may exist for)."""
    today = today or clock.today()
    return [d for d in campaign_days(campaign) if d <= today]


def edit_state(scope: Scope, campaign: Campaign, day: date,
               now: datetime | None = None) -> tuple[bool, str]:
    """(may this user write the report of `day` now, why not: Vietnamese text)."""
    now = now or clock.now()
    if scope.role not in ("commune", "admin"):
        return False, t("common.not_allowed")
    if day not in campaign_days(campaign):
        return False, t("report.err.day_outside", start=fmt_date(campaign.start_date),
                        end=fmt_date(campaign.end_date))
    if day > now.date():
        return False, t("report.err.future", day=fmt_date(day))
    if scope.role == "commune" and now >= cutoff_at(campaign, day):
        return False, t("report.locked", day=fmt_date(day), cutoff=campaign.report_cutoff)
    return True, ""


@dataclass
class ReportView:
    commune: CommuneInfo
    day: date
    report: DailyReport | None
    photos: list[ReportPhoto]

    @property
    def publicity(self) -> list[str]:
        return _json_list(self.report.publicity) if self.report else []


def _json_list(text: str | None) -> list:
    try:
        v = json.loads(text or "[]")
        return v if isinstance(v, list) else []
    except ValueError:
        return []


def get_report(scope: Scope, campaign_id: int, commune_code: str | None, day: date) -> ReportView:
    c = commune_in_scope(scope, commune_code)
    with session_scope() as s:
        r = s.exec(select(DailyReport).where(DailyReport.campaign_id == campaign_id,
                                             DailyReport.commune_code == c.code,
                                             DailyReport.day == day)).first()
        ph = list(s.exec(select(ReportPhoto).where(ReportPhoto.report_id == r.id)
                         .order_by(ReportPhoto.id)).all()) if r else []
    return ReportView(c, day, r, ph)


def answers_on_day(scope: Scope, campaign_id: int, commune_code: str | None,
                   day: date) -> tuple[int, dict[int, int]]:
    """Survey answers received from the commune on `day` (total, {hour: n}), from the tallies."""
    c = commune_in_scope(scope, commune_code)
    with session_scope() as s:
        rows = s.exec(select(CommuneHourTally.hour, CommuneHourTally.n).where(
            CommuneHourTally.campaign_id == campaign_id, CommuneHourTally.commune_code == c.code,
            CommuneHourTally.day == day)).all()
    by_hour = {h: n for h, n in rows if n}
    return sum(by_hour.values()), dict(sorted(by_hour.items()))


def screen_on_day(scope: Scope, campaign_id: int, commune_code: str | None, day: date):
    """The office screen's counts of the commune on `day` (codes shown, opened, sheets
    verified in person: app/survey/kiosk.py), beside the visits the report gives."""
    from app.survey.kiosk import DayCounts, counts_by_commune_day
    c = commune_in_scope(scope, commune_code)
    return counts_by_commune_day(campaign_id, [c.code], day).get((c.code, day), DayCounts())


# --- saving ---------------------------------------------------------------------------------

@dataclass
class ReportResult:
    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    photo_errors: list[str] = field(default_factory=list)
    photos_added: int = 0
    photos_removed: int = 0
    n_photos: int = 0
    report_id: int | None = None
    created: bool = False


def _count(value: object, key: str, errors: dict[str, str]) -> int:
    label = t(f"report.field.{key}")
    if value is None or value == "":
        errors[key] = t("report.err.count_required", field=label)
        return 0
    if isinstance(value, bool):
        errors[key] = t("report.err.count_whole", field=label)
        return 0
    if isinstance(value, str):
        v = value.strip().replace(".", "")
        if not v.lstrip("-").isdigit():
            errors[key] = t("report.err.count_whole", field=label)
            return 0
        value = int(v)
    if isinstance(value, float):
        if value != value or value != int(value):
            errors[key] = t("report.err.count_whole", field=label)
            return 0
        value = int(value)
    if not isinstance(value, int):
        errors[key] = t("report.err.count_whole", field=label)
        return 0
    if value < 0:
        errors[key] = t("report.err.count_negative", field=label)
    elif value > MAX_COUNT:
        errors[key] = t("report.err.count_too_big", field=label, max=fmt_int(MAX_COUNT))
    return value


def validate_report(data: dict) -> tuple[dict, dict[str, str]]:
    """Clean fields and errors {field: message} of a report's input."""
    errors: dict[str, str] = {}
    clean = {k: _count(data.get(k), k, errors) for k in ("visits", "guided", "helpers_on_duty")}
    pub = data.get("publicity") or []
    if isinstance(pub, str):
        pub = [pub]
    bad = [p for p in pub if p not in PUBLICITY_CHANNELS]
    if bad:
        errors["publicity"] = t("report.err.publicity")
    clean["publicity"] = [p for p in PUBLICITY_CHANNELS if p in pub]
    for k in ("difficulties", "proposals"):
        v = data.get(k)
        v = "" if v is None else str(v).replace("\r\n", "\n").strip()
        if len(v) > MAX_TEXT:
            errors[k] = t("report.err.text_long", field=t(f"report.field.{k}"), max=MAX_TEXT)
        clean[k] = v
    return clean, errors


def plausibility_warnings(visits: int, guided: int, answers: int, campaign: Campaign) -> list[str]:
    out = []
    if guided > visits:
        out.append(t("report.warn.guided", guided=fmt_int(guided), visits=fmt_int(visits)))
    high = campaign.ratio_high or 1.2
    if answers and answers > max(visits * high, visits + 5):
        out.append(t("report.warn.answers", answers=fmt_int(answers), visits=fmt_int(visits)))
    return out


def save_report(scope: Scope, campaign: Campaign, commune_code: str | None, day: date,
                data: dict, new_photos: Iterable[tuple[str, bytes]] = (),
                remove_photo_ids: Iterable[int] = (), *, now: datetime | None = None
                ) -> ReportResult:
    """Create or update the commune's report of `day`, with photos added or removed.

    The report fields and the photo changes are written in one transaction; a photo that is
    refused (corrupt, not an image, too big, over the limit of 10) is reported in
    ``photo_errors`` and the rest of the report is still saved."""
    c = commune_in_scope(scope, commune_code)
    ok, why = edit_state(scope, campaign, day, now)
    if not ok:
        raise AuthError(why)
    clean, errors = validate_report(data)
    if errors:
        return ReportResult(False, errors=errors)
    remove_ids = {int(i) for i in remove_photo_ids}
    accepted: list[photos.ProcessedPhoto] = []
    photo_errors: list[str] = []
    for name, blob in new_photos:
        try:
            accepted.append(photos.process_photo(blob, name))
        except photos.PhotoError as exc:
            photo_errors.append(str(exc))
    now = now or clock.now()
    written: list[str] = []
    removed_files: list[str] = []
    result = ReportResult(True)
    try:
        for attempt in range(2):
            try:
                with session_scope() as s:
                    r = s.exec(select(DailyReport).where(
                        DailyReport.campaign_id == campaign.id, DailyReport.commune_code == c.code,
                        DailyReport.day == day)).first()
                    created = r is None
                    before = None if created else {
                        "visits": r.visits, "guided": r.guided,
                        "helpers_on_duty": r.helpers_on_duty}
                    if created:
                        r = DailyReport(campaign_id=campaign.id, commune_code=c.code, day=day,
                                        created_at=now)
                    r.visits, r.guided = clean["visits"], clean["guided"]
                    r.helpers_on_duty = clean["helpers_on_duty"]
                    r.publicity = json.dumps(clean["publicity"])
                    r.difficulties, r.proposals = clean["difficulties"], clean["proposals"]
                    r.updated_at, r.updated_by = now, scope.username
                    s.add(r)
                    s.flush()
                    existing = list(s.exec(select(ReportPhoto).where(
                        ReportPhoto.report_id == r.id)).all())
                    removed = [p for p in existing if p.id in remove_ids]
                    for p in removed:
                        removed_files += [p.path, p.thumb_path]
                        s.delete(p)
                    room = MAX_PHOTOS - (len(existing) - len(removed))
                    added = 0
                    for ph in accepted:
                        if added >= room:
                            photo_errors.append(t("photo.err.too_many", name=ph.name,
                                                  max=MAX_PHOTOS))
                            continue
                        main, thumb = photos.store(ph, campaign.id, c.code, day)
                        written += [main, thumb]
                        s.add(ReportPhoto(report_id=r.id, path=main, thumb_path=thumb,
                                          width=ph.width, height=ph.height,
                                          caption=ph.name[:80], uploaded_at=now))
                        added += 1
                    audit.record(s, scope.username, "report.create" if created else "report.update",
                                 "daily_report", r.id, before=before,
                                 after={"visits": r.visits, "guided": r.guided,
                                        "helpers_on_duty": r.helpers_on_duty,
                                        "photos_added": added, "photos_removed": len(removed)})
                    result.report_id, result.created = r.id, created
                    result.photos_added, result.photos_removed = added, len(removed)
                    result.n_photos = len(existing) - len(removed) + added
                break
            except IntegrityError:
                # two saves of a new report at once: the other one created it; update it instead
                photos.remove_files(*written)
                written, removed_files = [], []
                if attempt:
                    raise
    except BaseException:
        photos.remove_files(*written)
        raise
    photos.remove_files(*removed_files)
    answers, _ = answers_on_day(scope, campaign.id, c.code, day)
    result.warnings = plausibility_warnings(clean["visits"], clean["guided"], answers, campaign)
    if result.n_photos == 0:
        result.warnings.append(t("report.warn.no_photo"))
    result.photo_errors = list(dict.fromkeys(photo_errors))
    return result


def photo_bytes(scope: Scope, photo_id: int, thumb: bool = False) -> bytes | None:
    """A stored photo, only if the user may see the report it belongs to."""
    with session_scope() as s:
        p = s.get(ReportPhoto, photo_id)
        r = s.get(DailyReport, p.report_id) if p else None
    if p is None or r is None:
        return None
    c = find_commune(r.commune_code)
    if c is None or not scope.can_see_commune(c.code, c.district_code):
        return None
    return photos.read(p.thumb_path if thumb else p.path)


# --- activity feed --------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedItem:
    report: DailyReport
    commune: CommuneInfo
    photos: tuple[ReportPhoto, ...]
    answers: int

    @property
    def publicity(self) -> list[str]:
        return [PUBLICITY_CHANNELS.get(p, p) for p in _json_list(self.report.publicity)]


def matches(needle: str, *texts: str | None) -> bool:
    """Does every word of `needle` occur in the texts, ignoring case and accents ("kho khan"
    finds "Khó khăn")?"""
    from app.operations.roster import fold
    hay = fold(" ".join(x or "" for x in texts))
    return all(w in hay for w in fold(needle).split())


def feed(scope: Scope, campaign_id: int, *, district_code: str | None = None,
         commune_code: str | None = None, day: date | None = None, limit: int = 20,
         offset: int = 0, text: str | None = None) -> tuple[list[FeedItem], int]:
    """Reports newest first (day, then last update) that the user may see, filtered; `text`
    searches the commune's name, the difficulties and the proposals (any case, any accents)."""
    if scope.role == "commune":
        raise AuthError(t("ops.forbidden"))
    visible = scope.visible_commune_codes()
    geo = geography()
    codes: list[str] | None = visible
    if district_code:
        if not scope.can_see_district(district_code):
            return [], 0
        in_district = [c.code for c in geo.communes_of(district_code)]
        codes = in_district if codes is None else [c for c in codes if c in in_district]
    if commune_code:
        c = find_commune(commune_code)
        if c is None or not scope.can_see_commune(c.code, c.district_code):
            return [], 0
        codes = [c.code] if codes is None or c.code in codes else []
    if codes is not None and not codes:
        return [], 0
    with session_scope() as s:
        q = select(DailyReport).where(DailyReport.campaign_id == campaign_id)
        cq = select(func.count()).select_from(DailyReport).where(
            DailyReport.campaign_id == campaign_id)
        if codes is not None:
            q = q.where(DailyReport.commune_code.in_(codes))
            cq = cq.where(DailyReport.commune_code.in_(codes))
        if day is not None:
            q = q.where(DailyReport.day == day)
            cq = cq.where(DailyReport.day == day)
        ordered = q.order_by(DailyReport.day.desc(), DailyReport.updated_at.desc(),
                             DailyReport.id.desc())
        if text and text.strip():
            found = [r for r in s.exec(ordered).all()
                     if r.commune_code in geo.by_code
                     and matches(text, geo.by_code[r.commune_code].full_name, r.difficulties,
                                 r.proposals)]
            total = len(found)
            reports = found[max(0, offset):max(0, offset) + max(1, min(limit, 100))]
        else:
            total = s.exec(cq).one()
            reports = list(s.exec(ordered.offset(max(0, offset))
                                  .limit(max(1, min(limit, 100)))).all())
        ids = [r.id for r in reports]
        ph: dict[int, list[ReportPhoto]] = {}
        if ids:
            for p in s.exec(select(ReportPhoto).where(ReportPhoto.report_id.in_(ids))
                            .order_by(ReportPhoto.id)).all():
                ph.setdefault(p.report_id, []).append(p)
        answers: dict[tuple[str, date], int] = {}
        if reports:
            rows = s.exec(select(CommuneHourTally.commune_code, CommuneHourTally.day,
                                 func.sum(CommuneHourTally.n))
                          .where(CommuneHourTally.campaign_id == campaign_id,
                                 CommuneHourTally.commune_code.in_({r.commune_code
                                                                    for r in reports}))
                          .group_by(CommuneHourTally.commune_code, CommuneHourTally.day)).all()
            answers = {(c, d): int(n or 0) for c, d, n in rows}
    items = [FeedItem(r, geo.by_code[r.commune_code], tuple(ph.get(r.id, [])),
                      answers.get((r.commune_code, r.day), 0))
             for r in reports if r.commune_code in geo.by_code]
    return items, total


# --- demo data ------------------------------------------------------------------------------

DEMO_PHOTO_DISTRICT = "213"  # the demo district user's communes get illustrative photos


def _demo_picture(title: str, subtitle: str, rng) -> bytes:
    """A synthetic 'photo' (a drawn scene, clearly labelled as demo) as PNG bytes."""
    import io

    from PIL import Image, ImageDraw, ImageFont
    w, h = 960, 640
    top = (rng.randint(150, 210), rng.randint(190, 230), rng.randint(220, 250))
    img = Image.new("RGB", (w, h), top)
    d = ImageDraw.Draw(img)
    d.rectangle((0, int(h * 0.62), w, h), fill=(196, 178, 150))          # floor
    d.rectangle((60, 120, w - 60, int(h * 0.62)), fill=(240, 236, 226))  # office wall
    d.rectangle((90, 150, 330, 300), fill=(178, 38, 30))                  # banner
    d.rectangle((w - 330, 170, w - 110, 330), fill=(250, 250, 250), outline=(60, 60, 60),
                width=4)                                                  # QR poster
    for k in range(rng.randint(3, 6)):                                    # people
        x = 140 + k * rng.randint(110, 140)
        colour = (rng.randint(20, 200), rng.randint(20, 200), rng.randint(20, 200))
        d.ellipse((x, 330, x + 44, 374), fill=(236, 200, 170))
        d.rectangle((x - 8, 374, x + 52, 500), fill=colour)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 30)
        small = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 24)
    except OSError:
        font = small = ImageFont.load_default()
    d.rectangle((0, h - 90, w, h), fill=(20, 20, 20))
    d.text((24, h - 84), title, fill=(255, 255, 255), font=font)
    d.text((24, h - 44), subtitle, fill=(255, 214, 102), font=small)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def generate_demo_photos(session, campaign: Campaign, rng) -> int:
    """One or two illustrative photos on the demo district's daily reports (demo mode only).
    Called from ``app.demo.generate_activity`` after the reports were inserted."""
    import shutil
    shutil.rmtree(photos.photo_root() / str(int(campaign.id)), ignore_errors=True)
    geo = geography()
    codes = [c.code for c in geo.communes_of(DEMO_PHOTO_DISTRICT)]
    reports = session.exec(select(DailyReport).where(DailyReport.campaign_id == campaign.id,
                                                     DailyReport.commune_code.in_(codes))).all()
    n = 0
    now = clock.now()
    for r in reports:
        c = geo.by_code[r.commune_code]
        for k in range(rng.choice([1, 1, 2])):
            pic = photos.process_photo(_demo_picture(
                f"{c.full_name} – {fmt_date(r.day)}",
                "Ảnh minh họa (DEMO), không phải ảnh thật", rng), f"demo_{k + 1}.png")
            main, thumb = photos.store(pic, campaign.id, c.code, r.day)
            session.add(ReportPhoto(report_id=r.id, path=main, thumb_path=thumb, width=pic.width,
                                    height=pic.height, caption="Ảnh minh họa (demo)",
                                    uploaded_at=now))
            n += 1
    return n
