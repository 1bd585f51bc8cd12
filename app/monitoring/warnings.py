"""Warnings (cảnh báo): suspicious groups of sheets and implausible counts, for review.

Warnings are computed, never stored; a reviewer's mark is a ``WarningReview`` row keyed by the
warning's stable ``key``. Two families:

- **Groups of sheets** from the integrity engine (``app/integrity``, docs/INTEGRITY.md): one
  warning per suspicious cluster (``browser``, ``session``, ``device``, ``network``, ``copies``,
  ``team``, ``excess``), with its score, its sheets and its reasons in plain Vietnamese, ranked
  by score. ``ratio_high``: a reported day whose counted answers exceed the campaign's
  ``ratio_high`` times the reported visits (or the one-stop office's dossier count, where
  imported and lower) and that holds no ``excess`` warning of its own; it names the sheets,
  phones and sessions that make the excess and says how much of it no sheet explains.
- **Counts** that are not about sheets: ``ratio_low`` (answers / reported visits below the
  band on a reported day), ``visits_high`` (reported visits above the band against the one-stop
  office's dossier count), ``no_answers`` (a day of the window without answers; today only from
  ``no_answers_after_hour``), ``no_report`` (no daily report; today only from
  ``no_report_after_hour``). Days without a report are never judged on their ratio.

Settings (``Setting`` rows, admin-editable): ``warn.no_answers_after_hour`` (10) and
``warn.no_report_after_hour`` (12). The fixed counts of the rules before the engine
(``warn.burst_count``, ``warn.burst_minutes``, ``warn.identical_count``, ``warn.fast_seconds``)
no longer apply and are ignored: the engine judges against the campaign's own baselines.

The engine looks at every response, excluded or not, so a group's warning stays visible after
its responses were excluded and the exclusion can be reversed; count warnings are about the
counted answers (a too-high ratio goes away once its excess is excluded), and every excluded
sheet can be brought back from ``excluded_groups`` whatever its warning became.
``set_excluded`` is the only way to exclude or re-include responses: it updates
``Response.excluded`` and the running tallies in one transaction, and audits each change.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import delete, func, select, update

from app.core import audit, clock
from app.core.auth import AuthError, Scope
from app.core.campaigns import campaign_days, load_definition
from app.core.fmt import fmt_date, fmt_float, fmt_int
from app.core.i18n import t
from app.core.reference import geography
from app.monitoring.scoring import load_campaign, visible_codes
from app.monitoring.stats import RATIO_LOW, ratio_status, reference_day
from app.survey.tally import apply_response
from db.engine import session_scope
from db.models import (
    AuditLog,
    Campaign,
    CommuneHourTally,
    DailyReport,
    DossierCount,
    Response,
    Setting,
    WarningReview,
)

ENGINE_KINDS = ("browser", "session", "device", "network", "copies", "team", "excess",
                "unverified")
KIND_RATIO_HIGH = "ratio_high"
KIND_VISITS_HIGH = "visits_high"
KIND_RATIO_LOW = "ratio_low"
KIND_NO_ANSWERS = "no_answers"
KIND_NO_REPORT = "no_report"
KINDS = (*ENGINE_KINDS, KIND_RATIO_HIGH, KIND_VISITS_HIGH, KIND_RATIO_LOW, KIND_NO_ANSWERS,
         KIND_NO_REPORT)
COUNT_KINDS = (KIND_VISITS_HIGH, KIND_RATIO_LOW, KIND_NO_ANSWERS, KIND_NO_REPORT)
# the page's count tiles: groups of sheets, too many answers, too few, missing
CATEGORIES = {"groups": ENGINE_KINDS, "too_many": (KIND_RATIO_HIGH, KIND_VISITS_HIGH),
              "too_few": (KIND_RATIO_LOW,), "missing": (KIND_NO_ANSWERS, KIND_NO_REPORT)}
REVIEWER_ROLES = ("admin", "province", "district")
READER_ROLES = ("admin", "province", "farmers", "district")
HIGH_SCORE = 4.0   # the engine's threshold: a score from here up is a "high" warning


@dataclass(frozen=True)
class Thresholds:
    no_answers_after_hour: int = 10
    no_report_after_hour: int = 12

    SETTING_KEYS = {
        "no_answers_after_hour": "warn.no_answers_after_hour",
        "no_report_after_hour": "warn.no_report_after_hour",
    }


# settings of the rules before the integrity engine: ignored (see the module's docstring)
RETIRED_SETTINGS = ("warn.burst_count", "warn.burst_minutes", "warn.identical_count",
                    "warn.fast_seconds")


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
        try:
            v = int(float(raw))
        except ValueError:
            continue
        if 0 <= v <= 24:
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
    score: float | None = None       # the engine's score (-log10 of an honest coincidence)
    reasons: list[str] = field(default_factory=list)   # the reason as separate sentences
    first_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def reviewed(self) -> bool:
        return self.reviewed_by is not None

    @property
    def title(self) -> str:
        return t(f"warn.kind.{self.kind}")

    @property
    def can_exclude(self) -> bool:
        return bool(self.response_ids)

    @property
    def all_excluded(self) -> bool:
        return bool(self.response_ids) and self.n_excluded >= len(self.response_ids)

    @property
    def is_open_high(self) -> bool:
        """A high-score warning nobody has dealt with: not reviewed, sheets still counted."""
        return self.severity == "high" and not self.reviewed and not self.all_excluded

    @property
    def label(self) -> str:
        """The warning in a few words, for the reviewer to check what an action applies to."""
        day = f" – {fmt_date(self.day)}" if self.day else ""
        return f"{self.title} – {self.commune_name}{day}"


def _unit(code: str) -> tuple[str, str, str]:
    c = geography().by_code[code]
    return c.full_name, c.district_code, c.district_full_name


def _mk(kind: str, key: str, code: str, day: date | None, reason: str, severity: str = "medium",
        **kw) -> Alert:
    name, dcode, dname = _unit(code)
    return Alert(key=key, kind=kind, commune_code=code, commune_name=name, district_code=dcode,
                 district_name=dname, day=day, reason=reason, severity=severity, **kw)


def _where_codes(q, col, codes: list[str] | None):
    return q.where(col.in_(codes)) if codes is not None else q


def _coverage_warnings(conn, campaign: Campaign, codes: list[str], sql_codes, now: datetime,
                       th: Thresholds, kinds: set[str]) -> list[Alert]:
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
    dossiers: dict[tuple[str, date], int] = {}
    if KIND_VISITS_HIGH in kinds:
        for code, day, k in conn.execute(_where_codes(
                select(DossierCount.commune_code, DossierCount.day, DossierCount.dossiers)
                .where(DossierCount.campaign_id == campaign.id), DossierCount.commune_code,
                sql_codes)):
            dossiers[(code, day)] = int(k or 0)
    out: list[Alert] = []
    low, high = campaign.ratio_low, campaign.ratio_high
    for code in codes:
        for day in days:
            is_today = day == now.date()
            n = answers.get((code, day), 0)
            v = visits.get((code, day))
            k = dossiers.get((code, day))
            if v is not None:
                if KIND_RATIO_LOW in kinds and ratio_status(n, v, low, high) == RATIO_LOW:
                    reason = t("warn.reason.ratio_low", answers=fmt_int(n), visits=fmt_int(v),
                               ratio=fmt_float(n / v, 2), low=fmt_float(low, 2),
                               day=fmt_date(day))
                    out.append(_mk(KIND_RATIO_LOW, f"{KIND_RATIO_LOW}:{code}:{day.isoformat()}",
                                   code, day, reason, details={"answers": n, "visits": v}))
                if k is not None and v > 0 and (k == 0 or v / k > high):
                    ratio = fmt_float(v / k, 2) if k else "∞"
                    reason = t("warn.reason.visits_high", visits=fmt_int(v), dossiers=fmt_int(k),
                               ratio=ratio, high=fmt_float(high, 2), day=fmt_date(day),
                               answers=fmt_int(n))
                    out.append(_mk(KIND_VISITS_HIGH,
                                   f"{KIND_VISITS_HIGH}:{code}:{day.isoformat()}", code, day,
                                   reason, details={"answers": n, "visits": v, "dossiers": k}))
            elif KIND_NO_REPORT in kinds and (not is_today or now.hour >= th.no_report_after_hour):
                out.append(_mk(KIND_NO_REPORT, f"{KIND_NO_REPORT}:{code}:{day.isoformat()}",
                               code, day, t("warn.reason.no_report", day=fmt_date(day))))
            if KIND_NO_ANSWERS in kinds and n == 0 and \
                    (not is_today or now.hour >= th.no_answers_after_hour):
                out.append(_mk(KIND_NO_ANSWERS, f"{KIND_NO_ANSWERS}:{code}:{day.isoformat()}",
                               code, day, t("warn.reason.no_answers", day=fmt_date(day))))
    return out


def engine_report(campaign_id: int):
    """The integrity engine's judgement of the whole campaign (baselines are the campaign's,
    whoever asks; warnings are narrowed to a scope afterwards)."""
    from app.integrity import evaluate
    return evaluate(campaign_id)


def _span(first: datetime, last: datetime) -> str:
    if first.date() == last.date():
        return f"{first:%H:%M}–{last:%H:%M}"
    return f"{first:%H:%M} {fmt_date(first)} – {last:%H:%M} {fmt_date(last)}"


def _maker_text(m: dict) -> str:
    span = _span(m["first"], m["last"])
    if m["tie"] in ENGINE_KINDS:
        return t("warn.maker.warning", n=fmt_int(m["n"]), title=t(f"warn.kind.{m['tie']}"),
                 span=span)
    return t(f"warn.maker.{m['tie']}", n=fmt_int(m["n"]), span=span)


def _over_band_alert(d) -> Alert:
    """The ``ratio_high`` warning of a day over the band (``app.integrity.engine.DayCount``)."""
    ref = d.reference_count
    ratio = fmt_float(d.answers / ref, 2) if ref else "∞"
    values = dict(day=fmt_date(d.day), answers=fmt_int(d.answers),
                  visits=fmt_int(d.visits) if d.visits is not None else "–",
                  dossiers=fmt_int(d.dossiers) if d.dossiers is not None else "–",
                  ratio=ratio, high=fmt_float(d.ratio_high, 2), excess=fmt_int(d.excess))
    head = t("warn.reason.ratio_high_dossiers" if d.reference == "dossiers"
             else "warn.reason.ratio_high", **values)
    parts = [head]
    if d.makers:
        parts.append(t("warn.reason.makers", excess=fmt_int(d.excess),
                       makers="; ".join(_maker_text(m) for m in d.makers)))
    if d.unattributed:
        parts.append(t("warn.reason.unattributed", n=fmt_int(d.unattributed)))
    severity = "high" if d.score >= HIGH_SCORE else "medium"
    firsts = [m["first"] for m in d.makers]
    lasts = [m["last"] for m in d.makers]
    return _mk(KIND_RATIO_HIGH, f"{KIND_RATIO_HIGH}:{d.commune_code}:{d.day.isoformat()}",
               d.commune_code, d.day, " ".join(parts), severity,
               response_ids=d.response_ids, score=d.score, reasons=parts,
               first_at=min(firsts) if firsts else None, last_at=max(lasts) if lasts else None,
               details={"answers": d.answers, "visits": d.visits, "dossiers": d.dossiers,
                        "reference": d.reference, "excess": d.excess,
                        "unattributed": d.unattributed})


def _engine_alerts(report, codes: set[str]) -> list[Alert]:
    out = []
    day_of = {d.cluster_key: d for d in report.over_band if d.cluster_key}
    for c in report.clusters:
        if c.commune_code not in codes:
            continue
        reasons = [r["text"] for r in c.reasons]
        details = {"size": c.size}
        d = day_of.get(c.key)
        if d is not None:   # an excess: the day's figures
            details.update(answers=d.answers, visits=d.visits, dossiers=d.dossiers,
                           reference=d.reference, excess=d.excess)
        out.append(_mk(c.kind, c.key, c.commune_code, c.day, c.text,
                       "high" if c.score >= HIGH_SCORE else "medium",
                       response_ids=c.response_ids, n_excluded=c.n_excluded, score=c.score,
                       reasons=reasons, first_at=c.first_at, last_at=c.last_at,
                       details=details))
    for d in report.over_band:
        if d.commune_code in codes and d.cluster_key is None:
            out.append(_over_band_alert(d))
    return out


def _sort_key(w: Alert):
    order = {k: i for i, k in enumerate(KINDS)}
    # open first; a warning whose sheets are all excluded is dealt with: after the open ones
    return (w.reviewed, w.all_excluded, -(w.score if w.score is not None else -1.0),
            order[w.kind],
            w.district_code, w.commune_code, w.day or date.min, w.key)


def compute_warnings(scope: Scope, campaign_id: int | None = None, *,
                     district_code: str | None = None, commune_code: str | None = None,
                     kinds: set[str] | None = None, now: datetime | None = None,
                     thresholds: Thresholds | None = None, report=None) -> list[Alert]:
    """Every warning on the communes `scope` may see, with its review mark: open ones first
    (those whose sheets are all excluded after the others), then by score (highest first),
    then the count warnings. `report`: the engine's judgement
    of the campaign when the caller already has it (the page caches it)."""
    if scope.role not in READER_ROLES:
        raise AuthError(t("common.not_allowed"))
    campaign = load_campaign(campaign_id)
    codes = visible_codes(scope, district_code, commune_code)
    whole = scope.province_wide and not district_code and not commune_code
    return _compute(campaign, codes, None if whole else codes, set(kinds or KINDS), now,
                    thresholds, report)


def _compute(campaign: Campaign, codes: list[str], sql_codes, kinds: set[str],
             now: datetime | None, thresholds: Thresholds | None, report) -> list[Alert]:
    now = now or clock.now()
    th = thresholds or load_thresholds()
    allowed = set(codes)
    out: list[Alert] = []
    if kinds & set(ENGINE_KINDS + (KIND_RATIO_HIGH,)):
        if report is None or report.campaign_id != campaign.id:
            report = engine_report(campaign.id)
        out += [w for w in _engine_alerts(report, allowed) if w.kind in kinds]
    with session_scope() as s:
        conn = s.connection()
        if kinds & set(COUNT_KINDS):
            out += _coverage_warnings(conn, campaign, codes, sql_codes, now, th, kinds)
        reviews = {r.warning_key: r for r in s.execute(
            select(WarningReview).where(WarningReview.campaign_id == campaign.id)).scalars()}
    out = [w for w in out if w.commune_code in allowed]
    for w in out:
        r = reviews.get(w.key)
        if r is not None:
            w.reviewed_by, w.reviewed_at, w.note = r.reviewed_by, r.reviewed_at, r.note
    out.sort(key=_sort_key)
    return out


def open_high_for(campaign_id: int, codes: list[str] | None = None, *,
                  report=None) -> dict[str, list[Alert]]:
    """The high-score warnings nobody has dealt with yet (not reviewed, sheets still counted),
    per commune, for the communes `codes` (all when None). No scope: for callers that check
    their own (the ranking and the nominations mark communes with them)."""
    campaign = load_campaign(campaign_id)
    codes = [c.code for c in geography().communes] if codes is None else list(codes)
    out: dict[str, list[Alert]] = defaultdict(list)
    for w in _compute(campaign, codes, None, set(ENGINE_KINDS + (KIND_RATIO_HIGH,)), None,
                      None, report):
        if w.is_open_high:
            out[w.commune_code].append(w)
    return dict(out)


def open_high_by_commune(scope: Scope, campaign_id: int | None = None, *,
                         report=None) -> dict[str, list[Alert]]:
    """``open_high_for`` the communes `scope` may see."""
    if scope.role not in READER_ROLES:
        raise AuthError(t("common.not_allowed"))
    campaign = load_campaign(campaign_id)
    return open_high_for(campaign.id, visible_codes(scope), report=report)


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


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def find_warning(scope: Scope, campaign_id: int, key: str,
                 now: datetime | None = None, report=None) -> Alert:
    """The current warning with this key among those `scope` may see (AuthError otherwise).
    Actions call it without `report`, so they act on the warning as it is now."""
    parts = (key or "").split(":")
    if len(parts) < 3 or parts[0] not in KINDS:
        raise AuthError(t("warn.unknown"))
    kind, code = parts[0], parts[1]
    c = geography().by_code.get(code)
    if c is None or not scope.can_see_commune(code, c.district_code):
        raise AuthError(t("warn.unknown"))
    for w in compute_warnings(scope, campaign_id, commune_code=code, kinds={kind}, now=now,
                              report=report):
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
                      now: datetime | None = None, report=None) -> list[dict]:
    """The responses a warning flags, for the reviewer (no fingerprints)."""
    w = find_warning(scope, campaign_id, key, now=now, report=report)
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


@dataclass
class ExcludedGroup:
    """Excluded sheets of one commune and day, whatever warning they were excluded through
    (that warning may have changed or gone since): they can always be brought back."""
    key: str                      # "excluded:<commune code>:<yyyy-mm-dd>"
    commune_code: str
    commune_name: str
    district_code: str
    district_name: str
    day: date
    response_ids: tuple[int, ...]
    reasons: list[str]
    warnings: list[str]           # keys of the warnings they were excluded through
    last_by: str | None = None
    last_at: datetime | None = None

    @property
    def label(self) -> str:
        return t("warn.excluded.label", n=fmt_int(len(self.response_ids)),
                 commune=self.commune_name, day=fmt_date(self.day))


def excluded_groups(scope: Scope, campaign_id: int, *, district_code: str | None = None,
                    commune_code: str | None = None) -> list[ExcludedGroup]:
    """The excluded sheets `scope` may see, per commune and day, with the reasons given."""
    if scope.role not in READER_ROLES:
        raise AuthError(t("common.not_allowed"))
    codes = visible_codes(scope, district_code, commune_code)
    whole = scope.province_wide and not district_code and not commune_code
    by: dict[tuple[str, date], list[int]] = defaultdict(list)
    with session_scope() as s:
        q = select(Response.id, Response.commune_code, Response.day).where(
            Response.campaign_id == campaign_id, Response.excluded == True)  # noqa: E712
        for rid, code, day in s.execute(_where_codes(q, Response.commune_code,
                                                     None if whole else codes)):
            by[(code, day)].append(rid)
        last: dict[int, AuditLog] = {}
        ids = [str(i) for v in by.values() for i in v]
        for chunk in _chunks(ids, 500):
            for a in s.execute(select(AuditLog).where(AuditLog.action == "response.exclude",
                                                      AuditLog.entity == "response",
                                                      AuditLog.entity_id.in_(chunk))
                               .order_by(AuditLog.at, AuditLog.id)).scalars():
                last[int(a.entity_id)] = a
    allowed = set(codes)
    out = []
    for (code, day), rids in by.items():
        if code not in allowed:
            continue
        reasons, keys, when, who = [], [], None, None
        for rid in rids:
            a = last.get(rid)
            if a is None:
                continue
            after = json.loads(a.after or "{}")
            if after.get("reason") and after["reason"] not in reasons:
                reasons.append(after["reason"])
            if after.get("warning") and after["warning"] not in keys:
                keys.append(after["warning"])
            if when is None or a.at > when:
                when, who = a.at, a.actor
        name, dcode, dname = _unit(code)
        out.append(ExcludedGroup(f"excluded:{code}:{day.isoformat()}", code, name, dcode, dname,
                                 day, tuple(sorted(rids)), reasons, keys, who, when))
    out.sort(key=lambda g: (g.district_code, g.commune_code, g.day))
    return out


def include_group(scope: Scope, campaign_id: int, key: str, reason: str = "") -> int:
    """Bring back every excluded sheet of the group `key` ("excluded:<commune>:<day>")."""
    _require_reviewer(scope)
    parts = (key or "").split(":")
    if len(parts) != 3 or parts[0] != "excluded":
        raise AuthError(t("warn.unknown"))
    c = geography().by_code.get(parts[1])
    if c is None or not scope.can_see_commune(c.code, c.district_code):
        raise AuthError(t("warn.unknown"))
    group = next((g for g in excluded_groups(scope, campaign_id, commune_code=c.code)
                  if g.key == key), None)
    if group is None:
        raise AuthError(t("warn.unknown"))
    return set_excluded(scope, campaign_id, group.response_ids, False, reason, warning_key=key)
