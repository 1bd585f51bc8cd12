"""Citizens' own words: the answers to the open questions of the survey (difficulties met,
proposals), searchable by the staff who watch those communes.

Only the counted sheets (not excluded) of the communes the user may see; nothing that could
identify a citizen (no time finer than the day, no signals). A search word matches whatever
its case and accents ("kho khan" finds "khó khăn").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from app.core.auth import AuthError, Scope
from app.core.campaigns import load_definition
from app.core.i18n import t
from app.core.reference import geography
from app.operations.daily_reports import matches
from db.engine import session_scope
from db.models import Response

ROLES = ("admin", "province", "farmers", "district")
MAX_SCAN = 200_000


@dataclass(frozen=True)
class Opinion:
    commune_code: str
    commune_name: str
    district_name: str
    day: date
    question: str
    text: str


def search_opinions(scope: Scope, campaign_id: int, text: str = "", *,
                    district_code: str | None = None, commune_code: str | None = None,
                    limit: int = 50, offset: int = 0) -> tuple[list[Opinion], int]:
    """Open answers matching `text` (all when empty), newest day first; (page, total)."""
    if scope.role not in ROLES:
        raise AuthError(t("ops.forbidden"))
    geo = geography()
    visible = scope.visible_commune_codes()
    codes = {c.code for c in geo.communes if visible is None or c.code in visible}
    if district_code:
        if not scope.can_see_district(district_code):
            return [], 0
        codes &= {c.code for c in geo.communes_of(district_code)}
    if commune_code:
        codes &= {commune_code}
    if not codes:
        return [], 0
    with session_scope() as s:
        rows = s.exec(select(Response.commune_code, Response.day, Response.questionnaire_id,
                             Response.answers)
                      .where(Response.campaign_id == campaign_id,
                             Response.excluded == False,  # noqa: E712
                             Response.commune_code.in_(sorted(codes)))
                      .order_by(Response.day.desc(), Response.id.desc()).limit(MAX_SCAN)).all()
    open_questions: dict[int, list] = {}
    found: list[Opinion] = []
    for code, day, qid, raw in rows:
        if qid not in open_questions:
            open_questions[qid] = [q for q in load_definition(qid).all_questions
                                   if q.type == "text"]
        if not open_questions[qid]:
            continue
        try:
            answers = json.loads(raw)
        except ValueError:
            continue
        c = geo.by_code.get(code)
        for q in open_questions[qid]:
            value = str(answers.get(q.id) or "").strip()
            if value and (not text.strip() or matches(text, value)):
                found.append(Opinion(code, c.full_name if c else code,
                                     c.district_full_name if c else "", day, q.text, value))
    return found[max(0, offset):max(0, offset) + max(1, min(limit, 200))], len(found)
