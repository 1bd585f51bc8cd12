"""Excel and PDF exports: opened and read back; scoped; no integrity fingerprints; text stays
text; Vietnamese diacritics survive into the PDF."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.core.auth import AuthError
from app.core.reference import geography
from app.monitoring import exports
from db.engine import session_scope
from db.models import Response
from tests.dashboard_helpers import HUYEN, TINH, XA, make_small, sheet, submit


def _pdf_text(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is required"
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _cells(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_xlsx_has_every_sheet_and_hand_checked_figures(active):
    active, today, _y = make_small(active)
    data, name = exports.build_xlsx(TINH, active.campaign.id)
    assert name.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Tổng hợp", "Huyện", "Xã", "Câu hỏi", "Cảnh báo", "Phiếu"]
    summary = {r[0]: r[1] for r in _cells(wb["Tổng hợp"]) if r and r[0]}
    assert summary["Tổng số phiếu"] == "8"
    assert summary["Phạm vi"] == "Tỉnh Bắc Giang"
    communes = _cells(wb["Xã"])
    assert len(communes) == 1 + 209
    head = communes[0]
    a = next(r for r in communes if r[0] == "07201")
    assert a[head.index("Số phiếu")] == 5 and a[head.index("Chỉ số")] == 80.0
    assert a[head.index("Hạng")] == 1 and a[head.index("Đánh giá")] == "Đạt «thân thiện»"
    districts = _cells(wb["Huyện"])
    assert {r[0] for r in districts[1:]} == {d.code for d in geography().districts}
    questions = _cells(wb["Câu hỏi"])
    assert any(r[2] and r[2].startswith("Xã/phường có công khai") for r in questions)
    raw = _cells(wb["Phiếu"])
    assert len(raw) == 2 + 8  # header, question texts, one row per response
    warn = _cells(wb["Cảnh báo"])
    assert warn[0][0] == "Loại cảnh báo" and len(warn) > 1


def test_xlsx_raw_answers_carry_no_fingerprints_and_text_stays_text(active):
    defn = active.definition
    answers = sheet(defn, True)
    text_q = next(q for q in defn.questions if q.type == "text")
    answers[text_q.id] = '=HYPERLINK("http://x.example","bấm vào đây")'
    now = datetime.now().replace(microsecond=0)
    rid = submit(active, "07201", answers, now, device="Mozilla/5.0 thiết bị riêng")
    with session_scope() as s:
        r = s.get(Response, rid)
        secrets = [r.device_hash, r.session_hash, r.network_hash, r.answer_hash,
                   r.submission_token]
    data, _name = exports.build_xlsx(TINH, active.campaign.id)
    blob = data.decode("latin-1")
    wb = load_workbook(io.BytesIO(data))
    flat = json.dumps([_cells(ws) for ws in wb.worksheets], default=str, ensure_ascii=False)
    for secret in secrets:
        assert secret and secret not in flat and secret not in blob
    raw = _cells(wb["Phiếu"])
    header = raw[0]
    for banned in ("device", "session", "network", "hash", "token", "duration"):
        assert not any(banned in str(h).lower() for h in header)
    row = next(r for r in raw[2:] if r[0] == rid)
    col = header.index(f"Câu {[q.id for q in defn.questions].index(text_q.id) + 1}")
    assert row[col] == answers[text_q.id]          # read back as the text typed
    cell = wb["Phiếu"].cell(row=[r[0] for r in raw].index(rid) + 1, column=col + 1)
    assert cell.data_type == "s"                     # not a formula


def test_district_export_holds_only_its_communes(active):
    active, _today, _y = make_small(active)
    data, _ = exports.build_xlsx(HUYEN, active.campaign.id)
    wb = load_workbook(io.BytesIO(data))
    codes = {r[0] for r in _cells(wb["Xã"])[1:]}
    assert codes == {c.code for c in geography().communes_of("213")}
    assert {r[0] for r in _cells(wb["Huyện"])[1:]} == {"213"}
    raw = _cells(wb["Phiếu"])[2:]
    assert {r[1] for r in raw} == {"07201", "07204"}   # not C (07243) of Yên Thế
    flat = json.dumps([_cells(ws) for ws in wb.worksheets], default=str, ensure_ascii=False)
    assert "Huyện Yên Thế" not in flat and "07243" not in flat
    with pytest.raises(AuthError):
        exports.build_xlsx(HUYEN, active.campaign.id, district_code="215")
    with pytest.raises(AuthError):
        exports.build_xlsx(XA, active.campaign.id)


def test_pdf_report_reads_back_in_vietnamese(active, tmp_path):
    active, _today, _y = make_small(active)
    data, name = exports.build_pdf(TINH, active.campaign.id)
    assert data.startswith(b"%PDF") and name.endswith(".pdf")
    text = _pdf_text(data, tmp_path)
    assert "BÁO CÁO KẾT QUẢ KHẢO SÁT" in text
    assert "Tỉnh Bắc Giang" in text and "Số liệu chính" in text
    assert "Xếp hạng các xã, phường, thị trấn" in text
    assert "Phường Thọ Xương" in text and "Đạt «thân thiện»" in text
    assert "Dân biết: công khai thông tin" in text
    assert "Cảnh báo" in text and "Phiếu quá ít so với lượt đến" in text


def test_pdf_without_chart_renderer_draws_bars_and_district_scope(active, tmp_path,
                                                                  monkeypatch):
    active, _today, _y = make_small(active)
    monkeypatch.setattr(exports, "chart_png", lambda *_a, **_k: None)
    data, _ = exports.build_pdf(HUYEN, active.campaign.id, charts_png=False)
    text = _pdf_text(data, tmp_path)
    assert "Thành phố Bắc Giang" in text and "Phường Thọ Xương" in text
    assert "Yên Thế" not in text
    assert "Chỉ số chung theo xã" in text


def test_exports_use_only_counted_answers(active):
    """An excluded response is marked in the raw sheet and left out of every figure."""
    from app.monitoring.warnings import set_excluded
    active, _today, _y = make_small(active)
    with session_scope() as s:
        rid = s.exec(select(Response.id).where(Response.commune_code == "07201")
                     .order_by(Response.id)).first()
    assert set_excluded(TINH, active.campaign.id, [rid], True, "kiểm thử") == 1
    wb = load_workbook(io.BytesIO(exports.build_xlsx(TINH, active.campaign.id)[0]))
    summary = {r[0]: r[1] for r in _cells(wb["Tổng hợp"]) if r and r[0]}
    assert summary["Tổng số phiếu"] == "7" and summary["Phiếu đã loại khỏi kết quả"] == "1"
    raw = _cells(wb["Phiếu"])
    row = next(r for r in raw[2:] if r[0] == rid)
    assert row[raw[0].index("Đã loại")] == "Có"


def test_raw_answers_beyond_excels_rows_go_on_in_more_sheets(active, monkeypatch):
    """Excel holds 1 048 576 rows a sheet: past that the answers go on in "Phiếu (2)"…, each
    with both header rows, none lost, and the summary says so (shown here with 5 rows a sheet)."""
    active, _today, _y = make_small(active)
    monkeypatch.setattr(exports, "RAW_MAX_ROWS", 5)   # 2 header rows + 3 answers a sheet
    wb = load_workbook(io.BytesIO(exports.build_xlsx(TINH, active.campaign.id)[0]))
    raw = ["Phiếu", "Phiếu (2)", "Phiếu (3)"]
    assert wb.sheetnames == ["Tổng hợp", "Huyện", "Xã", "Câu hỏi", "Cảnh báo"] + raw
    sheets = [_cells(wb[name]) for name in raw]
    assert all(s[0] == sheets[0][0] and s[1] == sheets[0][1] for s in sheets)
    ids = [r[0] for s in sheets for r in s[2:]]
    with session_scope() as s:
        stored = sorted(s.exec(select(Response.id)).all())
    assert ids == stored and [len(s) - 2 for s in sheets] == [3, 3, 2]
    summary = " ".join(str(r[0]) for r in _cells(wb["Tổng hợp"]) if r and r[0])
    assert "chia thành 3 trang tính «Phiếu»" in summary
