"""Access control, proven: every page × every role, and every scoped service × unit.

Pages come from ``app.access.PAGES`` and services are discovered with ``inspect`` (every public
function in ``app/`` with a ``scope`` parameter), so a page or a service added later is covered
without touching this file. A service parameter this file cannot fill makes the test fail with
instructions: add a factory to ``ARG_FACTORIES`` below.

Units used (demo data): own commune 07201 (Phường Thọ Xương, district 213 Thành phố Bắc Giang);
a sibling commune of the same district 07204; another district 215 (Huyện Yên Thế) with its
commune 07243 (Xã Đồng Tiến).
"""
from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

import app as app_pkg
from app.core import access
from app.core.auth import ANONYMOUS, AuthError, Scope, create_user
from tests.apptest import app_for

OWN_DISTRICT, OWN_COMMUNE = "213", "07201"
SIBLING_COMMUNE = "07204"
OTHER_DISTRICT, OTHER_COMMUNE = "215", "07243"
DEMO_USERS = {"admin": "demo.admin", "province": "demo.tinh", "farmers": "demo.hoind",
              "district": "demo.huyen", "commune": "demo.xa"}
ROLES = ("public", "admin", "province", "farmers", "district", "commune", "screen")
# an office screen's account (issue 15): made by the tests that need it
SCREEN_USER, SCREEN_PASSWORD = "man.hinh.07201", "ManHinh2024x"
DEMO_USERS["screen"] = SCREEN_USER
SCREEN = Scope(SCREEN_USER, "Màn hình", "screen", district_code=OWN_DISTRICT,
               commune_code=OWN_COMMUNE)


def _screen_account() -> None:
    create_user(SCREEN_USER, "Màn hình một cửa", SCREEN_PASSWORD, "screen",
                commune_code=OWN_COMMUNE)
NOT_ALLOWED = "Bạn không có quyền"


# =============================================================================================
# Pages × roles
# =============================================================================================

def _all_text(at) -> str:
    """Every piece of text a page drew: markdown, alerts, captions, metrics, tables, frames."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "error", "warning",
                 "info", "success", "exception", "text", "code", "latex"):
        for el in getattr(at, kind, []):
            parts.append(str(getattr(el, "value", "")))
    for el in at.metric:
        parts += [str(el.label), str(el.value)]
    for el in list(at.dataframe) + list(at.table):
        try:
            parts.append(el.value.to_csv())
        except Exception:
            parts.append(str(el.value))
    for el in at.get("expander"):
        parts.append(str(getattr(el, "label", "")))
    return "\n".join(parts)


def _other_names(geo, district_code: str, except_code: str | None = None) -> list[str]:
    d = geo.district(district_code)
    names = [c.full_name for c in geo.communes_of(district_code) if c.code != except_code]
    return names + ([d.full_name] if d and except_code is None else [])


def _mentions(body: str, names: list[str]) -> list[str]:
    return [n for n in names if re.search(r"(?<!\w)" + re.escape(n) + r"(?!\w)", body)]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(demo_db, role):
    """Allowed pages run cleanly for the role; forbidden ones are not even registered (or the
    page guard refuses). Staff of one unit never see another unit's names on a staff page,
    even with forged query parameters naming that unit."""
    from app.core.reference import geography
    if role == "screen":
        _screen_account()
    user = DEMO_USERS.get(role)
    forged = {"xa": OTHER_COMMUNE, "huyen": OTHER_DISTRICT, "commune": OTHER_COMMUNE,
              "district": OTHER_DISTRICT, "commune_code": OTHER_COMMUNE}
    at = app_for(None, user=user, query=forged)
    assert not at.exception, at.exception
    geo = geography()
    problems = []
    for spec in access.PAGES:
        allowed = access.allowed(spec, role)
        try:
            at.switch_page(spec.path)
            for k, v in forged.items():  # (switching pages clears the query string)
                at.query_params[k] = v
            at.run()
        except ValueError as exc:
            if allowed or "Could not find a navigation page" not in str(exc):
                problems.append(f"{spec.key}: {exc}")
            continue
        body = _all_text(at)
        if not allowed:
            if NOT_ALLOWED not in body:
                problems.append(f"{spec.key}: forbidden page ran for {role}")
            continue
        if at.exception:
            problems.append(f"{spec.key}: exception {at.exception[0].value}")
            continue
        if NOT_ALLOWED in body:
            problems.append(f"{spec.key}: refused for allowed role {role}")
            continue
        if spec.key == "survey" and "Xã Đồng Tiến" not in body:  # the query string is used
            problems.append("survey: the forged query string did not reach the page")
        if access.is_public(spec) or role not in ("district", "commune"):
            continue
        leaked = _mentions(body, _other_names(geo, OTHER_DISTRICT))
        if role == "commune":
            leaked += _mentions(body, _other_names(geo, OWN_DISTRICT, except_code=OWN_COMMUNE))
        if leaked:
            problems.append(f"{spec.key}: {role} sees other units {leaked[:5]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ["public", "commune", "district", "farmers", "screen"])
def test_page_guard_refuses_when_the_page_file_runs_on_its_own(demo_db, role):
    """Each staff page checks the role again (``require_page``): even run as a file of its own,
    without the entry script's navigation, a page refuses a role that may not see it."""
    from streamlit.testing.v1 import AppTest

    from tests.apptest import ROOT
    if role == "screen":
        _screen_account()
    problems = []
    for spec in access.PAGES:
        if access.allowed(spec, role):
            continue
        at = AppTest.from_file(str(ROOT / spec.path), default_timeout=30)
        if role != "public":
            at.session_state["qcdc_user"] = DEMO_USERS[role]
        at.run()
        body = _all_text(at)
        if at.exception or body.strip() != "Bạn không có quyền xem trang này.":
            problems.append(f"{spec.key}: not refused for {role} ({body[:80]!r})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("forged", [
    {"qcdc_user": "nobody.here"},
    {"qcdc_user": "gone.user"},
    {"roles": ["admin"], "authentication_status": True, "username": "demo.admin",
     "name": "Admin", "qcdc_role": "admin", "role": "admin"},
    {"qcdc_user": "demo.xa", "roles": ["admin"], "role": "admin", "qcdc_role": "admin",
     "authentication_status": True, "username": "demo.admin"},
])
def test_forged_session_state_changes_nothing(demo_db, forged):
    """The scope is rebuilt from the database on every run: a non-existent or disabled user, or
    role keys planted in the session, give no more than the database says."""
    from streamlit.testing.v1 import AppTest

    from app.core.auth import get_user
    from db.engine import session_scope
    from db.models import User
    from tests.apptest import ROOT
    create_user("gone.user", "Gone", "Secret123", "admin")
    with session_scope() as s:
        u = s.get(User, get_user("gone.user").id)
        u.active = False
        s.add(u)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=30)
    for k, v in forged.items():
        at.session_state[k] = v
    at.run()
    assert not at.exception
    for admin_page in ("pages/admin/users.py", "pages/admin/qr.py", "pages/monitor/overview.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(admin_page)
            at.run()
    if forged.get("qcdc_user") == "demo.xa":  # the real account: a commune user, nothing more
        at.switch_page("pages/commune/report.py")
        at.run()
        assert not at.exception and NOT_ALLOWED not in _all_text(at)
        assert "Phường Thọ Xương" in _all_text(at)
    else:
        assert not at.sidebar.button  # no staff menu: still a citizen


# =============================================================================================
# Services × units
# =============================================================================================

def _scoped_functions() -> list[tuple[str, Callable]]:
    out = []
    for m in pkgutil.walk_packages(app_pkg.__path__, "app."):
        if m.name.startswith(("app.ui.", "app.cli.")) or m.name.rsplit(".", 1)[-1].startswith("_"):
            continue  # Streamlit glue and the command line: no services
        mod = importlib.import_module(m.name)
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if fn.__module__ != mod.__name__ or name.startswith("_"):
                continue
            if "scope" in inspect.signature(fn).parameters:
                out.append((f"{m.name.removeprefix('app.')}.{name}", fn))
    return sorted(out)


SCOPED = _scoped_functions()
UNIT_PARAMS = {"commune_code", "district_code", "photo_id", "nomination_id", "nom", "user_id",
               "key", "response_ids", "raw_rows", "remove_photo_ids", "commune_codes",
               "data", "parsed"}


@dataclass
class Case:
    """Who calls, which unit they own and which unit is "other" for them."""
    name: str
    scope: Scope
    own_codes: set[str]
    own_district: str | None
    other_codes: set[str]          # communes the caller must never reach
    other_district: str | None     # a district the caller must never reach
    target_commune: str            # the other commune whose ids are forged into the call
    target_district: str


def _cases(geo) -> list[Case]:
    d_other = {c.code for c in geo.communes_of(OTHER_DISTRICT)}
    d_own = {c.code for c in geo.communes_of(OWN_DISTRICT)}
    xa = Scope("demo.xa", "xa", "commune", district_code=OWN_DISTRICT, commune_code=OWN_COMMUNE)
    huyen = Scope("demo.huyen", "huyen", "district", district_code=OWN_DISTRICT)
    every = {c.code for c in geo.communes}
    return [
        Case("commune/sibling", xa, {OWN_COMMUNE}, None, d_own - {OWN_COMMUNE}, None,
             SIBLING_COMMUNE, OWN_DISTRICT),
        Case("commune/other-district", xa, {OWN_COMMUNE}, None, d_other | (d_own - {OWN_COMMUNE}),
             OTHER_DISTRICT, OTHER_COMMUNE, OTHER_DISTRICT),
        Case("district/other-district", huyen, d_own, OWN_DISTRICT, d_other, OTHER_DISTRICT,
             OTHER_COMMUNE, OTHER_DISTRICT),
        Case("public", ANONYMOUS, set(), None, every, OTHER_DISTRICT, OTHER_COMMUNE,
             OTHER_DISTRICT),
        Case("screen/other-commune", SCREEN, {OWN_COMMUNE}, None, every - {OWN_COMMUNE},
             OTHER_DISTRICT, OTHER_COMMUNE, OTHER_DISTRICT),
    ]


class World:
    """Objects of every unit to forge into calls (photos, nominations, users, responses,
    warnings), made with an admin scope once per session in a copy of the demo database; each
    test then starts from a fresh copy of that database (``matrix_db``)."""

    def __init__(self):
        from app.board import nominations
        from app.core.campaigns import active_campaign
        from app.monitoring.warnings import compute_warnings
        from app.operations import daily_reports as reports
        from db.engine import session_scope
        from db.models import Campaign, Response
        self.admin = Scope("demo.admin", "Admin", "admin")
        self.active = active_campaign(max_age=0)
        self.campaign = self.active.campaign
        self.day = self.campaign.start_date
        from app.core import clock
        today = clock.today()
        if self.campaign.start_date <= today <= self.campaign.end_date:
            self.day = today
        self.photos: dict[str, int] = {}
        self.noms: dict[str, int] = {}
        self.users: dict[str, int] = {}
        self.responses: dict[str, list[int]] = {}
        self.warnings: dict[str, str] = {}
        jpeg = _jpeg()
        for code in (OWN_COMMUNE, SIBLING_COMMUNE, OTHER_COMMUNE):
            res = reports.save_report(self.admin, self.campaign, code, self.day,
                                      {"visits": 10, "guided": 5, "helpers_on_duty": 2,
                                       "difficulties": f"Khó khăn {code}"},
                                      [(f"anh_{code}.jpg", jpeg)])
            view = reports.get_report(self.admin, self.campaign.id, code, self.day)
            self.photos[code] = view.photos[-1].id
            n = nominations.propose(self.admin, self.campaign.id, kind="collective",
                                    name=f"Tổ công tác {code}", commune_code=code,
                                    achievements="Hoàn thành tốt mọi nhiệm vụ khảo sát.")
            self.noms[code] = n.id
            u = create_user(f"xa.{code}.test", f"Xã {code}", "Secret123", "commune",
                            commune_code=code)
            self.users[code] = u.id
            with session_scope() as s:
                self.responses[code] = list(s.execute(
                    select(Response.id).where(Response.commune_code == code,
                                              Response.campaign_id == self.campaign.id)
                    .limit(3)).scalars())
            assert res.ok
        u = create_user("huyen.215.test", "Huyện 215", "Secret123", "district",
                        district_code=OTHER_DISTRICT)
        self.users[OTHER_DISTRICT] = u.id
        for w in compute_warnings(self.admin, self.campaign.id):
            self.warnings.setdefault(w.commune_code, w.key)
        with session_scope() as s:
            self.campaign_ids = list(s.execute(select(Campaign.id)).scalars())

    def warning_key(self, code: str) -> str:
        return self.warnings.get(code) or f"ratio_high:{code}:{self.day.isoformat()}"


@pytest.fixture(scope="session")
def _matrix_template(_templates, tmp_path_factory):
    from db.engine import get_engine
    from tests.conftest import _fresh_copy, _reset_process_caches
    path = _fresh_copy(_templates["demo"], tmp_path_factory.mktemp("matrix"), True)
    world = World()
    with get_engine().connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    _reset_process_caches()
    return path, world


@pytest.fixture
def matrix_db(_matrix_template, tmp_path):
    """A fresh copy of the demo database with the objects of `World` in it (photo files too)."""
    import shutil

    from tests.conftest import _fresh_copy, _reset_process_caches
    path, world = _matrix_template
    target = _fresh_copy(path, tmp_path / "data", True)
    if (path / "photos").exists():
        shutil.copytree(path / "photos", target / "photos")
    yield world
    _reset_process_caches()


def _jpeg() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _roster_rows(world: World) -> list[dict]:
    return [{"full_name": "Nguyễn Văn Thử", "position": "", "organisation": "Hội Nông dân",
             "phone": "0912345678", "duty_days": [world.day.isoformat()], "shift": "sang"}]


def _definition() -> dict:
    from app.survey.questionnaire import load_seed_definition
    d = load_seed_definition()
    d["title"] = d.get("title", "") + " (sửa)"
    return d


# Factories: (world, case, unit) -> value, where unit is the commune/district whose ids to use.
# Keys are "module.function:param" (most specific) or "param".
ARG_FACTORIES: dict[str, Callable[[World, Case, tuple[str, str]], Any]] = {
    "campaign_id": lambda w, c, u: w.campaign.id,
    "campaign": lambda w, c, u: w.campaign,
    "commune_code": lambda w, c, u: u[0],
    "district_code": lambda w, c, u: u[1],
    "day": lambda w, c, u: w.day,
    "photo_id": lambda w, c, u: w.photos.get(u[0], w.photos[OTHER_COMMUNE]),
    "remove_photo_ids": lambda w, c, u: [w.photos.get(u[0], w.photos[OTHER_COMMUNE])],
    "nomination_id": lambda w, c, u: w.noms.get(u[0], w.noms[OTHER_COMMUNE]),
    "nom": lambda w, c, u: __import__("app.board.nominations", fromlist=["x"]).get_nomination(
        w.admin, w.noms.get(u[0], w.noms[OTHER_COMMUNE])),
    "user_id": lambda w, c, u: w.users.get(u[0], w.users[OTHER_COMMUNE]),
    "key": lambda w, c, u: w.warning_key(u[0]),
    "response_ids": lambda w, c, u: w.responses.get(u[0]) or [1],
    "questionnaire_id": lambda w, c, u: w.active.questionnaire_id,
    "earlier_id": lambda w, c, u: w.campaign_ids[0],
    "later_id": lambda w, c, u: w.campaign_ids[-1],
    "token_id": lambda w, c, u: 1,
    "screen_session": lambda w, c, u: "matrix-screen",
    "shown": lambda w, c, u: None,  # (an API token: only administrators reach any)
    "exclude": lambda w, c, u: True,
    "active": lambda w, c, u: False,
    "published": lambda w, c, u: False,
    "archived": lambda w, c, u: True,
    "actor": lambda w, c, u: c.scope.username or "anonymous",
    "name": lambda w, c, u: "Nguyễn Văn Thử",
    "phone": lambda w, c, u: "0912345678",
    "username": lambda w, c, u: "moi.tao.test",
    "role": lambda w, c, u: "admin",
    "kind": lambda w, c, u: "collective",
    "achievements": lambda w, c, u: "Hoàn thành xuất sắc nhiệm vụ hỗ trợ người dân.",
    "action": lambda w, c, u: "shortlist",
    "values": lambda w, c, u: {"name": "Đợt thử", "year": w.day.year,
                               "start_date": w.day, "end_date": w.day,
                               "roster_deadline": w.day, "questionnaire_id":
                                   w.active.questionnaire_id},
    "operations.roster.save_roster:raw_rows": lambda w, c, u: _roster_rows(w),
    "operations.inspectors.save_inspectors:raw_rows": lambda w, c, u: [
        {"full_name": "Trần Văn Kiểm", "phone": "0912345678", "district_code": u[1],
         "commune_codes": [u[0]], "days": [w.day.isoformat()]}],
    "operations.daily_reports.save_report:data": lambda w, c, u: {"visits": 3, "guided": 1, "helpers_on_duty": 1,
                                                 "difficulties": "Không"},
    "admin.questionnaire_builder.save_version:data": lambda w, c, u: _definition(),
    "operations.dossiers.read_dossier_xlsx:data": lambda w, c, u: _dossier_book(w, u),
    "operations.dossiers.save_dossiers:data": lambda w, c, u: _dossier_book(w, u),
    "parsed": lambda w, c, u: __import__("app.operations.dossiers", fromlist=["x"])
    .ParsedDossiers(rows=[__import__("app.operations.dossiers", fromlist=["x"])
                          .DossierRow(2, u[0], w.day, 7)]),
}


def _dossier_book(world: World, unit: tuple[str, str]) -> bytes:
    """A dossier-count workbook naming the unit's commune (by code and by name)."""
    from openpyxl import Workbook

    from app.core.reference import geography
    wb = Workbook()
    ws = wb.active
    ws.append(["Mã xã", "Tên xã", "Ngày", "Số hồ sơ tiếp nhận"])
    c = geography().by_code[unit[0]]
    ws.append([c.code, c.full_name, world.day.strftime("%d/%m/%Y"), 7])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _arguments(qualname: str, fn: Callable, world: World, case: Case, unit: tuple[str, str],
               forge: bool) -> dict:
    """Keyword arguments for one call. `forge`: also fill optional unit parameters with the
    other unit's ids (otherwise optional parameters keep their defaults)."""
    kwargs = {}
    missing = []
    for p in inspect.signature(fn).parameters.values():
        if p.name == "scope" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        optional = p.default is not p.empty
        if optional and not (forge and p.name in UNIT_PARAMS):
            continue
        factory = ARG_FACTORIES.get(f"{qualname}:{p.name}") or ARG_FACTORIES.get(p.name)
        if factory is None:
            missing.append(p.name)
            continue
        kwargs[p.name] = factory(world, case, unit)
    if missing:
        pytest.fail(f"{qualname}: no test value for parameter(s) {missing}; add a factory to "
                    f"ARG_FACTORIES in tests/test_access_matrix.py")
    return kwargs


def _is_refusal(exc: BaseException) -> bool:
    from app.board.nominations import NominationError
    return isinstance(exc, (AuthError, PermissionError, NominationError))


def _empty(value: Any) -> bool:
    if value is None or value is False or value == 0 or value == "":
        return True
    if isinstance(value, (list, tuple, set, dict)):
        items = value.values() if isinstance(value, dict) else value
        return all(_empty(v) for v in items)
    if hasattr(value, "ok") and value.ok is False:
        return True  # a refusal result (SaveResult, ReportResult...)
    if hasattr(value, "empty") and isinstance(value.empty, bool):
        return value.empty  # DataFrame
    return False


def _strings(value: Any, depth: int = 0) -> list[str]:
    """Every string a result holds: dataclasses, dicts, frames, workbooks and PDFs included."""
    if depth > 8 or value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (bytes, bytearray)):
        return _bytes_strings(bytes(value))
    if isinstance(value, (int, float, bool, date, datetime)):
        return []
    if hasattr(value, "to_csv") and hasattr(value, "columns"):
        return [value.to_csv()]
    if is_dataclass(value):
        return [s for f in fields(value) for s in _strings(getattr(value, f.name), depth + 1)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k, depth + 1) + _strings(v, depth + 1)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [s for v in value for s in _strings(v, depth + 1)]
    if isinstance(value, SQLModel):
        return [s for v in value.model_dump().values() for s in _strings(v, depth + 1)]
    if hasattr(value, "__dict__"):
        return [s for k, v in vars(value).items() if not k.startswith("_")
                for s in _strings(v, depth + 1)]
    return [str(value)]


def _bytes_strings(blob: bytes) -> list[str]:
    if blob[:2] == b"\xff\xd8":
        return ["<JPEG photo>"]
    if blob[:4] == b"%PDF":
        out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=blob,
                             capture_output=True, timeout=60)
        return [out.stdout.decode("utf-8", "replace")]
    if blob[:2] == b"PK":
        from openpyxl import load_workbook
        wb = load_workbook(io.BytesIO(blob), read_only=True)
        vals = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                for v in row if v is not None]
        vals += wb.sheetnames
        wb.close()
        return ["\n".join(vals)]
    return [blob[:200].decode("utf-8", "replace")]


def _leaks(result: Any, case: Case, geo, photos: bool = True) -> list[str]:
    """Mentions of the other unit in a result: its commune codes (as whole values or words) or
    its communes' / district's names; a JPEG stands for a photo handed out."""
    codes = case.other_codes
    names = [geo.by_code[c].full_name for c in codes if c in geo.by_code]
    if case.other_district:
        d = geo.district(case.other_district)
        if d is not None:
            names.append(d.full_name)
    found = []
    for s in _strings(result):
        if s == "<JPEG photo>":
            if photos:  # (a photo asked for by another unit's id)
                found.append("a photo")
            continue
        for code in re.findall(r"(?<!\d)\d{5}(?!\d)", s):
            if code in codes:
                found.append(code)
        found += _mentions(s, names)
        if len(found) > 5:
            break
    return sorted(set(found))


# --- database snapshots -----------------------------------------------------------------------

_BIG = {"response", "commune_hour_tally", "option_tally", "score_tally"}


def _snapshot(watch_codes: set[str]) -> dict[str, dict]:
    """Rows of every table except the audit log, keyed by primary key; the big answer and tally
    tables only for the watched communes."""
    from db.engine import get_engine
    out: dict[str, dict] = {}
    with get_engine().connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in ("audit_log", "alembic_version"):
                continue
            q = select(table)
            if table.name in _BIG:
                q = q.where(table.c.commune_code.in_(sorted(watch_codes)))
            pk = [c.name for c in table.primary_key.columns]
            rows = {}
            for r in conn.execute(q).mappings():
                rows[tuple(r[k] for k in pk)] = dict(r)
            out[table.name] = rows
    return out


def _row_is_own(table: str, row: dict, case: Case) -> bool:
    code = row.get("commune_code")
    if code:
        return code in case.own_codes
    if row.get("district_code"):
        return row["district_code"] == case.own_district
    if table == "report_photo":
        return any(f"/{c}/" in (row.get("path") or "") for c in case.own_codes)
    if table == "warning_review":  # key "<kind>:<commune code>:<day>"
        parts = str(row.get("warning_key") or "").split(":")
        return len(parts) > 1 and parts[1] in case.own_codes
    return False


def _forbidden_changes(before: dict, after: dict, case: Case) -> list[str]:
    bad = []
    for table, rows in after.items():
        old = before.get(table, {})
        for key in set(rows) | set(old):
            a, b = old.get(key), rows.get(key)
            if a == b:
                continue
            row = b or a
            if _row_is_own(table, row, case) and not _leaks(_readable(row), case, _geo()):
                continue
            bad.append(f"{table}{list(key)}")
    return bad[:10]


def _readable(row: dict) -> dict:
    """A row without its digests and random tokens: a SHA-256 in hex holds a run of five digits
    now and then, which is no mention of a commune (a kiosk code's hash once read as one)."""
    return {k: v for k, v in row.items() if not k.endswith(("_hash", "_token"))}


def _geo():
    from app.core.reference import geography
    return geography()


@pytest.mark.parametrize("qualname", [q for q, _ in SCOPED])
def test_service_refuses_other_units(matrix_db, qualname):
    """Each scoped service, called by a commune user, a district user and an anonymous scope,
    (a) with another unit's ids forged into every unit parameter: refuses (AuthError /
    PermissionError / a refusal result) or returns nothing; (b) with its defaults: returns
    nothing of another unit. In both, no row of another unit (or any global table) changes."""
    fn = dict(SCOPED)[qualname]
    world = matrix_db
    geo = _geo()
    forgeable = UNIT_PARAMS & set(inspect.signature(fn).parameters)
    problems = []
    watch = {OWN_COMMUNE, SIBLING_COMMUNE, OTHER_COMMUNE}
    snap = _snapshot(watch)
    for case in _cases(geo):
        modes = [("forged", (case.target_commune, case.target_district), True)] \
            if forgeable else []
        own_unit = (next(iter(sorted(case.own_codes)), case.target_commune),
                    case.own_district or OWN_DISTRICT)
        modes.append(("own", own_unit, False))
        for mode, unit, forge in modes:
            kwargs = _arguments(qualname, fn, world, case, unit, forge)
            try:
                result = fn(scope=case.scope, **kwargs)
            except Exception as exc:  # noqa: BLE001
                if not _is_refusal(exc):
                    problems.append(f"{case.name}/{mode}: {type(exc).__name__}: {exc}")
                result = None
            before, snap = snap, _snapshot(watch)
            changed = _forbidden_changes(before, snap, case)
            if changed:
                problems.append(f"{case.name}/{mode}: changed {changed}")
            if result is None:
                continue
            if mode == "forged" and not _empty(result) and _leaks(result, case, geo):
                problems.append(f"{case.name}/{mode}: returned other unit "
                                f"{_leaks(result, case, geo)}")
            elif mode == "own" and _leaks(result, case, geo, photos=False):
                problems.append(f"{case.name}/{mode}: returned other unit "
                                f"{_leaks(result, case, geo, photos=False)}")
    assert not problems, qualname + "\n" + "\n".join(problems)


SCREEN_SERVICES = {"survey.kiosk.issue_code", "survey.kiosk.needs_new_code",
                   "survey.kiosk.screen_counts", "survey.kiosk.screen_commune"}


def test_the_screen_only_role_opens_its_screen_and_nothing_else(matrix_db):
    """An office screen's account (issue 15): of the signed-in pages only the screen, where it
    lands whatever it asked for; every scoped service but the screen's own refuses it or
    returns nothing; the read API cannot be given its role (the API takes tokens only)."""
    assert [p.key for p in access.pages_for("screen") if not access.is_public(p)] == ["screen"]
    assert access.after_sign_in("screen", "overview") == "screen"
    assert access.after_sign_in("screen", None) == "screen"
    geo = _geo()
    # nothing of any unit is the screen's to read, not even its own commune's figures
    case = Case("screen/anything", SCREEN, set(), None, {c.code for c in geo.communes},
                OWN_DISTRICT, OWN_COMMUNE, OWN_DISTRICT)
    problems = []
    for qualname, fn in SCOPED:
        if qualname in SCREEN_SERVICES:
            continue
        kwargs = _arguments(qualname, fn, matrix_db, case, (OWN_COMMUNE, OWN_DISTRICT), False)
        try:
            result = fn(scope=SCREEN, **kwargs)
        except Exception as exc:  # noqa: BLE001
            if not _is_refusal(exc):
                problems.append(f"{qualname}: {type(exc).__name__}: {exc}")
            continue
        if not _empty(result) and _leaks(result, case, geo):
            problems.append(f"{qualname}: returned {_leaks(result, case, geo)}")
    assert not problems, "\n".join(problems)
    assert {q for q, _ in SCOPED} >= SCREEN_SERVICES
    from app.admin.api_tokens import create_token
    from app.api.tokens import ROLES as API_ROLES
    assert "screen" not in API_ROLES
    with pytest.raises(AuthError):
        create_token(Scope("demo.admin", "Admin", "admin"), "Màn hình", "screen")


def test_discovery_finds_the_scoped_services():
    names = {q for q, _ in SCOPED}
    for expected in ("operations.roster.save_roster", "operations.daily_reports.save_report",
                     "operations.daily_reports.photo_bytes", "monitoring.exports.build_xlsx",
                     "monitoring.exports.build_pdf", "monitoring.stats.overview",
                     "operations.workbooks.consolidated_workbook"):
        assert expected in names
    assert len(names) >= 40


def test_exports_hold_exactly_the_units_of_the_scope(matrix_db):
    """A district's exports hold its own communes and no other (and are not simply empty);
    a commune user gets no province or district export at all."""
    from app.monitoring import exports
    from app.operations import workbooks as excel_io
    geo = _geo()
    huyen = Scope("demo.huyen", "huyen", "district", district_code=OWN_DISTRICT)
    xa = Scope("demo.xa", "xa", "commune", district_code=OWN_DISTRICT, commune_code=OWN_COMMUNE)
    own = [c.full_name for c in geo.communes_of(OWN_DISTRICT)]
    other = _other_names(geo, OTHER_DISTRICT)
    blobs = {"xlsx": exports.build_xlsx(huyen)[0],
             "pdf": exports.build_pdf(huyen, charts_png=False)[0],
             "rosters": excel_io.consolidated_workbook(huyen, matrix_db.campaign)}
    for name, blob in blobs.items():
        body = "\n".join(_bytes_strings(blob))
        assert len(_mentions(body, own)) >= len(own) // 2, name
        assert not _mentions(body, other), (name, _mentions(body, other)[:5])
    for build in (lambda: exports.build_xlsx(xa), lambda: exports.build_pdf(xa),
                  lambda: excel_io.consolidated_workbook(xa, matrix_db.campaign)):
        with pytest.raises(AuthError):
            build()
