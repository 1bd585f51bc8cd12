"""Import of the one-stop office's dossier counts: template, good and bad files (row-by-row
Vietnamese problems, nothing saved), preview, audited replacement per commune and day, scope;
and the engine and the warnings page using the counts."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from app.core import clock
from app.core.auth import AuthError
from app.operations import dossiers as svc
from db.engine import session_scope
from db.models import AuditLog, DossierCount
from tests.dashboard_helpers import HOIND, HUYEN, HUYEN_YT, TINH, XA, report

A, B = "07201", "07204"          # district 213 (HUYEN's)
OTHER = "07243"                  # district 215


def book(rows, header=("Mã xã", "Tên xã", "Ngày", "Số hồ sơ tiếp nhận"), sheet="Hồ sơ một cửa"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if header:
        ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def camp(active):
    return active.campaign


def day0(camp):
    return camp.start_date


def d(x):
    return x.strftime("%d/%m/%Y")


def messages(parsed):
    return [(p.row, p.field, p.message) for p in parsed.problems]


def test_template_lists_the_users_communes_and_days(camp):
    wb = load_workbook(io.BytesIO(svc.dossier_template(HUYEN, camp)))
    ws = wb["Hồ sơ một cửa"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Mã xã", "Tên xã", "Ngày", "Số hồ sơ tiếp nhận")
    codes = {r[0] for r in rows[1:]}
    assert A in codes and OTHER not in codes and len(rows) - 1 == 16 * 3
    assert "Hướng dẫn" in wb.sheetnames
    with pytest.raises(AuthError):
        svc.dossier_template(XA, camp)


def test_a_good_file_previews_then_saves_and_a_reimport_replaces(camp):
    today = clock.today()
    data = book([(A, "Phường Thọ Xương", d(day0(camp)), 35),
                 (7204, None, day0(camp), 20.0),          # a number code, a real date cell
                 (None, "thọ xương", d(today), "12"),     # by name, any case or accent form
                 (B, None, d(today), None)])              # an empty count: skipped
    parsed = svc.read_dossier_xlsx(HUYEN, camp, data)
    assert parsed.ok, messages(parsed)
    assert [(r.commune_code, r.day, r.dossiers) for r in parsed.rows] == [
        (A, day0(camp), 35), (B, day0(camp), 20), (A, today, 12)]
    report(camp.id, A, day0(camp), 50)
    pv = svc.preview(HUYEN, camp, parsed)
    assert pv[0].dossiers is None and pv[0].new_dossiers == 35 and pv[0].visits == 50
    with session_scope() as s:
        assert not s.exec(select(DossierCount)).all()          # a preview writes nothing
    res = svc.save_dossiers(HUYEN, camp, data, source="mot_cua.xlsx")
    assert res.ok and (res.saved, res.changed) == (3, 3)
    again = book([(A, None, d(day0(camp)), 40), (B, None, d(day0(camp)), 20)])
    res = svc.save_dossiers(TINH, camp, again, source="mot_cua_sua.xlsx")
    assert res.ok and (res.saved, res.changed) == (2, 1)        # B unchanged: not rewritten
    with session_scope() as s:
        got = {(r.commune_code, r.day): (r.dossiers, r.imported_by, r.source)
               for r in s.exec(select(DossierCount)).all()}
        logs = s.exec(select(AuditLog).where(AuditLog.action == "dossier.import")
                      .order_by(AuditLog.id)).all()
    assert got == {(A, day0(camp)): (40, TINH.username, "mot_cua_sua.xlsx"),
                   (B, day0(camp)): (20, HUYEN.username, "mot_cua.xlsx"),
                   (A, today): (12, HUYEN.username, "mot_cua.xlsx")}
    assert len(logs) == 4
    last = logs[-1]
    assert last.entity_id == f"{A}:{day0(camp).isoformat()}"
    assert json.loads(last.before)["dossiers"] == 35 and json.loads(last.after)["dossiers"] == 40


@pytest.mark.parametrize("rows,expected", [
    ([(None, "Xã Không Có", "d0", 5)], "Không tìm thấy xã tên «Xã Không Có»"),
    ([("99999", None, "d0", 5)], "Không có xã nào mang mã «99999»"),
    ([(None, None, "d0", 5)], "Thiếu mã xã hoặc tên xã"),
    ([(A, None, "31/02/2024", 5)], "Ngày «31/02/2024» không hợp lệ"),
    ([(A, None, "hôm qua", 5)], "Ngày «hôm qua» không hợp lệ"),
    ([(A, None, 45419, 5)], "Ngày «45419» không hợp lệ"),     # an Excel serial typed as a number
    ([(A, None, "01/01/2020", 5)], "nằm ngoài đợt khảo sát"),
    ([(A, None, "tomorrow", 5)], "chưa đến"),
    ([(A, None, "d0", -3)], "Số hồ sơ «-3» không được âm"),
    ([(A, None, "d0", 2.5)], "Số hồ sơ «2.5» phải là số nguyên"),
    ([(A, None, "d0", "mười")], "Số hồ sơ «mười» phải là số nguyên"),
    ([(A, None, "d0", 10**7)], "quá lớn"),
    ([(A, None, "d0", 5), (A, "Phường Thọ Xương", "d0", 6)], "đã có ở dòng 2"),
    ([(OTHER, None, "d0", 5)], "không thuộc phạm vi quản lý của bạn"),
])
def test_bad_rows_are_named_and_nothing_is_saved(camp, rows, expected):
    fix = {"d0": d(day0(camp)), "tomorrow": d(clock.today() + timedelta(days=1))}
    data = book([tuple(fix.get(v, v) if isinstance(v, str) else v for v in r) for r in rows])
    parsed = svc.read_dossier_xlsx(HUYEN, camp, data)
    assert not parsed.ok
    found = messages(parsed)
    assert any(expected in m and row is not None for row, _f, m in found), found
    res = svc.save_dossiers(HUYEN, camp, data)
    assert not res.ok and res.problems
    with session_scope() as s:
        assert not s.exec(select(DossierCount)).all()


def test_one_bad_row_among_good_ones_saves_nothing(camp):
    data = book([(A, None, d(day0(camp)), 5), (B, None, d(day0(camp)), -1)])
    res = svc.save_dossiers(HUYEN, camp, data)
    assert not res.ok and [(p.row, p.field) for p in res.problems] == [(3, "dossiers")]
    with session_scope() as s:
        assert not s.exec(select(DossierCount)).all()


@pytest.mark.parametrize("data,expected", [
    (b"", "Tệp rỗng"),
    (b"hello, this is text", "không phải là tệp Excel"),
    (b"%PDF-1.4 fake", "không phải là tệp Excel"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Excel 97-2003"),
    ("missing_count", "Thiếu cột: Số hồ sơ tiếp nhận"),
    ("missing_commune", "Thiếu cột: Mã xã / Tên xã"),
    ("no_header", "Không tìm thấy dòng tiêu đề"),
    ("empty_counts", "chưa có số hồ sơ nào"),
])
def test_bad_files_say_why(camp, data, expected):
    if data == "missing_count":
        data = book([(A, None, d(day0(camp)))], header=("Mã xã", "Tên xã", "Ngày"))
    elif data == "missing_commune":
        data = book([(d(day0(camp)), 4)], header=("Ngày", "Số hồ sơ tiếp nhận"))
    elif data == "no_header":
        data = book([(A, d(day0(camp)), 4)], header=None)
    elif data == "empty_counts":
        data = svc.dossier_template(HUYEN, camp)
    parsed = svc.read_dossier_xlsx(HUYEN, camp, data)
    assert not parsed.ok
    assert any(expected in p.message and p.row is None for p in parsed.problems), \
        messages(parsed)


def test_only_staff_of_the_unit_may_import(camp):
    data = book([(A, None, d(day0(camp)), 5)])
    for scope in (XA, HOIND):
        with pytest.raises(AuthError):
            svc.save_dossiers(scope, camp, data)
    res = svc.save_dossiers(HUYEN_YT, camp, data)       # another district's commune
    assert not res.ok and "không thuộc phạm vi" in res.problems[0].message
    assert svc.save_dossiers(HUYEN, camp, data).ok


def test_the_engine_and_the_warnings_use_the_counts(active):
    """A commune that inflates its reported visits to match its answers: against the visits
    nothing is wrong; against the one-stop office's dossiers the answers and the visits are
    both too high."""
    from app.monitoring.warnings import compute_warnings
    from tests.integrity.helpers import AGENTS, Town
    camp = active.campaign
    town = Town(active)
    town.background(per_commune=15)
    code = "07228"
    for k in range(30):
        town.put(code, town.honest_answers(), town.at(8 + k * 0.25), 150 + 5 * k,
                 ip="27.72.99.10", agent=AGENTS[k % 3])
    report(camp.id, code, town.day, 32)
    evening = datetime.combine(town.day, datetime.min.time()) + timedelta(hours=23)
    before = [w for w in compute_warnings(TINH, camp.id, now=evening) if w.commune_code == code]
    assert not [w for w in before if w.kind in ("ratio_high", "visits_high", "excess")]
    assert svc.save_dossiers(HUYEN, camp, book([(code, None, d(town.day), 12)])).ok
    after = {w.kind: w for w in compute_warnings(TINH, camp.id, now=evening)
             if w.commune_code == code}
    assert "bộ phận một cửa chỉ tiếp nhận 12 hồ sơ" in after["visits_high"].reason
    too_many = after.get("ratio_high") or after["excess"]
    assert "12 hồ sơ" in too_many.reason and too_many.details["dossiers"] == 12
    figures = svc.dossier_overview(HUYEN, camp)
    f = next(f for f in figures if f.commune_code == code)
    assert (f.dossiers, f.visits, f.answers) == (12, 32, 30)
    assert f.over(f.visits, camp.ratio_high) and f.over(f.answers, camp.ratio_high)
    assert svc.dossier_overview(HUYEN_YT, camp) == []


def test_the_page_is_registered_for_staff_who_import(demo_db):
    from app.core import access
    from tests.apptest import app_for, texts
    spec = access.page("dossiers")
    assert spec.url_path == "ho-so-mot-cua" and set(spec.roles) == {"admin", "province",
                                                                     "district"}
    at = app_for("pages/monitor/dossiers.py", user="demo.huyen", timeout=60)
    assert not at.exception
    body = texts(at)
    assert "Nhập số hồ sơ từ Excel" in body and "Đối chiếu số hồ sơ" in body
    assert [b for b in at.get("download_button")]   # the template
    table = at.dataframe[-1].value
    assert "Phường Trần Nguyên Hãn" in set(table["commune"])
    # the demo's inflated visits
    assert any("Lượt đến báo cáo vượt số hồ sơ" in x for x in table["status"])
    assert "Huyện Yên Thế" not in table.to_csv()
    for user in ("demo.xa", "demo.hoind"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app_for("pages/monitor/dossiers.py", user=user, timeout=60)
