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


# --- pages: every field typed by a person, on every page of every role --------------------------
# Each user-editable text column gets a tagged payload (below, ``planted_everywhere``): a remote
# image, a disguised javascript: link, raw HTML and a bare address. Every page each role may open
# is drawn (and the views a click opens: a selected warning, user, audit record...), and every
# string the browser would render as Markdown or HTML is checked: the payload must be there only
# escaped, so it shows as text. A new page, a new view or a new column is walked too.

def marker(tag: str) -> str:
    return (f"{tag} ![x](http://evil.example/{tag}.png) [a](javascript:alert(1)) "
            f"<img src=x onerror=alert(1)> xem http://evil.example/{tag}")


# Every text column of the database: user text (planted), or why it is not.
USER_TEXT = {
    "api_token": ["name"],
    "audit_log": ["actor", "entity_id", "before", "after"],
    "campaign": ["name", "base_url"],
    "daily_report": ["difficulties", "proposals"],
    "dossier_count": ["source"],
    "inspector": ["full_name", "position", "organisation", "phone"],
    "nomination": ["name", "unit", "achievements", "history"],
    "questionnaire": ["title", "definition"],
    "report_photo": ["caption"],
    "response": ["answers"],
    "roster_entry": ["full_name", "position", "organisation", "phone"],
    "roster_status": ["contact_name", "contact_phone"],
    "user_account": ["name", "email"],
    "warning_review": ["note"],
}
NOT_USER_TEXT = {  # column: why a person cannot type what it holds
    "api_token": {"prefix": "built by the app", "token_hash": "a hash", "role": "fixed values",
                  "district_code": "a code", "created_by": "a username",
                  "revoked_by": "a username"},
    "audit_log": {"action": "fixed action names", "entity": "fixed entity names"},
    "district": {"code": "reference data (db/seed)", "name": "reference data",
                 "full_name": "reference data"},
    "commune": {c: "reference data (db/seed)" for c in
                ("code", "name", "type", "full_name", "district_code", "coord_quality")},
    "questionnaire": {"code": "checked against [a-z0-9_]", "created_by": "a username"},
    "setting": {"key": "fixed names", "value": "numbers and a file path, checked"},
    "campaign": {"report_cutoff": "HH:MM, checked"},
    "commune_hour_tally": {"commune_code": "a code"},
    "option_tally": {c: "codes of the questionnaire" for c in
                     ("commune_code", "question_id", "option_value")},
    "score_tally": {"commune_code": "a code", "pillar": "a code"},
    "daily_report": {"commune_code": "a code", "publicity": "option codes",
                     "updated_by": "a username"},
    "inspector": {"district_code": "a code", "commune_codes": "codes", "days": "dates",
                  "created_by": "a username"},
    "nomination": {"evidence": "figures and reference names the app froze (evidence.py)",
                   "kind": "fixed values", "commune_code": "a code", "district_code": "a code",
                   "status": "fixed values", "proposed_by": "a username",
                   "decided_by": "a username"},
    "response": {"commune_code": "a code", "scores": "numbers",
                 **{c: "a hash" for c in ("submission_token", "session_hash", "device_hash",
                                          "network_hash", "answer_hash", "browser_hash",
                                          "agent_hash")},
                 "client_tz": "a time zone's shape, else '?' (app/integrity/signals.py)",
                 "client_locale": "a locale's shape, else '?' (app/integrity/signals.py)",
                 "answer_pattern": "built by the app from the closed answers"},
    "dossier_count": {"commune_code": "a code", "imported_by": "a username"},
    "roster_entry": {"commune_code": "a code", "duty_days": "dates", "shift": "fixed values",
                     "updated_by": "a username"},
    "roster_status": {"commune_code": "a code"},
    "user_account": {"username": "checked against [a-z0-9._-]", "password_hash": "a hash",
                     "role": "fixed values", "district_code": "a code", "commune_code": "a code"},
    "warning_review": {"warning_key": "built by the app", "reviewed_by": "a username"},
    "kiosk_code": {"code_hash": "a hash", "commune_code": "a code",
                   "screen_session": "random, built by the app", "sheet_token_hash": "a hash"},
    "report_photo": {"path": "built by the app", "thumb_path": "built by the app"},
}
# planted but shown on no page (exports only, or nowhere): said here so the walk is not blind
NOT_SHOWN = {
    "user_account.email": "kept for contact, shown on no page",
    "response.answers": "open answers go to the Excel export only (checked below)",
    "report_photo.caption": "photos are shown without their caption",
    "campaign.base_url": "used in the QR codes only",
    "dossier_count.source": "the imported file's name: kept in the row and its audit entry",
    "audit_log.entity_id": "ids; shown in the record's caption only for app-made ids",
}


def _tag(table: str, column: str) -> str:
    return "QX" + re.sub(r"[^A-Za-z]", "", table + column) + "QX"


def test_every_text_column_is_planted_or_said_not_user_text():
    from sqlmodel import SQLModel

    import db.models  # noqa: F401
    missing = []
    for table in SQLModel.metadata.sorted_tables:
        for col in table.columns:
            if not str(col.type).startswith(("VARCHAR", "TEXT", "JSON")):
                continue
            if col.name not in USER_TEXT.get(table.name, []) and \
                    col.name not in NOT_USER_TEXT.get(table.name, {}):
                missing.append(f"{table.name}.{col.name}")
    assert not missing, f"say whether a person types these (USER_TEXT or NOT_USER_TEXT): {missing}"


def _plant_json(value, tag: str):
    """Every text of a JSON document a person may have typed, with the payload appended."""
    keys = {"title", "intro", "label", "text", "name", "min_label", "max_label", "note",
            "reason", "comment", "achievements", "summary", "caption", "unit"}
    if isinstance(value, dict):
        return {k: (v + " " + marker(tag) if isinstance(v, str) and k in keys
                    else _plant_json(v, tag)) for k, v in value.items()}
    if isinstance(value, list):
        return [_plant_json(v, tag) for v in value]
    return value


@pytest.fixture
def planted_everywhere(planted):
    """``planted`` (through the services), then every user-text column of every row tagged
    directly in the database: what an administrator, a commune team or an old version could
    have stored, whatever the forms allow."""
    import json

    from sqlalchemy import text

    from app.core import campaigns
    from app.operations import inspectors
    from app.operations.daily_reports import report_days
    from db.engine import get_engine
    day = report_days(planted.campaign)[-1]
    res = inspectors.save_inspectors(TINH, planted.campaign, [
        {"full_name": f"Trần Văn {i}", "position": "Phó ban", "organisation": "Ban Dân vận",
         "phone": f"09876543{i:02d}", "district_code": "213", "commune_codes": ["07201"],
         "days": [day]} for i in range(2)])
    assert res.ok, [p.message for p in res.problems]
    from app.admin import api_tokens
    api_tokens.create_token(ADMIN, "Sở Nội vụ", "district", district_code="213")
    with get_engine().begin() as c:
        for table, columns in USER_TEXT.items():
            for col in columns:
                tag = _tag(table, col)
                rows = c.execute(text(f'SELECT rowid, "{col}" FROM "{table}"')).all()
                for rid, value in rows:
                    if col in ("definition", "answers", "history", "evidence", "before",
                               "after"):
                        try:
                            doc = json.loads(value) if value else None
                        except ValueError:
                            doc = None
                        if doc is None:
                            new = json.dumps({"note": marker(tag)}, ensure_ascii=False) \
                                if col in ("before", "after") else value
                        elif col == "answers":
                            new = json.dumps({k: (v + " " + marker(tag) if isinstance(v, str)
                                                  and len(v) > 20 else v)
                                              for k, v in doc.items()}, ensure_ascii=False)
                        else:
                            new = json.dumps(_plant_json(doc, tag), ensure_ascii=False)
                    else:
                        new = ((value or "") + " " + marker(tag)).strip()
                    c.execute(text(f'UPDATE "{table}" SET "{col}" = :v WHERE rowid = :i'),
                              {"v": new, "i": rid})
        c.execute(text("INSERT INTO audit_log (at, actor, action, entity, entity_id, after) "
                       "VALUES (CURRENT_TIMESTAMP, :a, 'user.update', 'user', :e, :after)"),
                  {"a": marker(_tag("audit_log", "actor")),
                   "e": marker(_tag("audit_log", "entity_id")),
                   "after": json.dumps({"name": marker(_tag("audit_log", "after"))},
                                       ensure_ascii=False)})
    campaigns.invalidate()
    import streamlit as st
    st.cache_data.clear()
    st.cache_resource.clear()
    return planted


_TAG = re.compile(r"QX[A-Za-z]+QX")
# fields the browser shows as plain text (never Markdown): the payload may stand there as typed
PLAIN = {"Code.code_text", "Dataframe.columns", "Dataframe.column", "Dataframe.cell",
         "Selectbox.options", "Selectbox.placeholder",
         # the option picked, formatted as in options (sent when set through session_state)
         "Selectbox.raw_value", "MultiSelect.raw_values",
         "Selectbox.default", "MultiSelect.options", "MultiSelect.placeholder",
         "MultiSelect.default", "TextInput.default", "TextInput.value", "TextInput.placeholder",
         "TextArea.default", "TextArea.value", "TextArea.placeholder", "VegaLiteChart.spec",
         "VegaLiteChart.datasets.name", "PageLink.page", "PageLink.query_string",
         "ImageList.imgs.url", "DownloadButton.url", "Json.body", "Text.body"}
_ACTIVE = [  # checked once escaped characters are taken out: they are text
    (re.compile(r"!\[[^\]\n]*\]\("), "a Markdown image"),
    (re.compile(r"\[[^\]\n]*\]\((?:javascript|http)"), "a Markdown link"),
    (re.compile(r"<img|<script|</?[a-z]+[ >]"), "raw HTML"),
]
# GitHub-flavoured Markdown links bare addresses after reading the escapes
_AUTOLINK = re.compile(r"(?i)(?:https?://|www\.)evil")


def _strings(msg, path: str):
    for fd, value in msg.ListFields():
        name = f"{path}.{fd.name}"
        values = value if fd.is_repeated else [value]
        for v in values:
            if fd.type == fd.TYPE_STRING:
                yield name, v
            elif fd.type == fd.TYPE_MESSAGE and hasattr(v, "ListFields"):
                yield from _strings(v, name)


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _table_cells(el):
    try:
        df = el.value
    except Exception:  # noqa: BLE001 - not a table we can read
        return
    for col in df.columns:
        yield "Table.column", str(col)
    for row in df.itertuples(index=False):
        for cell in row:
            if isinstance(cell, str):
                yield "Table.cell", cell


def check_user_text(at, where: str, seen: dict) -> list[str]:
    """Problems in one rendered page; records which tags were shown where."""
    bad = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "ListFields"):
            continue
        fields = list(_strings(proto, type(proto).__name__))
        if getattr(node, "type", "") in ("table", "dataframe"):
            # st.table renders Markdown in its cells; st.dataframe shows them as plain text
            kind = "Table" if node.type == "table" else "Dataframe"
            fields += [(f.replace("Table", kind), v) for f, v in _table_cells(node)]
        for field, value in fields:
            tags = _TAG.findall(value)
            if not tags and "evil.example" not in value:
                continue
            for tag in tags:
                seen.setdefault(tag, set()).add(where)
            if field in PLAIN:
                continue
            if field == "Html.body":  # HTML: the payload must arrive entity-escaped
                if re.search(r"<img src=x|onerror=|evil\.example", value):
                    bad.append(f"{where}: {field} holds the payload as HTML: {value[:160]!r}")
                continue
            bare = re.sub(r"\\.", "", value)  # what Markdown sees once escapes are taken out
            for pattern, what in _ACTIVE:
                if pattern.search(bare):
                    bad.append(f"{where}: {field} renders {what}: {value[:160]!r}")
            if _AUTOLINK.search(re.sub(r"\\(.)", r"\1", value)):
                bad.append(f"{where}: {field} renders a bare address as a link: {value[:160]!r}")
    return bad


def _select_rows(at, key: str, rows: list[int]) -> None:
    at.session_state[key] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()


# Views that open on a click, per page key: what to do to open them (AppTest)
def _whole_scope(at) -> None:
    """Leave the commune drill-down of the walk (?xa=07201): every unit of the role."""
    at.query_params.pop("xa", None)
    at.session_state["xa"] = None
    at.run()


def _warn_table_key(at) -> str:
    """The warnings table's key follows the list it shows (app/ui/monitoring/warnings_view.py)."""
    return next(str(df.key) for df in at.dataframe
                if str(getattr(df, "key", "") or "").startswith("warn_table_"))


def _reveal_warnings(at):
    _whole_scope(at)
    _select_rows(at, _warn_table_key(at), [0])
    yield "first warning"
    at.session_state["warn_state"] = "reviewed"
    at.run()
    _select_rows(at, _warn_table_key(at), [0])
    yield "a reviewed warning"


def _reveal_users(at):
    for i in range(3):
        _select_rows(at, "users_table", [i])
        yield f"user row {i}"


def _reveal_audit(at):
    for i in range(3):
        _select_rows(at, "audit_table", [i])
        yield f"audit row {i}"


REVEAL = {"warnings": _reveal_warnings, "users": _reveal_users, "audit": _reveal_audit}
ROLES = [("admin", "demo.admin"), ("province", "demo.tinh"), ("farmers", "demo.hoind"),
         ("district", "demo.huyen"), ("commune", "demo.xa"), ("screen", "demo.manhinh"),
         ("public", None)]


def test_user_text_is_inert_on_every_page_for_every_role(planted_everywhere):
    seen: dict[str, set] = {}
    problems: list[str] = []
    for role, user in ROLES:
        at = app_for(None, user=user, query={"xa": "07201"})
        for spec in access.pages_for(role):
            at.switch_page(spec.path)
            at.query_params["xa"] = "07201"
            at.run()
            assert not at.exception, (role, spec.key, at.exception)
            where = f"{role}/{spec.key}"
            problems += check_user_text(at, where, seen)
            for state in REVEAL.get(spec.key, lambda _at: [])(at):
                assert not at.exception, (role, spec.key, state, at.exception)
                problems += check_user_text(at, f"{where} ({state})", seen)
    assert not problems, "\n".join(sorted(set(problems)))
    planted_tags = {_tag(t, c): f"{t}.{c}" for t, cols in USER_TEXT.items() for c in cols}
    unseen = sorted(name for tag, name in planted_tags.items()
                    if tag not in seen and name not in NOT_SHOWN)
    assert not unseen, f"planted but never shown (walk a view, or NOT_SHOWN): {unseen}"


def test_md_escape_leaves_nothing_for_markdown_to_act_on():
    from app.ui.core.text import WORD_JOINER, md_escape
    cases = {
        "![x](http://evil.example/x.png)": "\\!\\[x\\](http:" + WORD_JOINER + "//evil.example/x.png)",
        "xem www.evil.example": "xem www" + WORD_JOINER + ".evil.example",
        "gửi a@b.vn": "gửi a" + WORD_JOINER + "@b.vn",
        ":red[đỏ]": ":red\\[đỏ\\]",
        "Tiêu đề\n===": "Tiêu đề\n\\===",
        "1. một\n- hai": "1\\. một\n\\- hai",
    }
    for typed, escaped in cases.items():
        assert md_escape(typed) == escaped, typed
        # read back as Markdown reads escapes, it is the text typed (plus invisible joiners)
        assert re.sub(r"\\(.)", r"\1", md_escape(typed)).replace(WORD_JOINER, "") == typed


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
