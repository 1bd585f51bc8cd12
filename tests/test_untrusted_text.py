"""Free text typed by citizens or staff is shown as text everywhere.

Script, HTML, Markdown and spreadsheet-formula payloads are planted in a survey open answer, a
roster name and position, a roster contact, a daily report's difficulties and proposals, a
nomination's name and achievements and a warning review note. Then: no page renders them as HTML
or Markdown (AppTest over every page a role can open), every Excel export holds them as literal
text that cannot run as a formula, and the PDFs print them literally.
"""
from __future__ import annotations

import io
import re
import subprocess

import pytest
from openpyxl import load_workbook

from app.core import access
from app.core.auth import Scope
from tests.apptest import app_for

PAYLOADS = [
    "<script>alert(1)</script>",
    "**bold**",
    "[link](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    '=HYPERLINK("http://evil.example","Bấm vào đây")',
    "+1+1 cộng",
    "-2+3 trừ",
    "@SUM(A1) tổng",
]
ACTIVE_SYNTAX = ["<script", "<img", "**bold**", "[link](", "</script"]
ADMIN = Scope("demo.admin", "Quản trị viên (demo)", "admin")
XA = Scope("demo.xa", "Tổ công tác Phường Thọ Xương (demo)", "commune", district_code="213",
           commune_code="07201")
TINH = Scope("demo.tinh", "Ban Dân vận Tỉnh ủy (demo)", "province")


def _answers(defn, text: str) -> dict:
    out = {}
    for q in defn.all_questions:
        if q.type == "single":
            out[q.id] = q.options[0].value
        elif q.type == "multi":
            out[q.id] = [q.options[0].value]
        elif q.type == "rating":
            out[q.id] = q.scale_max
        elif q.type == "text":
            out[q.id] = text
    return out


@pytest.fixture
def planted(demo_db):
    """Every free-text field the app stores, filled with the payloads."""
    from app.board import nominations
    from app.core.campaigns import active_campaign
    from app.monitoring import warnings as anomalies
    from app.operations import daily_reports as reports
    from app.operations import roster
    from app.survey.responses import new_submission_token, submit_response
    active = active_campaign(max_age=0)
    campaign = active.campaign
    day = reports.report_days(campaign)[-1]
    for p in PAYLOADS:
        res = submit_response(active, "07201", _answers(active.definition, p),
                              new_submission_token())
        assert res.ok, res.errors
    rows = [{"full_name": f"Lê Văn {i} {p}"[:100], "position": p, "organisation": "Hội Nông dân",
             "phone": f"09123456{i:02d}", "duty_days": [day.isoformat()], "shift": "sang"}
            for i, p in enumerate(PAYLOADS)]
    rows.append({"full_name": "=1+Lê Thị Công Thức", "position": "+Chức vụ", "organisation":
                 "Hội Nông dân", "phone": "0987654321", "duty_days": [day.isoformat()],
                 "shift": "chieu"})
    res = roster.save_roster(XA, campaign, "07201", rows)
    assert res.ok, [p.message for p in res.problems]
    assert roster.set_published(XA, campaign, "07201", True).ok
    assert roster.set_contact(XA, campaign, "07201", "=cmd|' /C calc'!A0", "0912345678").ok
    res = reports.save_report(ADMIN, campaign, "07201", day, {
        "visits": 20, "guided": 10, "helpers_on_duty": 2,
        "difficulties": "\n".join(PAYLOADS), "proposals": PAYLOADS[4]})
    assert res.ok, res.errors
    noms = []
    for i, p in enumerate(PAYLOADS[:4] + PAYLOADS[4:5]):
        v = nominations.propose(ADMIN, campaign.id, kind="individual", name=f"{p} {i}",
                                commune_code="07201", achievements=f"{p} — trực đủ các ca.")
        noms.append(v.id)
    for nid in noms[:4]:  # the final list needs 3–5 approved, approved by someone else
        nominations.transition(ADMIN, nid, "shortlist")
        nominations.transition(TINH, nid, "approve")
    warning = next(iter(anomalies.compute_warnings(ADMIN, campaign.id)))
    anomalies.mark_reviewed(ADMIN, campaign.id, warning.key, note=PAYLOADS[0] + " " + PAYLOADS[1])
    return active


# --- pages ---------------------------------------------------------------------------------------

def _markdown_like(at):
    """(kind, body, allows HTML) of every element whose text Streamlit renders as Markdown or
    HTML, in the main area and the sidebar."""
    out = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "title",
                 "header", "subheader", "expander", "toast"):
        for el in at.get(kind):
            body = getattr(el, "value", None) or getattr(el, "label", None) or ""
            proto = getattr(el, "proto", None)
            out.append((kind, str(body), bool(getattr(proto, "allow_html", False))))
    for el in at.get("html"):
        out.append(("html", str(getattr(el, "value", "")), True))
    return out


def _unescaped(md: str) -> str:
    return re.sub(r"\\.", "", md)


def _check_page(at, where: str) -> list[str]:
    bad = []
    for kind, body, html in _markdown_like(at):
        if html and any(m in body for m in ("alert(1)", "**bold**", "evil.example")):
            bad.append(f"{where}: {kind} with HTML allowed shows user text")
        active = [m for m in ACTIVE_SYNTAX if m in _unescaped(body)]
        if active:
            bad.append(f"{where}: {kind} renders {active} in {body[:120]!r}")
    return bad


@pytest.mark.parametrize("role,user", [("province", "demo.tinh"), ("district", "demo.huyen"),
                                       ("commune", "demo.xa"), ("public", None)])
def test_no_page_renders_user_text_as_html_or_markdown(planted, role, user):
    at = app_for(None, user=user, query={"xa": "07201"})
    problems, seen = [], 0
    for spec in access.pages_for(role):
        at.switch_page(spec.path)
        at.query_params["xa"] = "07201"
        at.run()
        assert not at.exception, (spec.key, at.exception)
        problems += _check_page(at, spec.key)
        seen += sum("alert(1)" in b for _k, b, _h in _markdown_like(at))
        seen += sum("alert(1)" in str(getattr(el, "value", "")) for el in at.get("text"))
    assert not problems, "\n".join(problems)
    assert seen, f"the planted text was not shown anywhere to {role}: test is blind"


def test_markdown_bodies_hold_the_escaped_text(planted):
    at = app_for("pages/monitor/feed.py", user="demo.tinh")
    bodies = [b for _k, b, _h in _markdown_like(at) if "alert(1)" in b]
    assert bodies
    assert any(r"\<script\>alert(1)\</script\>" in b for b in bodies)
    assert any(r"\*\*bold\*\*" in b for b in bodies)
    at = app_for("pages/public/schedule.py", query={"xa": "07201"})
    table = "\n".join(b for _k, b, _h in _markdown_like(at) if "Lê Văn" in b)
    assert r"\<img src=x onerror=alert(1)\>" in table and "<img" not in _unescaped(table)


# --- Excel ---------------------------------------------------------------------------------------

def _cells(blob: bytes):
    wb = load_workbook(io.BytesIO(blob))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                yield ws.title, c


def _check_workbook(blob: bytes, where: str, expect: list[str]) -> list[str]:
    bad, found = [], set()
    for sheet, c in _cells(blob):
        v = c.value
        if c.data_type == "f":
            bad.append(f"{where}/{sheet}!{c.coordinate}: a formula {v!r}")
        if not isinstance(v, str):
            continue
        for p in expect:
            if p in v:
                found.add(p)
        if v.startswith(("=", "+", "-", "@")) and not c.quotePrefix:
            bad.append(f"{where}/{sheet}!{c.coordinate}: {v[:40]!r} not neutralised")
    missing = [p for p in expect if p not in found]
    if missing:
        bad.append(f"{where}: literal text missing {missing}")
    return bad


def test_excel_exports_hold_literal_text_never_formulas(planted):
    from app.admin import users as users_admin
    from app.board import nominations
    from app.core.reference import find_commune
    from app.monitoring import exports
    from app.operations import workbooks as excel_io
    from app.operations.completeness import day_completeness
    from app.operations.daily_reports import report_days
    campaign = planted.campaign
    problems = []
    blob, _ = exports.build_xlsx(ADMIN, campaign.id)
    problems += _check_workbook(blob, "results", PAYLOADS)
    problems += _check_workbook(excel_io.consolidated_workbook(ADMIN, campaign), "rosters",
                                PAYLOADS + ["=1+Lê Thị Công Thức", "+Chức vụ"])
    problems += _check_workbook(nominations.export_excel(ADMIN, campaign.id), "nominations",
                                PAYLOADS[:4])
    info = day_completeness(ADMIN, campaign, report_days(campaign)[-1])
    missing = [m for m in info.missing if m.contact_name.startswith("=")] or [
        type("M", (), {"commune": find_commune("07201"), "contact_name": "=cmd|' /C calc'!A0",
                       "contact_phone": "+84912345678"})()]
    problems += _check_workbook(excel_io.missing_reports_workbook(
        report_days(campaign)[-1], missing), "missing", ["=cmd|' /C calc'!A0"])
    cred = users_admin.Credential("=user", "-pw1", "commune", "@Tên", "213", "=Huyện", "07201")
    problems += _check_workbook(users_admin.credential_sheet([cred]), "credentials", ["=user"])
    assert not problems, "\n".join(problems)


def test_control_characters_never_break_an_export(demo_db):
    """A name with a control character (pasted from another program) is stored clean and the
    workbook still builds."""
    from app.core.campaigns import active_campaign
    from app.operations import roster
    from app.operations import workbooks as excel_io
    campaign = active_campaign(max_age=0).campaign
    day = campaign.start_date
    rows = [{"full_name": "Nguyễn\x01 Văn\x0b Bell\x07", "position": "Cán\x1b[31m bộ",
             "organisation": "Hội Nông dân", "phone": "0912345678", "duty_days": [day],
             "shift": "sang"}]
    assert roster.save_roster(XA, campaign, "07201", rows).ok
    entry = roster.get_roster(XA, campaign.id).entries[0]
    assert not re.search(r"[\x00-\x1f\x7f]", entry.full_name + entry.position)
    blob = excel_io.consolidated_workbook(ADMIN, campaign)
    assert any(isinstance(c.value, str) and "Nguyễn" in c.value and "Bell" in c.value
               for _s, c in _cells(blob))


# --- PDF -----------------------------------------------------------------------------------------

def _pdf_text(blob: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=blob, capture_output=True,
                         check=True, timeout=60)
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def test_pdfs_print_user_text_literally(planted):
    from app.board import nominations
    from app.monitoring import exports
    text = _pdf_text(nominations.export_pdf(ADMIN, planted.campaign.id))
    for p in ("<script>alert(1)</script>", "**bold**", "[link](javascript:alert(1))",
              "<img src=x onerror=alert(1)>"):
        assert p in text, p
    blob, _ = exports.build_pdf(ADMIN, planted.campaign.id, charts_png=False)
    assert "BÁO CÁO" in _pdf_text(blob).upper()
