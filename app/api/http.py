"""One API request from start to answer, without any web framework: checks the token and the
rate limit, reads and checks the parameters, calls the query service (app/api/queries.py) with
the token's scope, writes JSON or CSV (app/api/serializers.py), and adds the ETag (``304`` on a
matching ``If-None-Match``) and gzip. app/api/routes.py is the Starlette glue around it; the
tests call ``handle`` directly too.

Runs in a worker thread (never on the event loop that serves the citizens' websockets): it
reads the database and spends CPU on JSON and gzip.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import OperationalError

from app.api import queries, serializers
from app.api.errors import error_body, status_of
from app.api.pacing import Pacer
from app.api.queries import ApiInputError
from app.api.tokens import Principal, RateLimiter, TokenRefused, UsageCounter, authenticate, bearer_token
from app.core.auth import AuthError, Scope
from app.core.campaigns import load_definition

log = logging.getLogger("qcdc.api")

JSON_TYPE = "application/json; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
GZIP_MIN_BYTES = 1000
GZIP_LEVEL = 6
FORMATS = ("json", "csv")
DISTRICT_RE = re.compile(r"[0-9]{3}")
COMMUNE_RE = re.compile(r"[0-9]{5}")

# endpoint -> the query parameters it accepts
PARAMETERS: dict[str, tuple[str, ...]] = {
    "openapi": (),
    "campaigns": ("format",),
    "questionnaire": ("format",),
    "communes": ("format", "district", "commune"),
    "daily_reports": ("format", "district", "commune", "day"),
    "responses": ("format", "district", "commune", "cursor", "limit"),
}


@dataclass
class ApiRequest:
    endpoint: str                      # a key of PARAMETERS
    method: str = "GET"
    path_params: dict[str, str] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    url: str = ""                      # the request's URL without its query (for Link)


@dataclass
class ApiResult:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class _Refusal(Exception):
    def __init__(self, code: str, headers: list[tuple[str, str]] | None = None, **details):
        super().__init__(code)
        self.code, self.headers, self.details = code, headers or [], details


def error_result(code: str, headers: list[tuple[str, str]] | None = None,
                 **details) -> ApiResult:
    body = serializers.to_json(error_body(code, **details))
    return ApiResult(status_of(code), body, [("Content-Type", JSON_TYPE),
                                             ("Cache-Control", "no-store"), *(headers or [])])


def handle(req: ApiRequest, *, counter: UsageCounter, limiter: RateLimiter,
           openapi: Callable[[], dict] | None = None, pacer=None) -> ApiResult:
    """The answer to one request (never raises). `pacer`: citizens first (app/api/pacing.py;
    a fresh ``Pacer`` by default)."""
    try:
        return _handle(req, counter, limiter, openapi, pacer or Pacer())
    except _Refusal as r:
        return error_result(r.code, r.headers, **r.details)
    except ApiInputError as exc:
        return error_result(exc.code, **exc.details)
    except AuthError:
        return error_result("forbidden_unit")
    except OperationalError:
        log.warning("API: database busy", exc_info=True)
        return error_result("database_busy", [("Retry-After", "60")])
    except Exception:
        log.exception("API: %s failed", req.endpoint)
        return error_result("internal_error")


def _handle(req: ApiRequest, counter: UsageCounter, limiter: RateLimiter,
            openapi: Callable[[], dict] | None, pacer) -> ApiResult:
    if req.method not in ("GET", "HEAD"):
        raise _Refusal("method_not_allowed", [("Allow", "GET, HEAD")])
    if req.endpoint not in PARAMETERS:
        raise _Refusal("not_found")
    if req.endpoint == "openapi":
        _params(req)
        from app.api.openapi import document
        return _answer(req, serializers.to_json((openapi or document)()), JSON_TYPE)
    principal = _principal(req)
    wait = limiter.take(principal.token_id)
    if wait > 0:
        retry = RateLimiter.retry_after(wait)
        raise _Refusal("rate_limited", [("Retry-After", str(retry))], retry_after=retry)
    counter.hit(principal.token_id)
    params = _params(req)
    fmt = params.get("format", "json")
    if fmt not in FORMATS:
        raise _Refusal("parameter_invalid", name="format", expected="json or csv")
    pace = pacer.step
    pace()
    query = _Query(principal.scope, _campaign_id(req.path_params.get("campaign")),
                   _code(params, "district", DISTRICT_RE, "a district code of 3 digits"),
                   _code(params, "commune", COMMUNE_RE, "a commune code of 5 digits"),
                   params, fmt, pace, req)
    body, extra = _ANSWERS[req.endpoint](query)
    campaign_id = query.campaign_id
    pace()
    ctype = JSON_TYPE if fmt == "json" else CSV_TYPE
    if fmt == "csv":
        name = f"qcdc-{req.endpoint.replace('_', '-')}"
        if campaign_id is not None:
            name += f"-{campaign_id}"
        extra.append(("Content-Disposition", f'inline; filename="{name}.csv"'))
    return _answer(req, body, ctype, extra)


@dataclass
class _Query:
    scope: Scope
    campaign_id: int | None
    district: str | None
    commune: str | None
    params: dict[str, str]
    fmt: str
    pace: Callable[[], None]
    req: ApiRequest

    @property
    def json(self) -> bool:
        return self.fmt == "json"


Answer = tuple[bytes, list[tuple[str, str]]]


def _campaigns(q: _Query) -> Answer:
    data = queries.list_campaigns(q.scope)
    return (serializers.to_json({"data": data}) if q.json
            else serializers.to_csv(serializers.CAMPAIGN_COLUMNS, data)), []


def _questionnaire(q: _Query) -> Answer:
    book = queries.questionnaire(q.scope, q.campaign_id)
    return (serializers.to_json(book) if q.json else serializers.questionnaire_csv(book)), []


def _communes(q: _Query) -> Answer:
    figures = queries.commune_figures(q.scope, q.campaign_id, district_code=q.district,
                                      commune_code=q.commune)
    if not q.json:
        return serializers.commune_csv(figures), []
    return serializers.to_json(dict(figures, data=figures.pop("communes"))), []


def _daily_reports(q: _Query) -> Answer:
    got = queries.daily_reports(q.scope, q.campaign_id, district_code=q.district,
                                commune_code=q.commune, day=_day(q.params.get("day")))
    if not q.json:
        return serializers.to_csv(serializers.REPORT_COLUMNS, got["reports"], q.pace), []
    return serializers.to_json({"campaign_id": got["campaign_id"], "data": got["reports"]}), []


def _responses(q: _Query) -> Answer:
    page = queries.responses_page(q.scope, q.campaign_id, district_code=q.district,
                                  commune_code=q.commune, cursor=q.params.get("cursor"),
                                  limit=_limit(q.params.get("limit")), pace=q.pace)
    extra = [("X-Next-Cursor", page.next_cursor), ("X-Has-More", str(page.has_more).lower())]
    if page.has_more and q.req.url:
        keep = [(k, v) for k, v in q.req.query if k != "cursor"]
        link = q.req.url + "?" + urllib.parse.urlencode(keep + [("cursor", page.next_cursor)])
        extra.append(("Link", f'<{link}>; rel="next"'))
    if q.json:
        body = serializers.to_json_page(
            {"campaign_id": page.campaign_id}, "data", page.items,
            {"next_cursor": page.next_cursor, "has_more": page.has_more}, q.pace)
    else:
        body = serializers.response_csv(load_definition(page.questionnaire_id), page.items,
                                        q.pace)
    return body, extra


_ANSWERS: dict[str, Callable[[_Query], Answer]] = {
    "campaigns": _campaigns, "questionnaire": _questionnaire, "communes": _communes,
    "daily_reports": _daily_reports, "responses": _responses}


def _params(req: ApiRequest) -> dict[str, str]:
    allowed = PARAMETERS[req.endpoint]
    out: dict[str, str] = {}
    for name, value in req.query:
        if name not in allowed:
            raise _Refusal("parameter_unknown", name=name[:40],
                           allowed=list(allowed) or ["none"])
        if name in out:
            raise _Refusal("parameter_repeated", name=name)
        out[name] = value
    return out


def _principal(req: ApiRequest) -> Principal:
    try:
        return authenticate(bearer_token(req.headers.get("authorization")))
    except TokenRefused as exc:
        error = "invalid_request" if exc.reason == "token_missing" else "invalid_token"
        raise _Refusal(exc.reason, [("WWW-Authenticate",
                                     f'Bearer realm="qcdc", error="{error}"')]) from exc


def _campaign_id(raw: str | None) -> int | None:
    if raw is None or raw == "active":
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise _Refusal("campaign_not_found", campaign=raw[:20])
    return int(raw)


def _code(params: dict[str, str], name: str, pattern: re.Pattern, expected: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not pattern.fullmatch(value):
        raise _Refusal("parameter_invalid", name=name, expected=expected)
    return value


def _day(raw: str | None) -> date | None:
    if raw is None:
        return None
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise _Refusal("parameter_invalid", name="day", expected="a date YYYY-MM-DD") from exc


def _limit(raw: str | None) -> int:
    if raw is None:
        return queries.DEFAULT_LIMIT
    if not raw.isdigit() or len(raw) > 6:
        raise _Refusal("limit_invalid", max=queries.MAX_LIMIT)
    return int(raw)


def etag_of(body: bytes) -> str:
    """A weak validator of the answer's content (the same for its gzip and plain forms)."""
    return 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in if_none_match.split(","))


def _answer(req: ApiRequest, body: bytes, ctype: str,
            extra: list[tuple[str, str]] | None = None) -> ApiResult:
    etag = etag_of(body)
    headers = [("ETag", etag), ("Cache-Control", "private, no-cache"), *(extra or [])]
    if _matches(req.headers.get("if-none-match"), etag):
        return ApiResult(304, b"", headers + [("Vary", "Authorization")])
    headers.append(("Content-Type", ctype))
    if len(body) >= GZIP_MIN_BYTES and _accepts_gzip(req.headers.get("accept-encoding")):
        body = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        headers += [("Content-Encoding", "gzip"), ("Vary", "Authorization, Accept-Encoding")]
    else:
        # (Streamlit's gzip middleware adds "Accept-Encoding" to an answer this long)
        headers.append(("Vary", "Authorization"))
    return ApiResult(200, body, headers)


def _accepts_gzip(value: str | None) -> bool:
    for part in (value or "").lower().split(","):
        coding, _, q = part.strip().partition(";")
        if coding.strip() in ("gzip", "x-gzip", "*"):
            q = q.strip()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False

