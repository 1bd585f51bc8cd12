"""Excel: the roster template round trip, bad files explained row by row, the exports."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from app.operations import workbooks as excel_io
from app.operations.completeness import day_completeness
from app.operations.inspectors import save_inspectors
from app.operations.roster import get_roster, save_roster, validate_rows
from tests.commune_ops_helpers import HUYEN, TINH, XA, XA_OTHER, row


@pytest.fixture
def campaign(active):
    return active.campaign


def _d(c, k=0):
    return (c.start_date + timedelta(days=k)).strftime("%d/%m/%Y")


def _fill_template(campaign, rows) -> bytes:
    wb = load_workbook(io.BytesIO(excel_io.roster_template(campaign)))
    ws = wb["Danh sách"]
    for i, r in enumerate(rows, start=2):
        for j, v in enumerate(r, start=1):
            ws.cell(i, j, v)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _workbook(rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _import(campaign, data):
    parsed = excel_io.parse_roster_xlsx(data, campaign)
    if parsed.problems:
        return parsed, [], parsed.problems
    rows, problems = validate_rows(parsed.rows, campaign, parsed.row_numbers)
    return parsed, rows, problems


def test_template_has_the_columns_and_lists(campaign):
    wb = load_workbook(io.BytesIO(excel_io.roster_template(campaign)))
    assert wb.sheetnames == ["Danh sách", "Hướng dẫn"]
    headers = [c.value for c in wb["Danh sách"][1]]
    assert headers == ["STT", "Họ và tên", "Chức vụ", "Tổ chức", "Số điện thoại", "Ngày trực",
                       "Ca trực"]
    formulas = [dv.formula1 for dv in wb["Danh sách"].data_validations.dataValidation]
    assert any("Hội Nông dân" in f for f in formulas) and any("Cả ngày" in f for f in formulas)


def test_filled_template_imports(campaign):
    data = _fill_template(campaign, [
        [1, "Nguyễn Văn An", "Chi hội trưởng", "Hội Nông dân", "0912345678",
         f"{_d(campaign)}, {_d(campaign, 1)}", "Sáng"],
        [2, "Trần Thị Bình", "", "hội phụ nữ", 988111222, "Cả đợt", "cả ngày"],
        [3, "Lê Văn Cường", "Đoàn viên", "Đoàn Thanh niên", "+84 977 000 111",
         datetime.combine(campaign.start_date, datetime.min.time()), "Chiều"],
        [4, "Phạm Thị Dung", "", "Khác", "0977000222",
         f"{_d(campaign)} - {_d(campaign, 2)}", "Sáng"],
    ])
    parsed, rows, problems = _import(campaign, data)
    assert problems == []
    assert [r.full_name for r in rows] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường",
                                           "Phạm Thị Dung"]
    assert rows[1].phone == "0988111222" and rows[1].organisation == "Hội Phụ nữ"
    assert len(rows[1].duty_days) == 3 and rows[1].shift == "ca_ngay"
    assert rows[2].duty_days == [campaign.start_date] and rows[2].phone == "0977000111"
    assert len(rows[3].duty_days) == 3
    res = save_roster(XA, campaign, None, parsed.rows, row_numbers=parsed.row_numbers,
                      source="excel")
    assert res.ok and res.saved == 4
    assert len(get_roster(XA, campaign.id).entries) == 4


def test_bad_rows_are_explained_by_excel_row_and_nothing_changes(campaign):
    assert save_roster(XA, campaign, None, [row(days=[campaign.start_date.isoformat()])]).ok
    data = _fill_template(campaign, [
        [1, "Nguyễn Văn An", "", "Hội Nông dân", "0912345678", _d(campaign), "Sáng"],
        [2, "Trần Thị Bình", "", "Hội Nông dân", "0912", "31/02/2024", "Sáng"],
        [3, "", "", "Hội Nông dân", "0988111222", _d(campaign), "Sáng"],
        [4, "Lê Văn Cường", "", "Hội Nông dân", "0977000111",
         (campaign.end_date + timedelta(days=10)).strftime("%d/%m/%Y"), "Đêm"],
    ])
    parsed, _, problems = _import(campaign, data)
    rows_with_problems = sorted({p.row for p in problems})
    assert rows_with_problems == [3, 4, 5]  # Excel rows (the header is row 1)
    text = " ".join(p.message for p in problems)
    assert "0912" in text and "31/02/2024" in text and "ngoài đợt khảo sát" in text and "Đêm" in text
    res = save_roster(XA, campaign, None, parsed.rows, row_numbers=parsed.row_numbers)
    assert not res.ok
    assert [e.full_name for e in get_roster(XA, campaign.id).entries] == ["Nguyễn Văn An"]


@pytest.mark.parametrize("data,needle", [
    (b"", "rỗng"),
    (b"Ho va ten,So dien thoai\nAn,0912345678\n", "không phải là tệp Excel"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
    (b"%PDF-1.4 fake", "không phải là tệp Excel"),
    (b"PK\x03\x04 broken zip", "không phải là tệp Excel"),
    (b"x" * (3 * 1024 * 1024), "quá lớn"),
])
def test_files_that_are_not_rosters(campaign, data, needle):
    parsed = excel_io.parse_roster_xlsx(data, campaign)
    assert parsed.problems and parsed.problems[0].row is None
    assert needle in parsed.problems[0].message
    assert parsed.rows == []


def test_a_zip_that_is_not_a_workbook(campaign):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    assert "không phải là tệp Excel" in excel_io.parse_roster_xlsx(
        out.getvalue(), campaign).problems[0].message


def test_zip_bomb_is_refused_before_parsing(campaign):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<" + "a" * (50 * 1024 * 1024) + ">")
    assert len(out.getvalue()) < excel_io.MAX_FILE_BYTES
    assert "quá lớn" in excel_io.parse_roster_xlsx(out.getvalue(), campaign).problems[0].message


def test_wrong_columns_are_named(campaign):
    data = _workbook([["Tên", "Điện thoại", "Ghi chú"], ["An", "0912345678", ""]])
    p = excel_io.parse_roster_xlsx(data, campaign).problems[0]
    assert "Thiếu cột" in p.message and "Tổ chức" in p.message and "Ngày trực" in p.message
    data = _workbook([["Danh sách cán bộ"], ["a", "b"], ["c"]])
    assert "tiêu đề" in excel_io.parse_roster_xlsx(data, campaign).problems[0].message


def test_header_only_or_blank_rows_is_empty(campaign):
    data = _fill_template(campaign, [[None, None, None, None, None, None, None]])
    assert "không có dòng dữ liệu" in excel_io.parse_roster_xlsx(data, campaign).problems[0].message


def test_too_many_rows(campaign):
    rows = [["Họ và tên", "Tổ chức", "Số điện thoại", "Ngày trực", "Ca trực"]]
    rows += [[f"Người {i}", "Khác", "0912345678", _d(campaign), "Sáng"] for i in range(260)]
    assert "quá nhiều dòng" in excel_io.parse_roster_xlsx(_workbook(rows),
                                                          campaign).problems[0].message


def test_consolidated_workbook_one_sheet_per_district_with_inspectors(campaign):
    assert save_roster(XA, campaign, None, [row(name="=HYPERLINK(\"http://x\")",
                                                days=[campaign.start_date.isoformat()])]).ok
    assert save_roster(XA_OTHER, campaign, None, [row(name="Trần Thị Bình", phone="0988111222",
                                                      days=[campaign.start_date.isoformat()])]).ok
    assert save_inspectors(TINH, campaign, [{"full_name": "Lãnh đạo Tỉnh", "commune_codes":
                                             ["07201"], "days": [campaign.start_date]}]).ok
    wb = load_workbook(io.BytesIO(excel_io.consolidated_workbook(TINH, campaign)))
    assert wb.sheetnames[0] == "Tổng hợp" and wb.sheetnames[-1] == "Kiểm tra, giám sát"
    assert len(wb.sheetnames) == 12  # summary + 10 districts + inspectors
    city = wb["Thành phố Bắc Giang"]
    cell = city.cell(2, 3)
    assert cell.value == "=HYPERLINK(\"http://x\")" and cell.data_type == "s"  # never a formula
    assert city.cell(2, 6).value == "0912345678"
    assert wb["Huyện Yên Thế"].cell(2, 3).value == "Trần Thị Bình"
    assert wb["Kiểm tra, giám sát"].cell(2, 2).value == "Lãnh đạo Tỉnh"
    summary = [r for r in wb["Tổng hợp"].iter_rows(min_row=5, values_only=True)]
    assert len(summary) == 209
    # a district user's workbook holds only its district
    wb = load_workbook(io.BytesIO(excel_io.consolidated_workbook(HUYEN, campaign)))
    assert wb.sheetnames == ["Tổng hợp", "Thành phố Bắc Giang", "Kiểm tra, giám sát"]
    assert len(list(wb["Tổng hợp"].iter_rows(min_row=5))) == 16


def test_missing_reports_workbook(campaign):
    info = day_completeness(HUYEN, campaign, campaign.start_date)
    wb = load_workbook(io.BytesIO(excel_io.missing_reports_workbook(
        campaign.start_date, list(info.missing), "Thành phố Bắc Giang")))
    ws = wb.active
    assert campaign.start_date.strftime("%d/%m/%Y") in ws["A1"].value
    names = [r[1] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert len(names) == 16 and "Phường Thọ Xương" in names
