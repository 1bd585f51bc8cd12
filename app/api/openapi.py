"""The OpenAPI 3.1 document of the read API, served at /api/v1/openapi.json.

Built here from the same lists the API writes (error codes, CSV columns, the published columns
of a response), so the document cannot drift from the answers silently: the tests validate the
document (openapi-spec-validator) and every JSON answer against its schema.
"""
from __future__ import annotations

from functools import lru_cache

from app.api import queries
from app.api.errors import ERRORS
from app.api.http import PARAMETERS

VERSION = "1.0.0"


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _obj(props: dict, required: list[str] | None = None, **extra) -> dict:
    return {"type": "object", "properties": props,
            "required": list(props) if required is None else required,
            "additionalProperties": False, **extra}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "description": "local Vietnam time, ISO 8601 without offset "
                                              "(UTC+7), e.g. 2024-05-06T08:15:02"}


def _schemas() -> dict:
    pillar = _obj({"id": STR, "name": STR})
    index = _obj({"index": _nullable("number", minimum=0, maximum=100),
                  "low": _nullable("number", description="95% interval, lower end"),
                  "high": _nullable("number", description="95% interval, upper end"),
                  "n": {"type": "integer", "description": "answers scored"}})
    ratio_status = {"type": "string", "enum": ["ok", "low", "high", "no_report"],
                    "description": "answers / visits against the campaign's [ratio_low, "
                                   "ratio_high], over the days with a daily report"}
    score_status = {"type": "string", "enum": ["friendly", "below", "not_enough", "no_answers"],
                    "description": "friendly: index ≥ friendly_threshold; not_enough: fewer "
                                   "than min_sample answers (never ranked)"}
    campaign = _obj({
        "id": INT, "name": STR, "year": INT, "start_date": DATE, "end_date": DATE,
        "is_active": BOOL, "is_demo": BOOL, "questionnaire_id": INT,
        "questionnaire_code": _nullable("string"), "questionnaire_version": _nullable("integer"),
        "min_sample": INT, "friendly_threshold": NUM, "ratio_low": NUM, "ratio_high": NUM,
        "answers": {"type": "integer", "description": "counted answers in the token's unit"},
        "communes_with_answers": INT, "daily_reports": INT,
        "index_overall": _nullable("number", description="pooled over the unit's answers")})
    option = _obj({"code": STR, "label": STR, "score": _nullable("number")})
    question = _obj({"id": STR, "number": _nullable("integer"),
                     "type": {"type": "string", "enum": ["single", "multi", "rating", "text"]},
                     "text": STR, "pillar": _nullable("string"), "profile": BOOL,
                     "required": BOOL, "options": {"type": "array", "items": _ref("Option")}})
    book = _obj({"campaign_id": INT, "questionnaire_id": INT, "code": STR,
                 "version": _nullable("integer"), "title": STR,
                 "pillars": {"type": "array", "items": _ref("Pillar")},
                 "questions": {"type": "array", "items": _ref("Question")}})
    commune = _obj({
        "code": STR, "name": STR, "type": STR, "district_code": STR, "district_name": STR,
        "answers": {"type": "integer", "description": "counted (not excluded) answers"},
        "excluded": INT, "answers_today": {"type": "integer",
                                           "description": "on ref_day"},
        "visits": {"type": "integer", "description": "visits reported in the daily reports"},
        "matched_answers": {"type": "integer",
                            "description": "answers on the days with a daily report"},
        "ratio": _nullable("number", description="matched_answers / visits"),
        "ratio_status": ratio_status, "reports": INT, "reports_expected": INT,
        "index": _nullable("number", description="overall friendly-government index 0-100"),
        "index_low": _nullable("number"), "index_high": _nullable("number"),
        "n_scored": INT, "status": score_status, "rank": _nullable("integer"),
        "uncertain": {"type": "boolean",
                      "description": "the 95% interval contains the threshold"},
        "pillars": {"type": "object", "additionalProperties": _ref("PillarIndex"),
                    "description": "index per pillar id (see pillars)"},
        "warnings_open": {"type": "integer", "description": "warnings not yet reviewed"},
        "warnings_total": INT,
        "verified_share": _nullable("number", minimum=0, maximum=1,
                                    description="share of the counted answers sent with a "
                                                "one-time code of the commune's office screen "
                                                "(verified in person); null without answers")})
    commune_list = _obj({
        "campaign_id": INT,
        "ref_day": {"type": "string", "format": "date",
                    "description": "the day the *_today figures are of"},
        "friendly_threshold": NUM, "min_sample": INT, "ratio_low": NUM, "ratio_high": NUM,
        "pillars": {"type": "array", "items": _ref("Pillar")},
        "data": {"type": "array", "items": _ref("CommuneFigures")}})
    report = _obj({
        "id": INT, "commune_code": STR, "commune_name": STR, "district_code": STR,
        "district_name": STR, "day": DATE, "visits": INT, "guided": INT,
        "helpers_on_duty": INT, "answers": {"type": "integer",
                                            "description": "survey answers that day"},
        "ratio": _nullable("number"),
        "publicity": {"type": "array", "items": STR}, "publicity_labels":
            {"type": "array", "items": STR},
        "difficulties": STR, "proposals": STR,
        "photos": {"type": "integer", "description": "number of photos (not the photos)"},
        "created_at": _nullable("string"), "updated_at": _nullable("string"),
        "is_demo": BOOL})
    closed = _obj({"codes": {"type": "array", "items": STR},
                   "labels": {"type": "array", "items": STR}},
                  description="a closed question: option codes and their labels (one for a "
                              "single choice or a rating)")
    open_ = _obj({"text": STR}, description="an open question: the citizen's text")
    response = _obj({
        "id": INT, "campaign_id": INT, "commune_code": STR, "commune_name": STR,
        "district_code": STR, "district_name": STR, "questionnaire_id": INT,
        "submitted_at": DATETIME, "day": DATE, "hour": INT,
        "excluded": {"type": "boolean",
                     "description": "excluded from the results after a review"},
        "is_demo": BOOL,
        "verified": {"type": "boolean",
                     "description": "sent with a one-time code of the commune's office screen "
                                    "(verified in person)"},
        "scores": {"type": "object", "additionalProperties": NUM,
                   "description": "0-100 per pillar id and 'overall'"},
        "answers": {"type": "object",
                    "additionalProperties": {"oneOf": [_ref("ClosedAnswer"),
                                                       _ref("OpenAnswer")]},
                    "description": "by question id (see the questionnaire)"}},
        description="One answer sheet. Never any integrity fingerprint: " +
                    ", ".join(sorted(queries.private_response_columns())) + " stay private.")
    page = _obj({"campaign_id": INT, "data": {"type": "array", "items": _ref("Response")},
                 "next_cursor": {"type": "string", "description": "pass as ?cursor= for the "
                                 "next page; also when has_more is false, to get the answers "
                                 "that arrive later"},
                 "has_more": BOOL})
    error = _obj({"error": _obj({
        "code": {"type": "string", "enum": sorted(ERRORS)}, "status": INT,
        "message": {"type": "string", "description": "English"},
        "message_vi": {"type": "string", "description": "Vietnamese"},
        "details": {"type": "object"}})})
    return {"Pillar": pillar, "PillarIndex": index, "Campaign": campaign,
            "CampaignList": _obj({"data": {"type": "array", "items": _ref("Campaign")}}),
            "Option": option, "Question": question, "Questionnaire": book,
            "CommuneFigures": commune, "CommuneList": commune_list, "DailyReport": report,
            "DailyReportList": _obj({"campaign_id": INT,
                                     "data": {"type": "array", "items": _ref("DailyReport")}}),
            "ClosedAnswer": closed, "OpenAnswer": open_, "Response": response,
            "ResponsePage": page, "Error": error}


_PARAM_DOCS = {
    "format": {"name": "format", "in": "query", "required": False,
               "description": "json (default) or csv (UTF-8 with BOM, for Excel)",
               "schema": {"type": "string", "enum": ["json", "csv"], "default": "json"}},
    "district": {"name": "district", "in": "query", "required": False,
                 "description": "only this district (3-digit code); a district's token may "
                                "name its own district only",
                 "schema": {"type": "string", "pattern": "^[0-9]{3}$"}},
    "commune": {"name": "commune", "in": "query", "required": False,
                "description": "only this commune (5-digit code) of the token's unit",
                "schema": {"type": "string", "pattern": "^[0-9]{5}$"}},
    "day": {"name": "day", "in": "query", "required": False,
            "description": "only the reports of this day", "schema": DATE},
    "cursor": {"name": "cursor", "in": "query", "required": False,
               "description": "next_cursor of the previous page (omit for the first page)",
               "schema": {"type": "string", "maxLength": 200}},
    "limit": {"name": "limit", "in": "query", "required": False,
              "description": f"answers per page, 1 to {queries.MAX_LIMIT}",
              "schema": {"type": "integer", "minimum": 1, "maximum": queries.MAX_LIMIT,
                         "default": queries.DEFAULT_LIMIT}},
}
_CAMPAIGN = {"name": "campaign", "in": "path", "required": True,
             "description": "a campaign id from /api/v1/campaigns, or 'active'",
             "schema": {"type": "string", "pattern": "^([0-9]+|active)$"}}
_IF_NONE_MATCH = {"name": "If-None-Match", "in": "header", "required": False,
                  "description": "the ETag of an earlier answer: 304 when nothing changed",
                  "schema": STR}


def _error(description: str, headers: dict | None = None) -> dict:
    out = {"description": description,
           "content": {"application/json": {"schema": _ref("Error")}}}
    if headers:
        out["headers"] = headers
    return out


def _get(summary: str, description: str, endpoint: str, schema: str, *,
         path_campaign: bool = True, csv: bool = True, extra_headers: dict | None = None) -> dict:
    params = ([_CAMPAIGN] if path_campaign else []) + \
        [_PARAM_DOCS[p] for p in PARAMETERS[endpoint]] + [_IF_NONE_MATCH]
    etag = {"ETag": {"description": "weak validator of this answer", "schema": STR}}
    content = {"application/json": {"schema": _ref(schema)}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    op = {
        "operationId": endpoint, "summary": summary, "description": description,
        "parameters": params,
        "responses": {
            "200": {"description": "the data (gzip when asked for with Accept-Encoding)",
                    "headers": etag | (extra_headers or {}), "content": content},
            "304": {"description": "not modified since the ETag given in If-None-Match"},
            "400": _error("a parameter is not valid"),
            "401": _error("no token, or not a valid one (unknown, revoked, expired)",
                          {"WWW-Authenticate": {"schema": STR}}),
            "403": _error("the token may not read that district or commune"),
            "404": _error("no such campaign"),
            "429": _error("too many requests with this token",
                          {"Retry-After": {"description": "seconds to wait",
                                           "schema": INT}}),
            "503": _error("the server is busy")},
    }
    return {"get": op}


@lru_cache(maxsize=1)
def document() -> dict:
    """The OpenAPI 3.1 document (built once per process)."""
    paths = {
        "/api/v1/campaigns": _get(
            "Campaigns", "Every campaign, newest first, with the token unit's totals.",
            "campaigns", "CampaignList", path_campaign=False),
        "/api/v1/campaigns/{campaign}/questionnaire": _get(
            "Questionnaire (code book)", "Pillars, questions and each option's code, label "
            "and score: what the codes in the responses mean. CSV: one row per option.",
            "questionnaire", "Questionnaire"),
        "/api/v1/campaigns/{campaign}/communes": _get(
            "Figures per commune", "One record per commune of the token's unit: answers, "
            "visits, the answers/visits ratio and its status, the friendly-government index "
            "overall and per pillar with its 95% interval, status and rank, open warnings. "
            "CSV: the pillars as columns index_<pillar>, index_<pillar>_low/_high, n_<pillar>.",
            "communes", "CommuneList"),
        "/api/v1/campaigns/{campaign}/daily-reports": _get(
            "Daily reports", "The communes' daily reports (one per commune and day), oldest "
            "day first, with the survey answers of that day.",
            "daily_reports", "DailyReportList"),
        "/api/v1/campaigns/{campaign}/responses": _get(
            "Answer sheets (paged)", "Answer sheets by ascending id, `limit` per page. Follow "
            "next_cursor until has_more is false: every sheet comes exactly once, also while "
            "citizens keep answering; later, the same next_cursor gives only the new sheets. "
            "Closed answers as option codes and labels, open answers as text; no integrity "
            "fingerprint. CSV: one column per question with its codes (joined by |) and one "
            "with their labels (<question>_label); the cursor is in X-Next-Cursor.",
            "responses", "ResponsePage",
            extra_headers={"X-Next-Cursor": {"schema": STR}, "X-Has-More": {"schema": STR},
                           "Link": {"description": 'the next page, rel="next"',
                                    "schema": STR}}),
    }
    paths["/api/v1/openapi.json"] = {"get": {
        "operationId": "openapi", "summary": "This document", "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1",
                              "content": {"application/json": {"schema": {"type": "object"}}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "QCDC Survey read API",
            "version": VERSION,
            "summary": "Read-only data of the PKS 03 citizen survey (Bắc Giang) for the "
                       "province's other tools.",
            "description": "Every request but this document needs a token from the "
                           "administrator: `Authorization: Bearer qcdc_...`. A district's "
                           "token sees its own communes only. JSON by default, CSV with "
                           "?format=csv. Every answer has an ETag (If-None-Match gives 304) "
                           "and is gzip-compressed when the client accepts it. Each token may "
                           "make a limited number of requests a minute (429 with Retry-After "
                           "beyond). Errors are JSON with an English and a Vietnamese "
                           "message. Times are local Vietnam time. Examples: docs/API.md.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerToken": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerToken": {
                "type": "http", "scheme": "bearer",
                "description": "a token issued by the administrator (page /khoa-api or "
                               "python -m app.cli api-token create)"}},
            "schemas": _schemas()},
    }
