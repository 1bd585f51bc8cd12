"""Command line for operators: `python -m app.cli <command> ...` (app/cli/__main__.py).

Commands: init-db, qr, create-user, stats (others are added by their modules' owners below:
questionnaire and users, backup and restore, integrity).
Every command works on the database that DATABASE_URL (or the default SQLite file) names.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys


def _ready() -> dict:
    """Schema and reference data only: CLI commands never add or disable demo data."""
    from app.core.startup import ensure_schema
    return ensure_schema()


def cmd_init_db(args: argparse.Namespace) -> int:
    from app.core.startup import ensure_ready
    info = ensure_ready(demo_mode=True) if args.demo else _ready()
    print(json.dumps(info, ensure_ascii=False, default=str))
    return 0


def cmd_qr(args: argparse.Namespace) -> int:
    from pathlib import Path

    from app.admin.qr_bundle import QR_DIR, build_qr_bundle, valid_base_url
    from app.core.public_url import configured_public_url, setting_problem
    base_url = args.base_url or configured_public_url()
    if args.base_url is None and base_url is None:
        print(setting_problem() or "Chưa có địa chỉ công khai: dùng --base-url "
              "https://khaosat.bacgiang.gov.vn hoặc đặt biến QCDC_PUBLIC_URL.", file=sys.stderr)
        return 2
    if not valid_base_url(base_url):
        print("Địa chỉ gốc phải bắt đầu bằng http:// hoặc https:// (ví dụ "
              "https://khaosat.bacgiang.gov.vn)", file=sys.stderr)
        return 2
    _ready()
    out = Path(args.out) if args.out else QR_DIR

    def progress(done: int, total: int) -> None:
        if done == total or done % 50 == 0:
            print(f"  {done}/{total}", file=sys.stderr)
    bundle = build_qr_bundle(base_url, progress, out_dir=out)
    print(json.dumps({"pngs": bundle.count, "dir": str(out), "base_url": bundle.base_url,
                      "pdf": str(out / "qr_codes.pdf")}, ensure_ascii=False))
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from app.core.auth import AuthError, create_user
    _ready()
    from app.core.settings import env
    password = args.password or env("QCDC_NEW_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Mật khẩu: ")
            if getpass.getpass("Nhập lại mật khẩu: ") != password:
                print("Hai lần nhập không khớp.", file=sys.stderr)
                return 2
    try:
        user = create_user(args.username, args.name or args.username, password, args.role,
                           district_code=args.district, commune_code=args.commune,
                           email=args.email, must_change_password=args.must_change,
                           actor="cli")
    except AuthError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"created": user.username, "role": user.role,
                      "district": user.district_code, "commune": user.commune_code},
                     ensure_ascii=False))
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from app.cli.stats import collect_stats
    _ready()
    print(json.dumps(collect_stats(), ensure_ascii=False, default=str))
    return 0


def cmd_kiosk_code(args: argparse.Namespace) -> int:
    """One fresh one-time survey URL of a commune's office screen (last line of the output)."""
    from app.core.reference import normalise_commune_code
    from app.survey.kiosk import issue_code_for_commune
    _ready()
    code = normalise_commune_code(args.commune)
    try:
        shown = issue_code_for_commune(code or "", screen_session="cli")
    except LookupError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    print(f"# one-time code of commune {shown.commune_code}, open until "
          f"{shown.expires_at:%d/%m/%Y %H:%M}", file=sys.stderr)
    print(shown.url)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m app.cli", description="QCDC Survey operations")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("init-db", help="migrate the schema and seed reference data")
    s.add_argument("--demo", action="store_true", default=None,
                   help="also create demo accounts and synthetic activity")
    s.set_defaults(func=cmd_init_db)

    s = sub.add_parser("qr", help="write assets/qr/<code>.png for all communes and the PDF list")
    s.add_argument("--base-url", help="public address of the app (default: QCDC_PUBLIC_URL)")
    s.add_argument("--out", help="output folder (default assets/qr)")
    s.set_defaults(func=cmd_qr)

    s = sub.add_parser("create-user", help="add a user (password asked, never on the command "
                                           "line unless --password)")
    s.add_argument("username")
    s.add_argument("--role", required=True,
                   choices=["admin", "province", "farmers", "district", "commune", "screen"])
    s.add_argument("--name")
    s.add_argument("--email")
    s.add_argument("--district", help="district code (role district)")
    s.add_argument("--commune", help="commune code (roles commune and screen)")
    s.add_argument("--password", help="avoid: visible in the shell history; prefer the prompt, "
                                      "standard input or QCDC_NEW_PASSWORD")
    s.add_argument("--must-change", action="store_true",
                   help="require a password change at first sign-in")
    s.set_defaults(func=cmd_create_user)

    s = sub.add_parser("stats", help="print counts as one JSON object")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("kiosk-code", help="print one fresh one-time survey URL of a commune's "
                                          "office screen (last line)")
    s.add_argument("--commune", required=True, help="commune code, e.g. 07201")
    s.set_defaults(func=cmd_kiosk_code)

    from app.cli.admin import add_admin_commands  # questionnaire, users (issue 5)
    add_admin_commands(sub)

    from app.admin.backup import add_backup_commands  # backup, restore (issue 6)
    add_backup_commands(sub)

    from app.cli.integrity import add_integrity_commands  # integrity (issue 12)
    add_integrity_commands(sub)

    from app.admin.api_tokens import add_api_token_commands  # api-token (issue 17)
    add_api_token_commands(sub)

    # More subcommands are added here, each with its handler function above.
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)

