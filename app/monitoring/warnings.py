"""Warnings (cảnh báo): implausible answer counts and integrity signals, for review.

Warnings are computed, never stored; a reviewer's mark is a ``WarningReview`` row keyed by the
warning's stable ``key``. Kinds and rules (names a reader can search for):

- ``ratio_low`` / ``ratio_high``: on a day with a daily report, the commune's counted answers /
  reported visits is below the campaign's ``ratio_low`` or above its ``ratio_high`` (a report of
  0 visits with answers is "too high"). Days without a report are never judged.
- ``no_answers``: a commune with no answer on a day of the window (today only from
  ``no_answers_after_hour``).
- ``no_report``: a commune without a daily report for a day of the window (today only from
  ``no_report_after_hour``).
- ``burst``: at least ``burst_count`` answers from one device fingerprint within
  ``burst_minutes`` (overlapping windows merge into one burst).
- ``identical``: at least ``identical_count`` answer sheets of one commune with the very same
  closed answers (``answer_hash``).
- ``fast``: answer sheets filled in less than ``fast_seconds`` (grouped per commune and day).

The integrity kinds look at every response, excluded or not, so a warning stays visible after its
responses were excluded and the exclusion can be reversed. ``set_excluded`` is the only way to
exclude or re-include responses: it updates ``Response.excluded`` and the running tallies in one
transaction, and audits each change.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select, update

from app.core import audit, clock
from app.core.auth import AuthError, Scope
from app.core.campaigns import campaign_days, load_definition
from app.core.fmt import fmt_date, fmt_float, fmt_int
from app.core.i18n import t
from app.core.reference import geography
from app.monitoring.scoring import load_campaign, visible_codes
from app.monitoring.stats import RATIO_HIGH, RATIO_LOW, ratio_status, reference_day
from app.survey.tally import apply_response
from db.engine import session_scope
from db.models import Campaign, CommuneHourTally, DailyReport, Response, Setting, WarningReview

KIND_RATIO_LOW = "ratio_low"
KIND_RATIO_HIGH = "ratio_high"
KIND_NO_ANSWERS = "no_answers"
KIND_NO_REPORT = "no_report"
KIND_BURST = "burst"
KIND_IDENTICAL = "identical"
KIND_FAST = "fast"
KINDS = (KIND_RATIO_HIGH, KIND_RATIO_LOW, KIND_BURST, KIND_IDENTICAL, KIND_FAST, KIND_NO_ANSWERS,
         KIND_NO_REPORT)
INTEGRITY_KINDS = (KIND_BURST, KIND_IDENTICAL, KIND_FAST)
SEVERITY = {KIND_RATIO_HIGH: "high", KIND_BURST: "high", KIND_IDENTICAL: "high",
            KIND_FAST: "high", KIND_RATIO_LOW: "medium", KIND_NO_REPORT: "medium",
            KIND_NO_ANSWERS: "medium"}
REVIEWER_ROLES = ("admin", "province", "district")


@dataclass(frozen=True)
class Thresholds:
    burst_count: int = 5
    burst_minutes: float = 10.0
    identical_count: int = 5
    fast_seconds: float = 30.0
    no_answers_after_hour: int = 10
    no_report_after_hour: int = 12

    SETTING_KEYS = {
        "burst_count": "warn.burst_count", "burst_minutes": "warn.burst_minutes",
        "identical_count": "warn.identical_count", "fast_seconds": "warn.fast_seconds",
        "no_answers_after_hour": "warn.no_answers_after_hour",
        "no_report_after_hour": "warn.no_report_after_hour",
    }


def load_thresholds() -> Thresholds:
    """Defaults, overridden by ``Setting`` rows ``warn.*`` (admin-editable)."""
    base = Thresholds()
    keys = Thresholds.SETTING_KEYS
    with session_scope() as s:
        rows = dict(s.execute(select(Setting.key, Setting.value)
                              .where(Setting.key.in_(list(keys.values())))).all())
    values = {}
    for attr, key in keys.items():
        raw = rows.get(key)
        if raw is None or str(raw).strip() == "":
            continue
        kind = type(getattr(base, attr))
        try:
            v = kind(float(raw))
        except ValueError:
            continue
        if v > 0:
            values[attr] = v
    return replace(base, **values)


@dataclass
class Alert:
    key: str
    kind: str
    commune_code: str
    commune_name: str
    district_code: str
    district_name: str
    day: date | None
    reason: str
    severity: str
    response_ids: tuple[int, ...] = ()
    n_excluded: int = 0
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    note: str = ""
    details: dict = field(default_factory=dict)

    @property
    def reviewed(self) -> bool:
        return self.reviewed_by is not None

    @property
    def title(self) -> str:
        return t(f"warn.kind.{self.kind}")

    @property
    def can_exclude(self) -> bool:
        return bool(self.response_ids)


def _unit(code: str) -> tuple[str, str, str]:
    c = geography().by_code[code]
    return c.full_name, c.district_code, c.district_full_name


def _mk(kind: str, key: str, code: str, day: date | None, reason: str, **kw) -> Alert:
    name, dcode, dname = _unit(code)
    return Alert(key=key, kind=kind, commune_code=code, commune_name=name, district_code=dcode,
                   district_name=dname, day=day, reason=reason, severity=SEVERITY[kind], **kw)


def _where_codes(q, col, codes: list[str] | None):
    return q.where(col.in_(codes)) if codes is not None else q


def _coverage_warnings(conn, campaign: Campaign, codes: list[str], sql_codes, now: datetime,
                       th: Thresholds) -> list[Alert]:
    ref = reference_day(campaign, now.date())
    days = [d for d in campaign_days(campaign) if d <= ref and d <= now.date()]
    answers: dict[tuple[str, date], int] = defaultdict(int)
    for code, day, n in conn.execute(_where_codes(
            select(CommuneHourTally.commune_code, CommuneHourTally.day,
                   func.sum(CommuneHourTally.n))
            .where(CommuneHourTally.campaign_id == campaign.id), CommuneHourTally.commune_code,
            sql_codes).group_by(CommuneHourTally.commune_code, CommuneHourTally.day)):
        answers[(code, day)] += int(n or 0)
    visits: dict[tuple[str, date], int] = {}
    for code, day, v in conn.execute(_where_codes(
            select(DailyReport.commune_code, DailyReport.day, DailyReport.visits)
            .where(DailyReport.campaign_id == campaign.id), DailyReport.commune_code, sql_codes)):
        visits[(code, day)] = int(v or 0)
    out: list[Alert] = []
    low, high = campaign.ratio_low, campaign.ratio_high
    for code in codes:
        for day in days:
            is_today = day == now.date()
            n = answers.get((code, day), 0)
            v = visits.get((code, day))
            if v is not None:
                st = ratio_status(n, v, low, high)
                if st in (RATIO_LOW, RATIO_HIGH):
                    kind = KIND_RATIO_LOW if st == RATIO_LOW else KIND_RATIO_HIGH
                    ratio = fmt_float(n / v, 2) if v else "∞"
                    reason = t(f"warn.reason.{kind}", answers=fmt_int(n), visits=fmt_int(v),
                               ratio=ratio, low=fmt_float(low, 2), high=fmt_float(high, 2),
                               day=fmt_date(day))
                    out.append(_mk(kind, f"{kind}:{code}:{day.isoformat()}", code, day, reason,
                                   details={"answers": n, "visits": v}))
            elif not is_today or now.hour >= th.no_report_after_hour:
                out.append(_mk(KIND_NO_REPORT, f"{KIND_NO_REPORT}:{code}:{day.isoformat()}",
                               code, day, t("warn.reason.no_report", day=fmt_date(day))))
            if n == 0 and (not is_today or now.hour >= th.no_answers_after_hour):
                out.append(_mk(KIND_NO_ANSWERS, f"{KIND_NO_ANSWERS}:{code}:{day.isoformat()}",
                               code, day, t("warn.reason.no_answers", day=fmt_date(day))))
    return out


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


def _integrity_warnings(conn, campaign: Campaign, sql_codes, th: Thresholds,
                        kinds: set[str]) -> list[Alert]:
    out: list[Alert] = []
    cid = campaign.id
    base = Response.campaign_id == cid
    if KIND_BURST in kinds:
        devices = [d for (d,) in conn.execute(_where_codes(
            select(Response.device_hash).where(base, Response.device_hash.is_not(None)),
            Response.commune_code, sql_codes)
            .group_by(Response.device_hash).having(func.count() >= th.burst_count))]
        per_dev: dict[str, list] = defaultdict(list)
        info: dict[int, tuple] = {}
        for chunk in _chunks(devices, 500):
            for rid, dev, code, at, excl in conn.execute(_where_codes(
                    select(Response.id, Response.device_hash, Response.commune_code,
                           Response.submitted_at, Response.excluded)
                    .where(base, Response.device_hash.in_(chunk)), Response.commune_code,
                    sql_codes)):
                per_dev[dev].append((at, rid))
                info[rid] = (code, at, excl)
        for times in per_dev.values():
            for ids in find_bursts(times, th.burst_count, th.burst_minutes):
                codes = defaultdict(int)
                for rid in ids:
                    codes[info[rid][0]] += 1
                code = max(codes, key=codes.get)
                first = min(info[r][1] for r in ids)
                last = max(info[r][1] for r in ids)
                minutes = max(1, round((last - first).total_seconds() / 60))
                reason = t("warn.reason.burst", n=fmt_int(len(ids)), minutes=fmt_int(minutes),
                           start=first.strftime("%H:%M"), end=last.strftime("%H:%M"),
                           day=fmt_date(first.date()))
                out.append(_mk(KIND_BURST, f"{KIND_BURST}:{code}:{min(ids)}", code,
                               first.date(), reason, response_ids=tuple(sorted(ids)),
                               n_excluded=sum(1 for r in ids if info[r][2])))
    if KIND_IDENTICAL in kinds:
        # the (commune, sheet) pairs seen often enough, counted in SQL; then only their rows
        pairs = {(c, h) for c, h in conn.execute(_where_codes(
            select(Response.commune_code, Response.answer_hash)
            .where(base, Response.answer_hash.is_not(None)), Response.commune_code, sql_codes)
            .group_by(Response.commune_code, Response.answer_hash)
            .having(func.count() >= th.identical_count))}
        groups: dict[tuple[str, str], list] = defaultdict(list)
        for chunk in _chunks(sorted({h for _c, h in pairs}), 500):
            for rid, h, code, at, excl in conn.execute(_where_codes(
                    select(Response.id, Response.answer_hash, Response.commune_code,
                           Response.submitted_at, Response.excluded)
                    .where(base, Response.answer_hash.in_(chunk)), Response.commune_code,
                    sql_codes)):
                if (code, h) in pairs:
                    groups[(code, h)].append((rid, at, excl))
        for (code, _h), rows in groups.items():
            if len(rows) < th.identical_count:
                continue
            ids = sorted(r[0] for r in rows)
            days = sorted({r[1].date() for r in rows})
            reason = t("warn.reason.identical", n=fmt_int(len(rows)),
                       days=", ".join(fmt_date(d) for d in days))
            out.append(_mk(KIND_IDENTICAL, f"{KIND_IDENTICAL}:{code}:{ids[0]}", code, days[0],
                           reason, response_ids=tuple(ids),
                           n_excluded=sum(1 for r in rows if r[2])))
    if KIND_FAST in kinds:
        fast: dict[tuple[str, date], list] = defaultdict(list)
        for rid, code, day, dur, excl in conn.execute(_where_codes(
                select(Response.id, Response.commune_code, Response.day, Response.duration_s,
                       Response.excluded)
                .where(base, Response.duration_s.is_not(None),
                       Response.duration_s < th.fast_seconds), Response.commune_code,
                sql_codes)):
            fast[(code, day)].append((rid, dur, excl))
        for (code, day), rows in fast.items():
            ids = sorted(r[0] for r in rows)
            reason = t("warn.reason.fast", n=fmt_int(len(rows)),
                       seconds=fmt_int(th.fast_seconds),
                       fastest=fmt_int(min(r[1] for r in rows)), day=fmt_date(day))
            out.append(_mk(KIND_FAST, f"{KIND_FAST}:{code}:{day.isoformat()}", code, day,
                           reason, response_ids=tuple(ids),
                           n_excluded=sum(1 for r in rows if r[2])))
    return out


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def compute_warnings(scope: Scope, campaign_id: int | None = None, *,
                     district_code: str | None = None, commune_code: str | None = None,
                     kinds: set[str] | None = None, now: datetime | None = None,
                     thresholds: Thresholds | None = None) -> list[Alert]:
    """Every warning on the communes `scope` may see, with its review mark, most serious first."""
    if scope.role not in ("admin", "province", "farmers", "district"):
        raise AuthError(t("common.not_allowed"))
    campaign = load_campaign(campaign_id)
    codes = visible_codes(scope, district_code, commune_code)
    whole = scope.province_wide and not district_code and not commune_code
    sql_codes = None if whole else codes
    kinds = set(kinds or KINDS)
    now = now or clock.now()
    th = thresholds or load_thresholds()
    out: list[Alert] = []
    with session_scope() as s:
        conn = s.connection()
        if kinds & {KIND_RATIO_LOW, KIND_RATIO_HIGH, KIND_NO_ANSWERS, KIND_NO_REPORT}:
            out += [w for w in _coverage_warnings(conn, campaign, codes, sql_codes, now, th)
                    if w.kind in kinds]
        if kinds & set(INTEGRITY_KINDS):
            out += _integrity_warnings(conn, campaign, sql_codes, th, kinds)
        reviews = {r.warning_key: r for r in s.execute(
            select(WarningReview).where(WarningReview.campaign_id == campaign.id)).scalars()}
    allowed = set(codes)
    out = [w for w in out if w.commune_code in allowed]
    for w in out:
        r = reviews.get(w.key)
        if r is not None:
            w.reviewed_by, w.reviewed_at, w.note = r.reviewed_by, r.reviewed_at, r.note
    order = {k: i for i, k in enumerate(KINDS)}
    out.sort(key=lambda w: (w.reviewed, order[w.kind], w.district_code, w.commune_code,
                            w.day or date.min, w.key))
    return out


def summary(warnings: list[Alert]) -> dict[str, dict[str, int]]:
    """{kind: {"total": n, "open": n}} for the count badges."""
    out: dict[str, dict[str, int]] = {k: {"total": 0, "open": 0} for k in KINDS}
    for w in warnings:
        out[w.kind]["total"] += 1
        if not w.reviewed:
            out[w.kind]["open"] += 1
    return out


def _require_reviewer(scope: Scope) -> None:
    if scope.role not in REVIEWER_ROLES:
        raise AuthError(t("warn.not_reviewer"))


def find_warning(scope: Scope, campaign_id: int, key: str,
                 now: datetime | None = None) -> Alert:
    """The current warning with this key among those `scope` may see (AuthError otherwise)."""
    parts = (key or "").split(":")
    if len(parts) < 3 or parts[0] not in KINDS:
        raise AuthError(t("warn.unknown"))
    kind, code = parts[0], parts[1]
    c = geography().by_code.get(code)
    if c is None or not scope.can_see_commune(code, c.district_code):
        raise AuthError(t("warn.unknown"))
    for w in compute_warnings(scope, campaign_id, commune_code=code, kinds={kind}, now=now):
        if w.key == key:
            return w
    raise AuthError(t("warn.unknown"))


def mark_reviewed(scope: Scope, campaign_id: int, key: str, note: str = "",
                  now: datetime | None = None) -> None:
    """Mark a warning reviewed (or update the note), audited."""
    _require_reviewer(scope)
    w = find_warning(scope, campaign_id, key, now=now)
    note = (note or "").strip()[:500]
    with session_scope() as s:
        row = s.execute(select(WarningReview).where(WarningReview.campaign_id == campaign_id,
                                                    WarningReview.warning_key == w.key)
                        ).scalars().first()
        before = None
        if row is None:
            row = WarningReview(campaign_id=campaign_id, warning_key=w.key,
                                reviewed_by=scope.username, reviewed_at=clock.now(), note=note)
        else:
            before = {"reviewed_by": row.reviewed_by, "note": row.note}
            row.reviewed_by, row.reviewed_at, row.note = scope.username, clock.now(), note
        s.add(row)
        s.flush()
        audit.record(s, scope.username, "warning.review", "warning", w.key, before=before,
                     after={"reviewed_by": scope.username, "note": note, "kind": w.kind,
                            "commune": w.commune_code})


def unmark_reviewed(scope: Scope, campaign_id: int, key: str) -> bool:
    """Take the reviewed mark off again (audited). False when it was not marked."""
    _require_reviewer(scope)
    parts = (key or "").split(":")
    code = parts[1] if len(parts) >= 3 else None
    c = geography().by_code.get(code or "")
    if c is None or not scope.can_see_commune(code, c.district_code):
        raise AuthError(t("warn.unknown"))
    with session_scope() as s:
        rows = s.execute(select(WarningReview).where(WarningReview.campaign_id == campaign_id,
                                                     WarningReview.warning_key == key)
                         ).scalars().all()
        if not rows:
            return False
        before = {"reviewed_by": rows[0].reviewed_by, "note": rows[0].note}
        s.execute(delete(WarningReview).where(WarningReview.campaign_id == campaign_id,
                                              WarningReview.warning_key == key))
        audit.record(s, scope.username, "warning.unreview", "warning", key, before=before)
    return True


def set_excluded(scope: Scope, campaign_id: int, response_ids, exclude: bool,
                 reason: str = "", warning_key: str | None = None) -> int:
    """Exclude responses from (or re-include them in) the results. Returns how many changed.

    Every response must belong to the campaign and to a commune `scope` may see, else nothing
    changes (AuthError). In one transaction: ``Response.excluded`` flips only where it differs
    (a conditional UPDATE, so two reviewers clicking at once cannot count a response twice), the
    tallies follow (``apply_response`` with ``excluded_change``), and each change is audited."""
    _require_reviewer(scope)
    ids = sorted({int(i) for i in response_ids})
    if not ids:
        return 0
    geo = geography()
    changed = 0
    with session_scope() as s:
        rows = []
        for chunk in _chunks(ids, 500):
            rows += s.execute(select(Response.id, Response.campaign_id, Response.commune_code,
                                     Response.questionnaire_id, Response.day, Response.hour,
                                     Response.answers, Response.scores)
                              .where(Response.id.in_(chunk))).all()
        if len(rows) != len(ids):
            raise AuthError(t("warn.bad_responses"))
        for r in rows:
            c = geo.by_code.get(r.commune_code)
            if r.campaign_id != campaign_id or c is None or \
                    not scope.can_see_commune(r.commune_code, c.district_code):
                raise AuthError(t("warn.bad_responses"))
        sign = -1 if exclude else 1
        for r in rows:
            res = s.execute(update(Response).where(Response.id == r.id,
                                                   Response.excluded == (not exclude))
                            .values(excluded=exclude))
            if res.rowcount != 1:
                continue
            apply_response(s, campaign_id=r.campaign_id, commune_code=r.commune_code,
                           questionnaire_id=r.questionnaire_id, day=r.day, hour=r.hour,
                           answers=json.loads(r.answers), scores=json.loads(r.scores or "{}"),
                           definition=load_definition(r.questionnaire_id), sign=sign,
                           excluded_change=True)
            audit.record(s, scope.username, "response.exclude" if exclude else "response.include",
                         "response", r.id, before={"excluded": not exclude},
                         after={"excluded": exclude, "reason": (reason or "")[:500],
                                "warning": warning_key})
            changed += 1
    return changed


def exclude_warning(scope: Scope, campaign_id: int, key: str, exclude: bool = True,
                    reason: str = "", now: datetime | None = None) -> int:
    """Exclude (or re-include) every response a warning flags."""
    _require_reviewer(scope)
    w = find_warning(scope, campaign_id, key, now=now)
    if not w.response_ids:
        raise AuthError(t("warn.nothing_to_exclude"))
    return set_excluded(scope, campaign_id, w.response_ids, exclude, reason, warning_key=w.key)


def flagged_responses(scope: Scope, campaign_id: int, key: str,
                      now: datetime | None = None) -> list[dict]:
    """The responses a warning flags, for the reviewer (no fingerprints)."""
    w = find_warning(scope, campaign_id, key, now=now)
    if not w.response_ids:
        return []
    out = []
    with session_scope() as s:
        for chunk in _chunks(list(w.response_ids), 500):
            for r in s.execute(select(Response.id, Response.commune_code, Response.submitted_at,
                                      Response.duration_s, Response.excluded, Response.scores)
                               .where(Response.id.in_(chunk))):
                scores = json.loads(r.scores or "{}")
                out.append({"id": r.id, "commune_code": r.commune_code,
                            "submitted_at": r.submitted_at, "duration_s": r.duration_s,
                            "overall": scores.get("overall"), "excluded": bool(r.excluded)})
    out.sort(key=lambda d: d["submitted_at"])
    return out
