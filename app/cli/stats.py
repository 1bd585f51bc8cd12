"""Counts for operators and scripts (`python -m app.cli stats`)."""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from db.engine import database_url, session_scope
from db.models import Campaign, Commune, DailyReport, District, Response, User


def collect_stats() -> dict:
    with session_scope() as s:
        def n(model):
            return s.exec(select(func.count()).select_from(model)).one()
        per = s.exec(select(Response.campaign_id, func.count(), func.sum(Response.excluded))
                     .group_by(Response.campaign_id)).all()
        camps = {c.id: c for c in s.exec(select(Campaign)).all()}
        from app.survey.kiosk import verified_by_campaign
        verified = verified_by_campaign()
        active = next((c for c in camps.values() if c.is_active), None)
        url = database_url()
        return {
            "database": "sqlite" if url.startswith("sqlite") else url.split(":", 1)[0],
            "districts": n(District),
            "communes": n(Commune),
            "users": n(User),
            "users_active": s.exec(select(func.count()).select_from(User)
                                   .where(User.active == True)).one(),  # noqa: E712
            "campaigns": n(Campaign),
            "active_campaign": active.id if active else None,
            "responses": n(Response),
            "daily_reports": n(DailyReport),
            "responses_per_campaign": [
                {"campaign_id": cid, "name": camps[cid].name if cid in camps else None,
                 "responses": cnt, "excluded": int(excl or 0),
                 "verified_responses": verified.get(cid, 0)} for cid, cnt, excl in per],
        }
