"""Campaigns: the active one, its survey window and its questionnaire."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import select

from app.core import clock
from app.survey.questionnaire import Definition, parse_definition_cached
from db.engine import session_scope
from db.models import Campaign, Questionnaire, Setting

# archived campaigns: a JSON list of ids in this setting (app/admin/campaigns.py writes it)
ARCHIVE_SETTING = "campaigns.archived"

_cache_seconds: float | None = None  # QCDC_CAMPAIGN_CACHE_S, read once per process
_lock = threading.Lock()
_cache: dict[str, tuple[float, object]] = {}

WINDOW_OPEN = "open"
WINDOW_NOT_STARTED = "not_started"
WINDOW_CLOSED = "closed"


@dataclass(frozen=True)
class ActiveCampaign:
    campaign: Campaign
    questionnaire_id: int
    definition: Definition


def window_state(campaign: Campaign, when: datetime | date | None = None) -> str:
    """Whether the survey window is open on the local day `when` (default: now)."""
    day = when.date() if isinstance(when, datetime) else (when or clock.today())
    if day < campaign.start_date:
        return WINDOW_NOT_STARTED
    if day > campaign.end_date:
        return WINDOW_CLOSED
    return WINDOW_OPEN


def campaign_days(campaign: Campaign) -> list[date]:
    from datetime import timedelta
    n = (campaign.end_date - campaign.start_date).days + 1
    return [campaign.start_date + timedelta(days=i) for i in range(max(n, 0))]


def load_definition(questionnaire_id: int) -> Definition:
    key = f"q:{questionnaire_id}"
    hit = _cache.get(key)
    if hit is not None:
        return hit[1]  # versions are immutable: cache forever
    with session_scope() as s:
        q = s.get(Questionnaire, questionnaire_id)
        if q is None:
            raise LookupError(f"questionnaire {questionnaire_id} not found")
        text = q.definition
    defn = parse_definition_cached(text)
    with _lock:
        _cache[key] = (time.monotonic(), defn)
    return defn


def active_campaign(max_age: float | None = None) -> ActiveCampaign | None:
    """The campaign marked active (cached a few seconds, QCDC_CAMPAIGN_CACHE_S: the survey
    page asks on every run)."""
    global _cache_seconds
    if max_age is None:
        if _cache_seconds is None:
            from app.core.settings import read_settings
            _cache_seconds = read_settings().campaign_cache_s
        max_age = _cache_seconds
    hit = _cache.get("active")
    now = time.monotonic()
    if hit is not None and now - hit[0] < max_age:
        return hit[1]
    with session_scope() as s:
        c = s.exec(select(Campaign).where(Campaign.is_active == True)  # noqa: E712
                   .order_by(Campaign.id.desc())).first()
    result = None
    if c is not None:
        result = ActiveCampaign(c, c.questionnaire_id, load_definition(c.questionnaire_id))
    with _lock:
        _cache["active"] = (now, result)
    return result


def invalidate() -> None:
    with _lock:
        _cache.pop("active", None)


def archived_ids_in(session) -> set[int]:
    row = session.get(Setting, ARCHIVE_SETTING)
    try:
        return {int(x) for x in json.loads(row.value)} if row and row.value else set()
    except (TypeError, ValueError):
        return set()


def list_campaigns(include_archived: bool = False) -> list[Campaign]:
    """Campaigns newest first; archived ones only when asked for (the active one always)."""
    with session_scope() as s:
        rows = list(s.exec(select(Campaign).order_by(Campaign.start_date.desc())).all())
        hidden = set() if include_archived else archived_ids_in(s)
    return [c for c in rows if c.id not in hidden or c.is_active]


def definition_json(defn: Definition) -> str:
    return json.dumps(defn.raw, ensure_ascii=False)
