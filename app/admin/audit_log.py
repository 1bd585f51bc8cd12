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
    w.writerow(["id", "at", "actor", "action", "description", "entity", "entity_id", "before",
                "after"])
    for e in entries:
        w.writerow([csv_text(x) for x in (
            e.id, e.at.isoformat(sep=" "), e.actor, e.action, sentence(e), e.entity,
            e.entity_id or "",
            json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
            json.dumps(e.after, ensure_ascii=False) if e.after is not None else "")])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


# --------------------------------------------------------------------------------------------
# In words a person reads
# --------------------------------------------------------------------------------------------

# the fields that matter most come first in a summary
FIELD_ORDER = ("username", "name", "role", "active", "status", "kind", "entries", "visits",
               "guided", "helpers_on_duty", "photos_added", "photos_removed", "published",
               "version", "code", "title", "questions", "questionnaire_id", "created",
               "skipped", "format", "approved", "note")
SKIP = {"id", "changes", "usernames", "history"}


def action_label(action: str) -> str:
    """The action as a person says it ("Tạo phiên bản bảng hỏi mới" for
    questionnaire.new_version); an action this version does not know keeps its code."""
    key = "audit.action." + action.replace(".", "_")
    text = t(key) if key in _known_keys() else None
    return text or t("audit.action.other", code=action)


def entity_label(entity: str) -> str:
    key = f"audit.entity.{entity}"
    return t(key) if key in _known_keys() else entity


def field_label(field: str) -> str:
    key = f"audit.field.{field}"
    return t(key) if key in _known_keys() else field


def _known_keys() -> set[str]:
    from app.core.i18n import VI
    return set(VI)


def value_text(value: Any, field: str = "", entity: str = "") -> str:
    """A stored value in words: yes/no, dates dd/mm/yyyy, numbers 1.234,5, lists shortened;
    a code in words where one is known for the entity's field or the field."""
    from app.core.fmt import fmt_date, fmt_float, fmt_int
    if isinstance(value, str) and f"audit.value.{entity}.{field}.{value}" in _known_keys():
        return t(f"audit.value.{entity}.{field}.{value}")  # an API token's role: its reach
    if field == "role" and isinstance(value, str) and f"role.{value}" in _known_keys():
        return t(f"role.{value}")
    if field == "status" and isinstance(value, str) \
            and f"nominations.status.{value}" in _known_keys():
        return t(f"nominations.status.{value}")
    if isinstance(value, str) and f"audit.value.{field}.{value}" in _known_keys():
        return t(f"audit.value.{field}.{value}")  # a code in words ("excel" -> "tệp Excel")
    if value is None or value == "":
        return t("audit.value.empty")
    if isinstance(value, bool):
        return t("audit.value.yes") if value else t("audit.value.no")
    if isinstance(value, int):
        return fmt_int(value)
    if isinstance(value, float):
        return fmt_float(value, 2).rstrip("0").rstrip(",") if value != int(value) else fmt_int(value)
    if isinstance(value, str):
        try:
            if len(value) == 10 and value[4] == "-":
                return fmt_date(date.fromisoformat(value))
            if len(value) >= 16 and value[4] == "-" and value[10] in " T":
                return datetime.fromisoformat(value).strftime("%H:%M %d/%m/%Y")
        except ValueError:
            pass
        return value if len(value) <= 80 else value[:77] + "…"
    if isinstance(value, (list, tuple)):
        items = [value_text(v) for v in value[:5]]
        more = len(value) - len(items)
        return ", ".join(items) + (t("audit.value.more", n=fmt_int(more)) if more > 0 else "")
    if isinstance(value, dict):
        return t("audit.value.details", n=fmt_int(len(value)))
    return str(value)


def summary(e: AuditEntry, limit: int = 220) -> str:
    """What changed, in one line: "Tên: A → B; Lượt khách: 12 → 15" or the values recorded."""
    b = e.before if isinstance(e.before, dict) else {}
    a = e.after if isinstance(e.after, dict) else {}
    keys = [k for k in dict.fromkeys([*a, *b]) if k not in SKIP]
    keys.sort(key=lambda k: FIELD_ORDER.index(k) if k in FIELD_ORDER else len(FIELD_ORDER))
    parts = []
    for k in keys:
        if k in a and k in b:
            if a[k] == b[k]:
                continue
            parts.append(f"{field_label(k)}: {value_text(b[k], k, e.entity)} → {value_text(a[k], k, e.entity)}")
        elif k in a:
            parts.append(f"{field_label(k)}: {value_text(a[k], k, e.entity)}")
        else:
            parts.append(f"{field_label(k)}: {value_text(b[k], k, e.entity)} → {t('audit.value.empty')}")
    if isinstance(e.after, dict) and isinstance(e.after.get("changes"), dict):
        ch = e.after["changes"]
        for kind in ("added", "removed", "changed"):
            if ch.get(kind):
                parts.append(t(f"audit.changes.{kind}", ids=", ".join(ch[kind])))
    text = "; ".join(parts)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def sentence(e: AuditEntry) -> str:
    """The entry as one sentence: who did what to what, and the details."""
    what = entity_label(e.entity) + (f" {e.entity_id}" if e.entity_id else "")
    detail = summary(e)
    label = action_label(e.action)
    # "Cấp khóa truy cập API" -> "cấp khóa truy cập API": only the first letter
    return t("audit.sentence", actor=e.actor, action=label[:1].lower() + label[1:],
             what=what) + (f" ({detail})" if detail else "")
