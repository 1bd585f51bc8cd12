"""The read API's errors: one stable ``code`` each, its HTTP status, and a message in English
(for the province's IT staff and their tools) and in Vietnamese (``t("api.err.<code>")``,
app/core/i18n.py). Every error answer is JSON:

    {"error": {"code": "token_revoked", "status": 401, "message": "...", "message_vi": "...",
               "details": {...}}}
"""
from __future__ import annotations

from typing import Any

from app.core.i18n import t

# code -> (HTTP status, English message; {placeholders} filled from the details)
ERRORS: dict[str, tuple[int, str]] = {
    "token_missing": (401, "Send your API token in the header Authorization: Bearer <token>."),
    "token_malformed": (401, "The Authorization header must be 'Bearer qcdc_...': the token "
                             "is not in the form the administrator gave you."),
    "token_unknown": (401, "This API token is not known. Ask the administrator for a token."),
    "token_revoked": (401, "This API token has been revoked. Ask the administrator for a "
                           "new one."),
    "token_expired": (401, "This API token has expired. Ask the administrator for a new one."),
    "forbidden_unit": (403, "This token may not read that district or commune: a district's "
                            "token reads its own communes only."),
    "forbidden_role": (403, "This token's role may not read the API."),
    "campaign_not_found": (404, "There is no campaign {campaign}. GET /api/v1/campaigns lists "
                                "them; 'active' names the active one."),
    "not_found": (404, "There is no such address in the API. GET /api/v1/openapi.json "
                       "describes every endpoint."),
    "method_not_allowed": (405, "The API is read-only: use GET."),
    "parameter_unknown": (400, "Unknown query parameter '{name}'. Allowed here: {allowed}."),
    "parameter_repeated": (400, "The query parameter '{name}' is given more than once."),
    "parameter_invalid": (400, "The query parameter '{name}' is not valid: {expected}."),
    "limit_invalid": (400, "limit must be a whole number from 1 to {max}."),
    "cursor_invalid": (400, "The cursor is damaged: pass next_cursor exactly as the API "
                            "returned it."),
    "cursor_other_query": (400, "This cursor belongs to another query: keep the same campaign, "
                                "district and commune while paging."),
    "rate_limited": (429, "Too many requests with this token: wait {retry_after} s "
                          "(Retry-After) and try again."),
    "database_busy": (503, "The server is busy. Try again in a minute."),
    "internal_error": (500, "Something went wrong on the server. Try again later; if it "
                            "persists, tell the administrator."),
}


def error_body(code: str, **details: Any) -> dict:
    status, english = ERRORS[code]
    values = {k: ", ".join(v) if isinstance(v, (list, tuple)) else v for k, v in details.items()}
    message = english.format(**values) if values else english
    return {"error": {"code": code, "status": status, "message": message,
                      "message_vi": t(f"api.err.{code}", **_vi_values(code, values)),
                      "details": details}}


def _vi_values(code: str, values: dict) -> dict:
    """The placeholders the Vietnamese text of `code` uses (see app/core/i18n.py)."""
    wanted = {"campaign_not_found": ("campaign",), "parameter_unknown": ("name", "allowed"),
              "parameter_repeated": ("name",), "parameter_invalid": ("name",),
              "limit_invalid": ("max",), "rate_limited": ("retry_after",)}.get(code, ())
    return {k: values.get(k, "") for k in wanted}


def status_of(code: str) -> int:
    return ERRORS[code][0]
