"""A district's token reads its own communes only, whatever it asks: forged districts and
communes in the query, parameters under other names or given twice, cursors of other queries
or made by hand. Demo data (every district has answers, reports and warnings)."""
from __future__ import annotations

import base64
import json
import re

import pytest

from app.core.reference import geography
from tests.api.helpers import DATA_ENDPOINTS, ENDPOINTS, all_responses, as_json, body_bytes, call, issue

OWN, OTHER = "213", "215"          # Thành phố Bắc Giang, Huyện Yên Thế
OWN_COMMUNE, OTHER_COMMUNE = "07201", "07243"


def _units():
    geo = geography()
    own = {c.code for c in geo.communes_of(OWN)}
    others = [c for c in geo.communes if c.district_code != OWN]
    other_names = [c.full_name for c in others] + [d.full_name for d in geo.districts
                                                   if d.code != OWN]
    return own, {c.code for c in others}, other_names


def _leaks(blob: str, other_codes: set[str], other_names: list[str]) -> list[str]:
    found = [c for c in re.findall(r"(?<!\d)\d{5}(?!\d)", blob) if c in other_codes]
    found += [n for n in other_names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", blob)]
    return sorted(set(found))


def test_a_district_token_sees_its_communes_and_nothing_else(demo_db):
    own, other_codes, other_names = _units()
    token = issue("district", OWN)
    seen: dict[str, set[str]] = {}
    for endpoint in ENDPOINTS:
        for fmt in ("json", "csv"):
            res = call(token, endpoint, query={"format": fmt})
            assert res.status == 200, (endpoint, res.body[:300])
            blob = body_bytes(res).decode("utf-8-sig")
            assert not _leaks(blob, other_codes, other_names), (endpoint, fmt)
            if fmt == "json" and endpoint in DATA_ENDPOINTS:
                rows = as_json(res)["data"]
                codes = {r.get("code") or r.get("commune_code") for r in rows}
                seen[endpoint] = codes
                assert codes <= own
    # ...and it is not simply empty: every commune of its district, reports and answers of it
    assert seen["communes"] == own
    assert len(seen["daily_reports"]) > len(own) // 2 and len(seen["responses"]) > 1
    items, _ = all_responses(token, limit=2000)
    assert {r["commune_code"] for r in items} == own


@pytest.mark.parametrize("query, code", [
    ({"district": OTHER}, "forbidden_unit"),
    ({"commune": OTHER_COMMUNE}, "forbidden_unit"),
    ({"district": OWN, "commune": OTHER_COMMUNE}, "forbidden_unit"),
    ({"district": OTHER, "commune": OWN_COMMUNE}, "forbidden_unit"),
    ([("district", OWN), ("district", OTHER)], "parameter_repeated"),
    ([("commune", OWN_COMMUNE), ("commune", OTHER_COMMUNE)], "parameter_repeated"),
    ({"xa": OTHER_COMMUNE}, "parameter_unknown"),
    ({"huyen": OTHER}, "parameter_unknown"),
    ({"district_code": OTHER}, "parameter_unknown"),
    ({"commune_code": OTHER_COMMUNE}, "parameter_unknown"),
    ({"district": "215 "}, "parameter_invalid"),
    ({"district": "21%"}, "parameter_invalid"),
    ({"commune": "07243' OR '1'='1"}, "parameter_invalid"),
])
def test_forged_units_in_the_query_are_refused(demo_db, query, code):
    token = issue("district", OWN)
    for endpoint in DATA_ENDPOINTS:
        res = call(token, endpoint, query=query)
        body = as_json(res)
        assert body["error"]["code"] == code, (endpoint, body)
        assert res.status in (400, 403)
        assert OTHER_COMMUNE not in res.body.decode() or code != "forbidden_unit"


def _cursor(after: int, key: str) -> str:
    raw = json.dumps({"v": 1, "a": after, "q": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _key(cursor: str) -> str:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["q"]


def test_forged_cursors_never_reach_another_district(demo_db):
    own, other_codes, _names = _units()
    district, province = issue("district", OWN), issue("province")
    # a province token's cursor, from a page that stopped among other districts' answers
    cursor = None
    while True:
        first = as_json(call(province, "responses",
                             query={"limit": "200"} | ({"cursor": cursor} if cursor else {})))
        cursor = first["next_cursor"]
        if {r["commune_code"] for r in first["data"]} & other_codes:
            break
        assert first["has_more"]
    got = as_json(call(district, "responses", query={"cursor": first["next_cursor"]}))
    assert got["data"] and {r["commune_code"] for r in got["data"]} <= own
    # a cursor made by hand to start from the very first answer
    key = _key(first["next_cursor"])
    items, _ = all_responses(district, cursor=_cursor(0, key), limit=2000)
    assert items and {r["commune_code"] for r in items} <= own
    # a cursor of another query (another district, another commune) is refused, not obeyed
    other = as_json(call(province, "responses", query={"district": OTHER, "limit": "5"}))
    for cursor, code in ((other["next_cursor"], "cursor_other_query"),
                         (_cursor(0, "0" * 12), "cursor_other_query"),
                         ("not-a-cursor", "cursor_invalid"), ("e30", "cursor_invalid"),
                         (_cursor(-5, key), "cursor_invalid"), ("A" * 300, "cursor_invalid")):
        res = call(district, "responses", query={"cursor": cursor})
        assert res.status == 400 and as_json(res)["error"]["code"] == code
    # and the same cursor asked for another unit still meets the unit check first
    res = call(district, "responses", query={"district": OTHER, "cursor": other["next_cursor"]})
    assert res.status == 403


def test_campaign_ids_and_unknown_addresses(demo_db):
    token = issue("district", OWN)
    for campaign, status in (("999999", 404), ("0", 404), ("-1", 404), ("1 OR 1=1", 404),
                             ("active", 200)):
        res = call(token, "communes", campaign=campaign)
        assert res.status == status, (campaign, res.body[:200])
    res = call(token, "not_found")
    assert res.status == 404 and as_json(res)["error"]["code"] == "not_found"


def test_the_province_token_sees_every_district(demo_db):
    token = issue("province")
    communes = as_json(call(token, "communes"))["data"]
    assert {c["code"] for c in communes} == {c.code for c in geography().communes}
    one = as_json(call(token, "communes", query={"district": OTHER}))["data"]
    assert {c["district_code"] for c in one} == {OTHER}
    reports = as_json(call(token, "daily_reports", query={"commune": OTHER_COMMUNE}))["data"]
    assert reports and {r["commune_code"] for r in reports} == {OTHER_COMMUNE}
