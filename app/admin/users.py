"""User administration (admin only): create, edit, disable, reset passwords, bulk-create.

Rules:
- an administrator cannot disable, demote or otherwise remove the last active administrator,
  nor disable their own account;
- a reset or generated password is random, shown once, and the account must change it at the
  next sign-in (``User.must_change_password``; the sign-in flow sends such users to the account
  page); passwords never reach the audit log;
- ``bulk_create`` gives every district (``huyen.<code>``) and commune (``xa.<code>``) without an
  account of its own one, and returns the credentials once as an Excel sheet. It is idempotent:
  a unit that already has a (non-demo) account of its role is skipped, whatever its username.

Generated passwords have ~70 bits of entropy (12 random letters and digits, none that reads
like another: no I, l, 1, O, o, 0), so they are hashed
with a lower bcrypt cost (``GENERATED_ROUNDS``) than chosen ones: the cost protects guessable
passwords, and 219 hashes at cost 12 would take minutes. They are replaced at first sign-in.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import bcrypt
from sqlalchemy import func
from sqlmodel import select

from app.core import audit, clock
from app.core.auth import (
    ROLES,
    SCREEN_ONLY,
    USERNAME_RE,
    AuthError,
    Scope,
    generate_password,
    in_demo_mode,
    validate_unit,
)
from app.core.i18n import t
from app.core.reference import geography
from db.engine import session_scope
from db.models import User

GENERATED_ROUNDS = 10
ADMIN_ROLES = ("admin",)


def _require_admin(scope: Scope) -> None:
    if scope.role not in ADMIN_ROLES:
        raise AuthError(t("users.err.not_allowed"))


def hash_generated(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"),
                         bcrypt.gensalt(rounds=GENERATED_ROUNDS)).decode("ascii")


def _public(u: User) -> dict:
    """A user's fields for lists and the audit log (never the hash)."""
    return {"username": u.username, "name": u.name, "email": u.email, "role": u.role,
            "district": u.district_code, "commune": u.commune_code, "active": u.active,
            "must_change_password": u.must_change_password}


@dataclass
class UserRow:
    id: int
    username: str
    name: str
    email: str | None
    role: str
    district_code: str | None
    commune_code: str | None
    unit_name: str
    active: bool
    must_change_password: bool
    locked: bool
    is_demo: bool
    created_at: datetime | None
    last_login_at: datetime | None
    made_in_demo: bool = False


def _unit_name(role: str, dcode: str | None, ccode: str | None) -> str:
    geo = geography()
    if role in ("commune", SCREEN_ONLY) and ccode and ccode in geo.by_code:
        return geo.by_code[ccode].full_name
    if role == "district" and dcode:
        d = geo.district(dcode)
        return d.full_name if d else dcode
    return t(f"role.{role}") if role in ROLES else role


def list_users(scope: Scope, *, role: str | None = None, district_code: str | None = None,
               search: str = "", active: bool | None = None) -> list[UserRow]:
    _require_admin(scope)
    now = clock.now()
    with session_scope() as s:
        q = select(User)
        if role:
            q = q.where(User.role == role)
        if district_code:
            q = q.where(User.district_code == district_code)
        if active is not None:
            q = q.where(User.active == active)
        search = (search or "").strip().lower()
        rows = []
        for u in s.exec(q.order_by(User.role, User.username)).all():
            if search and search not in u.username.lower() and search not in u.name.lower():
                continue
            rows.append(UserRow(u.id, u.username, u.name, u.email, u.role, u.district_code,
                                u.commune_code, _unit_name(u.role, u.district_code, u.commune_code),
                                u.active, u.must_change_password,
                                bool(u.locked_until and u.locked_until > now), u.is_demo,
                                u.created_at, u.last_login_at, u.made_in_demo))
        return rows


def _active_admins(s, excluding: int | None = None) -> int:
    q = select(func.count()).select_from(User).where(User.role == "admin",
                                                     User.active == True)  # noqa: E712
    if excluding is not None:
        q = q.where(User.id != excluding)
    return int(s.exec(q).one())


def _get(s, user_id: int) -> User:
    """A user to change; demo accounts (public password) stay as they are."""
    u = s.get(User, user_id)
    if u is None:
        raise AuthError(t("users.err.not_found"))
    if u.is_demo:
        raise AuthError(t("users.err.demo"))
    return u


def create_account(scope: Scope, *, username: str, name: str, role: str,
                   district_code: str | None = None, commune_code: str | None = None,
                   email: str | None = None) -> tuple[UserRow, str]:
    """Create an account with a generated password (returned once; must change at sign-in)."""
    _require_admin(scope)
    username = (username or "").strip().lower()
    if not USERNAME_RE.fullmatch(username):
        raise AuthError(t("users.err.username"))
    name = (name or "").strip()
    if not name:
        raise AuthError(t("users.err.name"))
    email = (email or "").strip() or None
    password = generate_password()
    with session_scope() as s:
        if s.exec(select(User).where(User.username == username)).first() is not None:
            raise AuthError(t("users.err.exists", username=username))
        dcode, ccode = validate_unit(s, role, district_code, commune_code)
        u = User(username=username, name=name[:200], email=email, role=role,
                 password_hash=hash_generated(password), district_code=dcode,
                 commune_code=ccode, must_change_password=role != SCREEN_ONLY,
                 created_at=clock.now())
        s.add(u)
        s.flush()
        audit.record(s, scope.username, "user.create", "user", u.id, after=_public(u))
        uid = u.id
    return _row(uid), password


def _row(user_id: int) -> UserRow:
    with session_scope() as s:
        u = s.get(User, user_id)
        now = clock.now()
        return UserRow(u.id, u.username, u.name, u.email, u.role, u.district_code,
                       u.commune_code, _unit_name(u.role, u.district_code, u.commune_code),
                       u.active, u.must_change_password,
                       bool(u.locked_until and u.locked_until > now), u.is_demo,
                       u.created_at, u.last_login_at, u.made_in_demo)


def update_account(scope: Scope, user_id: int, *, name: str, role: str,
                   district_code: str | None = None, commune_code: str | None = None,
                   email: str | None = None) -> UserRow:
    """Change a user's name, e-mail, role and unit (audited with before and after)."""
    _require_admin(scope)
    name = (name or "").strip()
    if not name:
        raise AuthError(t("users.err.name"))
    with session_scope() as s:
        u = _get(s, user_id)
        before = _public(u)
        if u.role == "admin" and role != "admin" and u.active and _active_admins(s, u.id) == 0:
            raise AuthError(t("users.err.last_admin"))
        dcode, ccode = validate_unit(s, role, district_code, commune_code)
        u.name, u.email, u.role = name[:200], (email or "").strip() or None, role
        u.district_code, u.commune_code = dcode, ccode
        after = _public(u)
        if after != before:
            s.add(u)
            audit.record(s, scope.username, "user.update", "user", u.id, before=before,
                         after=after)
    return _row(user_id)


def set_active(scope: Scope, user_id: int, active: bool) -> UserRow:
    """Disable or re-enable an account (a disabled account cannot sign in; its session ends)."""
    _require_admin(scope)
    with session_scope() as s:
        u = _get(s, user_id)
        if u.active == active:
            return _row(user_id)
        if not active:
            if u.username == scope.username:
                raise AuthError(t("users.err.self_disable"))
            if u.role == "admin" and _active_admins(s, u.id) == 0:
                raise AuthError(t("users.err.last_admin"))
        if active and u.made_in_demo and not in_demo_mode():
            raise AuthError(t("users.err.made_in_demo"))
        before = {"active": u.active}
        u.active = active
        if active:
            u.failed_attempts, u.locked_until = 0, None
        s.add(u)
        audit.record(s, scope.username, "user.enable" if active else "user.disable", "user",
                     u.id, before=before, after={"active": active, "username": u.username})
    return _row(user_id)


def reset_password(scope: Scope, user_id: int) -> str:
    """A new generated password (returned once); the user must change it at next sign-in."""
    _require_admin(scope)
    password = generate_password()
    with session_scope() as s:
        u = _get(s, user_id)
        u.password_hash = hash_generated(password)
        u.must_change_password = u.role != SCREEN_ONLY
        u.failed_attempts, u.locked_until = 0, None
        s.add(u)
        audit.record(s, scope.username, "user.reset_password", "user", u.id,
                     after={"username": u.username,
                            "must_change_password": u.must_change_password})
    return password


# --------------------------------------------------------------------------------------------
# Bulk creation for all units
# --------------------------------------------------------------------------------------------

@dataclass
class Credential:
    username: str
    password: str
    role: str
    name: str
    district_code: str
    district_name: str
    commune_code: str | None


@dataclass
class BulkResult:
    created: list[Credential]
    skipped: int          # units that already had an account
    conflicts: list[str]  # usernames taken by an account of another unit

    def sheet(self, sign_in_url: str | None = None) -> bytes | None:
        return credential_sheet(self.created, sign_in_url) if self.created else None

    def slips(self, sign_in_url: str | None = None) -> bytes | None:
        return credential_slips(self.created, sign_in_url) if self.created else None


def district_username(code: str) -> str:
    return f"huyen.{code}"


def commune_username(code: str) -> str:
    return f"xa.{code}"


def planned_units() -> list[tuple[str, str, str, str, str | None]]:
    """(username, name, role, district code, commune code) for every district and commune."""
    geo = geography()
    out: list[tuple[str, str, str, str, str | None]] = []
    for d in geo.districts:
        out.append((district_username(d.code), t("users.bulk.district_name", name=d.full_name),
                    "district", d.code, None))
    for c in geo.communes:
        out.append((commune_username(c.code), t("users.bulk.commune_name", name=c.full_name),
                    "commune", c.district_code, c.code))
    return out


def bulk_preview(scope: Scope) -> dict[str, int]:
    """How many districts and communes have an account, and how many still need one."""
    _require_admin(scope)
    geo = geography()
    with session_scope() as s:
        existing = s.exec(select(User.role, User.district_code, User.commune_code)
                          .where(User.is_demo == False)).all()  # noqa: E712
    have_d = {d for r, d, _c in existing if r == "district"}
    have_c = {c for r, _d, c in existing if r == "commune"}
    nd = sum(1 for d in geo.districts if d.code in have_d)
    nc = sum(1 for c in geo.communes if c.code in have_c)
    return {"districts": len(geo.districts), "districts_with": nd,
            "communes": len(geo.communes), "communes_with": nc,
            "missing": len(geo.districts) - nd + len(geo.communes) - nc}


def bulk_create(actor: str, progress: Callable[[int, int], None] | None = None,
                scope: Scope | None = None) -> BulkResult:
    """Create the missing unit accounts (idempotent). `scope` must be an admin when given;
    the CLI passes none (it runs with the server operator's rights)."""
    if scope is not None:
        _require_admin(scope)
        actor = scope.username
    plan = planned_units()
    with session_scope() as s:
        existing = s.exec(select(User.username, User.role, User.district_code, User.commune_code)
                          .where(User.is_demo == False)).all()  # noqa: E712
    taken = {u for u, *_ in existing}
    have_district = {d for _u, r, d, _c in existing if r == "district"}
    have_commune = {c for _u, r, _d, c in existing if r == "commune"}
    todo = []
    skipped = 0
    conflicts: list[str] = []
    for username, name, role, dcode, ccode in plan:
        if (role == "district" and dcode in have_district) or \
                (role == "commune" and ccode in have_commune):
            skipped += 1
            continue
        if username in taken:
            conflicts.append(username)
            continue
        todo.append((username, name, role, dcode, ccode, generate_password()))
    total = len(todo)

    hashes: list[str] = []
    with ThreadPoolExecutor(max_workers=4) as ex:  # bcrypt releases the GIL
        for i, h in enumerate(ex.map(hash_generated, [item[5] for item in todo]), start=1):
            hashes.append(h)
            if progress:
                progress(i, total)  # called on the caller's thread (Streamlit widgets)
    created: list[Credential] = []
    geo = geography()
    now = clock.now()
    with session_scope() as s:
        # re-check inside the write transaction: a concurrent run must not create twice
        existing = s.exec(select(User.username, User.role, User.district_code, User.commune_code)
                          .where(User.is_demo == False)).all()  # noqa: E712
        taken = {u for u, *_ in existing}
        have_district = {d for _u, r, d, _c in existing if r == "district"}
        have_commune = {c for _u, r, _d, c in existing if r == "commune"}
        for (username, name, role, dcode, ccode, password), h in zip(todo, hashes):
            if username in taken or (role == "district" and dcode in have_district) or \
                    (role == "commune" and ccode in have_commune):
                skipped += 1
                continue
            u = User(username=username, name=name, password_hash=h, role=role,
                     district_code=dcode, commune_code=ccode, must_change_password=True,
                     created_at=now)
            s.add(u)
            d = geo.district(dcode)
            created.append(Credential(username, password, role, name, dcode,
                                      d.full_name if d else dcode, ccode))
        s.flush()
        audit.record(s, actor, "user.bulk_create", "user", None,
                     after={"created": len(created), "skipped": skipped,
                            "conflicts": conflicts,
                            "usernames": [c.username for c in created]})
    return BulkResult(created, skipped, conflicts)


def credential_sheet(creds: list[Credential], sign_in_url: str | None = None) -> bytes:
    """The one-time credential sheet (.xlsx): unit, username, temporary password, and the
    address to sign in at."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from app.core.spreadsheet import append_row
    wb = Workbook()
    ws = wb.active
    ws.title = t("users.sheet.name")
    ws.append([t("users.sheet.title")])
    ws.append([t("users.sheet.note", date=clock.now().strftime("%H:%M %d/%m/%Y"))])
    append_row(ws, [t("users.sheet.address", url=sign_in_url) if sign_in_url
                    else t("users.sheet.no_address")])
    ws.append([])
    ws.append([t("users.sheet.no"), t("users.sheet.district"), t("users.sheet.unit"),
               t("users.sheet.role"), t("users.sheet.username"), t("users.sheet.password")])
    for i, c in enumerate(creds, start=1):
        append_row(ws, [i, c.district_name, c.name, t(f"role.{c.role}"), c.username,
                        c.password])
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"].alignment = Alignment(wrap_text=False)
    ws["A3"].font = Font(bold=True)
    for cell in ws[5]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEF", (6, 28, 44, 24, 16, 18)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=6, min_col=5, max_col=6):
        for cell in row:
            cell.font = Font(name="Consolas", size=12)
    ws.freeze_panes = "A6"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def credential_slips(creds: list[Credential], sign_in_url: str | None = None) -> bytes:
    """One slip per unit to cut out and hand over (A4 PDF, four slips a page): the unit, its
    user name, temporary password, where to sign in and what happens at the first sign-in."""
    import unicodedata

    from fpdf import FPDF

    from app.core import pdf as pdf_setup

    def nfc(x: str) -> str:
        return unicodedata.normalize("NFC", x or "")

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf_setup.set_up(pdf, title=t("users.slip.title"), margins=(12, 10, 12), page_break=None)
    per_page, slip_h, width = 4, 277.0 / 4, 186.0
    for i, c in enumerate(creds):
        if i % per_page == 0:
            pdf.add_page()
        y = 10 + (i % per_page) * slip_h
        with pdf.local_context():
            pdf.set_draw_color(150)
            pdf.set_dash_pattern(dash=1.5, gap=1.5)
            pdf.rect(12, y + 1, width, slip_h - 2)
        pdf.set_xy(16, y + 5)
        pdf.set_font("DejaVu", "B", 9)
        pdf.set_text_color(110)
        pdf.cell(width - 8, 5, nfc(t("users.slip.heading")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
        pdf.set_x(16)
        pdf.set_font("DejaVu", "B", 13)
        pdf.cell(width - 8, 7, nfc(c.name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(16)
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(width - 8, 5, nfc(f"{t(f'role.{c.role}')} · {c.district_name}"),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        for label, value in ((t("users.sheet.username"), c.username),
                             (t("users.sheet.password"), c.password)):
            pdf.set_x(16)
            pdf.set_font("DejaVu", "", 11)
            pdf.cell(48, 8, nfc(label) + ":")
            pdf.set_font("DejaVu", "B", 16)
            pdf.cell(width - 56, 8, value, new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(16)
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(48, 7, nfc(t("users.slip.address")) + ":")
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(width - 56, 7, nfc(sign_in_url or t("users.slip.no_address")),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(16)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(width - 8, 4.5, nfc(t("users.slip.note")), new_x="LMARGIN",
                       new_y="NEXT")
    if not creds:
        pdf.add_page()
        pdf.set_font("DejaVu", "", 11)
        pdf.cell(0, 8, nfc(t("users.slip.none")))
    return bytes(pdf.output())
