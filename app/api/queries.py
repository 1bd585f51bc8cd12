"""What the read API answers, as plain records, for one caller's ``Scope`` (app.core.auth).

Every function here takes the scope and enforces it like the pages' services do (the scope of
an API token is the scope of a signed-in user of that role and unit, ``Principal.scope``): a
district's token reaches its own communes only, whatever it asks for (``visible_codes`` refuses
another unit with AuthError; a query without a unit is narrowed to the scope's communes).
``tests/test_access_matrix.py`` finds these functions and forges other units into them.

Records are dicts of JSON-ready values (dates stay ``date``/``datetime``: app/api/serializers.py
writes them as ISO 8601). The figures come from the services the pages use:
``app.monitoring.stats.overview`` (answers, visits, ratio, index and its interval per pillar),
``app.monitoring.warnings.compute_warnings`` (open warnings), the tallies and the daily reports.

Responses are paged by a cursor on the response id (``responses_page``): every response is
returned exactly once however many answers arrive while a client pages, even on PostgreSQL,
where transactions may commit out of id order (``_settled_rows``).
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.core import clock
from app.core.auth import AuthError, Scope
from app.core.campaigns import load_definition
from app.core.i18n import t
from app.core.reference import geography
from app.monitoring.scoring import load_campaign, visible_codes
from app.survey.questionnaire import OVERALL, Definition, Question
from db.engine import database_url, is_sqlite, session_scope
from db.models import (
    Campaign,
    CommuneHourTally,
    DailyReport,
    Questionnaire,
    ReportPhoto,
    Response,
    ScoreTally,
)

READER_ROLES = ("admin", "province", "farmers", "district")
DEFAULT_LIMIT = 500
MAX_LIMIT = 2000
PACE_ROWS = 200  # answer sheets between two calls of a page's `pace`
# A response id missing between two stored ones may belong to a transaction that has not
# committed yet (PostgreSQL hands out ids before commit): a page stops before such a gap until
# the stored answer after it is this old; after that the id is taken as never coming (a
# rolled-back insert, e.g. a form sent twice). A survey transaction takes milliseconds.
SETTLE_SECONDS = 60.0
# In the future by more than this, a neighbour's time is not a live submission's clock.
CLOCK_SKEW = timedelta(seconds=5)
WARNINGS_TTL_S = 30.0
# The published columns of ``response``: everything else (the integrity fingerprints: session,
# device, network, browser and agent hashes, answer hash and pattern, submission token, time on
# the form, client facts, and any column added later) never leaves through the API.
RESPONSE_COLUMNS = ("id", "campaign_id", "commune_code", "questionnaire_id", "submitted_at",
                    "day", "hour", "excluded", "is_demo", "answers", "scores", "verified")


class ApiInputError(ValueError):
    """A request the API cannot answer as asked (app/api/errors.py names each ``code``)."""

    def __init__(self, code: str, **details: Any):
        super().__init__(code)
        self.code = code
        self.details = details


def require_reader(scope: Scope) -> None:
    if scope.role not in READER_ROLES:
        raise AuthError(t("api.err.forbidden_role"))


def private_response_columns() -> list[str]:
    """Columns of the ``response`` table the API never publishes, read from the model, so a
    column added later is private until someone adds it to ``RESPONSE_COLUMNS``."""
    return [c.name for c in Response.__table__.columns if c.name not in RESPONSE_COLUMNS]


def _campaign(campaign_id: int | None) -> Campaign:
    try:
        return load_campaign(campaign_id)
    except LookupError as exc:
        raise ApiInputError("campaign_not_found", campaign=campaign_id) from exc


def _num(v: Any, digits: int | None = None) -> Any:
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return round(v, digits) if digits is not None else v
    return v


# --- campaigns --------------------------------------------------------------------------------

def list_campaigns(scope: Scope) -> list[dict]:
    """Every campaign, newest first, with the scope's own totals (answers, communes with
    answers, daily reports, overall index pooled over the scope's answers)."""
    require_reader(scope)
    codes = scope.visible_commune_codes()
    wanted = None if codes is None else set(codes)
    with session_scope() as s:
        camps = s.execute(select(Campaign).order_by(Campaign.start_date.desc(),
                                                    Campaign.id.desc())).scalars().all()
        qs = {q.id: (q.code, q.version) for q in s.execute(select(Questionnaire)).scalars()}
        answers: dict[int, dict[str, int]] = defaultdict(dict)
        for cid, code, n in s.execute(select(CommuneHourTally.campaign_id,
                                             CommuneHourTally.commune_code,
                                             func.sum(CommuneHourTally.n))
                                      .group_by(CommuneHourTally.campaign_id,
                                                CommuneHourTally.commune_code)):
            if wanted is None or code in wanted:
                answers[cid][code] = int(n or 0)
        pooled: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for cid, code, n, total in s.execute(select(ScoreTally.campaign_id, ScoreTally.commune_code,
                                                    ScoreTally.n, ScoreTally.total)
                                             .where(ScoreTally.pillar == OVERALL)):
            if wanted is None or code in wanted:
                pooled[cid][0] += n or 0
                pooled[cid][1] += total or 0.0
        reports: dict[int, int] = defaultdict(int)
        for cid, code in s.execute(select(DailyReport.campaign_id, DailyReport.commune_code)):
            if wanted is None or code in wanted:
                reports[cid] += 1
    out = []
    for c in camps:
        a = answers.get(c.id, {})
        n, total = pooled.get(c.id, (0.0, 0.0))
        qcode, qversion = qs.get(c.questionnaire_id, (None, None))
        out.append({
            "id": c.id, "name": c.name, "year": c.year, "start_date": c.start_date,
            "end_date": c.end_date, "is_active": bool(c.is_active), "is_demo": bool(c.is_demo),
            "questionnaire_id": c.questionnaire_id, "questionnaire_code": qcode,
            "questionnaire_version": qversion, "min_sample": c.min_sample,
            "friendly_threshold": c.friendly_threshold, "ratio_low": c.ratio_low,
            "ratio_high": c.ratio_high, "answers": sum(a.values()),
            "communes_with_answers": sum(1 for v in a.values() if v > 0),
            "daily_reports": reports.get(c.id, 0),
            "index_overall": _num(total / n, 2) if n else None})
    return out


def questionnaire(scope: Scope, campaign_id: int | None = None) -> dict:
    """The campaign's questionnaire as a code book: pillars, questions and every option's code,
    label and score (the labels the responses carry)."""
    require_reader(scope)
    campaign = _campaign(campaign_id)
    defn = load_definition(campaign.questionnaire_id)
    with session_scope() as s:
        q = s.get(Questionnaire, campaign.questionnaire_id)
        version = q.version if q else None
    numbers = {q.id: i + 1 for i, q in enumerate(defn.questions)}
    return {
        "campaign_id": campaign.id, "questionnaire_id": campaign.questionnaire_id,
        "code": defn.code, "version": version, "title": defn.title,
        "pillars": [{"id": p.id, "name": p.name} for p in defn.pillars],
        "questions": [{
            "id": q.id, "number": numbers.get(q.id), "type": q.type, "text": q.text,
            "pillar": None if q.profile else q.pillar, "profile": q.profile,
            "required": q.required,
            "options": [{"code": code, "label": label, "score": score}
                        for code, label, score in _closed_options(q)]}
            for q in defn.all_questions]}


def _closed_options(q: Question) -> list[tuple[str, str, float | None]]:
    if q.type == "rating":
        from app.monitoring.stats import option_label
        span = max(q.scale_max - q.scale_min, 1)
        return [(str(v), option_label(q, str(v)), round(100.0 * (v - q.scale_min) / span, 3))
                for v in range(q.scale_min, q.scale_max + 1)]
    return [(o.value, o.label, o.score) for o in q.options]


# --- per-commune figures ----------------------------------------------------------------------

_warn_cache: dict[tuple, tuple[float, dict[str, list[int]]]] = {}
_warn_lock = threading.Lock()


def _warning_counts(scope: Scope, campaign_id: int, district_code: str | None,
                    commune_code: str | None) -> dict[str, list[int]]:
    """{commune: [open, total]} of the warnings the scope may see (computed warnings are
    expensive at scale: kept ``WARNINGS_TTL_S`` seconds, like the warnings page)."""
    from app.monitoring.warnings import compute_warnings
    key = (database_url(), campaign_id, scope.role, scope.district_code, district_code,
           commune_code)
    now = time.monotonic()
    with _warn_lock:
        hit = _warn_cache.get(key)
    if hit is not None and now - hit[0] < WARNINGS_TTL_S:
        return hit[1]
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for w in compute_warnings(scope, campaign_id, district_code=district_code,
                              commune_code=commune_code):
        counts[w.commune_code][1] += 1
        if not w.reviewed:
            counts[w.commune_code][0] += 1
    result = dict(counts)
    with _warn_lock:
        if len(_warn_cache) > 256:
            _warn_cache.clear()
        _warn_cache[key] = (now, result)
    return result


def clear_caches() -> None:
    with _warn_lock:
        _warn_cache.clear()


def verified_shares(campaign_id: int, codes: list[str],
                    answers: dict[str, int] | None = None) -> dict[str, float]:
    """The share of each commune's counted answers (not excluded) that were verified in person
    at the office screen (app/survey/kiosk.py). A commune without counted answers is missing
    here and published as ``verified_share: null``. `answers`: the counted answers per
    commune, when the caller has them (else read from the tallies)."""
    from app.survey.kiosk import verified_counts
    if answers is None:
        from sqlalchemy import func as sa_func

        from db.models import CommuneHourTally as H
        with session_scope() as s:
            q = (select(H.commune_code, sa_func.sum(H.n)).where(H.campaign_id == campaign_id)
                 .group_by(H.commune_code))
            answers = {c: int(n or 0) for c, n in s.execute(q)}
    verified = verified_counts(campaign_id, codes)
    return {c: round(min(1.0, verified.get(c, 0) / answers[c]), 4)
            for c in codes if answers.get(c)}


def commune_figures(scope: Scope, campaign_id: int | None = None, *,
                    district_code: str | None = None,
                    commune_code: str | None = None) -> dict:
    """One record per commune in view: answers, visits, the answers/visits ratio and its status,
    the index overall and per pillar with its 95% interval, its status and rank, and the open
    warnings. ``{"campaign_id", "ref_day", "pillars", "communes", ...}``: nothing that changes
    without the data changing (no time of computation), so that an unchanged answer keeps its
    ETag."""
    from app.monitoring.stats import overview
    require_reader(scope)
    campaign = _campaign(campaign_id)
    ov = overview(scope, campaign.id, district_code=district_code, commune_code=commune_code)
    codes = list(ov.communes["code"])
    warnings = _warning_counts(scope, campaign.id, district_code, commune_code)
    shares = verified_shares(campaign.id, codes,
                             dict(zip(ov.communes["code"], ov.communes["answers"].astype(int))))
    scores = {c.code: c for c in ov.scores.communes}
    pillar_ids = [p for p, _name in ov.pillars]
    out = []
    for r in ov.communes.to_dict("records"):
        code = r["code"]
        sc = scores.get(code)
        pillars = {}
        for p in pillar_ids:
            iv = sc.pillars.get(p) if sc else None
            pillars[p] = {"index": _num(iv.mean, 2) if iv else None,
                          "low": _num(iv.low, 2) if iv and iv.low is not None else None,
                          "high": _num(iv.high, 2) if iv and iv.high is not None else None,
                          "n": iv.n if iv else 0}
        w_open, w_total = warnings.get(code, (0, 0))
        out.append({
            "code": code, "name": r["name"], "type": r["type"],
            "district_code": r["district_code"], "district_name": r["district_name"],
            "answers": int(r["answers"]), "excluded": int(r["excluded"]),
            "answers_today": int(r["answers_today"]),
            "visits": int(r["visits"]), "matched_answers": int(r["matched_answers"]),
            "ratio": _num(r["ratio"], 4), "ratio_status": r["ratio_status"],
            "reports": int(r["reports"]), "reports_expected": int(r["reports_expected"]),
            "index": _num(r["index"], 2), "index_low": _num(r["index_low"], 2),
            "index_high": _num(r["index_high"], 2), "n_scored": int(r["n_scored"]),
            "status": r["score_status"],
            "rank": None if r["rank"] is None or _num(r["rank"]) is None else int(r["rank"]),
            "uncertain": bool(sc.uncertain) if sc else False,
            "pillars": pillars,
            "warnings_open": w_open, "warnings_total": w_total,
            "verified_share": shares.get(code)})
    return {"campaign_id": campaign.id, "ref_day": ov.ref_day,
            "friendly_threshold": campaign.friendly_threshold, "min_sample": campaign.min_sample,
            "ratio_low": campaign.ratio_low, "ratio_high": campaign.ratio_high,
            "pillars": [{"id": p, "name": name} for p, name in ov.pillars], "communes": out}


# --- daily reports ----------------------------------------------------------------------------

def daily_reports(scope: Scope, campaign_id: int | None = None, *,
                  district_code: str | None = None, commune_code: str | None = None,
                  day: date | None = None) -> dict:
    """The daily reports of the communes in view (one per commune and day), oldest day first,
    with the answers received that day and the number of photos (not the photos)."""
    from app.operations.daily_reports import PUBLICITY_CHANNELS
    require_reader(scope)
    campaign = _campaign(campaign_id)
    codes = visible_codes(scope, district_code, commune_code)
    whole = scope.province_wide and not district_code and not commune_code
    geo = geography()
    with session_scope() as s:
        q = select(DailyReport).where(DailyReport.campaign_id == campaign.id)
        if not whole:
            q = q.where(DailyReport.commune_code.in_(codes))
        if day is not None:
            q = q.where(DailyReport.day == day)
        reports = s.execute(q.order_by(DailyReport.day, DailyReport.commune_code)).scalars().all()
        ids = [r.id for r in reports]
        photos: dict[int, int] = {}
        for chunk in range(0, len(ids), 500):
            for rid, n in s.execute(select(ReportPhoto.report_id, func.count())
                                    .where(ReportPhoto.report_id.in_(ids[chunk:chunk + 500]))
                                    .group_by(ReportPhoto.report_id)):
                photos[rid] = int(n)
        aq = (select(CommuneHourTally.commune_code, CommuneHourTally.day,
                     func.sum(CommuneHourTally.n))
              .where(CommuneHourTally.campaign_id == campaign.id)
              .group_by(CommuneHourTally.commune_code, CommuneHourTally.day))
        if not whole:
            aq = aq.where(CommuneHourTally.commune_code.in_(codes))
        answers = {(c, d): int(n or 0) for c, d, n in s.execute(aq)}
    allowed = set(codes)
    out = []
    for r in reports:
        c = geo.by_code.get(r.commune_code)
        if c is None or r.commune_code not in allowed:
            continue
        try:
            channels = [str(x) for x in json.loads(r.publicity or "[]")]
        except ValueError:
            channels = []
        n = answers.get((r.commune_code, r.day), 0)
        out.append({
            "id": r.id, "commune_code": r.commune_code, "commune_name": c.full_name,
            "district_code": c.district_code, "district_name": c.district_full_name,
            "day": r.day, "visits": r.visits, "guided": r.guided,
            "helpers_on_duty": r.helpers_on_duty, "answers": n,
            "ratio": _num(n / r.visits, 4) if r.visits else None,
            "publicity": channels,
            "publicity_labels": [PUBLICITY_CHANNELS.get(x, x) for x in channels],
            "difficulties": r.difficulties or "", "proposals": r.proposals or "",
            "photos": photos.get(r.id, 0), "created_at": r.created_at,
            "updated_at": r.updated_at, "is_demo": bool(r.is_demo)})
    return {"campaign_id": campaign.id, "reports": out}


# --- responses --------------------------------------------------------------------------------

@dataclass
class ResponsePage:
    campaign_id: int
    questionnaire_id: int
    items: list[dict]
    next_cursor: str
    has_more: bool


def _query_key(campaign_id: int, district_code: str | None, commune_code: str | None) -> str:
    raw = f"{campaign_id}|{district_code or ''}|{commune_code or ''}"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def encode_cursor(after_id: int, key: str) -> str:
    raw = json.dumps({"v": 1, "a": int(after_id), "q": key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, key: str) -> int:
    """The id after which a page starts (0 for no cursor). A cursor names a position in one
    query; another query's cursor or a damaged one is refused (``cursor_invalid``). Scope is
    never read from a cursor: a forged one only moves within what the caller may see."""
    if cursor is None or cursor == "":
        return 0
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        after = data["a"]
        if data.get("v") != 1 or not isinstance(after, int) or isinstance(after, bool) \
                or after < 0 or after > 2 ** 62:
            raise ValueError("bad cursor")
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiInputError("cursor_invalid") from exc
    if data.get("q") != key:
        raise ApiInputError("cursor_other_query")
    return after


def _settled_rows(conn, rows: list, after: int, now: datetime) -> list:
    """The longest start of `rows` (ascending ids of one page) that no later page can precede.

    A page may end at any stored id; what it must not do is pass an id that is missing now but
    may still arrive (an open transaction holds it), or the cursor would step over it for good.
    So every id between `after` and the page's last id is checked against the whole table (any
    campaign or commune), and the page stops before the first missing id that is still young:
    the stored answer after it came less than ``SETTLE_SECONDS`` ago. SQLite writes one
    transaction at a time and never leaves such gaps; PostgreSQL can."""
    if not rows:
        return rows
    last = rows[-1].id
    if last - after == len(rows) and [r.id for r in rows] == list(range(after + 1, last + 1)):
        return rows  # no gap at all (the common case: the page is the whole id range)
    stored = [(i, at) for i, at in conn.execute(
        select(Response.id, Response.submitted_at)
        .where(Response.id > after, Response.id <= last).order_by(Response.id))]
    young_after = now - timedelta(seconds=SETTLE_SECONDS)
    expected = after + 1
    stop = None
    for rid, at in stored:
        if rid > expected and at is not None and young_after <= at <= now + CLOCK_SKEW:
            stop = expected  # ids expected..rid-1 are missing, and the answer after them is new
            break
        expected = rid + 1
    if stop is None:
        return rows
    return [r for r in rows if r.id < stop]


def responses_page(scope: Scope, campaign_id: int | None = None, *,
                   district_code: str | None = None, commune_code: str | None = None,
                   cursor: str | None = None, limit: int = DEFAULT_LIMIT,
                   now: datetime | None = None,
                   pace: Callable[[], None] | None = None) -> ResponsePage:
    """Answer sheets of the communes in view, by ascending id, at most `limit` (1..MAX_LIMIT)
    after `cursor`. Closed answers are given as option codes and labels, open ones as text;
    no integrity fingerprint ever (``RESPONSE_COLUMNS``). ``next_cursor`` continues the same
    query, also once everything is read (``has_more`` false): new answers come after it.
    `pace` is called between chunks of the work (app/api/pacing.py)."""
    require_reader(scope)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ApiInputError("limit_invalid", max=MAX_LIMIT)
    campaign = _campaign(campaign_id)
    codes = visible_codes(scope, district_code, commune_code)
    whole = scope.province_wide and not district_code and not commune_code
    key = _query_key(campaign.id, district_code, commune_code)
    after = decode_cursor(cursor, key)
    now = now or clock.now()
    cols = [getattr(Response, c) for c in RESPONSE_COLUMNS]
    q = select(*cols).where(Response.campaign_id == campaign.id, Response.id > after)
    if not whole:
        q = q.where(Response.commune_code.in_(codes))
    q = q.order_by(Response.id).limit(limit + 1)
    with session_scope() as s:
        # one snapshot for the page and its gap check (PostgreSQL; SQLite has no gaps to miss)
        conn = s.connection() if is_sqlite() else \
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        result = conn.execute(q)
        rows = []
        while chunk := result.fetchmany(PACE_ROWS):
            rows += chunk
            if pace:
                pace()
        more = len(rows) > limit
        rows = rows[:limit]
        settled = _settled_rows(conn, rows, after, now)
    if len(settled) < len(rows):
        more = False  # caught up for now: the rest is younger than an answer still on its way
    allowed = set(codes)
    geo = geography()
    books: dict[int, list] = {}
    items = []
    for r in settled:
        c = geo.by_code.get(r.commune_code)
        if c is None or r.commune_code not in allowed:
            continue  # (never happens: the query is narrowed to the scope)
        defn = load_definition(r.questionnaire_id)
        book = books.get(r.questionnaire_id)
        if book is None:
            book = books[r.questionnaire_id] = code_book(defn)
        items.append(response_record(r, defn, c, book))
        if pace and len(items) % PACE_ROWS == 0:
            pace()
    last = settled[-1].id if settled else after
    return ResponsePage(campaign.id, campaign.questionnaire_id, items,
                        encode_cursor(last, key), more)


def answer_record(q: Question, value: Any) -> dict:
    """One answer: ``{"codes": [...], "labels": [...]}`` for a closed question (one code for
    single choice and rating), ``{"text": ...}`` for an open one."""
    return _answer(q.type == "text", _labels(q), value)


def _labels(q: Question) -> dict[str, str]:
    from app.monitoring.stats import option_label
    return {code: option_label(q, code) for code, _label, _score in _closed_options(q)} \
        if q.type != "text" else {}


def _answer(is_text: bool, labels: dict[str, str], value: Any) -> dict:
    if is_text:
        return {"text": "" if value is None else str(value)}
    values = value if isinstance(value, list) else ([] if value is None else [value])
    codes = [str(v) for v in values]
    return {"codes": codes, "labels": [labels.get(c, c) for c in codes]}


def code_book(defn: Definition) -> list[tuple[str, bool, dict[str, str]]]:
    """(question id, is open, {code: label}) in form order: built once per page."""
    return [(q.id, q.type == "text", _labels(q)) for q in defn.all_questions]


def response_record(r, defn: Definition, commune,
                    book: list[tuple[str, bool, dict[str, str]]] | None = None) -> dict:
    """A response row (the ``RESPONSE_COLUMNS`` only) as the API publishes it (`book`: the
    definition's ``code_book``, when the caller keeps it for many rows)."""
    try:
        raw = json.loads(r.answers or "{}")
    except ValueError:
        raw = {}
    try:
        scores = {k: _num(float(v), 3) for k, v in json.loads(r.scores or "{}").items()
                  if v is not None}
    except (ValueError, TypeError, AttributeError):
        scores = {}
    answers = {qid: _answer(is_text, labels, raw[qid])
               for qid, is_text, labels in (book or code_book(defn)) if qid in raw}
    return {
        "id": r.id, "campaign_id": r.campaign_id, "commune_code": r.commune_code,
        "commune_name": commune.full_name, "district_code": commune.district_code,
        "district_name": commune.district_full_name, "questionnaire_id": r.questionnaire_id,
        "submitted_at": r.submitted_at, "day": r.day, "hour": r.hour,
        "excluded": bool(r.excluded), "is_demo": bool(r.is_demo),
        "verified": bool(r.verified), "scores": scores,
        "answers": answers}
