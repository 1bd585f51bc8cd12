"""The audit log viewer: filters, before/after, CSV export, admin only."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.admin import audit_log as av
from app.core import audit, clock
from app.core.auth import AuthError, Scope
from db.engine import session_scope
from db.models import AuditLog

ADMIN = Scope("admin1", "Quản trị", "admin")


@pytest.fixture
def entries(db):
    now = clock.now()
    with session_scope() as s:
        s.add(AuditLog(at=now - timedelta(days=10), actor="old", action="user.create",
                       entity="user", entity_id="1", after='{"username": "old"}'))
        audit.record(s, "admin1", "user.update", "user", 7, before={"role": "province"},
                     after={"role": "district", "district": "213"})
        audit.record(s, "tinh.a", "nomination.approve", "nomination", 3,
                     before={"status": "shortlisted"}, after={"status": "approved"})
        audit.record(s, "admin1", "campaign.update", "=1+2", 1, before={"name": "Đợt cũ"},
                     after={"name": "Đợt mới"})
    return now


def test_filters(entries):
    today = entries.date()
    rows, total = av.query(ADMIN)
    assert total >= 4 and rows[0].at >= rows[-1].at  # newest first
    rows, total = av.query(ADMIN, actors=["admin1"])
    assert {r.action for r in rows} == {"user.update", "campaign.update"}
    rows, _ = av.query(ADMIN, actions=["nomination.approve"])
    assert len(rows) == 1 and rows[0].before == {"status": "shortlisted"}
    rows, _ = av.query(ADMIN, entities=["user"], entity_id="7")
    assert [r.action for r in rows] == ["user.update"]
    rows, _ = av.query(ADMIN, date_from=today - timedelta(days=11), date_to=today - timedelta(days=9))
    assert [r.actor for r in rows] == ["old"]
    rows, _ = av.query(ADMIN, date_from=today, date_to=today, entities=["user"])
    assert [r.action for r in rows] == ["user.update"]
    rows, total = av.query(ADMIN, limit=1)
    assert len(rows) == 1 and total >= 4
    opts = av.filter_options(ADMIN)
    assert {"admin1", "tinh.a", "old"} <= set(opts["actor"]) and "nomination" in opts["entity"]
    assert "=1+2" in opts["entity"]


def test_changes_shows_each_field_before_and_after(entries):
    rows, _ = av.query(ADMIN, actions=["user.update"])
    ch = av.changes(rows[0].before, rows[0].after)
    assert ch == [{"field": "district", "before": None, "after": "213", "changed": True},
                  {"field": "role", "before": "province", "after": "district", "changed": True}]
    assert av.changes(None, None) == []


def test_csv_is_excel_friendly_and_formula_safe(entries):
    rows, _ = av.query(ADMIN, actions=["campaign.update"])
    text = av.to_csv(rows).decode("utf-8")
    assert text.startswith("\ufeffid,at,actor")
    assert "Đợt mới" in text
    line = text.splitlines()[1]
    assert ",'=1+2," in line and ",=1+2" not in line  # a formula-looking cell stays text


def test_only_admins_read_the_log(db):
    for role in ("province", "farmers", "district", "commune"):
        with pytest.raises(AuthError):
            av.query(Scope("x", "x", role, district_code="213", commune_code="07201"))
        with pytest.raises(AuthError):
            av.filter_options(Scope("x", "x", role))
