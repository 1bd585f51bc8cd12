"""Command-line administration (registered by app/cli/__init__.py):

``python -m app.cli questionnaire export PATH.xlsx [--id N] [--check]``
``python -m app.cli questionnaire import PATH.xlsx [--dry-run] [--use-for-active [--allow-mixed] [--allow-renumber]]``
``python -m app.cli users bulk-create --out PATH.xlsx``

The command line runs with the operator's rights (an administrator scope named ``cli``); every
change is audited like the same change made in the app.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from app.core.auth import Scope

CLI_SCOPE = Scope(username="cli", name="Dòng lệnh (cli)", role="admin")


def _ready() -> None:
    from app.core.startup import ensure_schema
    ensure_schema()


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _default_questionnaire_id() -> int | None:
    from sqlmodel import select

    from app.core.campaigns import active_campaign
    from db.engine import session_scope
    from db.models import Questionnaire
    active = active_campaign(max_age=0)
    if active:
        return active.questionnaire_id
    with session_scope() as s:
        q = s.exec(select(Questionnaire).order_by(Questionnaire.created_at.desc(),
                                                  Questionnaire.id.desc())).first()
        return q.id if q else None


def cmd_questionnaire_export(args: argparse.Namespace) -> int:
    from app.admin.questionnaire_builder import BuilderError, get_definition
    from app.admin.xlsform import check_with_pyxform, export_xlsform
    from db.engine import session_scope
    from db.models import Questionnaire
    _ready()
    qid = args.id or _default_questionnaire_id()
    if qid is None:
        _err("Chưa có bảng hỏi nào.")
        return 2
    try:
        data = get_definition(qid)
    except BuilderError as exc:
        _err(f"Lỗi: {exc}")
        return 2
    with session_scope() as s:
        version = s.get(Questionnaire, qid).version
    content = export_xlsform(data, version)
    if args.check:
        ok, notes = check_with_pyxform(content)
        if not ok:
            _err("pyxform không chuyển đổi được tệp: " + "; ".join(notes))
            return 1
    Path(args.path).write_bytes(content)
    print(json.dumps({"exported": str(args.path), "questionnaire_id": qid, "code": data.get("code"),
                      "version": version, "questions": len(data.get("questions") or []) +
                      len(data.get("profile") or [])}, ensure_ascii=False))
    return 0


def cmd_questionnaire_import(args: argparse.Namespace) -> int:
    from app.admin.questionnaire_builder import (
        BuilderError,
        assign_to_campaign,
        get_definition,
        same_definition,
        save_version,
    )
    from app.admin.xlsform import import_xlsform
    _ready()
    path = Path(args.path)
    if not path.is_file():
        _err(f"Không tìm thấy tệp {path}.")
        return 2
    base_id = _default_questionnaire_id()
    base = get_definition(base_id) if base_id else None
    result = import_xlsform(path.read_bytes(),
                            default_code=(base or {}).get("code", "PKS03"))
    for w in result.warnings:
        _err(f"Cảnh báo: {w}")
    if not result.ok:
        for e in result.errors:
            _err(f"Lỗi: {e}")
        _err(f"Không nạp được: {len(result.errors)} lỗi.")
        return 2
    data = result.definition
    if base is not None and same_definition(base, data):
        print(json.dumps({"unchanged": True, "questionnaire_id": base_id}, ensure_ascii=False))
        return 0
    if args.dry_run:
        print(json.dumps({"valid": True, "questions": len(data["questions"]) +
                          len(data["profile"]), "warnings": len(result.warnings)},
                         ensure_ascii=False))
        return 0
    same_code = base is not None and base.get("code") == data["code"]
    try:
        row = save_version(CLI_SCOPE, data, base_id=base_id if same_code else None,
                           note=f"XLSForm {path.name}")
        out = {"imported": str(path), "questionnaire_id": row.id, "code": row.code,
               "version": row.version, "warnings": len(result.warnings)}
        if args.use_for_active:
            from app.core.campaigns import active_campaign
            active = active_campaign(max_age=0)
            if active is None:
                _err("Không có đợt khảo sát đang hoạt động.")
                return 2
            assign_to_campaign(CLI_SCOPE, active.campaign.id, row.id,
                               allow_mixed=args.allow_mixed,
                               allow_renumber=args.allow_renumber)
            out["campaign_id"] = active.campaign.id
    except BuilderError as exc:
        _err(f"Lỗi: {exc}")
        return 2
    print(json.dumps(out, ensure_ascii=False))
    return 0


def cmd_users_bulk_create(args: argparse.Namespace) -> int:
    from app.admin.users import bulk_create, credential_sheet
    from app.core.public_url import configured_public_url
    _ready()
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        _err("Tệp kết quả phải có đuôi .xlsx")
        return 2
    if out.exists():
        # the sheet holds the only copy of earlier passwords: never overwrite it
        _err(f"Tệp {out} đã tồn tại; chọn tên tệp khác (không ghi đè danh sách mật khẩu cũ).")
        return 2
    try:  # make sure the file can be written before creating any account
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        _err(f"Không ghi được tệp {out}: {exc}")
        return 2

    def progress(done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            _err(f"  {done}/{total}")
    try:
        result = bulk_create("cli", progress=progress)
        if result.created:
            with os.fdopen(fd, "wb") as f:
                fd = -1
                base = configured_public_url()
                f.write(credential_sheet(result.created, base and f"{base}/dang-nhap"))
    finally:
        if fd != -1:
            os.close(fd)
    if not result.created:
        out.unlink(missing_ok=True)
    print(json.dumps({"created": len(result.created), "skipped": result.skipped,
                      "conflicts": result.conflicts,
                      "out": str(out) if result.created else None}, ensure_ascii=False))
    if not result.created:
        _err("Không có tài khoản mới: mọi đơn vị đã có tài khoản.")
    return 0


def add_admin_commands(sub) -> None:
    """Add the `questionnaire` and `users` subcommands to app.cli's parser."""
    q = sub.add_parser("questionnaire", help="export or import the questionnaire as XLSForm")
    qs = q.add_subparsers(dest="questionnaire_command", required=True)
    e = qs.add_parser("export", help="write the questionnaire as an XLSForm workbook")
    e.add_argument("path", help="output .xlsx file")
    e.add_argument("--id", type=int, help="questionnaire id (default: the active campaign's)")
    e.add_argument("--check", action="store_true", help="also convert it with pyxform")
    e.set_defaults(func=cmd_questionnaire_export)
    i = qs.add_parser("import", help="read an XLSForm workbook and save it as a new version")
    i.add_argument("path", help="input .xlsx file")
    i.add_argument("--dry-run", action="store_true", help="only check the workbook")
    i.add_argument("--use-for-active", action="store_true",
                   help="make the active campaign use the new version for new answers")
    i.add_argument("--allow-mixed", action="store_true",
                   help="with --use-for-active: allowed even if the campaign has answers "
                        "(old answers keep their version)")
    i.add_argument("--allow-renumber", action="store_true",
                   help="with --use-for-active: allowed even if citizens' question numbers "
                        "change while the survey window is open")
    i.set_defaults(func=cmd_questionnaire_import)

    u = sub.add_parser("users", help="user administration")
    us = u.add_subparsers(dest="users_command", required=True)
    b = us.add_parser("bulk-create", help="accounts for every district and commune without one; "
                                          "writes the one-time credential sheet")
    b.add_argument("--out", required=True, help="new .xlsx file for the credentials (mode 600)")
    b.set_defaults(func=cmd_users_bulk_create)
