"""Calling the read API in-process (``app.api.http.handle``, the very function the server runs
for each request) with real tokens on the test's database."""
from __future__ import annotations

import csv
import gzip
import io
import json

from app.admin import api_tokens
from app.api import tokens as tk
from app.api.http import ApiRequest, ApiResult, handle
from app.core.auth import Scope

ADMIN = Scope("chief", "Quản trị tỉnh", "admin")
ENDPOINTS = ("campaigns", "questionnaire", "communes", "daily_reports", "responses")
DATA_ENDPOINTS = ("communes", "daily_reports", "responses")


def issue(role: str = "province", district: str | None = None, name: str = "Thử API") -> str:
    return api_tokens.create_token(ADMIN, name, role, district_code=district)[1]


def call(token: str | None, endpoint: str, campaign: str | None = "active",
         query: list[tuple[str, str]] | dict | None = None,
         headers: dict | None = None) -> ApiResult:
    if isinstance(query, dict):
        query = list(query.items())
    h = {k.lower(): v for k, v in (headers or {}).items()}
    if token is not None:
        h["authorization"] = f"Bearer {token}"
    path = {"campaign": campaign} if campaign is not None and endpoint not in (
        "campaigns", "openapi") else {}
    return handle(ApiRequest(endpoint, path_params=path, query=query or [], headers=h,
                             url=f"http://test/api/v1/{endpoint}"),
                  counter=tk.UsageCounter(), limiter=tk.RateLimiter(60000, 10000))


def body_bytes(res: ApiResult) -> bytes:
    if res.header("Content-Encoding") == "gzip":
        return gzip.decompress(res.body)
    return res.body


def as_json(res: ApiResult):
    return json.loads(body_bytes(res))


def csv_rows(res: ApiResult) -> list[dict]:
    raw = body_bytes(res)
    assert raw.startswith("\ufeff".encode()), "CSV without a BOM"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def all_responses(token: str, *, limit: int = 500, query: dict | None = None,
                  cursor: str | None = None) -> tuple[list[dict], str]:
    """Every page until has_more is false: (items, the last next_cursor)."""
    items = []
    while True:
        q = dict(query or {}, limit=str(limit)) | ({"cursor": cursor} if cursor else {})
        res = call(token, "responses", query=q)
        assert res.status == 200, res.body
        page = as_json(res)
        items += page["data"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items, cursor
