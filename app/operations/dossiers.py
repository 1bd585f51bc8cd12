"""The one-stop office's own count of dossiers received per commune and day: an independent
count of visits, imported by district and province staff from the one-stop software's Excel.

The daily report's visits come from the commune team whose answers are judged; the dossiers
received come from the one-stop software. Staff download a template (one row per commune of
their scope and campaign day), fill in or paste the software's figures, and upload it:

- every row is checked and every problem named by its Excel row, in Vietnamese (unknown
  commune, a commune outside the user's district, a bad date or a day outside the campaign, a
  missing, negative or non-integer count, the same commune and day twice); with any problem
  nothing is saved;
- a preview shows each row beside the figure already stored and the reported visits and
  answers of that day; saving replaces the count of each commune and day in the file (others
  stay), in one transaction, each change audited (``dossier.import``);
- a district user imports only its own communes (checked here, whatever the page shows).

The integrity engine judges a day's answers against the lower of the reported visits and the
dossiers where both exist (``app.integrity.rules.reference_count``), and the warnings page
warns when the reported visits exceed the dossiers beyond the campaign's band.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy import func, select

from app.core import audit, clock
from app.core.auth import AuthError, Scope
from app.core.campaigns import campaign_days
from app.core.fmt import fmt_date
from app.core.i18n import t
from app.core.reference import CommuneInfo, geography
from app.core.spreadsheet import excel_text, xlsx_problem
from app.core.text import clean_line
from app.operations.roster import Problem, fold, parse_day
from app.operations.workbooks import header_columns
from db.engine import session_scope
from db.models import Campaign, CommuneHourTally, DailyReport, DossierCount

IMPORT_ROLES = ("admin", "province", "district")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_UNZIPPED = 40 * 1024 * 1024
MAX_ROWS = 5000
MAX_DOSSIERS = 100_000          # per commune and day: more is a typing error
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "Hồ sơ một cửa"

COLUMNS = {"code": "Mã xã", "name": "Tên xã", "day": "Ngày",
           "dossiers": "Số hồ sơ tiếp nhận"}
_ALIASES = {
    "code": ("ma xa", "ma don vi", "ma xa phuong", "ma dvhc", "ma", "ma xa/phuong/thi tran"),
    "name": ("ten xa", "xa", "xa/phuong", "xa, phuong", "xa phuong", "don vi", "ten don vi",
             "xa/phuong/thi tran", "xa, phuong, thi tran", "ma xa hoac ten xa", "ten xa/phuong"),
    "day": ("ngay", "ngay tiep nhan", "ngay nhan", "ngay nhan ho so", "thoi gian"),
    "dossiers": ("so ho so tiep nhan", "so ho so", "ho so tiep nhan", "so ho so da tiep nhan",
                 "tiep nhan", "so luong ho so", "so ho so nhan", "tong so ho so tiep nhan"),
}


def _require_importer(scope: Scope) -> None:
    if scope.role not in IMPORT_ROLES:
        raise AuthError(t("dossiers.err.not_allowed"))


def _visible(scope: Scope) -> list[CommuneInfo]:
    visible = scope.visible_commune_codes()
    return [c for c in geography().communes if visible is None or c.code in visible]


# --- template ---------------------------------------------------------------------------------

def dossier_template(scope: Scope, campaign: Campaign) -> bytes:
    """The import sheet: one row per commune the user may import and campaign day, the count
    left empty, and a help sheet."""
    _require_importer(scope)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(list(COLUMNS.values()))
    fill = PatternFill("solid", fgColor="DDE7F0")
    for col in range(1, len(COLUMNS) + 1):
        c = ws.cell(1, col)
        c.font, c.fill = Font(bold=True), fill
        c.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "A2"
    for col, width in zip("ABCD", (10, 32, 14, 20)):
        ws.column_dimensions[col].width = width
    days = campaign_days(campaign)
    for c in _visible(scope):
        for d in days:
            ws.append([excel_text(c.code), excel_text(c.full_name), fmt_date(d), None])
    for row in range(2, ws.max_row + 1):
        ws.cell(row, 1).number_format = "@"   # keep the leading 0 of the commune code
        ws.cell(row, 3).number_format = "@"
    help_ws = wb.create_sheet("Hướng dẫn")
    for line in [
        "Hướng dẫn nhập số hồ sơ bộ phận một cửa tiếp nhận",
        "Mỗi dòng là một xã trong một ngày của đợt khảo sát. Không đổi tên các cột ở dòng tiêu đề.",
        "Mã xã (5 chữ số) hoặc Tên xã: cần ít nhất một trong hai; có mã thì dùng mã.",
        "Ngày: dd/mm/yyyy, trong thời gian đợt khảo sát: "
        + ", ".join(fmt_date(d) for d in days) + ".",
        "Số hồ sơ tiếp nhận: số nguyên từ 0, lấy từ phần mềm một cửa của xã trong ngày đó.",
        "Dòng để trống số hồ sơ được bỏ qua. Mỗi xã, mỗi ngày chỉ một dòng.",
        "Nhập lại một xã và ngày đã có sẽ thay số cũ bằng số mới (có ghi nhật ký).",
    ]:
        help_ws.append([line])
    help_ws["A1"].font = Font(bold=True, size=13)
    help_ws.column_dimensions["A"].width = 110
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading and checking ---------------------------------------------------------------------

@dataclass(frozen=True)
class DossierRow:
    row: int            # the Excel row
    commune_code: str
    day: date
    dossiers: int


@dataclass
class ParsedDossiers:
    rows: list[DossierRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def _file_problem(key: str, **values) -> ParsedDossiers:
    return ParsedDossiers(problems=[Problem(None, "file", t(key, **values))])


def _name_index() -> dict[str, list[CommuneInfo]]:
    out: dict[str, list[CommuneInfo]] = {}
    for c in geography().communes:
        for name in {fold(c.full_name), fold(c.name), fold(f"{c.type} {c.name}")}:
            out.setdefault(name, []).append(c)
    return out


def _commune(code_cell: object, name_cell: object, names: dict) -> tuple[CommuneInfo | None, str]:
    """The commune a row names (by code, else by name), or None with the message key."""
    geo = geography()
    if code_cell is not None and str(code_cell).strip() != "":
        raw = code_cell
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = clean_line(raw)
        if text.isdigit() and len(text) <= 5:
            text = text.zfill(5)   # Excel drops the leading zero of numbers
        c = geo.by_code.get(text)
        return (c, "") if c is not None else (None, "dossiers.err.unknown_code")
    if name_cell is None or clean_line(name_cell) == "":
        return None, "dossiers.err.no_commune"
    found = names.get(fold(name_cell), [])
    if len(found) > 1:
        return None, "dossiers.err.ambiguous_name"
    return (found[0], "") if found else (None, "dossiers.err.unknown_name")


def _count(value: object) -> tuple[int | None, str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, ""
    if isinstance(value, bool):
        return None, "dossiers.err.not_integer"
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            return None, "dossiers.err.not_integer"
        if isinstance(value, float) and not value.is_integer():
            return None, "dossiers.err.not_integer"
        n = int(value)
    else:
        text = clean_line(value).replace(".", "").replace(" ", "")
        if not re.fullmatch(r"-?\d+", text):
            return None, "dossiers.err.not_integer"
        n = int(text)
    if n < 0:
        return None, "dossiers.err.negative"
    if n > MAX_DOSSIERS:
        return None, "dossiers.err.too_many"
    return n, ""


def _day(value: object, campaign: Campaign) -> date | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None   # an Excel serial number typed as a number
    return parse_day(value, campaign)


def read_dossier_xlsx(scope: Scope, campaign: Campaign, data: bytes,
                      today: date | None = None) -> ParsedDossiers:
    """Every row of an uploaded workbook, checked; nothing is written."""
    _require_importer(scope)
    why = xlsx_problem(data, max_bytes=MAX_FILE_BYTES, max_unzipped=MAX_UNZIPPED)
    if why:
        return _file_problem({"empty": "excel.err.empty_file", "too_big": "excel.err.too_big",
                              "xls": "excel.err.xls"}.get(why, "excel.err.not_xlsx"),
                             **({"max": MAX_FILE_BYTES // (1024 * 1024)}
                                if why == "too_big" else {}))
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        return _file_problem("excel.err.not_xlsx")
    raw: list[tuple[int, list]] = []
    columns: dict[str, int] = {}
    seen_headers: list[str] = []
    try:
        ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
        header_row = None
        for excel_row, values in enumerate(ws.iter_rows(max_col=30, values_only=True), start=1):
            values = list(values or ())
            if header_row is None:
                keys = header_columns(values, _ALIASES)
                if len(keys) >= 2:
                    header_row, columns = excel_row, keys
                    seen_headers = [clean_line(v) for v in values if clean_line(v)]
                elif excel_row >= 10:
                    break
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            raw.append((excel_row, values))
            if len(raw) > MAX_ROWS:
                return _file_problem("dossiers.err.too_many_rows", max=MAX_ROWS)
    except Exception:
        return _file_problem("excel.err.not_xlsx")
    finally:
        wb.close()
    if header_row is None:
        return _file_problem("excel.err.no_header",
                             columns=", ".join(COLUMNS[k] for k in ("code", "day", "dossiers")))
    missing = [COLUMNS[k] for k in ("day", "dossiers") if k not in columns]
    if "code" not in columns and "name" not in columns:
        missing.insert(0, f"{COLUMNS['code']} / {COLUMNS['name']}")
    if missing:
        return _file_problem("excel.err.columns", missing=", ".join(missing),
                             found=", ".join(seen_headers[:12]) or "—")
    return _check_rows(scope, campaign, raw, columns, today or clock.today())


def _check_rows(scope: Scope, campaign: Campaign, raw: list[tuple[int, list]],
                columns: dict[str, int], today: date) -> ParsedDossiers:
    out = ParsedDossiers()
    names = _name_index()
    window = set(campaign_days(campaign))
    first_row: dict[tuple[str, date], int] = {}

    def cell(values, key):
        i = columns.get(key)
        return values[i] if i is not None and i < len(values) else None

    for excel_row, values in raw:
        n, why_n = _count(cell(values, "dossiers"))
        if n is None and not why_n:
            continue   # an empty count: a template row not filled in
        problems = []
        c, why_c = _commune(cell(values, "code"), cell(values, "name"), names)
        shown = clean_line(cell(values, "code")) or clean_line(cell(values, "name"))
        if c is None:
            problems.append(Problem(excel_row, "commune", t(why_c, value=shown)))
        elif not scope.can_see_commune(c.code, c.district_code):
            problems.append(Problem(excel_row, "commune",
                                    t("dossiers.err.outside_scope", commune=c.full_name)))
        raw_day = cell(values, "day")
        d = _day(raw_day, campaign)
        if d is None:
            problems.append(Problem(excel_row, "day", t("dossiers.err.bad_day",
                                                        value=clean_line(raw_day) or "—")))
        elif d not in window:
            days = campaign_days(campaign)
            problems.append(Problem(excel_row, "day", t(
                "dossiers.err.outside_campaign", day=fmt_date(d), first=fmt_date(days[0]),
                last=fmt_date(days[-1]))))
        elif d > today:
            problems.append(Problem(excel_row, "day", t("dossiers.err.future", day=fmt_date(d))))
        if why_n:
            problems.append(Problem(excel_row, "dossiers", t(
                why_n, value=clean_line(cell(values, "dossiers")), max=f"{MAX_DOSSIERS:,}"
                .replace(",", "."))))
        if not problems and c is not None and d is not None:
            other = first_row.get((c.code, d))
            if other is not None:
                problems.append(Problem(excel_row, "commune", t(
                    "dossiers.err.duplicate", commune=c.full_name, day=fmt_date(d), row=other)))
            else:
                first_row[(c.code, d)] = excel_row
        if problems:
            out.problems += problems
        else:
            out.rows.append(DossierRow(excel_row, c.code, d, n))
    if not out.rows and not out.problems:
        out.problems.append(Problem(None, "file", t("dossiers.err.no_counts")))
    return out


# --- preview and saving -----------------------------------------------------------------------

@dataclass(frozen=True)
class DayFigures:
    """One commune's day: the one-stop office's dossiers beside the reported visits and the
    counted answers, with the campaign's band applied to both."""
    commune_code: str
    commune_name: str
    district_name: str
    day: date
    dossiers: int | None
    visits: int | None
    answers: int
    new_dossiers: int | None = None     # in a preview: the figure the file brings

    def over(self, value: int | None, high: float, dossiers: int | None = None) -> bool:
        base = self.dossiers if dossiers is None else dossiers
        if value is None or base is None:
            return False
        return value > 0 and (base == 0 or value / base > high)


def _figures(campaign: Campaign, keys: set[tuple[str, date]]) -> tuple[dict, dict, dict]:
    codes = sorted({k[0] for k in keys})
    dossiers, visits, answers = {}, {}, {}
    if not codes:
        return dossiers, visits, answers
    with session_scope() as s:
        for code, day, k in s.execute(select(DossierCount.commune_code, DossierCount.day,
                                             DossierCount.dossiers)
                                      .where(DossierCount.campaign_id == campaign.id,
                                             DossierCount.commune_code.in_(codes))):
            dossiers[(code, day)] = int(k)
        for code, day, v in s.execute(select(DailyReport.commune_code, DailyReport.day,
                                             DailyReport.visits)
                                      .where(DailyReport.campaign_id == campaign.id,
                                             DailyReport.commune_code.in_(codes))):
            visits[(code, day)] = int(v or 0)
        for code, day, n in s.execute(select(CommuneHourTally.commune_code,
                                             CommuneHourTally.day, func.sum(CommuneHourTally.n))
                                      .where(CommuneHourTally.campaign_id == campaign.id,
                                             CommuneHourTally.commune_code.in_(codes))
                                      .group_by(CommuneHourTally.commune_code,
                                                CommuneHourTally.day)):
            answers[(code, day)] = int(n or 0)
    return dossiers, visits, answers


def preview(scope: Scope, campaign: Campaign, parsed: ParsedDossiers) -> list[DayFigures]:
    """Each row of a checked file beside what is stored for that commune and day."""
    _require_importer(scope)
    geo = geography()
    keys = {(r.commune_code, r.day) for r in parsed.rows}
    for r in parsed.rows:
        c = geo.by_code[r.commune_code]
        if not scope.can_see_commune(c.code, c.district_code):
            raise AuthError(t("dossiers.err.outside_scope", commune=c.full_name))
    dossiers, visits, answers = _figures(campaign, keys)
    out = []
    for r in parsed.rows:
        c = geo.by_code[r.commune_code]
        k = (r.commune_code, r.day)
        out.append(DayFigures(c.code, c.full_name, c.district_full_name, r.day,
                              dossiers.get(k), visits.get(k), answers.get(k, 0), r.dossiers))
    return out


@dataclass
class ImportResult:
    ok: bool
    saved: int = 0          # rows of the file
    changed: int = 0        # communes and days whose count changed
    problems: list[Problem] = field(default_factory=list)


def save_dossiers(scope: Scope, campaign: Campaign, data: bytes, source: str = "",
                  now: datetime | None = None) -> ImportResult:
    """Check the file again and, when every row is right, replace the count of each commune
    and day it names (one transaction, each change audited). With any problem nothing is
    saved."""
    _require_importer(scope)
    parsed = read_dossier_xlsx(scope, campaign, data, today=(now or clock.now()).date())
    if not parsed.ok:
        return ImportResult(False, problems=parsed.problems)
    now = now or clock.now()
    source = clean_line(source)[:200]
    changed = 0
    with session_scope() as s:
        existing = {(r.commune_code, r.day): r for r in s.execute(
            select(DossierCount).where(DossierCount.campaign_id == campaign.id,
                                       DossierCount.commune_code.in_(
                                           sorted({r.commune_code for r in parsed.rows}))))
            .scalars()}
        for r in parsed.rows:
            row = existing.get((r.commune_code, r.day))
            before = None
            if row is None:
                row = DossierCount(campaign_id=campaign.id, commune_code=r.commune_code,
                                   day=r.day)
            elif row.dossiers == r.dossiers:
                continue
            else:
                before = {"dossiers": row.dossiers, "source": row.source}
            row.dossiers, row.imported_at, row.imported_by, row.source = \
                r.dossiers, now, scope.username, source
            s.add(row)
            audit.record(s, scope.username, "dossier.import", "dossier_count",
                         f"{r.commune_code}:{r.day.isoformat()}", before=before,
                         after={"dossiers": r.dossiers, "source": source,
                                "commune": r.commune_code, "day": r.day.isoformat()})
            changed += 1
    return ImportResult(True, saved=len(parsed.rows), changed=changed)


def dossier_overview(scope: Scope, campaign: Campaign,
                     district_code: str | None = None) -> list[DayFigures]:
    """Every commune's day that has a dossier count, in the user's scope: dossiers beside the
    reported visits and the counted answers."""
    if scope.role not in ("admin", "province", "farmers", "district"):
        raise AuthError(t("dossiers.err.not_allowed"))
    if district_code and not scope.can_see_district(district_code):
        return []
    geo = geography()
    communes = [c for c in _visible(scope)
                if not district_code or c.district_code == district_code]
    codes = {c.code for c in communes}
    keys = {(c, d) for c in codes for d in campaign_days(campaign)}
    dossiers, visits, answers = _figures(campaign, keys)
    out = []
    for (code, day), k in dossiers.items():
        if code not in codes:
            continue
        c = geo.by_code[code]
        out.append(DayFigures(code, c.full_name, c.district_full_name, day, k,
                              visits.get((code, day)), answers.get((code, day), 0)))
    out.sort(key=lambda f: (f.district_name, f.commune_name, f.day))
    return out
