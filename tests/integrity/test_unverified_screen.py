"""The integrity engine and the office screens (issue 15): a commune whose screen was in use
but whose day holds many more sheets not verified in person than the other screen days is a
warning naming those sheets; an ordinary screen day is not."""
from __future__ import annotations

from app.core.auth import Scope
from app.survey import kiosk
from app.survey.responses import new_submission_token, submit_response
from tests.sheets import valid_answers

HONEST, STUFFED = "07201", "07204"


def _sheets(active, commune: str, verified: int, unverified: int) -> None:
    for i in range(verified):
        shown = kiosk.issue_code(Scope("m", "M", "screen", commune_code=commune), commune)
        tok = kiosk.open_code(active.campaign.id, commune, shown.code, None).token
        assert submit_response(active, commune, valid_answers(active.definition, i), tok,
                               kiosk_code=shown.code).verified
    for i in range(unverified):
        assert submit_response(active, commune, valid_answers(active.definition, i + 3),
                               new_submission_token()).ok


def test_many_unverified_sheets_on_a_screen_day_are_a_warning(active):
    from app.integrity import evaluate
    from app.integrity.data import load
    _sheets(active, HONEST, verified=55, unverified=8)
    _sheets(active, STUFFED, verified=6, unverified=45)
    rows = load(active.campaign.id)
    assert int(rows.verified.sum()) == 61 and len(rows.screen) == 2
    report = evaluate(active.campaign.id)
    found = [c for c in report.clusters if c.kind == "unverified"]
    assert [c.commune_code for c in found] == [STUFFED]
    assert found[0].size == 45 and "không qua màn hình" in found[0].text
    # a verified sheet is never among the named ones
    with_ids = set(found[0].response_ids)
    from sqlalchemy import select

    from db.engine import session_scope
    from db.models import Response
    with session_scope() as s:
        verified = set(s.execute(select(Response.id).where(Response.verified == True))  # noqa: E712
                       .scalars())
    assert not with_ids & verified
