"""The streamed .xlsx writer (app/core/xlsx_stream.py) reads back, in openpyxl, exactly as the
same rows written by openpyxl itself: values, types, bold headers, date formats, and text that
looks like a formula kept as quote-prefixed text; Excel's limits are respected."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from app.core import xlsx_stream
from app.core.spreadsheet import excel_text, looks_like_formula
from app.core.xlsx_stream import SheetFull, StreamWorkbook

ROWS = [
    (["Mã phiếu", "Xã", "=Tiêu đề", "Thời điểm gửi"], True),
    ([1, "Phường Thọ Xương", 80.5, datetime(2024, 5, 6, 9, 5, 7)], False),
    ([2, '=HYPERLINK("http://x.example","bấm vào đây")', None, date(2024, 5, 7)], False),
    ([3, "+84912345678", "-1", "@SUM(A1)"], False),
    ([4, "\uff1d全角", "  khoảng trắng hai đầu  ", "a\x01b\x0bc"], False),
    ([5, "", float("nan"), True], False),
    ([6, "x" * 500, "<b>&amp;</b>", Decimal("2.5")], False),
    ([7, "Phường Thọ Xương", 0, -3], False),
]


def _stream(rows) -> bytes:
    buf = io.BytesIO()
    with StreamWorkbook(buf) as wb, wb.sheet("Phiếu", [9, 26, 14]) as ws:
        for values, bold in rows:
            ws.row(values, bold=bold)
    return buf.getvalue()


def _openpyxl(rows) -> bytes:
    """The same rows the way app/monitoring/exports.py wrote them with openpyxl."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Phiếu")
    for values, bold in rows:
        cells = []
        for v in values:
            if isinstance(v, float) and v != v:
                v = None
            elif isinstance(v, str):
                v = excel_text(v)
            if bold or looks_like_formula(v) or isinstance(v, datetime | date):
                c = WriteOnlyCell(ws, value=v)
                if isinstance(v, str):
                    c.data_type = "s"
                    c.quotePrefix = looks_like_formula(v)
                if bold:
                    c.font = Font(bold=True)
                if isinstance(v, datetime):
                    c.number_format = "dd/mm/yyyy hh:mm:ss"
                elif isinstance(v, date):
                    c.number_format = "dd/mm/yyyy"
                v = c
            cells.append(v)
        ws.append(cells)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _read(blob: bytes):
    ws = load_workbook(io.BytesIO(blob))["Phiếu"]
    out = []
    for row in ws.iter_rows():
        for c in row:
            if c.value in (None, ""):
                continue
            value = float(c.value) if isinstance(c.value, Decimal) else c.value
            out.append((c.coordinate, value, c.data_type, bool(c.quotePrefix),
                        bool(c.font.b), c.number_format if c.is_date else None))
    return out


def test_reads_back_like_openpyxl_wrote_it():
    ours, theirs = _read(_stream(ROWS)), _read(_openpyxl(ROWS))
    assert ours == theirs
    cells = {c[0]: c for c in ours}
    assert cells["B3"][1].startswith("=HYPERLINK") and cells["B3"][2] == "s" and cells["B3"][3]
    assert cells["C1"][3] and cells["C1"][4]                 # bold header, still quoted
    assert cells["D2"][1] == datetime(2024, 5, 6, 9, 5, 7)
    assert cells["D4"][1] == "@SUM(A1)" and cells["D4"][3]
    assert cells["D5"][1] == "abc"                            # control characters dropped
    assert cells["C5"][1] == "  khoảng trắng hai đầu  "
    assert not any(c[2] == "f" for c in ours)


def test_a_full_sheet_says_so_and_the_next_one_gets_a_unique_name(monkeypatch):
    monkeypatch.setattr(xlsx_stream, "MAX_ROWS", 3)
    buf = io.BytesIO()
    with StreamWorkbook(buf) as wb:
        ws = wb.sheet("Phiếu")
        for i in range(3):
            ws.row([i])
        with pytest.raises(SheetFull):
            ws.row([3])
        ws = wb.sheet("Phiếu")
        ws.row([3])
    book = load_workbook(io.BytesIO(buf.getvalue()))
    assert book.sheetnames == ["Phiếu", "Phiếu (2)"]
    assert [r[0] for r in book["Phiếu (2)"].iter_rows(values_only=True)] == [3]


def test_excel_limits_on_text_and_sheet_names():
    buf = io.BytesIO()
    with StreamWorkbook(buf) as wb:
        ws = wb.sheet("Một tên trang tính rất dài: có [ký tự] cấm * ? / \\ và hơn 31 ký tự")
        ws.row(["y" * 40_000])
    book = load_workbook(io.BytesIO(buf.getvalue()))
    name = book.sheetnames[0]
    assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
    value = book[name]["A1"].value
    assert len(value) == xlsx_stream.MAX_CELL_CHARS and value.endswith("…")


def test_many_distinct_texts_keep_the_shared_table_bounded(monkeypatch):
    monkeypatch.setattr(xlsx_stream, "MAX_SHARED", 5)
    buf = io.BytesIO()
    with StreamWorkbook(buf) as wb:
        ws = wb.sheet("A")
        for i in range(20):
            ws.row([f"ý kiến {i}", f"=ý kiến {i}"])
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        assert z.read("xl/sharedStrings.xml").count(b"<si>") == 5
    rows = list(load_workbook(io.BytesIO(buf.getvalue()))["A"].iter_rows())
    assert [r[0].value for r in rows] == [f"ý kiến {i}" for i in range(20)]
    assert all(r[1].value == f"=ý kiến {i}" and r[1].quotePrefix and r[1].data_type == "s"
               for i, r in enumerate(rows))
