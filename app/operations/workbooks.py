"""Excel files of the commune operations: roster template and import, consolidated workbook of
all rosters and inspectors, list of communes missing a daily report.

Imports are defensive: size, zip expansion and row count are bounded before parsing; a file that
is not an .xlsx, has the wrong columns, bad dates or no rows yields problems named by Excel row
and changes nothing. Exports never let a cell be read as a formula.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.core import clock
from app.core.auth import Scope
from app.core.campaigns import campaign_days
from app.core.fmt import fmt_date, fmt_datetime
from app.core.i18n import t
from app.core.reference import geography
from app.core.spreadsheet import excel_text, neutralise_row, xlsx_problem
from app.core.text import clean_line
from app.operations.inspectors import inspector_communes, inspector_days, list_inspectors
from app.operations.roster import (
    LATE,
    MAX_ROWS,
    MISSING,
    ON_TIME,
    ORGANISATIONS,
    SHIFTS,
    Problem,
    entry_days,
    fold,
    parse_day,
    roster_entries_for,
    roster_overview,
)
from db.models import Campaign

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_UNZIPPED = 40 * 1024 * 1024
MAX_SCAN_ROWS = 2000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# column key -> header in the template
COLUMNS = {
    "full_name": "Họ và tên",
    "position": "Chức vụ",
    "organisation": "Tổ chức",
    "phone": "Số điện thoại",
    "duty_days": "Ngày trực",
    "shift": "Ca trực",
}
REQUIRED = ("full_name", "organisation", "phone", "duty_days", "shift")
_ALIASES = {
    "full_name": ("ho va ten", "ho ten", "ho, ten", "ten", "ho va ten nguoi ho tro"),
    "position": ("chuc vu", "chuc danh", "chuc vu, chuc danh"),
    "organisation": ("to chuc", "don vi", "to chuc, doan the", "doan the", "to chuc doan the"),
    "phone": ("so dien thoai", "dien thoai", "sdt", "so dt", "dt"),
    "duty_days": ("ngay truc", "ngay", "cac ngay truc", "ngay phan cong"),
    "shift": ("ca truc", "ca", "buoi", "buoi truc"),
}


def header_key(value: object, aliases: dict[str, tuple[str, ...]]) -> str | None:
    """The column a header cell names, by its folded text (no accents, case, trailing
    ":"/"*" or "(dd/mm/yyyy)"), among `aliases` ({key: accepted names}); shared by every
    workbook the app imports (rosters here, dossier counts in app/operations/dossiers.py)."""
    f = fold(value).strip(" :*")
    f = re.sub(r"\s*\(.*\)$", "", f)  # "Ngày trực (dd/mm/yyyy)"
    for key, names in aliases.items():
        if f in names:
            return key
    return None


def header_columns(values: list, aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """{column key: index} of a row read as a header row (the first cell of each key wins)."""
    keys: dict[str, int] = {}
    for i, v in enumerate(values):
        k = header_key(v, aliases)
        if k and k not in keys:
            keys[k] = i
    return keys


# --- template -------------------------------------------------------------------------------

def _style_header(ws, ncols: int) -> None:
    fill = PatternFill("solid", fgColor="DDE7F0")
    for col in range(1, ncols + 1):
        c = ws.cell(1, col)
        c.font = Font(bold=True)
        c.fill = fill
        c.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "A2"


def roster_template(campaign: Campaign) -> bytes:
    """An empty roster sheet with the expected columns, drop-down lists and a help sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    headers = ["STT"] + list(COLUMNS.values())
    ws.append(headers)
    _style_header(ws, len(headers))
    for col, width in zip("ABCDEFG", (6, 28, 26, 20, 16, 30, 12)):
        ws.column_dimensions[col].width = width
    orgs = DataValidation(type="list", formula1='"' + ",".join(ORGANISATIONS) + '"',
                          allow_blank=True, showErrorMessage=True,
                          errorTitle="Tổ chức", error="Chọn một tổ chức trong danh sách.")
    shifts = DataValidation(type="list", formula1='"' + ",".join(SHIFTS.values()) + '"',
                            allow_blank=True, showErrorMessage=True,
                            errorTitle="Ca trực", error="Chọn Sáng, Chiều hoặc Cả ngày.")
    ws.add_data_validation(orgs)
    ws.add_data_validation(shifts)
    orgs.add(f"D2:D{MAX_ROWS + 1}")
    shifts.add(f"G2:G{MAX_ROWS + 1}")
    for row in range(2, MAX_ROWS + 2):
        ws.cell(row, 5).number_format = "@"  # phone numbers as text: keep the leading 0
        ws.cell(row, 6).number_format = "@"
    days = campaign_days(campaign)
    help_ws = wb.create_sheet("Hướng dẫn")
    lines = [
        "Hướng dẫn điền danh sách người hỗ trợ",
        "Mỗi dòng một người. Không đổi tên, không xóa các cột ở dòng tiêu đề của trang «Danh sách».",
        "Họ và tên: bắt buộc.",
        "Chức vụ: không bắt buộc (ví dụ: Chi hội trưởng nông dân).",
        "Tổ chức: bắt buộc, một trong: " + ", ".join(ORGANISATIONS) + ".",
        "Số điện thoại: bắt buộc, ví dụ 0912345678 hoặc +84912345678.",
        "Ngày trực: bắt buộc, một hoặc nhiều ngày trong đợt khảo sát, cách nhau bởi dấu phẩy "
        f"(ví dụ: {', '.join(fmt_date(d) for d in days[:2])}); ghi «Cả đợt» nếu trực tất cả các ngày.",
        "Các ngày của đợt khảo sát: " + ", ".join(fmt_date(d) for d in days) + ".",
        "Ca trực: bắt buộc, một trong: " + ", ".join(SHIFTS.values()) + ".",
        "Một người không được trực hai lần trong cùng một ca của cùng một ngày.",
        "",
        "Ví dụ (không điền vào trang «Danh sách»):",
    ]
    for line in lines:
        help_ws.append([line])
    help_ws.append(["", *COLUMNS.values()])
    help_ws.append(["", "Nguyễn Văn An", "Chi hội trưởng nông dân", "Hội Nông dân", "0912345678",
                    ", ".join(fmt_date(d) for d in days[:2]), "Sáng"])
    help_ws["A1"].font = Font(bold=True, size=13)
    help_ws.column_dimensions["A"].width = 100
    return _save(wb)


# --- import ---------------------------------------------------------------------------------

@dataclass
class ParsedRoster:
    rows: list[dict] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _file_problem(key: str, **values) -> ParsedRoster:
    return ParsedRoster(problems=[Problem(None, "file", t(key, **values))])


def _split_days(value: object, campaign: Campaign) -> list:
    """A 'Ngày trực' cell: a date, or text with days separated by commas/semicolons/lines,
    ranges 'a - b' / 'a đến b', or 'Cả đợt'."""
    if value is None:
        return []
    if isinstance(value, (datetime, date)):
        return [value]
    if isinstance(value, (int, float)):
        return [str(value)]  # an Excel serial number typed as a number: reported as bad
    text = clean_line(value)
    if fold(text) in ("ca dot", "tat ca", "tat ca cac ngay", "ca 3 ngay", "ca ba ngay"):
        return list(campaign_days(campaign))
    out: list = []
    for part in re.split(r"[,;\n]+", text):
        part = part.strip()
        if not part:
            continue
        m = re.split(r"\s+(?:-|–|đến|den)\s+|–", part)
        if len(m) == 2:
            a, b = parse_day(m[0], campaign), parse_day(m[1], campaign)
            if a and b and a <= b and (b - a).days <= 62:
                out.extend(a.fromordinal(o) for o in range(a.toordinal(), b.toordinal() + 1))
                continue
        out.append(part)
    return out


# app/core/spreadsheet.xlsx_problem's verdicts, as the roster import words them
_FILE_PROBLEM_KEYS = {"empty": "excel.err.empty_file", "too_big": "excel.err.too_big",
                      "xls": "excel.err.xls", "not_xlsx": "excel.err.not_xlsx"}


def parse_roster_xlsx(data: bytes, campaign: Campaign) -> ParsedRoster:
    """Read a roster workbook into raw rows (validated later by ``app.roster.validate_rows``);
    problems about the file itself come back with ``row=None``."""
    why = xlsx_problem(data, max_bytes=MAX_FILE_BYTES, max_unzipped=MAX_UNZIPPED)
    if why is not None:  # the file itself, before openpyxl reads anything of it
        return _file_problem(_FILE_PROBLEM_KEYS[why], max=MAX_FILE_BYTES // (1024 * 1024))
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        return _file_problem("excel.err.not_xlsx")
    try:
        ws = wb["Danh sách"] if "Danh sách" in wb.sheetnames else wb.worksheets[0]
        it = ws.iter_rows(max_col=20, values_only=True)
        header_row = None
        columns: dict[str, int] = {}
        seen_headers: list[str] = []
        result = ParsedRoster()
        for excel_row, values in enumerate(it, start=1):
            if excel_row > MAX_SCAN_ROWS:
                return _file_problem("excel.err.too_many_rows", max=MAX_ROWS)
            values = list(values or ())
            if header_row is None:
                keys = header_columns(values, _ALIASES)
                if "full_name" in keys or len(keys) >= 3:
                    header_row, columns = excel_row, keys
                    seen_headers = [clean_line(v) for v in values if clean_line(v)]
                elif excel_row >= 10:
                    break
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue

            def cell(key: str, columns=columns, values=values):
                i = columns.get(key)
                return values[i] if i is not None and i < len(values) else None
            row = {k: cell(k) for k in COLUMNS if k != "duty_days"}
            row["duty_days"] = _split_days(cell("duty_days"), campaign)
            result.rows.append(row)
            result.row_numbers.append(excel_row)
            if len(result.rows) > MAX_ROWS:
                return _file_problem("excel.err.too_many_rows", max=MAX_ROWS)
    except Exception:
        return _file_problem("excel.err.not_xlsx")
    finally:
        wb.close()
    if header_row is None:
        return _file_problem("excel.err.no_header",
                             columns=", ".join(COLUMNS[k] for k in REQUIRED))
    missing = [COLUMNS[k] for k in REQUIRED if k not in columns]
    if missing:
        return _file_problem("excel.err.columns", missing=", ".join(missing),
                             found=", ".join(seen_headers[:12]) or "—")
    if not result.rows:
        return _file_problem("excel.err.no_rows")
    return result


# --- exports --------------------------------------------------------------------------------

def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _put_row(ws, values: list) -> None:
    ws.append([excel_text(v) for v in values])
    neutralise_row(ws)  # text stays text: never a formula (app/core/spreadsheet.py)


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Sheet"
    candidate, k = base, 2
    while candidate.lower() in used:
        suffix = f" ({k})"
        candidate = base[:31 - len(suffix)] + suffix
        k += 1
    used.add(candidate.lower())
    return candidate


def _widths(ws, widths: list[int]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


STATE_LABELS = {ON_TIME: "Đúng hạn", LATE: "Nộp muộn", MISSING: "Chưa nộp"}


def consolidated_workbook(scope: Scope, campaign: Campaign) -> bytes:
    """All rosters the user may see: a summary sheet, one sheet per district, the inspectors."""
    geo = geography()
    overview = roster_overview(scope, campaign)
    entries = roster_entries_for(scope, campaign)
    wb = Workbook()
    summary = wb.active
    used: set[str] = set()
    summary.title = _sheet_name("Tổng hợp", used)
    summary.append([f"Danh sách người hỗ trợ khảo sát: {campaign.name}"])
    summary.append([f"Hạn nộp danh sách: {fmt_date(campaign.roster_deadline)}. "
                    f"Xuất lúc {fmt_datetime(clock.now())}."])
    summary.append([])
    head = ["Huyện, thị xã, thành phố", "Xã, phường, thị trấn", "Mã xã", "Số người",
            "Thời điểm nộp", "Tình trạng", "Công khai", "Người liên hệ", "Điện thoại liên hệ"]
    summary.append(head)
    for col in range(1, len(head) + 1):
        summary.cell(4, col).font = Font(bold=True)
    for st in overview:
        state = st.state(campaign.roster_deadline)
        _put_row(summary, [st.commune.district_full_name, st.commune.full_name, st.commune.code,
                           st.entries, fmt_datetime(st.submitted_at), STATE_LABELS[state],
                           "Có" if st.published else "Chưa", st.contact_name, st.contact_phone])
    summary["A1"].font = Font(bold=True, size=13)
    _widths(summary, [24, 26, 8, 9, 17, 12, 10, 24, 16])
    visible_districts = {st.commune.district_code for st in overview}
    for d in geo.districts:
        if d.code not in visible_districts:
            continue
        ws = wb.create_sheet(_sheet_name(d.full_name, used))
        head = ["STT", "Xã, phường, thị trấn", "Họ và tên", "Chức vụ", "Tổ chức",
                "Số điện thoại", "Ngày trực", "Ca trực"]
        ws.append(head)
        _style_header(ws, len(head))
        n = 0
        for c in geo.communes_of(d.code):
            for e in entries.get(c.code, []):
                n += 1
                _put_row(ws, [n, c.full_name, e.full_name, e.position, e.organisation, e.phone,
                              ", ".join(fmt_date(x) for x in entry_days(e)),
                              SHIFTS.get(e.shift, e.shift)])
        _widths(ws, [6, 26, 26, 26, 18, 15, 26, 10])
    ins = list_inspectors(scope, campaign.id)
    ws = wb.create_sheet(_sheet_name("Kiểm tra, giám sát", used))
    head = ["STT", "Họ và tên", "Chức vụ", "Cơ quan, đơn vị", "Điện thoại", "Cấp quản lý",
            "Địa bàn phụ trách", "Ngày kiểm tra"]
    ws.append(head)
    _style_header(ws, len(head))
    for n, i in enumerate(ins.editable + ins.read_only, start=1):
        d = geo.district(i.district_code) if i.district_code else None
        communes = [geo.by_code[c].full_name for c in inspector_communes(i) if c in geo.by_code]
        _put_row(ws, [n, i.full_name, i.position, i.organisation, i.phone,
                      d.full_name if d else "Tỉnh", "; ".join(communes),
                      ", ".join(fmt_date(x) for x in inspector_days(i))])
    _widths(ws, [6, 26, 28, 28, 14, 22, 50, 24])
    return _save(wb)


def missing_reports_workbook(day: date, missing: list, district_label: str = "") -> bytes:
    """The communes that have not reported on `day`, with the roster's contact."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Chưa báo cáo"
    ws.append([f"Các xã, phường, thị trấn chưa gửi báo cáo ngày {fmt_date(day)}"
               + (f" – {district_label}" if district_label else "")])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    head = ["STT", "Xã, phường, thị trấn", "Mã xã", "Huyện, thị xã, thành phố", "Người liên hệ",
            "Điện thoại"]
    ws.append(head)
    for col in range(1, len(head) + 1):
        ws.cell(3, col).font = Font(bold=True)
    for n, m in enumerate(missing, start=1):
        _put_row(ws, [n, m.commune.full_name, m.commune.code, m.commune.district_full_name,
                      m.contact_name, m.contact_phone])
    _widths(ws, [6, 28, 8, 26, 26, 14])
    return _save(wb)


def simple_workbook(title: str, rows: list[dict]) -> bytes:
    """One sheet named `title` holding `rows` (the keys of the first row as the header)."""
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(title, set())
    head = list(rows[0]) if rows else []
    ws.append(head)
    _style_header(ws, len(head))
    for r in rows:
        _put_row(ws, [r.get(k) for k in head])
    _widths(ws, [max(10, min(40, len(str(k)) + 4)) for k in head])
    return _save(wb)
