"""Bring a database to a usable state: migrate, seed reference data, demo data in demo mode.

Idempotent and cheap when there is nothing to do; the app calls it once per process.
"""
from __future__ import annotations

import logging

from app.core import campaigns, demo
from app.core.reference import reset_cache
from app.core.seed import seed_questionnaire, seed_reference
from app.core.settings import load_settings
from db.migrate import startup_lock, upgrade_to_head

log = logging.getLogger("qcdc")


def ensure_schema() -> dict:
    """Migrate and seed the reference data and the default questionnaire (no demo changes).
    Safe when several processes start at once (one at a time, the others find it done)."""
    with startup_lock():
        upgrade_to_head()
        added = seed_reference()
        qid = seed_questionnaire()
    if added:
        reset_cache()
    return {"communes_added": added, "questionnaire_id": qid}


def ensure_ready(demo_mode: bool | None = None) -> dict:
    if demo_mode is None:
        demo_mode = load_settings().demo_mode
    info = ensure_schema()
    qid = info["questionnaire_id"]
    info["demo_mode"] = demo_mode
    if demo_mode:
        demo.ensure_demo_accounts()
        defn = campaigns.load_definition(qid)
        c = demo.ensure_demo_campaign(qid, defn)
        info["demo_campaign_id"] = c.id
    else:
        info["demo_accounts_disabled"] = demo.disable_demo_accounts()
    campaigns.invalidate()
    return info
