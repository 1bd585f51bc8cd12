"""The audit log reads as sentences: actions in Vietnamese, what changed with field names and
values a person reads (1.234, dd/mm/yyyy, có/không), never raw JSON."""
from __future__ import annotations

from datetime import timedelta

from app.admin import audit_log as av
from app.admin import campaigns as ca
from app.core.auth import Scope
from app.operations.roster import save_roster
from tests.commune_ops_helpers import XA, row

ADMIN = Scope("admin1", "Quản trị", "admin")


def _latest(action):
    entries, _ = av.query(ADMIN, actions=[action])
    return entries[0]


def test_entries_in_words(active):
    c = active.campaign
    days = [(c.start_date + timedelta(days=0)).isoformat()]
    assert save_roster(XA, c, None, [row(days=days), row(name="Trần Thị Bình",
                                                         phone="0988111222", days=days)]).ok
    e = _latest("roster.save")
    assert av.action_label(e.action) == "Lưu danh sách người hỗ trợ"
    assert av.summary(e) == "Số người: 0 → 2; Nguồn: nhập trên trang"
    assert av.sentence(e).startswith("demo.xa lưu danh sách người hỗ trợ: danh sách hỗ trợ")
    values = {f: getattr(c, f) for f in ca.FIELDS}
    ca.update_campaign(ADMIN, c.id, values | {"ratio_high": 1.5, "min_sample": 1200})
    s = av.summary(_latest("campaign.update"))
    assert "Tỷ lệ tối đa: 1,2 → 1,5" in s and "Số phiếu tối thiểu: 30 → 1.200" in s
    assert "{" not in s and "ratio_high" not in s
    assert av.action_label("api.something_new") == "Thao tác api.something_new"
    assert av.value_text(True) == "có" and av.value_text("2024-05-06") == "06/05/2024"
    assert av.value_text("province", "role") == "Ban Dân vận Tỉnh ủy"
    csv = av.to_csv(av.query(ADMIN)[0]).decode("utf-8-sig")
    assert "Lưu danh sách người hỗ trợ" in csv or "lưu danh sách người hỗ trợ" in csv


def _recorded_actions() -> set[str]:
    """Every action code the app writes to the audit log, read from its source."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    found = set()
    for path in [*root.glob("app/**/*.py"), *root.glob("db/**/*.py")]:
        src = path.read_text(encoding="utf-8")
        # audit.record(session, actor, "entity.verb", ...): the third argument
        found |= set(re.findall(r'audit\.record\(\s*[^,()]+,\s*[^,()]+(?:\[[^]]*\])?,\s*'
                                r'"([a-z_]+\.[a-z_]+)"', src))
        # ... "entity.verb" if x else "entity.other", ...
        for pair in re.findall(r'audit\.record\(\s*[^,()]+,\s*[^,()]+,\s*"([a-z_]+\.[a-z_]+)"'
                               r' if [^,]+ else "([a-z_]+\.[a-z_]+)"', src):
            found |= set(pair)
        found |= set(re.findall(r'action(?:, after\[[^]]+\])? = "([a-z_]+\.[a-z_]+)"', src))
        found |= set(re.findall(r'action, after = "([a-z_]+\.[a-z_]+)"', src))
    for step in ("propose", "edit", "shortlist", "approve", "reject", "reopen", "export"):
        found.add(f"nomination.{step}")  # workflow.py records f"nomination.{action}"
    return found


def test_every_action_the_app_records_reads_in_words():
    actions = _recorded_actions()
    assert {"api_token.create", "auth.failed", "auth.locked", "roster.save", "user.disable",
            "report.update"} <= actions
    unnamed = sorted(a for a in actions if av.action_label(a).startswith("Thao tác "))
    assert not unnamed, f"audit actions without words in app/core/i18n.py: {unnamed}"


def test_api_token_entries_in_words(db):
    from app.admin import api_tokens as tokens
    row, _ = tokens.create_token(ADMIN, "Cổng báo cáo tỉnh", "province", days=30)
    tokens.revoke_token(ADMIN, row.id)
    created, revoked = _latest("api_token.create"), _latest("api_token.revoke")
    assert av.sentence(created).startswith("admin1 cấp khóa truy cập API: khóa API")
    assert "Vai trò: đọc toàn tỉnh" in av.summary(created)  # not the Board's name
    assert "Tên: Cổng báo cáo tỉnh" in av.summary(created) and "Hết hạn: " in av.summary(created)
    assert "Đã thu hồi: không → có" in av.summary(revoked)
    assert "api_token" not in av.sentence(revoked) and "prefix" not in av.summary(created)


def test_failed_sign_ins_say_why(db):
    from app.core import audit
    from db.engine import session_scope
    with session_scope() as s:
        audit.record(s, "ai.do", "auth.failed", "user", None, after={"reason": "unknown"})
    e = _latest("auth.failed")
    assert av.sentence(e) == ("ai.do đăng nhập không thành công: tài khoản "
                              "(Lý do: không có tên đăng nhập này)")
