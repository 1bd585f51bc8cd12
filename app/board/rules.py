"""The nominations' rules: kinds, statuses, who may propose, review and view, the workflow's
steps (``TRANSITIONS``), the limits of the final list and of the texts, and the error a refused
action raises. Shared by app/board/evidence.py, workflow.py and final_list.py."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.core.auth import AuthError, Scope
from app.core.i18n import t
from db.models import Campaign

FINAL_MIN = 3
FINAL_MAX = 5
KINDS = ("collective", "individual")
STATUSES = ("proposed", "shortlisted", "approved", "rejected")

PROPOSE_ROLES = ("province", "farmers", "admin")
REVIEW_ROLES = ("province", "admin")
VIEW_ROLES = ("province", "farmers", "admin")

# action -> (statuses it may start from, status it leads to, roles allowed)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "shortlist": (("proposed",), "shortlisted", REVIEW_ROLES),
    "approve": (("shortlisted",), "approved", REVIEW_ROLES),
    "reject": (("proposed", "shortlisted"), "rejected", REVIEW_ROLES),
    "reopen": (("approved", "rejected"), "shortlisted", REVIEW_ROLES),
}
NOTE_REQUIRED = ("reject", "reopen")
SHIFT_WEIGHT = {"sang": 1, "chieu": 1, "ca_ngay": 2}
MAX_TEXT = 4000
MAX_NAME = 200


class NominationError(ValueError):
    """A refused nomination action; the message is Vietnamese and meant for the user."""


def _require(scope: Scope, roles: Iterable[str]) -> None:
    if scope.role not in roles:
        raise AuthError(t("nominations.err.not_allowed"))



def get_campaign(s, campaign_id: int) -> Campaign:
    c = s.get(Campaign, campaign_id)
    if c is None:
        raise NominationError(t("nominations.err.no_campaign"))
    return c



def clean(text: Any, limit: int) -> str:
    from app.core.text import clean_text
    return clean_text(str(text or ""))[:limit]


