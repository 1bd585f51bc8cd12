"""Reading the audit log (admin only): filter by actor, action, entity and date range."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from app.core.auth import AuthError, Scope
from app.core.i18n import t
from db.engine import session_scope
from db.models import AuditLog

MAX_ROWS = 2000


@dataclass
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: Any
    after: Any


def _load(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _require_admin(scope: Scope) -> None:
    if scope.role != "admin":
        raise AuthError(t("audit.err.not_allowed"))


def filter_options(scope: Scope) -> dict[str, list[str]]:
    """Distinct actors, actions and entities, for the filter widgets."""
    _require_admin(scope)
    with session_scope() as s:
        return {
            "actor": sorted(s.exec(select(AuditLog.actor).distinct()).all()),
            "action": sorted(s.exec(select(AuditLog.action).distinct()).all()),
            "entity": sorted(s.exec(select(AuditLog.entity).distinct()).all()),
        }


def query(scope: Scope, *, actors: list[str] | None = None, actions: list[str] | None = None,
          entities: list[str] | None = None, entity_id: str | None = None,
          date_from: date | None = None, date_to: date | None = None,
          limit: int = 500) -> tuple[list[AuditEntry], int]:
    """Entries matching every given filter, newest first, and how many match in total."""
    _require_admin(scope)
    conds = []
    if actors:
        conds.append(AuditLog.actor.in_(actors))
    if actions:
        conds.append(AuditLog.action.in_(actions))
    if entities:
        conds.append(AuditLog.entity.in_(entities))
    if entity_id:
        conds.append(AuditLog.entity_id == str(entity_id).strip())
    if date_from:
        conds.append(AuditLog.at >= datetime.combine(date_from, time.min))
    if date_to:
        conds.append(AuditLog.at < datetime.combine(date_to + timedelta(days=1), time.min))
    limit = max(1, min(int(limit), MAX_ROWS))
    with session_scope() as s:
        total = s.exec(select(func.count()).select_from(AuditLog).where(*conds)).one()
        rows = s.exec(select(AuditLog).where(*conds)
                      .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)).all()
        return [AuditEntry(r.id, r.at, r.actor, r.action, r.entity, r.entity_id,
                           _load(r.before), _load(r.after)) for r in rows], int(total)


def changes(before: Any, after: Any) -> list[dict[str, Any]]:
    """Field-by-field view of one entry: [{field, before, after}] (top-level keys)."""
    if not isinstance(before, dict) and not isinstance(after, dict):
        if before is None and after is None:
            return []
        return [{"field": "", "before": before, "after": after}]
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    out = []
    for k in sorted(set(b) | set(a)):
        out.append({"field": k, "before": b.get(k), "after": a.get(k),
                    "changed": b.get(k) != a.get(k)})
    return out


def to_csv(entries: list[AuditEntry]) -> bytes:
    import csv
    import io

    from app.core.spreadsheet import csv_text
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "at", "actor", "action", "entity", "entity_id", "before", "after"])
    for e in entries:
        w.writerow([csv_text(x) for x in (
            e.id, e.at.isoformat(sep=" "), e.actor, e.action, e.entity, e.entity_id or "",
            json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
            json.dumps(e.after, ensure_ascii=False) if e.after is not None else "")])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly
