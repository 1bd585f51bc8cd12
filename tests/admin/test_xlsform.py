"""XLSForm export/import: pyxform converts the export, a round trip keeps the questionnaire, and
bad or unsupported workbooks are reported by sheet and row (in Vietnamese), never half-imported."""
from __future__ import annotations

import io
import json

import pytest
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert
from sqlmodel import select

from app import cli
from app.admin.xlsform import export_xlsform, import_xlsform
from app.survey.questionnaire import load_seed_definition, parse_definition
from db.engine import session_scope
from db.models import AuditLog, Questionnaire
from tests.conftest import count_rows


def _wb(survey: list[list], choices: list[list] | None = None,
        settings: list[list] | None = None, pillars: list[list] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    for r in survey:
        ws.append(r)
    if choices is not None:
        c = wb.create_sheet("choices")
        for r in choices:
            c.append(r)
    if settings is not None:
        s = wb.create_sheet("settings")
        for r in settings:
            s.append(r)
    if pillars is not None:
        p = wb.create_sheet("qcdc_pillars")
        for r in pillars:
            p.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


CHOICES = [["list_name", "name", "label", "qcdc_score"],
           ["yn", "yes", "Có", 100], ["yn", "no", "Không", 0], ["yn", "dk", "Không biết", None]]
PILLARS = [["id", "name"], ["p1", "Trụ cột một"]]
SETTINGS = [["form_title", "form_id", "version"], ["Phiếu thử", "THU", "7"]]


def test_export_converts_cleanly_with_pyxform():
    content = export_xlsform(load_seed_definition(), 3)
    warnings: list[str] = []
    result = convert(content, warnings=warnings, file_type=".xlsx")
    xform = result.xform
    assert warnings == []
    assert 'id="PKS03"' in xform and 'version="3"' in xform
    for name in ("q01", "q04", "q07", "y_kien", "p_tuoi"):
        assert f"/data/{name}" in xform or f"/PKS03/{name}" in xform or f"<{name}/>" in xform
    assert '<range ref=' in xform and 'start="1" end="5" step="1"' in xform
    assert "<select " in xform and "<select1 " in xform
    assert "Xã/phường có công khai" in xform  # Vietnamese labels intact


def test_round_trip_keeps_the_questionnaire():
    seed = load_seed_definition()
    content = export_xlsform(seed, 1)
    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames[:2] == ["survey", "choices"]
    header = [c.value for c in wb["survey"][1]]
    assert header[:3] == ["type", "name", "label"] and "qcdc_pillar" in header
    assert "qcdc_score" in [c.value for c in wb["choices"][1]]
    result = import_xlsform(content)
    assert result.ok and result.errors == [] and result.warnings == []
    assert parse_definition(result.definition) == parse_definition(seed)


def test_formula_like_labels_stay_text():
    seed = load_seed_definition()
    seed["questions"][0]["text"] = "=HYPERLINK(\"http://x\")"
    content = export_xlsform(seed, 1)
    cell = load_workbook(io.BytesIO(content))["survey"]["C3"]
    assert cell.data_type == "s"
    assert import_xlsform(content).definition["questions"][0]["text"] == seed["questions"][0]["text"]


def test_kobo_style_workbook_with_language_columns_and_integer_rating():
    content = _wb([["type", "name", "label::Vietnamese (vi)", "required", "constraint",
                    "qcdc_pillar"],
                   ["select_one yn", "a1", "Có công khai không?", "TRUE", None, "p1"],
                   ["integer", "a2", "Chấm điểm", "yes", ". >= 1 and . <= 5", "p1"],
                   ["text", "a3", "Ý kiến khác", None, None, None]],
                  [["list name", "name", "label::Vietnamese (vi)", "qcdc_score"],
                   ["yn", "yes", "Có", 100], ["yn", "no", "Không", 0]],
                  SETTINGS, PILLARS)
    result = import_xlsform(content)
    assert result.ok, [str(e) for e in result.errors]
    d = parse_definition(result.definition)
    assert (d.code, d.title) == ("THU", "Phiếu thử")
    assert d.question("a1").required and d.question("a1").options[0].score == 100
    assert (d.question("a2").type, d.question("a2").scale_min, d.question("a2").scale_max) == \
        ("rating", 1, 5)
    assert d.question("a3").type == "text" and not d.question("a3").required


def test_unsupported_features_are_errors_by_row():
    content = _wb([["type", "name", "label", "relevant", "calculation", "required"],
                   ["begin_group", "g1", "Nhóm", None, None, None],          # row 2
                   ["select_one yn", "a1", "Câu 1", None, None, "yes"],      # row 3
                   ["select_one yn", "a2", "Câu 2", "${a1} = 'yes'", None, None],  # row 4
                   ["calculate", "c1", None, None, "1+1", None],            # row 5
                   ["geopoint", "gp", "Vị trí", None, None, None],          # row 6
                   ["end_group", None, None, None, None, None],            # row 7
                   ["select_one missing", "a3", "Câu 3", None, None, None],  # row 8
                   ["select_one yn or_other", "a4", "Câu 4", None, None, None],  # row 9
                   ["text", "a1", "Trùng tên", None, None, None],          # row 10
                   ["text", "bad-name", "Tên sai", None, None, None],      # row 11
                   ["text", "a5", "Bắt buộc theo điều kiện", None, None, "${a1}='yes'"],  # 12
                   ],
                  CHOICES)
    result = import_xlsform(content)
    assert not result.ok and result.definition is None
    msgs = [str(e) for e in result.errors]
    rows = {e.row for e in result.errors}
    assert {2, 4, 5, 6, 7, 8, 9, 10, 11, 12} <= rows and 3 not in rows
    assert any(m.startswith("Trang «survey», dòng 2: nhóm hoặc lặp câu hỏi") for m in msgs)
    assert any(m.startswith("Trang «survey», dòng 4: cột «relevant»") for m in msgs)
    assert any("dòng 5" in m and "«calculation»" in m for m in msgs)
    assert any("dòng 6" in m and "«geopoint» chưa được hỗ trợ" in m for m in msgs)
    assert any("dòng 8" in m and "không có danh sách phương án «missing»" in m for m in msgs)
    assert any("dòng 9" in m and "or_other" in m for m in msgs)
    assert any("dòng 10" in m and "bị trùng" in m for m in msgs)
    assert any("dòng 11" in m and "không hợp lệ" in m for m in msgs)
    assert any("dòng 12" in m and "required" in m for m in msgs)


def test_content_that_would_be_lost_is_reported_as_warnings():
    content = _wb([["type", "name", "label", "hint", "appearance"],
                   ["start", "start", None, None, None],
                   ["note", "n1", "Chào ông/bà", None, None],
                   ["select_one yn", "a1", "Câu 1", "Chọn một", "minimal"]],
                  CHOICES + [["unused", "x", "X", None], ["unused", "y", "Y", None]])
    result = import_xlsform(content)
    assert result.ok
    msgs = [str(w) for w in result.warnings]
    assert any("dòng 2" in m and "siêu dữ liệu «start»" in m for m in msgs)
    assert any("dòng 3" in m and "ghi chú «n1»" in m for m in msgs)
    assert any("dòng 4" in m and "«hint»" in m for m in msgs)
    assert any("dòng 4" in m and "«appearance»" in m for m in msgs)
    assert any("«unused»" in m for m in msgs)
    assert any("form_title" in m for m in msgs)


@pytest.mark.parametrize("content,message", [
    (b"not a workbook", "không phải bảng tính Excel"),
    (b"PK\x03\x04garbage", "không phải bảng tính Excel"),
    (_wb([["name", "label"], ["a", "b"]]), "thiếu cột «type»"),
    (_wb([["type", "name"], ["text", "a"]]), "thiếu cột «label»"),
    (_wb([["type", "name", "label"]]), "không có câu hỏi nào"),
    (_wb([["type", "name", "label"], ["select_one yn", "a", "A"]],
         [["list_name", "name", "label", "qcdc_score"], ["yn", "y", "Có", 150],
          ["yn", "n", "Không", 0]]), "qcdc_score «150»"),
    (_wb([["type", "name", "label"], ["select_one yn", "a", "A"]],
         [["list_name", "name", "label"], ["yn", "y", "Có"], ["yn", "y", "Có nữa"]]),
     "bị trùng trong danh sách «yn»"),
    (_wb([["type", "name", "label"], ["select_multiple yn", "a", "A"]],
         [["list_name", "name", "label"], ["yn", "co du", "Có"], ["yn", "n", "Không"]]),
     "không được có dấu cách"),
    (_wb([["type", "name", "label", "parameters"], ["range", "r", "R", "start=1 end=50 step=1"]]),
     "thang điểm 1–50"),
    (_wb([["type", "name", "label"], ["integer", "n", "Số lần"]]), "ràng buộc dạng"),
])
def test_bad_workbooks(content, message):
    result = import_xlsform(content)
    assert not result.ok
    assert any(message in str(e) for e in result.errors), [str(e) for e in result.errors]


def test_sheet_without_survey_is_refused():
    wb = Workbook()
    wb.active.title = "Sheet1"
    buf = io.BytesIO()
    wb.save(buf)
    result = import_xlsform(buf.getvalue())
    assert [str(e) for e in result.errors] == ["Trang «survey»: Không có trang «survey»."]


def test_cli_export_then_import_a_changed_workbook(active, tmp_path, capsys):
    path = tmp_path / "pks.xlsx"
    assert cli.main(["questionnaire", "export", str(path), "--check"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["questionnaire_id"] == active.questionnaire_id and path.exists()
    # unchanged workbook: nothing new
    assert cli.main(["questionnaire", "import", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] is True
    before = count_rows(Questionnaire)
    wb = load_workbook(path)
    wb["survey"]["C3"] = "Câu hỏi 1 đã sửa trong Excel?"
    wb.save(path)
    assert cli.main(["questionnaire", "import", str(path), "--use-for-active"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert count_rows(Questionnaire) == before + 1 and out["version"] == 2
    with session_scope() as s:
        q = s.get(Questionnaire, out["questionnaire_id"])
        assert json.loads(q.definition)["questions"][0]["text"] == "Câu hỏi 1 đã sửa trong Excel?"
        assert q.created_by == "cli"
        assert s.exec(select(AuditLog).where(AuditLog.action == "questionnaire.new_version",
                                             AuditLog.actor == "cli")).first()
    from app.core.campaigns import active_campaign
    assert active_campaign(max_age=0).questionnaire_id == out["questionnaire_id"]


def test_cli_import_of_a_bad_workbook_changes_nothing(db, tmp_path, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(_wb([["type", "name", "label"], ["begin_group", "g", "G"],
                          ["text", "a", "A"], ["end_group", None, None]]))
    before = count_rows(Questionnaire)
    assert cli.main(["questionnaire", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Trang «survey», dòng 2" in err and "dòng 4" in err
    assert count_rows(Questionnaire) == before


def test_what_the_builder_accepts_converts_with_pyxform():
    from app.admin import questionnaire_builder as qa
    tb = qa.definition_to_tables(load_seed_definition())
    tb.questions.append({"order": 999, "id": "q_moi", "type": "rating", "text": "Điểm 0–10?",
                         "required": False, "pillar": "hai_long", "scale_min": 0,
                         "scale_max": 10, "min_label": "Rất kém", "max_label": "Rất tốt"})
    tb.questions.append({"order": 1000, "id": "kenh", "type": "multi", "text": "Kênh?",
                         "pillar": "dan_biet"})
    tb.options += [{"question": "kenh", "value": "bang_tin", "label": "Bảng tin", "score": 60},
                   {"question": "kenh", "value": "0", "label": "Không biết", "score": None,
                    "exclusive": True}]
    data, problems = qa.build_definition(tb)
    assert problems == []
    warnings: list[str] = []
    xform = convert(export_xlsform(data, 9), warnings=warnings, file_type=".xlsx").xform
    assert 'start="0" end="10"' in xform and "bang_tin" in xform and warnings == []
    back = import_xlsform(export_xlsform(data, 9))
    assert back.ok and parse_definition(back.definition) == parse_definition(data)
