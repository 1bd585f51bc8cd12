"""API tokens, for administrators: issue one to a named consumer (the province's statistics
office, its reporting portal, a district's analyst) with a role and unit, list them, change
when they expire, revoke them. Also the ``python -m app.cli api-token ...`` commands.

Rules:
- the token is shown once, when issued; only its hash is stored (app/api/tokens.py), so a lost
  token cannot be shown again: revoke it and issue a new one;
- role ``province`` reads the whole province; role ``district`` one district's communes;
- every issue, expiry change and revocation is audited (``api_token.create``,
  ``api_token.expire``, ``api_token.revoke``), never with the token;
- a revoked token stays revoked; an expired one may be given a new expiry date.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select

from app.api.tokens import ROLES, display_prefix, new_token
from app.core import audit, clock
from app.core.auth import AuthError, Scope
from app.core.i18n import t
from app.core.reference import geography
from app.core.text import clean_line
from db.engine import session_scope
from db.models import ApiToken, District

MAX_DAYS = 3660
NAME_MAX = 120


def _require_admin(scope: Scope) -> None:
    if scope.role != "admin":
        raise AuthError(t("api_tokens.err.not_allowed"))


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    shown_as: str
    role: str
    district_code: str | None
    unit_name: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None
    use_count: int
    state: str  # active, expired, revoked


def _state(tok: ApiToken, now: datetime) -> str:
    if tok.revoked_at is not None:
        return "revoked"
    if tok.expires_at is not None and tok.expires_at <= now:
        return "expired"
    return "active"


def _row(tok: ApiToken, now: datetime) -> TokenRow:
    unit = t("app.province")
    if tok.role == "district" and tok.district_code:
        d = geography().district(tok.district_code)
        unit = d.full_name if d else tok.district_code
    return TokenRow(tok.id, tok.name, display_prefix(tok.prefix), tok.role, tok.district_code,
                    unit, tok.created_at, tok.created_by, tok.expires_at, tok.revoked_at,
                    tok.revoked_by, tok.last_used_at, tok.use_count or 0, _state(tok, now))


def _public(tok: ApiToken) -> dict:
    """What the audit log keeps of a token (never the token or its hash)."""
    return {"name": tok.name, "prefix": tok.prefix, "role": tok.role,
            "district": tok.district_code, "expires_at": tok.expires_at}


def _expiry(days: int | None, now: datetime, least: int = 0) -> datetime | None:
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not least <= days <= MAX_DAYS:
        raise AuthError(t("api_tokens.err.days", max=MAX_DAYS))
    return now + timedelta(days=days)


def create_token(scope: Scope, name: str, role: str, *, district_code: str | None = None,
                 days: int | None = 365) -> tuple[TokenRow, str]:
    """Issue a token valid for `days` days (None: until revoked); returns its row and the token
    itself (shown once, never stored)."""
    _require_admin(scope)
    name = clean_line(name)[:NAME_MAX].strip()
    if not name:
        raise AuthError(t("api_tokens.err.name"))
    if role not in ROLES:
        raise AuthError(t("api_tokens.err.role"))
    now = clock.now()
    expires_at = _expiry(days, now, least=1)
    token, prefix, digest = new_token()
    with session_scope() as s:
        if role == "district":
            if not district_code or s.get(District, district_code) is None:
                raise AuthError(t("api_tokens.err.district"))
        else:
            district_code = None
        tok = ApiToken(name=name, prefix=prefix, token_hash=digest, role=role,
                       district_code=district_code, created_at=now,
                       created_by=scope.username or "?", expires_at=expires_at)
        s.add(tok)
        s.flush()
        audit.record(s, scope.username, "api_token.create", "api_token", tok.id,
                     after=_public(tok))
        row = _row(tok, now)
    return row, token


def list_tokens(scope: Scope, *, include_revoked: bool = True) -> list[TokenRow]:
    """Every token, newest first, with its use so far (uses of the last seconds are still
    being counted in the app processes' memory: app/api/tokens.py)."""
    _require_admin(scope)
    now = clock.now()
    with session_scope() as s:
        q = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        if not include_revoked:
            q = q.where(ApiToken.revoked_at.is_(None))
        return [_row(tok, now) for tok in s.exec(q).all()]


def _get(s, token_ref: int | str) -> ApiToken:
    """A token by id, or by its public part (``qcdc_abcd1234`` or ``abcd1234``)."""
    tok = None
    if isinstance(token_ref, int) or str(token_ref).isdigit():
        tok = s.get(ApiToken, int(token_ref))
    else:
        prefix = str(token_ref).strip().removeprefix("qcdc_").split("_")[0]
        tok = s.exec(select(ApiToken).where(ApiToken.prefix == prefix)).first()
    if tok is None:
        raise AuthError(t("api_tokens.err.unknown"))
    return tok


def revoke_token(scope: Scope, token_id: int | str) -> TokenRow:
    """Revoke a token for good (audited); revoking twice changes nothing more."""
    _require_admin(scope)
    now = clock.now()
    with session_scope() as s:
        tok = _get(s, token_id)
        if tok.revoked_at is None:
            tok.revoked_at, tok.revoked_by = now, scope.username or "?"
            s.add(tok)
            audit.record(s, scope.username, "api_token.revoke", "api_token", tok.id,
                         before={"revoked": False}, after=_public(tok) | {"revoked": True})
        return _row(tok, now)


def set_expiry(scope: Scope, token_id: int | str, days: int | None = 0) -> TokenRow:
    """Make a token expire `days` days from now (0: at once; None: never), audited. A revoked
    token cannot be brought back."""
    _require_admin(scope)
    now = clock.now()
    expires_at = _expiry(days, now)
    with session_scope() as s:
        tok = _get(s, token_id)
        if tok.revoked_at is not None:
            raise AuthError(t("api_tokens.err.revoked"))
        before = tok.expires_at
        tok.expires_at = expires_at
        s.add(tok)
        audit.record(s, scope.username, "api_token.expire", "api_token", tok.id,
                     before={"expires_at": before}, after=_public(tok))
        return _row(tok, now)


# --- command line ---------------------------------------------------------------------------

def _cli_scope() -> Scope:
    from app.cli.admin import CLI_SCOPE
    return CLI_SCOPE


def _ready() -> None:
    from app.core.startup import ensure_schema
    ensure_schema()


def _dump(row: TokenRow) -> dict:
    return {"id": row.id, "name": row.name, "token": row.shown_as, "role": row.role,
            "district": row.district_code, "state": row.state,
            "created_at": row.created_at, "expires_at": row.expires_at,
            "revoked_at": row.revoked_at, "last_used_at": row.last_used_at,
            "use_count": row.use_count}


def cmd_create(args: argparse.Namespace) -> int:
    _ready()
    try:
        row, token = create_token(_cli_scope(), args.name, args.role,
                                  district_code=args.district,
                                  days=None if args.no_expiry else args.days)
    except AuthError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    print(t("api_tokens.cli.shown_once"), file=sys.stderr)
    print(json.dumps(_dump(row) | {"token": token}, ensure_ascii=False, default=str))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    _ready()
    rows = list_tokens(_cli_scope(), include_revoked=args.all)
    print(json.dumps([_dump(r) for r in rows], ensure_ascii=False, default=str))
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    _ready()
    try:
        row = revoke_token(_cli_scope(), args.token)
    except AuthError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(_dump(row), ensure_ascii=False, default=str))
    return 0


def add_api_token_commands(sub) -> None:
    """``python -m app.cli api-token create|list|revoke`` (registered by app/cli/__init__.py)."""
    p = sub.add_parser("api-token", help="tokens of the read API (docs/API.md)")
    verbs = p.add_subparsers(dest="verb", required=True)
    c = verbs.add_parser("create", help="issue a token; printed once, only its hash is kept")
    c.add_argument("name", help="who uses it, e.g. \"Cục Thống kê tỉnh\"")
    c.add_argument("--role", required=True, choices=list(ROLES))
    c.add_argument("--district", help="district code (role district)")
    c.add_argument("--days", type=int, default=365, help="days until it expires (default 365)")
    c.add_argument("--no-expiry", action="store_true", help="valid until revoked")
    c.set_defaults(func=cmd_create)
    c = verbs.add_parser("list", help="the tokens as JSON (never the tokens themselves)")
    c.add_argument("--all", action="store_true", help="include revoked tokens")
    c.set_defaults(func=cmd_list)
    c = verbs.add_parser("revoke", help="revoke a token by id or public part (qcdc_abcd1234)")
    c.add_argument("token")
    c.set_defaults(func=cmd_revoke)
