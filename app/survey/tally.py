"""Running aggregates kept in step with responses, so dashboards never scan all answers.

``apply_response`` adds (sign=+1) or removes (sign=-1) one response's contribution to the hour,
option and score tallies. It runs in the same transaction as the insert or exclusion it follows.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.survey.questionnaire import Definition, tally_items
from db.models import CommuneHourTally, OptionTally, ScoreTally
from db.upsert import upsert_add


def apply_response(session: Session, *, campaign_id: int, commune_code: str,
                   questionnaire_id: int, day: date, hour: int, answers: dict[str, Any],
                   scores: dict[str, float], definition: Definition, sign: int = 1,
                   excluded_change: bool = False) -> None:
    hour_row = {"campaign_id": campaign_id, "commune_code": commune_code, "day": day,
                "hour": hour, "n": sign, "n_excluded": (-sign if excluded_change else 0)}
    upsert_add(session, CommuneHourTally.__table__, ("campaign_id", "commune_code", "day", "hour"),
               ("n", "n_excluded"), [hour_row])
    opt_rows = [{"campaign_id": campaign_id, "commune_code": commune_code,
                 "questionnaire_id": questionnaire_id, "question_id": qid,
                 "option_value": val, "n": sign}
                for qid, val in tally_items(definition, answers)]
    upsert_add(session, OptionTally.__table__,
               ("campaign_id", "commune_code", "questionnaire_id", "question_id", "option_value"),
               ("n",), opt_rows)
    score_rows = [{"campaign_id": campaign_id, "commune_code": commune_code, "pillar": p,
                   "n": sign, "total": sign * s, "total_sq": sign * s * s}
                  for p, s in scores.items()]
    upsert_add(session, ScoreTally.__table__, ("campaign_id", "commune_code", "pillar"),
               ("n", "total", "total_sq"), score_rows)


def rebuild_tallies(session: Session, campaign_id: int) -> int:
    """Recompute every tally of a campaign from its responses (used after bulk loads and by
    the consistency check). Returns the number of responses counted."""
    import json
    from collections import defaultdict

    from sqlalchemy import delete, select

    from app.core.campaigns import load_definition
    from db.models import Response

    for model in (CommuneHourTally, OptionTally, ScoreTally):
        session.execute(delete(model).where(model.campaign_id == campaign_id))
    hours: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    options: dict[tuple, int] = defaultdict(int)
    scores: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    defs: dict[int, Definition] = {}
    counted = 0
    rows = session.execute(select(Response.commune_code, Response.questionnaire_id, Response.day,
                                  Response.hour, Response.answers, Response.scores,
                                  Response.excluded)
                           .where(Response.campaign_id == campaign_id))
    for code, qid, day, hour, answers, score_json, excluded in rows:
        h = hours[(code, day, hour)]
        if excluded:
            h[1] += 1
            continue
        h[0] += 1
        counted += 1
        if qid not in defs:
            defs[qid] = load_definition(qid)
        for q, v in tally_items(defs[qid], json.loads(answers)):
            options[(code, qid, q, v)] += 1
        for p, s in json.loads(score_json).items():
            acc = scores[(code, p)]
            acc[0] += 1
            acc[1] += s
            acc[2] += s * s
    if hours:
        session.execute(CommuneHourTally.__table__.insert(), [
            {"campaign_id": campaign_id, "commune_code": c, "day": d, "hour": h,
             "n": v[0], "n_excluded": v[1]} for (c, d, h), v in hours.items()])
    if options:
        session.execute(OptionTally.__table__.insert(), [
            {"campaign_id": campaign_id, "commune_code": c, "questionnaire_id": qid,
             "question_id": q, "option_value": v, "n": n}
            for (c, qid, q, v), n in options.items()])
    if scores:
        session.execute(ScoreTally.__table__.insert(), [
            {"campaign_id": campaign_id, "commune_code": c, "pillar": p, "n": v[0],
             "total": v[1], "total_sq": v[2]} for (c, p), v in scores.items()])
    return counted
