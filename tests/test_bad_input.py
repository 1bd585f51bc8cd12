"""Bad input everywhere: property-based (hypothesis) and hand-picked cases.

Survey answers (missing, out-of-range options, 100 000-character text, control characters,
right-to-left marks, emoji), commune codes in URLs, Excel imports (roster and XLSForm: wrong
types, huge files, formulas, empty sheets, not a zip), photo uploads (wrong type, truncated,
decompression bombs, oversized). Each gets a clear Vietnamese message and leaves the database as
it was (or, for a valid submission, stores exactly what was validated).
"""
from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlmodel import select

from app.survey.questionnaire import load_seed_definition, parse_definition, validate_answers
from app.survey.responses import (
    CODE_MALFORMED,
    CODE_MISSING,
    CODE_OK,
    CODE_UNKNOWN,
    INVALID,
    STORED,
    new_submission_token,
    resolve_commune_code,
    submit_response,
)
from db.engine import session_scope
from db.models import DailyReport, ReportPhoto, Response, RosterEntry
from tests.apptest import answer_all, app_for, submit_button, texts
from tests.commune_ops_helpers import ADMIN, XA, jpeg_with_gps, png_bomb, png_bytes
from tests.conftest import count_rows

SEED = parse_definition(load_seed_definition())
FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
              HealthCheck.data_too_large]


def relaxed(examples: int):
    """Modest, deterministic runs (the same examples on every CI run), no deadline."""
    return settings(deadline=None, suppress_health_check=FIXTURE_OK, derandomize=True,
                    max_examples=examples)


VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ]",
                        re.I)
BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
NASTY = ["\u202egnp.exe", "\u200f\u200eمرحبا", "👍🏽🇻🇳", "\x00\x01\x02\x1b[31m", "\ud800",
         "a\u0301\u0323", "Ý kiến\r\n\tkhác", "<script>alert(1)</script>", "\ufeff\u200b", " " * 50,
         "ﷺ" * 20, "e\u0308" * 30, "𝕏" * 10, "\u2028\u2029"]


def _vn(message: str) -> bool:
    return isinstance(message, str) and bool(message.strip()) and bool(VIETNAMESE.search(message))


def _valid(q):
    if q.type == "single":
        return st.sampled_from([o.value for o in q.options])
    if q.type == "multi":
        plain = [o.value for o in q.options if not o.exclusive]
        return st.lists(st.sampled_from(plain), min_size=1, max_size=3, unique=True)
    if q.type == "rating":
        return st.integers(q.scale_min, q.scale_max)
    return _text


_text = st.one_of(st.text(max_size=200), st.sampled_from(NASTY),
                  st.lists(st.sampled_from(NASTY) | st.text(max_size=20), max_size=6).map("".join))
_junk = st.one_of(st.none(), st.text(max_size=30), st.integers(-10**12, 10**12),
                  st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                  st.lists(st.text(max_size=5) | st.integers(), max_size=4),
                  st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
                  st.just(""), st.just([]), st.just("x" * 100_000), st.sampled_from(NASTY))


@st.composite
def raw_answers(draw):
    """Mostly a valid sheet, with 0–3 answers replaced by junk or removed, nasty free text, and
    sometimes questions that do not exist."""
    raw = {q.id: draw(_valid(q)) for q in SEED.questions}
    for q in SEED.profile:
        if draw(st.booleans()):
            raw[q.id] = draw(_valid(q))
    ids = [q.id for q in SEED.all_questions]
    for qid in draw(st.lists(st.sampled_from(ids), max_size=3, unique=True)):
        if draw(st.booleans()):
            raw.pop(qid, None)
        else:
            raw[qid] = draw(_junk)
    raw.update(draw(st.dictionaries(st.text(max_size=12), _junk, max_size=2)))
    return raw


def _stored(response_id: int) -> dict:
    with session_scope() as s:
        return json.loads(s.get(Response, response_id).answers)


# --- survey answers through the service --------------------------------------------------------

@relaxed(150)
@given(raw=raw_answers())
def test_any_answer_sheet_is_stored_clean_or_refused_with_a_message(active, raw):
    before = count_rows(Response)
    result = submit_response(active, "07201", raw, new_submission_token())
    assert result.status in (STORED, INVALID)
    if result.status == INVALID:
        assert result.errors and all(_vn(m) for m in result.errors.values()), result.errors
        assert count_rows(Response) == before
        return
    assert count_rows(Response) == before + 1
    stored = _stored(result.response_id)
    clean, errors = validate_answers(active.definition, stored)
    assert not errors and clean == stored  # only valid, already-normalised values are kept
    for q in active.definition.all_questions:
        if q.type == "text" and q.id in stored:
            v = stored[q.id]
            assert v and len(v) <= q.max_length and v == v.strip()
            assert v == unicodedata.normalize("NFC", v) and not BIDI.search(v)
            assert all(ch in "\n\t" or not unicodedata.category(ch).startswith("C") for ch in v)


@pytest.mark.parametrize("case,field,expect", [
    ("missing everything", None, "Vui lòng"),
    ("option not in the list", "q01", "không hợp lệ"),
    ("rating out of range", "q07", "từ 1 đến 5"),
    ("100 000 characters", "y_kien", "quá dài"),
    ("unknown question", "q99", "không có trong phiếu"),
    ("a list for a single choice", "q02", "không hợp lệ"),
    ("exclusive option with others", "q04", None),
])
def test_bad_answers_are_refused_with_a_vietnamese_message(active, case, field, expect):
    from tests.survey.test_survey_service import full_answers
    defn = active.definition
    raw = {} if field is None else full_answers(defn)
    if field == "q01":
        raw["q01"] = "khong_co"
    elif field == "q07":
        raw["q07"] = 6
    elif field == "y_kien":
        raw["y_kien"] = "ý" * 100_000
    elif field == "q99":
        raw["q99"] = "a"
    elif field == "q02":
        raw["q02"] = [defn.question("q02").options[0].value]
    elif field == "q04":
        q = defn.question("q04")
        excl = [o.value for o in q.options if o.exclusive]
        assert excl, "q04 has a «none of these» option"
        raw["q04"] = [excl[0], next(o.value for o in q.options if not o.exclusive)]
    before = count_rows(Response)
    result = submit_response(active, "07201", raw, new_submission_token())
    assert result.status == INVALID and count_rows(Response) == before
    messages = " ".join(result.errors.values())
    assert _vn(messages)
    if expect:
        assert expect.lower() in messages.lower(), messages


def test_free_text_is_cleaned_but_keeps_emoji_and_vietnamese(active):
    from tests.survey.test_survey_service import full_answers
    raw = full_answers(active.definition)
    raw["y_kien"] = "\u202eCán bộ\u200f tận tình 👍🏽\x00\x07\ufeff \u0041\u0301"
    result = submit_response(active, "07201", raw, new_submission_token())
    assert result.status == STORED
    assert _stored(result.response_id)["y_kien"] == "Cán bộ tận tình 👍🏽 Á"
    raw["y_kien"] = "\u200f\u202e\x00 \t"  # nothing left once cleaned: an empty optional answer
    result = submit_response(active, "07201", raw, new_submission_token())
    assert result.status == STORED and "y_kien" not in _stored(result.response_id)


# --- survey answers through the page -----------------------------------------------------------

def _text_area(at, qid):
    return next(ta for ta in at.text_area if (ta.key or "").endswith("_" + qid))


def test_page_cleans_free_text_and_caps_its_length(active):
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    # a forged, far too long value is cut by the widget itself to the question's max length
    at.session_state[_text_area(at, "y_kien_mot_cua").key] = "ý" * 100_000
    at.run()
    answer_all(at, active.definition)
    _text_area(at, "y_kien").input("Góp ý \u202engắn\x07 👍🏽")
    before = count_rows(Response)
    submit_button(at).click().run()
    assert not at.exception
    assert "Cảm ơn ông/bà đã tham gia khảo sát!" in texts(at)
    assert count_rows(Response) == before + 1
    with session_scope() as s:
        stored = json.loads(s.exec(select(Response).order_by(Response.id.desc())).first().answers)
    assert stored["y_kien"] == "Góp ý ngắn 👍🏽"
    assert 0 < len(stored["y_kien_mot_cua"]) <= active.definition.question("y_kien_mot_cua").max_length


def test_page_with_missing_answers_keeps_the_given_ones_and_stores_nothing(active):
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    answer_all(at, active.definition, skip={"q03", "q17"})
    before = count_rows(Response)
    submit_button(at).click().run()
    assert not at.exception and count_rows(Response) == before
    body = texts(at)
    assert "Câu 3" in body and "Câu 17" in body and "Vui lòng trả lời câu này." in body
    given = {r.key: r.value for r in at.radio if r.value is not None}
    assert len(given) >= 14  # every answer already given is still selected
    answer_all(at, active.definition)
    submit_button(at).click().run()
    assert "Cảm ơn ông/bà đã tham gia khảo sát!" in texts(at)
    assert count_rows(Response) == before + 1


def test_page_with_nothing_answered_lists_the_missing_questions(active):
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    before = count_rows(Response)
    submit_button(at).click().run()
    assert not at.exception and count_rows(Response) == before
    assert "Câu 1" in texts(at) and "Vui lòng" in texts(at)


# --- commune codes in URLs ----------------------------------------------------------------------

_codes = st.one_of(st.text(max_size=40), st.from_regex(r"[0-9]{1,7}", fullmatch=True),
                   st.sampled_from(["07201", " 07201 ", "07201\x00", "０７２０１", "٠٧٢٠١", "99999",
                                    "07201%00", "07201' OR '1'='1", "../../etc/passwd",
                                    "<script>alert(1)</script>", "\u202e10270", "1e5", "-7201",
                                    "07201&xa=07243", "x" * 5000]))


@relaxed(300)
@given(raw=st.one_of(_codes, st.lists(_codes, max_size=3), st.none(), st.integers()))
def test_resolving_any_commune_code_never_fails(raw):
    from app.core import reference
    saved, reference._geo = reference._geo, _GEO  # no database needed: the seed geography
    try:
        status, commune = resolve_commune_code(raw)
    finally:
        reference._geo = saved
    assert status in (CODE_OK, CODE_MISSING, CODE_MALFORMED, CODE_UNKNOWN)
    assert (commune is not None) == (status == CODE_OK)
    if status == CODE_OK:
        assert re.fullmatch(r"[0-9]{5}", commune.code)


def _geography():
    import csv
    from pathlib import Path

    from app.core.reference import CommuneInfo, Geography
    with open(Path(__file__).parent.parent / "db/seed/communes_bac_giang_2024.csv",
              encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    communes = tuple(CommuneInfo(r["commune_code"], r["commune_name"], r["commune_type"],
                                 r["commune_full_name"], r["district_code"], r["district_name"],
                                 r["district_full_name"], float(r["lat"]), float(r["lon"]))
                     for r in rows)
    return Geography((), communes, {c.code: c for c in communes})


_GEO = _geography()


@relaxed(25)
@given(code=_codes)
@example(code="07201' OR '1'='1")
@example(code="\x00")
@example(code="<script>alert(1)</script>")
def test_survey_and_schedule_pages_take_any_code(db, code):
    status, _c = resolve_commune_code(code)
    before = count_rows(Response)
    for page in ("pages/public/survey.py", "pages/public/schedule.py"):
        at = app_for(page, query={"xa": code})
        assert not at.exception, (page, code, at.exception)
        body = texts(at)
        if status != CODE_OK:
            assert any(m in body for m in ("chưa có mã", "không hợp lệ", "Không tìm thấy",
                                           "Chọn xã")), (page, code, body[:200])
            assert not [b for b in at.button if "Gửi phiếu" in str(b.label)]
            assert "<script>" not in body
    assert count_rows(Response) == before


# --- Excel: roster import -----------------------------------------------------------------------

def _roster_workbook(rows: list[list], header=None, sheet="Danh sách") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    from app.core.spreadsheet import excel_text
    rows = [[excel_text(v) for v in r] for r in rows]  # (.xlsx cannot hold control characters)
    ws.append(header or ["STT", "Họ và tên", "Chức vụ", "Tổ chức", "Số điện thoại", "Ngày trực",
                         "Ca trực"])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


def _roster_state():
    with session_scope() as s:
        return sorted((e.full_name, e.phone, e.duty_days, e.shift) for e in s.exec(
            select(RosterEntry).where(RosterEntry.commune_code == "07201")).all())


BAD_FILES = {
    "empty": b"",
    "text": "Họ và tên,Số điện thoại\nAn,0912".encode(),
    "png": png_bytes(),
    "xls (OLE)": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
    "zip without a workbook": _zip({"a.txt": b"hello"}),
    "truncated xlsx": _roster_workbook([["1", "An", "", "Hội Nông dân", "0912345678", "x", "Sáng"]])[:700],
    "zip bomb": _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>",
                      "xl/worksheets/sheet1.xml": b" " * 60_000_000}),
    "huge": b"PK\x03\x04" + b"\x00" * (3 * 1024 * 1024),
    "no header": _roster_workbook([["a", "b"]], header=["x", "y", "z"]),
    "empty sheet": _roster_workbook([]),
    "missing columns": _roster_workbook([["An"]], header=["Họ và tên", "Chức vụ"]),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_roster_files_give_a_message_and_change_nothing(active, name):
    from app.operations.roster import save_roster
    from app.operations.workbooks import parse_roster_xlsx
    assert save_roster(XA, active.campaign, "07201", [{
        "full_name": "Người Cũ", "organisation": "Hội Nông dân", "phone": "0911111111",
        "duty_days": [active.campaign.start_date], "shift": "sang"}]).ok
    before = _roster_state()
    parsed = parse_roster_xlsx(BAD_FILES[name], active.campaign)
    assert parsed.problems and not parsed.rows
    assert all(_vn(p.message) for p in parsed.problems), [p.message for p in parsed.problems]
    assert _roster_state() == before


_cell = st.one_of(st.none(), st.text(max_size=30), st.integers(-10**10, 10**10),
                  st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                  st.dates(date(2000, 1, 1), date(2100, 1, 1)),
                  st.sampled_from(["=1+1", "=HYPERLINK(\"http://x\")", "Hội Nông dân", "Sáng",
                                   "0912345678", "+84912345678", "Cả đợt", "31/02/2024",
                                   "Nguyễn Văn An", "\x00", "\u202e"]))


@relaxed(40)
@given(rows=st.lists(st.lists(_cell, min_size=7, max_size=7), min_size=1, max_size=6))
def test_any_roster_workbook_is_saved_whole_or_not_at_all(active, rows):
    from app.operations.roster import save_roster
    from app.operations.workbooks import parse_roster_xlsx
    before = _roster_state()
    parsed = parse_roster_xlsx(_roster_workbook(rows), active.campaign)
    if parsed.problems:
        assert all(_vn(p.message) for p in parsed.problems)
        assert _roster_state() == before
        return
    result = save_roster(XA, active.campaign, "07201", parsed.rows,
                         row_numbers=parsed.row_numbers, source="excel")
    if result.ok:
        after = _roster_state()
        assert len(after) == result.saved  # exactly the rows of the file, nothing else
        assert all(not re.search(r"[\x00-\x1f]", e[0]) for e in after)
    else:
        assert result.problems and all(_vn(p.message) for p in result.problems)
        assert _roster_state() == before


@relaxed(200)
@given(blob=st.binary(max_size=3000) | st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b))
def test_random_bytes_never_break_the_importers(blob):
    from types import SimpleNamespace

    from app.admin.xlsform import import_xlsform
    from app.operations.workbooks import parse_roster_xlsx
    campaign = SimpleNamespace(start_date=date(2024, 5, 6), end_date=date(2024, 5, 8))
    parsed = parse_roster_xlsx(blob, campaign)
    assert parsed.problems and all(_vn(p.message) for p in parsed.problems)
    result = import_xlsform(blob)
    assert not result.ok and result.errors and all(_vn(str(e)) for e in result.errors)


# --- Excel: XLSForm import ----------------------------------------------------------------------

def _xlsform(survey_rows: list[list], choices=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label", "required"])
    for r in survey_rows:
        ws.append(r)
    if choices is not None:
        wc = wb.create_sheet("choices")
        wc.append(["list_name", "name", "label", "qcdc_score"])
        for r in choices:
            wc.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XLSFORM_BAD = {
    "not a zip": (b"hello world", "không phải bảng tính"),
    "empty": (b"", "không phải bảng tính"),
    "xls": (BAD_FILES["xls (OLE)"], "không phải bảng tính"),
    "zip bomb": (BAD_FILES["zip bomb"], "quá lớn"),
    "huge": (b"PK" + b"\x00" * (6 * 1024 * 1024), "quá lớn"),
    "too many rows": (_xlsform([["text", f"q{i}", "Câu hỏi", "no"] for i in range(2500)]),
                      "quá nhiều dòng"),
    "empty sheets": (_xlsform([]), "không có câu hỏi"),
    "no survey sheet": (_roster_workbook([]), "survey"),
    "wrong types": (_xlsform([[3.5, True, datetime(2024, 1, 1), "maybe"]]), ""),
    "formulas": (_xlsform([["=1+1", "=A2", "=HYPERLINK(\"x\")", "yes"]]), ""),
    "choice score": (_xlsform([["select_one yn", "q1", "Câu 1", "yes"]],
                              [["yn", "c", "Có", "=1/0"], ["yn", "k", "Không", 150]]), "qcdc_score"),
}


@pytest.mark.parametrize("name", list(XLSFORM_BAD))
def test_bad_xlsform_files_give_a_vietnamese_message(name):
    from app.admin.xlsform import import_xlsform
    blob, expect = XLSFORM_BAD[name]
    result = import_xlsform(blob)
    assert not result.ok
    messages = " ".join(str(e) for e in result.errors)
    assert result.errors and _vn(messages)
    assert expect.lower() in messages.lower(), messages


def test_an_imported_form_is_saved_only_when_valid(db):
    """The import itself writes nothing; the questionnaire table changes only through a valid
    definition saved by an administrator."""
    from app.admin.xlsform import import_xlsform
    from db.models import Questionnaire
    before = count_rows(Questionnaire)
    for name in XLSFORM_BAD:
        import_xlsform(XLSFORM_BAD[name][0])
    assert count_rows(Questionnaire) == before


# --- photos ---------------------------------------------------------------------------------------

def _image(fmt: str, size=(64, 48)) -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, fmt)
    return out.getvalue()


BAD_PHOTOS = {
    "gif": (_image("GIF"), "định dạng"),
    "bmp": (_image("BMP"), "định dạng"),
    "webp": (_image("WEBP"), "định dạng"),
    "pdf renamed .jpg": (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "không phải"),
    "text": ("Không phải ảnh".encode(), "không phải"),
    "truncated jpeg": (jpeg_with_gps(size=(400, 300))[:1500], "hỏng"),
    "truncated png": (png_bytes((400, 300))[:120], None),
    "decompression bomb": (png_bomb(), "quá lớn"),
    "oversized": (b"\xff\xd8\xff\xe0" + b"\x00" * (11 * 1024 * 1024), "quá"),
    "empty": (b"", "rỗng"),
}


@pytest.mark.parametrize("name", list(BAD_PHOTOS))
def test_bad_photos_are_refused_and_nothing_is_stored(active, name):
    from app.operations import daily_reports as reports
    from app.operations import photos
    blob, expect = BAD_PHOTOS[name]
    with pytest.raises(photos.PhotoError) as err:
        photos.process_photo(blob, f"{name}.jpg")
    assert _vn(str(err.value)) and f"{name}.jpg" in str(err.value)
    if expect:
        assert expect in str(err.value).lower(), str(err.value)
    campaign, day = active.campaign, reports.report_days(active.campaign)[-1]
    data = {"visits": 5, "guided": 3, "helpers_on_duty": 1, "difficulties": "Ổn"}
    first = reports.save_report(ADMIN, campaign, "07201", day, data,
                                [("ok.jpg", jpeg_with_gps((300, 200)))])
    assert first.ok and first.n_photos == 1
    files = sorted(p.relative_to(active_dir()) for p in (active_dir() / "photos").rglob("*"))
    with session_scope() as s:
        rows = s.exec(select(ReportPhoto)).all()
        report = s.exec(select(DailyReport).where(DailyReport.id == first.report_id)).one()
        before = ([(r.id, r.path) for r in rows], report.visits, report.difficulties)
    result = reports.save_report(ADMIN, campaign, "07201", day, data, [(f"{name}.jpg", blob)])
    assert result.ok and result.photos_added == 0 and result.n_photos == 1
    assert result.photo_errors and all(_vn(m) for m in result.photo_errors)
    with session_scope() as s:
        rows = s.exec(select(ReportPhoto)).all()
        report = s.exec(select(DailyReport).where(DailyReport.id == first.report_id)).one()
        assert ([(r.id, r.path) for r in rows], report.visits, report.difficulties) == before
    assert sorted(p.relative_to(active_dir()) for p in (active_dir() / "photos").rglob("*")) == files


def active_dir():
    from db.engine import data_dir
    return data_dir()


@relaxed(200)
@given(blob=st.one_of(
    st.binary(max_size=4000),
    st.binary(max_size=2000).map(lambda b: b"\xff\xd8\xff\xe0" + b),
    st.binary(max_size=2000).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
    st.tuples(st.sampled_from([_image("JPEG"), _image("PNG"), _image("GIF")]),
              st.integers(0, 2000), st.binary(min_size=1, max_size=8)).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1] + len(t[2]):])))
def test_any_bytes_as_a_photo_are_accepted_clean_or_refused_with_a_message(blob, tmp_path_factory):
    from app.operations import photos
    try:
        p = photos.process_photo(blob, "anh.jpg")
    except photos.PhotoError as exc:
        assert _vn(str(exc))
        return
    assert p.image[:2] == b"\xff\xd8" and max(p.width, p.height) <= photos.MAX_SIDE
