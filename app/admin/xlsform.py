"""XLSForm import and export (the workbook format of KoboToolbox and ODK), with openpyxl.

Mapping between a QCDC definition and an XLSForm workbook:

==========================  =======================================================
QCDC                        XLSForm
==========================  =======================================================
single / multi question     ``select_one <list>`` / ``select_multiple <list>``
rating question             ``range`` with ``parameters`` ``start=1 end=5 step=1``
                            (import also accepts ``integer`` with a constraint
                            ``. >= 1 and . <= 5``); end labels in
                            ``qcdc_min_label`` / ``qcdc_max_label``
text question               ``text`` (``qcdc_max_length`` optional)
required                    ``required`` (yes / no)
pillar                      ``qcdc_pillar`` (pillar names on sheet ``qcdc_pillars``)
profile (anonymous) part    ``qcdc_profile`` = yes
option score / exclusive    ``choices``: ``qcdc_score`` (0–100, empty = not scored),
                            ``qcdc_exclusive`` = yes
intro text                  a ``note`` named ``qcdc_intro``
code, title                 ``settings``: ``form_id``, ``form_title``
==========================  =======================================================

Anything else (groups, repeats, relevant, constraint, calculate, choice filters, other
question types...) is reported by sheet and row, in Vietnamese: features that change the form's
logic are errors (nothing is imported); content that would only be lost (hints, appearance,
media, metadata fields, other notes) are warnings listed with the import.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from app.core.i18n import t
from app.survey.questionnaire import DefinitionError, parse_definition

ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
YES = {"yes", "true", "true()", "1", "y", "có", "co", "x"}
NO = {"no", "false", "false()", "0", "n", "không", "khong", ""}

SURVEY_COLUMNS = ["type", "name", "label", "required", "parameters", "qcdc_pillar",
                  "qcdc_profile", "qcdc_min_label", "qcdc_max_label", "qcdc_max_length"]
CHOICE_COLUMNS = ["list_name", "name", "label", "qcdc_score", "qcdc_exclusive"]
INTRO_NAME = "qcdc_intro"

# columns whose values change the form's behaviour: importing without them would be wrong
LOGIC_COLUMNS = {"relevant", "constraint", "calculation", "choice_filter", "default",
                 "read_only", "repeat_count", "trigger"}
LOGIC_PREFIXES = ("bind::",)
METADATA_TYPES = {"start", "end", "today", "deviceid", "phonenumber", "username", "email",
                  "audit", "simserial", "subscriberid", "start-geopoint", "background-audio"}
# an upload is checked before parsing (app/core/spreadsheet.py): size, zip expansion, rows per sheet
MAX_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED = 50 * 1024 * 1024
MAX_ROWS = 2000
GROUP_TYPES = {"begin group", "end group", "begin_group", "end_group", "begin repeat",
               "end repeat", "begin_repeat", "end_repeat"}


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return t("xlsform.where_sheet", sheet=self.sheet, message=self.message)
        return t("xlsform.where_row", sheet=self.sheet, row=self.row, message=self.message)


@dataclass
class ImportResult:
    definition: dict | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.definition is not None and not self.errors


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------

def _num_text(x: Any) -> Any:
    if x is None:
        return None
    f = float(x)
    return int(f) if f == int(f) else f


def export_xlsform(data: dict, version: int | str | None = None) -> bytes:
    """The definition `data` (dict as stored) as an XLSForm workbook (.xlsx bytes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from app.core.spreadsheet import append_row
    defn = parse_definition(data)  # refuse to export something invalid
    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    if defn.intro:
        append_row(survey, ["note", INTRO_NAME, defn.intro] + [None] * (len(SURVEY_COLUMNS) - 3))
    choices = wb.create_sheet("choices")
    choices.append(CHOICE_COLUMNS)
    for q in defn.all_questions:
        row: dict[str, Any] = {"name": q.id, "label": q.text,
                               "required": "yes" if q.required else "no",
                               "qcdc_pillar": q.pillar, "qcdc_profile": "yes" if q.profile else None}
        if q.type in ("single", "multi"):
            row["type"] = ("select_one " if q.type == "single" else "select_multiple ") + q.id
            for o in q.options:
                append_row(choices, [q.id, o.value, o.label, _num_text(o.score),
                                "yes" if o.exclusive else None])
        elif q.type == "rating":
            row["type"] = "range"
            row["parameters"] = f"start={q.scale_min} end={q.scale_max} step=1"
            row["qcdc_min_label"] = q.min_label or None
            row["qcdc_max_label"] = q.max_label or None
        else:
            row["type"] = "text"
            row["qcdc_max_length"] = q.max_length
        append_row(survey, [row.get(c) for c in SURVEY_COLUMNS])
    settings = wb.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    append_row(settings, [defn.title or defn.code, defn.code, str(version) if version else "1"])
    pillars = wb.create_sheet("qcdc_pillars")
    pillars.append(["id", "name"])
    for p in defn.pillars:
        append_row(pillars, [p.id, p.name])
    for ws, widths in ((survey, (24, 14, 80, 10, 24, 16, 12, 18, 18, 14)),
                       (choices, (12, 14, 50, 12, 14)), (settings, (60, 14, 10)),
                       (pillars, (16, 50))):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for i, w in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = w
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def check_with_pyxform(xlsx: bytes) -> tuple[bool, list[str]]:
    """Convert with pyxform (the reference converter). Returns (ok, warnings or the error)."""
    from pyxform.xls2xform import convert
    warnings: list[str] = []
    try:
        convert(xlsx, warnings=warnings, file_type=".xlsx")
    except Exception as exc:  # pyxform raises PyXFormError and friends
        return False, [str(exc)]
    return True, warnings


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------

def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v == int(v):
        v = int(v)
    return str(v).strip()


def _header(v: Any) -> str:
    h = _cell(v).lower()
    h = re.sub(r"\s*::\s*", "::", h)
    if h in ("list name", "list-name"):
        h = "list_name"
    return h


def _sheet(wb, name: str):
    for ws in wb.worksheets:
        if ws.title.strip().lower() == name:
            return ws
    return None


class _TooManyRows(Exception):
    def __init__(self, sheet: str):
        self.sheet = sheet


def _read(ws) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    rows = ws.iter_rows(values_only=True)
    headers: list[str] = []
    out: list[tuple[int, dict[str, str]]] = []
    for i, values in enumerate(rows, start=1):
        if i > MAX_ROWS:
            raise _TooManyRows(ws.title)
        if i == 1:
            headers = [_header(v) for v in values]
            continue
        d: dict[str, str] = {}
        for h, v in zip(headers, values):
            if h and _cell(v) != "":
                d[h] = d.get(h) or _cell(v)
        if d:
            out.append((i, d))
    return headers, out


def _column_kind(col: str) -> str:
    """'ok', 'logic' (an error: the form would behave differently) or 'soft' (a warning: only
    content such as a hint would be lost) for a survey column name."""
    base = col.split("::")[0]
    if col in ("type", "name", "required", "parameters") or base == "label" \
            or col.startswith("qcdc_"):
        return "ok"
    if base in LOGIC_COLUMNS or col.startswith(LOGIC_PREFIXES):
        return "logic"
    return "soft"


def _label(d: dict[str, str], label_col: str | None) -> str:
    if "label" in d:
        return d["label"]
    return d.get(label_col or "", "")


def _pick_label_column(headers: list[str], sheet: str, warnings: list[Problem]) -> str | None:
    if "label" in headers:
        return "label"
    langs = [h for h in headers if h.startswith("label::")]
    if len(langs) > 1:
        warnings.append(Problem(sheet, None, t("xlsform.warn.languages", used=langs[0],
                                                others=", ".join(langs[1:]))))
    return langs[0] if langs else None


_RANGE_PARAM = re.compile(r"(start|end|step)\s*=\s*(-?\d+(?:\.\d+)?)")
_INT_CONSTRAINT = re.compile(r"^\s*\.\s*>=\s*(-?\d+)\s+and\s+\.\s*<=\s*(-?\d+)\s*$", re.I)


@dataclass
class _Found:
    """What the import found so far: the problems, and the choice lists and pillars the
    survey sheet refers to."""
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    lists: dict[str, list[dict]] = field(default_factory=dict)
    list_rows: dict[str, int] = field(default_factory=dict)
    used_lists: set[str] = field(default_factory=set)
    pillars: list[dict] = field(default_factory=list)


@dataclass
class _Sheets:
    s_headers: list[str]
    s_rows: list[tuple[int, dict[str, str]]]
    c_headers: list[str]
    c_rows: list[tuple[int, dict[str, str]]]
    settings_rows: list[tuple[int, dict[str, str]]]
    pillar_rows: list[tuple[int, dict[str, str]]]


def import_xlsform(content: bytes, *, default_code: str = "PKS03") -> ImportResult:
    """Read an XLSForm workbook into a definition, reporting what cannot be imported.

    Steps: open the workbook safely and read its sheets (``_read_sheets``), the required survey
    columns, the choice lists (``_read_choices``), pillars and settings (``_read_pillars``,
    ``_read_settings``), then each survey row (``_read_question``); the result must parse as a
    questionnaire definition."""
    sheets = _read_sheets(content)
    if isinstance(sheets, ImportResult):
        return sheets
    found = _Found()
    for col in ("type", "name"):
        if col not in sheets.s_headers:
            found.errors.append(Problem("survey", 1, t("xlsform.err.missing_column", column=col)))
    s_label = _pick_label_column(sheets.s_headers, "survey", found.warnings)
    if s_label is None:
        found.errors.append(Problem("survey", 1, t("xlsform.err.missing_column", column="label")))
    if found.errors:
        return ImportResult(None, found.errors, found.warnings)
    if sheets.c_rows and not _read_choices(sheets.c_headers, sheets.c_rows, found):
        return ImportResult(None, found.errors, found.warnings)
    _read_pillars(sheets.pillar_rows, found)
    code, title = _read_settings(sheets.settings_rows, default_code, found)

    questions: list[dict] = []
    profile: list[dict] = []
    intro = ""
    seen: set[str] = set()
    for row, d in sheets.s_rows:
        read = _read_question(row, d, s_label, seen, found)
        if read is None:
            continue
        kind, value = read
        if kind == "intro":
            intro = value
        else:
            (profile if kind == "profile" else questions).append(value)
    for lname in found.lists:
        if lname not in found.used_lists:
            found.warnings.append(Problem("choices", found.list_rows.get(lname),
                                          t("xlsform.warn.unused_list", list=lname)))
    if not questions and not found.errors:
        found.errors.append(Problem("survey", None, t("xlsform.err.no_questions")))
    if found.errors:
        return ImportResult(None, found.errors, found.warnings)
    data = {"code": code, "title": title, "intro": intro, "pillars": found.pillars,
            "questions": questions, "profile": profile}
    try:
        parse_definition(data)
    except DefinitionError as exc:
        return ImportResult(None, [Problem("survey", None, t("xlsform.err.invalid",
                                                             detail=str(exc)))], found.warnings)
    return ImportResult(data, [], found.warnings)


def _read_sheets(content: bytes) -> _Sheets | ImportResult:
    """The rows of the survey, choices, settings and qcdc_pillars sheets, or the refusal of a
    file that is not a readable, reasonably sized .xlsx workbook with a survey sheet."""
    from openpyxl import load_workbook

    from app.core.spreadsheet import xlsx_problem
    problem = xlsx_problem(content, max_bytes=MAX_BYTES, max_unzipped=MAX_UNZIPPED)
    if problem == "too_big":
        return ImportResult(None, [Problem("?", None, t("xlsform.err.too_big",
                                                        mb=MAX_BYTES // (1024 * 1024)))])
    if problem:
        return ImportResult(None, [Problem("?", None, t("xlsform.err.not_xlsx"))])
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl's InvalidFileException and other parse failures
        return ImportResult(None, [Problem("?", None, t("xlsform.err.not_xlsx"))])
    try:
        ws_survey = _sheet(wb, "survey")
        ws_choices = _sheet(wb, "choices")
        if ws_survey is None:
            return ImportResult(None, [Problem("survey", None, t("xlsform.err.no_survey"))])
        s_headers, s_rows = _read(ws_survey)
        c_headers, c_rows = _read(ws_choices) if ws_choices is not None else ([], [])
        settings_rows = _read(_sheet(wb, "settings"))[1] if _sheet(wb, "settings") else []
        pillar_rows = _read(_sheet(wb, "qcdc_pillars"))[1] if _sheet(wb, "qcdc_pillars") else []
    except _TooManyRows as exc:
        return ImportResult(None, [Problem(exc.sheet, None, t("xlsform.err.too_many_rows",
                                                              max=MAX_ROWS))])
    except Exception:  # a workbook openpyxl opens but cannot read
        return ImportResult(None, [Problem("?", None, t("xlsform.err.not_xlsx"))])
    finally:
        wb.close()
    return _Sheets(s_headers, s_rows, c_headers, c_rows, settings_rows, pillar_rows)


def _read_choices(c_headers: list[str], c_rows, found: _Found) -> bool:
    """The choice lists, with each option's score (0-100 or none) and exclusive flag; False
    when the sheet lacks a required column (nothing else is read then)."""
    errors, warnings, lists = found.errors, found.warnings, found.lists
    c_label = _pick_label_column(c_headers, "choices", warnings)
    for col in ("list_name", "name"):
        if col not in c_headers:
            errors.append(Problem("choices", 1, t("xlsform.err.missing_column", column=col)))
    if c_label is None:
        errors.append(Problem("choices", 1, t("xlsform.err.missing_column", column="label")))
    if errors:
        return False
    for row, d in c_rows:
        lname, name, label = d.get("list_name", ""), d.get("name", ""), _label(d, c_label)
        if not lname or not name or not label:
            errors.append(Problem("choices", row, t("xlsform.err.choice_incomplete")))
            continue
        if re.search(r"\s", name) or len(name) > 64:
            errors.append(Problem("choices", row, t("xlsform.err.choice_name", name=name)))
            continue
        opts = lists.setdefault(lname, [])
        found.list_rows.setdefault(lname, row)
        if any(o["value"] == name for o in opts):
            errors.append(Problem("choices", row, t("xlsform.err.choice_dup", name=name,
                                                    list=lname)))
            continue
        score = None
        if d.get("qcdc_score", "") != "":
            try:
                score = float(d["qcdc_score"].replace(",", "."))
            except ValueError:
                score = -1
            if not 0 <= score <= 100:
                errors.append(Problem("choices", row, t("xlsform.err.choice_score",
                                                        value=d["qcdc_score"])))
                continue
            if score == int(score):
                score = int(score)
        opt: dict[str, Any] = {"value": name, "label": label, "score": score}
        excl = d.get("qcdc_exclusive", "").lower()
        if excl in YES:
            opt["exclusive"] = True
        elif excl not in NO:
            errors.append(Problem("choices", row, t("xlsform.err.yes_no", column="qcdc_exclusive",
                                                    value=d["qcdc_exclusive"])))
        opts.append(opt)
        for col in d:
            if col in ("list_name", "name", "qcdc_score", "qcdc_exclusive") or \
                    col.split("::")[0] == "label":
                continue
            warnings.append(Problem("choices", row, t("xlsform.warn.column_dropped", column=col)))
    return True


def _read_pillars(pillar_rows, found: _Found) -> None:
    for row, d in pillar_rows:
        pid, name = d.get("id", ""), d.get("name", "")
        if not ID_RE.fullmatch(pid) or not name:
            found.errors.append(Problem("qcdc_pillars", row, t("xlsform.err.pillar", id=pid)))
        elif any(p["id"] == pid for p in found.pillars):
            found.errors.append(Problem("qcdc_pillars", row, t("xlsform.err.pillar_dup", id=pid)))
        else:
            found.pillars.append({"id": pid, "name": name})


def _read_settings(settings_rows, default_code: str, found: _Found) -> tuple[str, str]:
    """The questionnaire's code and title from the settings sheet."""
    code, title = default_code, ""
    if settings_rows:
        srow, sd = settings_rows[0]
        code = sd.get("form_id") or default_code
        title = sd.get("form_title", "")
        if not ID_RE.fullmatch(code):
            found.errors.append(Problem("settings", srow, t("xlsform.err.form_id", id=code)))
        for col in sd:
            if col not in ("form_id", "form_title", "version"):
                found.warnings.append(Problem("settings", srow, t("xlsform.warn.column_dropped",
                                                                  column=col)))
    if not title:
        title = code
        found.warnings.append(Problem("settings", None, t("xlsform.warn.no_title", code=code)))
    return code, title


def _read_question(row: int, d: dict[str, str], s_label: str | None, seen: set[str],
                   found: _Found) -> tuple[str, Any] | None:
    """One survey row: ("question" | "profile", the question), ("intro", its text), or None
    (a problem was reported, or the row is dropped with a warning)."""
    errors, warnings = found.errors, found.warnings
    raw_type = re.sub(r"\s+", " ", d.get("type", "")).strip()
    qtype_l = raw_type.lower()
    name = d.get("name", "")
    label = _label(d, s_label)
    # columns that the app cannot honour
    bad_logic = False
    for col, value in d.items():
        kind = _column_kind(col)
        if kind == "logic":
            if col == "constraint" and qtype_l == "integer" and _INT_CONSTRAINT.match(value):
                continue
            errors.append(Problem("survey", row, t("xlsform.err.logic_column", column=col,
                                                   value=value[:60])))
            bad_logic = True
        elif kind == "soft":
            warnings.append(Problem("survey", row, t("xlsform.warn.column_dropped", column=col)))
    if not raw_type:
        errors.append(Problem("survey", row, t("xlsform.err.no_type")))
        return None
    if qtype_l in GROUP_TYPES:
        errors.append(Problem("survey", row, t("xlsform.err.group", type=raw_type)))
        return None
    if qtype_l in METADATA_TYPES:
        warnings.append(Problem("survey", row, t("xlsform.warn.metadata", type=raw_type)))
        return None
    if qtype_l == "note":
        if name == INTRO_NAME:
            return "intro", label
        warnings.append(Problem("survey", row, t("xlsform.warn.note", name=name)))
        return None
    parts = raw_type.replace("select one ", "select_one ") \
                    .replace("select multiple ", "select_multiple ").split(" ")
    base = parts[0].lower()
    if not ID_RE.fullmatch(name):
        errors.append(Problem("survey", row, t("xlsform.err.name", name=name)))
        return None
    if name in seen:
        errors.append(Problem("survey", row, t("xlsform.err.name_dup", name=name)))
        return None
    seen.add(name)
    if not label:
        errors.append(Problem("survey", row, t("xlsform.err.no_label", name=name)))
    req = d.get("required", "").lower()
    if req not in YES and req not in NO:
        errors.append(Problem("survey", row, t("xlsform.err.required", value=d["required"])))
    q: dict[str, Any] = {"id": name}
    pillar = d.get("qcdc_pillar") or None
    is_profile = d.get("qcdc_profile", "").lower() in YES
    if pillar and not is_profile:
        q["pillar"] = pillar
        if not any(p["id"] == pillar for p in found.pillars):
            if ID_RE.fullmatch(pillar):
                found.pillars.append({"id": pillar, "name": pillar})
                warnings.append(Problem("survey", row, t("xlsform.warn.pillar_added", id=pillar)))
            else:
                errors.append(Problem("survey", row, t("xlsform.err.pillar", id=pillar)))
    q["required"] = req in YES
    q["text"] = label
    if not _read_answer_type(q, row, d, raw_type, base, parts, name, found):
        return None
    if bad_logic:
        return None
    return ("profile" if is_profile else "question"), q


def _read_answer_type(q: dict[str, Any], row: int, d: dict[str, str], raw_type: str, base: str,
                      parts: list[str], name: str, found: _Found) -> bool:
    """The question's type and its options, scale or length into `q`; False when the row
    cannot become a question (the problem reported)."""
    errors, warnings = found.errors, found.warnings
    if base in ("select_one", "select_multiple"):
        if len(parts) != 2:
            errors.append(Problem("survey", row, t("xlsform.err.select_form", type=raw_type)))
            return False
        lname = parts[1]
        found.used_lists.add(lname)
        if lname not in found.lists:
            errors.append(Problem("survey", row, t("xlsform.err.no_list", list=lname)))
            return False
        opts = [dict(o) for o in found.lists[lname]]
        if len(opts) < 2:
            errors.append(Problem("survey", row, t("xlsform.err.few_choices", list=lname)))
        if base == "select_one":
            q["type"] = "single"
            if any(o.pop("exclusive", False) for o in opts):
                warnings.append(Problem("survey", row, t("xlsform.warn.exclusive_single",
                                                         name=name)))
        else:
            q["type"] = "multi"
        q["options"] = opts
    elif base in ("range", "integer") and len(parts) == 1:
        if base == "range":
            params = dict(_RANGE_PARAM.findall(d.get("parameters", "")))
            try:
                smin = int(float(params.get("start", 1)))
                smax = int(float(params.get("end", 10)))
                step = float(params.get("step", 1))
            except ValueError:
                smin, smax, step = 0, 0, 0
            if step != 1:
                errors.append(Problem("survey", row, t("xlsform.err.range_step")))
        else:
            m = _INT_CONSTRAINT.match(d.get("constraint", ""))
            if not m:
                errors.append(Problem("survey", row, t("xlsform.err.integer")))
                return False
            smin, smax = int(m.group(1)), int(m.group(2))
        if not (smin < smax and smax - smin <= 10):
            errors.append(Problem("survey", row, t("xlsform.err.scale", min=smin, max=smax)))
        q["type"] = "rating"
        q["scale"] = {"min": smin, "max": smax,
                      "min_label": d.get("qcdc_min_label", ""),
                      "max_label": d.get("qcdc_max_label", "")}
    elif base == "text" and len(parts) == 1:
        q["type"] = "text"
        ml = d.get("qcdc_max_length", "")
        if ml:
            try:
                q["max_length"] = int(float(ml))
                if not 1 <= q["max_length"] <= 10000:
                    raise ValueError
            except ValueError:
                errors.append(Problem("survey", row, t("xlsform.err.max_length", value=ml)))
    else:
        errors.append(Problem("survey", row, t("xlsform.err.type", type=raw_type)))
        return False
    return True
