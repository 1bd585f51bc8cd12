"""The read API's records written as JSON or CSV.

JSON: UTF-8, Vietnamese as is (no ``\\u`` escapes), dates and times in ISO 8601 (local Vietnam
time, like every time the app stores). CSV: one header row, comma separated, UTF-8 *with a BOM*
so that Excel shows Vietnamese correctly; nested values are flattened (``index_<pillar>``,
``<question>`` and ``<question>_label``, lists joined by ``|``), and text that a spreadsheet
could run as a formula is quote-prefixed (``app.core.spreadsheet.csv_text``).
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from app.core.spreadsheet import csv_text
from app.survey.questionnaire import OVERALL, Definition

LIST_SEP = "|"
PACE_ITEMS = 200


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, default=_default,
                      separators=(",", ":")).encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return csv_text(LIST_SEP.join(str(_cell(v)) for v in value))
    if isinstance(value, str):
        return csv_text(value)
    return value


def to_json_page(head: dict, key: str, items: list, tail: dict,
                 pace: Callable[[], None] | None = None) -> bytes:
    """``{**head, key: items, **tail}`` as JSON, written item by item: one big ``json.dumps``
    would hold the interpreter lock for its whole length (a tenth of a second for 2 000 answer
    sheets), during which the event loop could not answer any citizen; `pace` is called every
    ``PACE_ITEMS`` items."""
    parts = [to_json(head)[:-1] + (b"," if head else b"") + to_json(key) + b":["]
    for i, item in enumerate(items, start=1):
        parts.append(to_json(item))
        parts.append(b",")
        if pace and i % PACE_ITEMS == 0:
            pace()
    if items:
        parts.pop()
    rest = to_json(tail)
    parts.append(b"]" + (b"," + rest[1:] if tail else b"}"))
    return b"".join(parts)


def to_csv(columns: list[str], rows: Iterable[dict],
           pace: Callable[[], None] | None = None) -> bytes:
    """A CSV file (UTF-8 with BOM) of `rows` (dicts) with exactly these columns."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(columns)
    for i, row in enumerate(rows, start=1):
        w.writerow([_cell(row.get(c)) for c in columns])
        if pace and i % PACE_ITEMS == 0:
            pace()
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# --- flattening for CSV -----------------------------------------------------------------------

CAMPAIGN_COLUMNS = [
    "id", "name", "year", "start_date", "end_date", "is_active", "is_demo", "questionnaire_id",
    "questionnaire_code", "questionnaire_version", "min_sample", "friendly_threshold",
    "ratio_low", "ratio_high", "answers", "communes_with_answers", "daily_reports",
    "index_overall"]

COMMUNE_COLUMNS = [
    "code", "name", "type", "district_code", "district_name", "answers", "excluded",
    "answers_today", "visits", "matched_answers", "ratio", "ratio_status", "reports",
    "reports_expected", "index", "index_low", "index_high", "n_scored", "status", "rank",
    "uncertain", "warnings_open", "warnings_total", "verified_share"]

REPORT_COLUMNS = [
    "id", "commune_code", "commune_name", "district_code", "district_name", "day", "visits",
    "guided", "helpers_on_duty", "answers", "ratio", "publicity", "publicity_labels",
    "difficulties", "proposals", "photos", "created_at", "updated_at", "is_demo"]

RESPONSE_BASE_COLUMNS = [
    "id", "campaign_id", "commune_code", "commune_name", "district_code", "district_name",
    "questionnaire_id", "submitted_at", "day", "hour", "excluded", "is_demo", "verified"]

QUESTION_COLUMNS = ["id", "number", "type", "text", "pillar", "profile", "required",
                    "option_code", "option_label", "option_score"]


def commune_csv(figures: dict) -> bytes:
    pillar_ids = [p["id"] for p in figures["pillars"]]
    columns = list(COMMUNE_COLUMNS)
    for p in pillar_ids:
        columns += [f"index_{p}", f"index_{p}_low", f"index_{p}_high", f"n_{p}"]
    rows = []
    for c in figures["communes"]:
        row = dict(c)
        for p in pillar_ids:
            v = c["pillars"].get(p) or {}
            row.update({f"index_{p}": v.get("index"), f"index_{p}_low": v.get("low"),
                        f"index_{p}_high": v.get("high"), f"n_{p}": v.get("n")})
        rows.append(row)
    return to_csv(columns, rows)


def questionnaire_csv(book: dict) -> bytes:
    """The code book: one row per option (an open question has one row without option)."""
    rows = []
    for q in book["questions"]:
        base = {k: q[k] for k in ("id", "number", "type", "text", "pillar", "profile", "required")}
        if not q["options"]:
            rows.append(base)
        for o in q["options"]:
            rows.append(base | {"option_code": o["code"], "option_label": o["label"],
                                "option_score": o["score"]})
    return to_csv(QUESTION_COLUMNS, rows)


def response_columns(defn: Definition) -> list[str]:
    """The CSV columns of a campaign's responses: the sheet's facts, a score per pillar and
    overall, then for each question its codes and labels (an open question: its text)."""
    columns = list(RESPONSE_BASE_COLUMNS)
    columns += [f"score_{p.id}" for p in defn.pillars] + [f"score_{OVERALL}"]
    for q in defn.all_questions:
        columns += [q.id] if q.type == "text" else [q.id, f"{q.id}_label"]
    return columns


def response_csv(defn: Definition, items: list[dict],
                 pace: Callable[[], None] | None = None) -> bytes:
    columns = response_columns(defn)
    rows = []
    for r in items:
        row = {k: r[k] for k in RESPONSE_BASE_COLUMNS}
        for p, v in r["scores"].items():
            row[f"score_{p}"] = v
        for qid, a in r["answers"].items():
            if "text" in a:
                row[qid] = a["text"]
            else:
                row[qid] = a["codes"]
                row[f"{qid}_label"] = a["labels"]
        rows.append(row)
    return to_csv(columns, rows, pace)
