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
    assert av.summary(e) == "Số người: 0 → 2; Nguồn: editor"
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
