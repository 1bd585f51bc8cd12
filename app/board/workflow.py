"""The nominations' workflow: proposal -> shortlist -> approve / reject (and reopen), with
who may take each step; every step is recorded in the nomination's history and the audit log.

Workflow and permissions (enforced here, whatever the page shows):

=====================  ==================================  ==================================
step                   from → to                           who
=====================  ==================================  ==================================
propose                (new) → proposed                    province, farmers, admin
edit                   proposed / shortlisted              province, farmers, admin
shortlist              proposed → shortlisted              province, admin
approve                shortlisted → approved              province, admin; not the proposer
reject                 proposed / shortlisted → rejected   province, admin (reason required)
reopen                 approved / rejected → shortlisted   province, admin (reason required)
=====================  ==================================  ==================================

Every step appends ``{at, by, role, action, from, to, note}`` to ``history`` and writes an audit
entry in the same transaction. The final list is the approved nominations of a campaign; it must
hold ``FINAL_MIN``..``FINAL_MAX`` (3–5) of them, and exports refuse any other count.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from app.board.evidence import evidence_snapshot, evidence_summary
from app.board.rules import (
    KINDS,
    MAX_NAME,
    MAX_TEXT,
    NOTE_REQUIRED,
    PROPOSE_ROLES,
    TRANSITIONS,
    VIEW_ROLES,
    NominationError,
    _require,
    clean,
    get_campaign,
)
from app.core import audit, clock
from app.core.auth import AuthError, Scope
from app.core.fmt import fmt_int
from app.core.i18n import t
from app.core.reference import find_commune, geography
from db.engine import session_scope
from db.models import Nomination, RosterEntry


@dataclass
class NominationView:
    id: int
    campaign_id: int
    kind: str
    name: str
    unit: str
    commune_code: str | None
    district_code: str | None
    commune_name: str
    district_name: str
    achievements: str
    evidence: dict
    status: str
    proposed_by: str | None
    proposed_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    history: list[dict] = field(default_factory=list)

    @property
    def evidence_text(self) -> str:
        return evidence_summary(self.evidence)


def as_view(n: Nomination) -> NominationView:
    c = find_commune(n.commune_code) if n.commune_code else None
    d = geography().district(n.district_code) if n.district_code else None
    return NominationView(
        id=n.id, campaign_id=n.campaign_id, kind=n.kind, name=n.name, unit=n.unit,
        commune_code=n.commune_code, district_code=n.district_code,
        commune_name=c.full_name if c else "", district_name=d.full_name if d else "",
        achievements=n.achievements, evidence=json.loads(n.evidence or "{}"), status=n.status,
        proposed_by=n.proposed_by, proposed_at=n.proposed_at, decided_by=n.decided_by,
        decided_at=n.decided_at, history=json.loads(n.history or "[]"))



def list_nominations(scope: Scope, campaign_id: int,
                     status: str | None = None) -> list[NominationView]:
    _require(scope, VIEW_ROLES)
    with session_scope() as s:
        q = select(Nomination).where(Nomination.campaign_id == campaign_id)
        if status:
            q = q.where(Nomination.status == status)
        rows = s.exec(q.order_by(Nomination.id)).all()
        return [as_view(n) for n in rows]


def get_nomination(scope: Scope, nomination_id: int) -> NominationView:
    _require(scope, VIEW_ROLES)
    with session_scope() as s:
        n = s.get(Nomination, nomination_id)
        if n is None:
            raise NominationError(t("nominations.err.not_found"))
        return as_view(n)


def propose(scope: Scope, campaign_id: int, *, kind: str, name: str, unit: str = "",
            commune_code: str | None = None, district_code: str | None = None,
            achievements: str, roster_entry_id: int | None = None) -> NominationView:
    """Create a nomination in status ``proposed`` with a frozen evidence snapshot."""
    _require(scope, PROPOSE_ROLES)
    if kind not in KINDS:
        raise NominationError(t("nominations.err.kind"))
    name = clean(name, MAX_NAME + 1)
    unit = clean(unit, MAX_NAME + 1)
    achievements = clean(achievements, MAX_TEXT + 1)
    if not name:
        raise NominationError(t("nominations.err.name"))
    if len(name) > MAX_NAME or len(unit) > MAX_NAME:
        raise NominationError(t("nominations.err.too_long", max=MAX_NAME))
    if len(achievements) < 10:
        raise NominationError(t("nominations.err.achievements"))
    if len(achievements) > MAX_TEXT:
        raise NominationError(t("nominations.err.too_long", max=fmt_int(MAX_TEXT)))
    commune_code = (commune_code or "").strip() or None
    district_code = (district_code or "").strip() or None
    now = clock.now()
    with session_scope() as s:
        campaign = get_campaign(s, campaign_id)
        entry = None
        if roster_entry_id is not None:
            entry = s.get(RosterEntry, roster_entry_id)
            if entry is None or entry.campaign_id != campaign_id:
                raise NominationError(t("nominations.err.roster_entry"))
            if kind != "individual":
                raise NominationError(t("nominations.err.kind"))
            commune_code = commune_code or entry.commune_code
            if commune_code != entry.commune_code:
                raise NominationError(t("nominations.err.roster_entry"))
        if commune_code:
            c = find_commune(commune_code)
            if c is None:
                raise NominationError(t("nominations.err.unknown_commune"))
            if district_code and district_code != c.district_code:
                raise NominationError(t("nominations.err.district_mismatch"))
            district_code = c.district_code
        elif district_code:
            if geography().district(district_code) is None:
                raise NominationError(t("nominations.err.unknown_district"))
        elif kind == "collective":
            raise NominationError(t("nominations.err.unit_required"))
        dup = s.exec(select(Nomination).where(
            Nomination.campaign_id == campaign_id, Nomination.kind == kind,
            Nomination.status != "rejected",
            func.lower(Nomination.name) == name.lower(),
            Nomination.commune_code == commune_code if commune_code
            else Nomination.commune_code.is_(None))).first()
        if dup is not None:
            raise NominationError(t("nominations.err.duplicate", id=dup.id))
        evidence = evidence_snapshot(s, campaign, kind, commune_code, entry)
        step = {"at": now.isoformat(sep=" "), "by": scope.username, "role": scope.role,
                "action": "propose", "from": None, "to": "proposed", "note": ""}
        n = Nomination(campaign_id=campaign_id, kind=kind, name=name, unit=unit,
                       commune_code=commune_code, district_code=district_code,
                       achievements=achievements,
                       evidence=json.dumps(evidence, ensure_ascii=False, sort_keys=True),
                       status="proposed", proposed_by=scope.username, proposed_at=now,
                       history=json.dumps([step], ensure_ascii=False))
        s.add(n)
        s.flush()
        audit.record(s, scope.username, "nomination.propose", "nomination", n.id,
                     after={"campaign_id": campaign_id, "kind": kind, "name": name, "unit": unit,
                            "commune": commune_code, "district": district_code,
                            "status": "proposed"})
        return as_view(n)


def update_nomination(scope: Scope, nomination_id: int, *, name: str | None = None,
                      unit: str | None = None, achievements: str | None = None) -> NominationView:
    """Edit the words of a nomination still under review (the evidence stays as it was)."""
    _require(scope, PROPOSE_ROLES)
    with session_scope() as s:
        n = s.get(Nomination, nomination_id)
        if n is None:
            raise NominationError(t("nominations.err.not_found"))
        if n.status not in ("proposed", "shortlisted"):
            raise NominationError(t("nominations.err.locked", status=t(f"nominations.status.{n.status}")))
        before = {"name": n.name, "unit": n.unit, "achievements": n.achievements}
        if name is not None:
            name = clean(name, MAX_NAME + 1)
            if not name:
                raise NominationError(t("nominations.err.name"))
            if len(name) > MAX_NAME:
                raise NominationError(t("nominations.err.too_long", max=MAX_NAME))
            n.name = name
        if unit is not None:
            unit = clean(unit, MAX_NAME + 1)
            if len(unit) > MAX_NAME:
                raise NominationError(t("nominations.err.too_long", max=MAX_NAME))
            n.unit = unit
        if achievements is not None:
            achievements = clean(achievements, MAX_TEXT + 1)
            if len(achievements) < 10:
                raise NominationError(t("nominations.err.achievements"))
            if len(achievements) > MAX_TEXT:
                raise NominationError(t("nominations.err.too_long", max=fmt_int(MAX_TEXT)))
            n.achievements = achievements
        after = {"name": n.name, "unit": n.unit, "achievements": n.achievements}
        if after == before:
            return as_view(n)
        history = json.loads(n.history or "[]")
        history.append({"at": clock.now().isoformat(sep=" "), "by": scope.username,
                        "role": scope.role, "action": "edit", "from": n.status, "to": n.status,
                        "note": ""})
        n.history = json.dumps(history, ensure_ascii=False)
        s.add(n)
        audit.record(s, scope.username, "nomination.edit", "nomination", n.id, before=before,
                     after=after)
        return as_view(n)


def blocked_actions(scope: Scope, nom: NominationView) -> dict[str, str]:
    """The steps this user's role could take on this nomination now but this user may not,
    each with the reason (shown on the page): nobody approves their own proposal."""
    out = {}
    for action, (sources, _target, roles) in TRANSITIONS.items():
        if nom.status in sources and scope.role in roles and action == "approve" \
                and nom.proposed_by == scope.username:
            out[action] = t("nominations.err.own_proposal")
    return out


def allowed_actions(scope: Scope, nom: NominationView) -> list[str]:
    """The workflow steps this user may take on this nomination now (for the page's buttons)."""
    blocked = blocked_actions(scope, nom)
    return [action for action, (sources, _target, roles) in TRANSITIONS.items()
            if nom.status in sources and scope.role in roles and action not in blocked]


def transition(scope: Scope, nomination_id: int, action: str, note: str = "") -> NominationView:
    """Move a nomination one step along the workflow (see the module docstring)."""
    if action not in TRANSITIONS:
        raise NominationError(t("nominations.err.action"))
    sources, target, roles = TRANSITIONS[action]
    _require(scope, roles)
    note = clean(note, 1001)[:1000]
    if action in NOTE_REQUIRED and not note:
        raise NominationError(t("nominations.err.note_required"))
    now = clock.now()
    with session_scope() as s:
        n = s.get(Nomination, nomination_id)
        if n is None:
            raise NominationError(t("nominations.err.not_found"))
        if n.status not in sources:
            raise NominationError(t("nominations.err.bad_step", action=t(f"nominations.action.{action}"),
                                    status=t(f"nominations.status.{n.status}")))
        blocked = blocked_actions(scope, as_view(n)).get(action)
        if blocked:
            raise AuthError(blocked)
        before = {"status": n.status, "decided_by": n.decided_by}
        history = json.loads(n.history or "[]")
        history.append({"at": now.isoformat(sep=" "), "by": scope.username, "role": scope.role,
                        "action": action, "from": n.status, "to": target, "note": note})
        n.status = target
        if target in ("approved", "rejected"):
            n.decided_by, n.decided_at = scope.username, now
        else:
            n.decided_by, n.decided_at = None, None
        n.history = json.dumps(history, ensure_ascii=False)
        s.add(n)
        audit.record(s, scope.username, f"nomination.{action}", "nomination", n.id,
                     before=before, after={"status": target, "note": note,
                                           "decided_by": n.decided_by})
        return as_view(n)


