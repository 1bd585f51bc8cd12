"""Audit log: who changed what, when, with the value before and after."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from app.core import clock
from db.models import AuditLog


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


def record(session: Session, actor: str, action: str, entity: str, entity_id: Any = None,
           before: Any = None, after: Any = None) -> None:
    """Add an audit entry inside the caller's transaction (it commits or rolls back with it)."""
    session.add(AuditLog(at=clock.now(), actor=actor or "?", action=action, entity=entity,
                         entity_id=None if entity_id is None else str(entity_id),
                         before=_dump(before), after=_dump(after)))
