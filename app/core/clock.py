"""Local time in Vietnam. Every stored timestamp is naive local time (UTC+7, no DST)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")


def now() -> datetime:
    return datetime.now(VN_TZ).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()
