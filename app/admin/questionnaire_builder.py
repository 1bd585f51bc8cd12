"""Questionnaire builder (admin): editable tables <-> definition JSON, and new versions.

The builder edits three flat tables (pillars, questions, options) so they fit ``st.data_editor``;
``build_definition`` turns them back into a definition (the format of db/seed/pks03.json) and
reports every problem in Vietnamese with its table row.

Versioning rule: a Questionnaire row is never changed once written. Saving always creates the
next version of the same ``code`` (``save_version``); answers keep the ``questionnaire_id`` they
were given, so an old response is still read and scored with its own version. A campaign switches
to a new version with ``assign_to_campaign``; when the campaign already has answers on another
version, that needs an explicit ``allow_mixed`` (each response keeps its own version). Citizens
see the closed questions numbered ("Câu 5."); a version that numbers them differently (a
question inserted, removed or moved) while the campaign's survey window is open needs an
explicit ``allow_renumber``: helpers at the one-stop office and printed guidance refer to
questions by number.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.core import audit, campaigns, clock
from app.core.auth import AuthError, Scope
from app.core.campaigns import WINDOW_OPEN, window_state
from app.core.i18n import t
from app.survey.questionnaire import QUESTION_TYPES, DefinitionError, parse_definition
from db.engine import session_scope
from db.models import Campaign, Questionnaire, Response

ID_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
ADMIN_ROLES = ("admin",)
ORDER_STEP = 10


class BuilderError(ValueError):
    """A refused builder action; `problems` lists every issue found (Vietnamese)."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


def _require_admin(scope: Scope) -> None:
    if scope.role not in ADMIN_ROLES:
        raise AuthError(t("questionnaire.err.not_allowed"))


# --------------------------------------------------------------------------------------------
# Definition <-> tables
# --------------------------------------------------------------------------------------------

def is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:  # pandas NA / NaT
        import pandas as pd
        if v is pd.NA or v is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(v, str) and v.strip() == ""


def _text(v: Any) -> str:
    return "" if is_blank(v) else str(v).strip()


def _bool(v: Any) -> bool:
    if is_blank(v):
        return False
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "có", "co", "x")
    return bool(v)


def _num(v: Any) -> float | None:
    if is_blank(v):
        return None
    if isinstance(v, bool):
        raise ValueError
    return float(str(v).replace(",", ".")) if isinstance(v, str) else float(v)


@dataclass
class Tables:
    meta: dict
    pillars: list[dict]
    questions: list[dict]
    options: list[dict]


def definition_to_tables(data: dict) -> Tables:
    """Flatten a definition into the builder's tables (orders 10, 20, 30...)."""
    meta = {"code": str(data.get("code") or "PKS03"), "title": str(data.get("title") or ""),
            "intro": str(data.get("intro") or "")}
    pillars = [{"order": (i + 1) * ORDER_STEP, "id": str(p["id"]), "name": str(p["name"])}
               for i, p in enumerate(data.get("pillars") or [])]
    questions: list[dict] = []
    options: list[dict] = []
    all_q = [(q, False) for q in data.get("questions") or []] + \
            [(q, True) for q in data.get("profile") or []]
    for i, (q, profile) in enumerate(all_q):
        scale = q.get("scale") or {}
        qtype = q.get("type")
        questions.append({
            "order": (i + 1) * ORDER_STEP, "id": q.get("id"), "type": qtype,
            "text": q.get("text", ""), "required": bool(q.get("required", False)),
            "pillar": q.get("pillar"), "profile": profile,
            "scale_min": int(scale.get("min", 1)) if qtype == "rating" else None,
            "scale_max": int(scale.get("max", 5)) if qtype == "rating" else None,
            "min_label": scale.get("min_label", "") if qtype == "rating" else "",
            "max_label": scale.get("max_label", "") if qtype == "rating" else "",
            "max_length": int(q.get("max_length") or 1000) if qtype == "text" else None,
        })
        for j, o in enumerate(q.get("options") or []):
            options.append({"question": q.get("id"), "order": (j + 1) * ORDER_STEP,
                            "value": str(o.get("value", "")), "label": o.get("label", ""),
                            "score": o.get("score"), "exclusive": bool(o.get("exclusive", False))})
    return Tables(meta, pillars, questions, options)


def order_key(row: dict, index: int) -> tuple:
    try:
        o = _num(row.get("order"))
    except (TypeError, ValueError):
        o = None
    return (o if o is not None else float("inf"), index)


def build_definition(tables: Tables) -> tuple[dict | None, list[str]]:
    """Validate the builder tables and assemble a definition. Returns (definition, problems):
    the definition is None when there is any problem. Rows are numbered from 1 as shown."""
    problems: list[str] = []
    meta = tables.meta or {}
    code = _text(meta.get("code")) or "PKS03"
    if not ID_RE.fullmatch(code):
        problems.append(t("questionnaire.err.code", code=code))
    title = _text(meta.get("title"))
    if not title:
        problems.append(t("questionnaire.err.title"))

    pillars: list[dict] = []
    seen_p: set[str] = set()
    rows = [(i, r) for i, r in enumerate(tables.pillars) if not all(is_blank(v) for v in r.values())]
    for i, r in sorted(rows, key=lambda x: order_key(x[1], x[0])):
        pid, name = _text(r.get("id")), _text(r.get("name"))
        if not ID_RE.fullmatch(pid):
            problems.append(t("questionnaire.err.pillar_id", row=i + 1, id=pid))
            continue
        if pid in seen_p:
            problems.append(t("questionnaire.err.pillar_dup", row=i + 1, id=pid))
            continue
        if not name:
            problems.append(t("questionnaire.err.pillar_name", row=i + 1, id=pid))
        seen_p.add(pid)
        pillars.append({"id": pid, "name": name})

    opts_by_q: dict[str, list[tuple[int, dict]]] = {}
    for i, r in enumerate(tables.options):
        if all(is_blank(v) for v in r.values()):
            continue
        opts_by_q.setdefault(_text(r.get("question")), []).append((i, r))

    questions: list[dict] = []
    profile: list[dict] = []
    seen_q: set[str] = set()
    q_rows = [(i, r) for i, r in enumerate(tables.questions)
              if not all(is_blank(v) for v in r.values())]
    for i, r in sorted(q_rows, key=lambda x: order_key(x[1], x[0])):
        row = i + 1
        qid = _text(r.get("id"))
        if not ID_RE.fullmatch(qid):
            problems.append(t("questionnaire.err.q_id", row=row, id=qid))
            continue
        if qid in seen_q:
            problems.append(t("questionnaire.err.q_dup", row=row, id=qid))
            continue
        seen_q.add(qid)
        qtype = _text(r.get("type"))
        if qtype not in QUESTION_TYPES:
            problems.append(t("questionnaire.err.q_type", row=row, id=qid, type=qtype))
            continue
        text = _text(r.get("text"))
        if not text:
            problems.append(t("questionnaire.err.q_text", row=row, id=qid))
        is_profile = _bool(r.get("profile"))
        pillar = _text(r.get("pillar")) or None
        if is_profile:
            pillar = None
        elif pillar is not None and pillar not in seen_p:
            problems.append(t("questionnaire.err.q_pillar", row=row, id=qid, pillar=pillar))
        q: dict[str, Any] = {"id": qid}
        if pillar:
            q["pillar"] = pillar
        q["type"] = qtype
        q["required"] = _bool(r.get("required"))
        q["text"] = text
        opt_rows = opts_by_q.pop(qid, [])
        if qtype in ("single", "multi"):
            opts = []
            seen_v: set[str] = set()
            for j, o in sorted(opt_rows, key=lambda x: order_key(x[1], x[0])):
                orow = j + 1
                value, label = _text(o.get("value")), _text(o.get("label"))
                if not value or not label:
                    problems.append(t("questionnaire.err.opt_empty", row=orow, id=qid))
                    continue
                if re.search(r"\s", value) or len(value) > 64:
                    # XLSForm/ODK keep multiple choices as one space-separated text
                    problems.append(t("questionnaire.err.opt_value", row=orow, id=qid, value=value))
                    continue
                if value in seen_v:
                    problems.append(t("questionnaire.err.opt_dup", row=orow, id=qid, value=value))
                    continue
                seen_v.add(value)
                try:
                    score = _num(o.get("score"))
                except (TypeError, ValueError):
                    problems.append(t("questionnaire.err.opt_score", row=orow, id=qid, value=value))
                    continue
                if score is not None and not 0 <= score <= 100:
                    problems.append(t("questionnaire.err.opt_score", row=orow, id=qid, value=value))
                    continue
                if score is not None and score == int(score):
                    score = int(score)
                opt: dict[str, Any] = {"value": value, "label": label, "score": score}
                if qtype == "multi" and _bool(o.get("exclusive")):
                    opt["exclusive"] = True
                opts.append(opt)
            if len(opts) < 2:
                problems.append(t("questionnaire.err.q_options", row=row, id=qid))
            q["options"] = opts
        elif opt_rows:
            problems.append(t("questionnaire.err.q_no_options", row=row, id=qid,
                              type=t(f"questionnaire.type.{qtype}")))
        if qtype == "rating":
            try:
                smin = int(_num(r.get("scale_min")) if not is_blank(r.get("scale_min")) else 1)
                smax = int(_num(r.get("scale_max")) if not is_blank(r.get("scale_max")) else 5)
            except (TypeError, ValueError):
                smin, smax = 0, 0
            if not (smin < smax and smax - smin <= 10):
                problems.append(t("questionnaire.err.q_scale", row=row, id=qid))
            q["scale"] = {"min": smin, "max": smax, "min_label": _text(r.get("min_label")),
                          "max_label": _text(r.get("max_label"))}
        if qtype == "text":
            try:
                ml = int(_num(r.get("max_length")) or 1000)
            except (TypeError, ValueError):
                ml = 0
            if not 1 <= ml <= 10000:
                problems.append(t("questionnaire.err.q_maxlen", row=row, id=qid))
            q["max_length"] = ml
        (profile if is_profile else questions).append(q)
    for qid, rows_left in opts_by_q.items():
        for j, _o in rows_left:
            problems.append(t("questionnaire.err.opt_orphan", row=j + 1, id=qid or "?"))
    if not questions:
        problems.append(t("questionnaire.err.no_questions"))
    data = {"code": code, "title": title, "intro": _text(meta.get("intro")),
            "pillars": pillars, "questions": questions, "profile": profile}
    if problems:
        return None, problems
    try:
        parse_definition(data)
    except DefinitionError as exc:  # the builder checks above should catch everything first
        return None, [t("questionnaire.err.invalid", detail=str(exc))]
    return data, []


def canonical(data: dict | str) -> str:
    """A stable JSON text of a definition (to tell whether anything changed)."""
    if isinstance(data, str):
        data = json.loads(data)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def same_definition(a: dict | str, b: dict | str) -> bool:
    """True when two definitions mean the same questionnaire (same questions, options, scores,
    texts and order), however their JSON is written."""
    try:
        return parse_definition(a) == parse_definition(b)
    except DefinitionError:
        return canonical(a) == canonical(b)


def diff_summary(old: dict, new: dict) -> dict:
    """Which questions were added, removed or changed, and whether the order or texts changed."""
    def by_id(d: dict) -> dict[str, Any]:
        try:  # compare meanings (a missing "required" equals "required": false)
            return {q.id: q for q in parse_definition(d).all_questions}
        except DefinitionError:
            return {q["id"]: canonical(q)
                    for q in (d.get("questions") or []) + (d.get("profile") or [])}
    a, b = by_id(old), by_id(new)
    changed = sorted(k for k in a.keys() & b.keys() if a[k] != b[k])
    out = {"added": sorted(b.keys() - a.keys()), "removed": sorted(a.keys() - b.keys()),
           "changed": changed}
    if [q for q in a if q in b] != [q for q in b if q in a]:
        out["reordered"] = True
    for key in ("title", "intro", "pillars", "code"):
        if canonical({"x": old.get(key)}) != canonical({"x": new.get(key)}):
            out.setdefault("other", []).append(key)
    return out


# --------------------------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------------------------

@dataclass
class VersionInfo:
    id: int
    code: str
    version: int
    title: str
    created_at: datetime
    created_by: str | None
    responses: int
    campaigns: list[str]
    questions: int


def list_versions(scope: Scope, code: str | None = None) -> list[VersionInfo]:
    _require_admin(scope)
    with session_scope() as s:
        q = select(Questionnaire)
        if code:
            q = q.where(Questionnaire.code == code)
        rows = s.exec(q.order_by(Questionnaire.code, Questionnaire.version.desc())).all()
        counts = dict(s.exec(select(Response.questionnaire_id, func.count())
                             .group_by(Response.questionnaire_id)).all())
        used: dict[int, list[str]] = {}
        for _cid, name, qid in s.exec(select(Campaign.id, Campaign.name,
                                            Campaign.questionnaire_id)).all():
            used.setdefault(qid, []).append(name)
        out = []
        for r in rows:
            try:
                d = json.loads(r.definition)
                nq = len(d.get("questions") or []) + len(d.get("profile") or [])
            except ValueError:
                nq = 0
            out.append(VersionInfo(r.id, r.code, r.version, r.title, r.created_at, r.created_by,
                                   int(counts.get(r.id, 0)), used.get(r.id, []), nq))
        return out


def get_definition(questionnaire_id: int) -> dict:
    with session_scope() as s:
        q = s.get(Questionnaire, questionnaire_id)
        if q is None:
            raise BuilderError(t("questionnaire.err.not_found"))
        return json.loads(q.definition)


def response_count(questionnaire_id: int) -> int:
    with session_scope() as s:
        return int(s.exec(select(func.count()).select_from(Response)
                          .where(Response.questionnaire_id == questionnaire_id)).one())


def save_version(scope: Scope, data: dict, *, base_id: int | None = None,
                 note: str = "", actor: str | None = None) -> Questionnaire:
    """Store `data` as the next version of its code (never edits an existing version)."""
    _require_admin(scope)
    try:
        defn = parse_definition(data)
    except DefinitionError as exc:
        raise BuilderError(t("questionnaire.err.invalid", detail=str(exc))) from exc
    text = json.dumps(data, ensure_ascii=False)
    for _attempt in range(3):
        try:
            with session_scope() as s:
                base = s.get(Questionnaire, base_id) if base_id is not None else None
                if base_id is not None and base is None:
                    raise BuilderError(t("questionnaire.err.not_found"))
                if base is not None and same_definition(base.definition, data):
                    raise BuilderError(t("questionnaire.err.unchanged", version=base.version))
                latest = s.exec(select(func.max(Questionnaire.version))
                                .where(Questionnaire.code == defn.code)).one()
                version = int(latest or 0) + 1
                row = Questionnaire(code=defn.code, version=version,
                                    title=defn.title or defn.code, definition=text,
                                    created_at=clock.now(), created_by=actor or scope.username)
                s.add(row)
                s.flush()
                before = None
                changes = None
                if base is not None:
                    before = {"id": base.id, "code": base.code, "version": base.version}
                    changes = diff_summary(json.loads(base.definition), data)
                audit.record(s, actor or scope.username, "questionnaire.new_version",
                             "questionnaire", row.id, before=before,
                             after={"id": row.id, "code": row.code, "version": version,
                                    "title": row.title, "questions": len(defn.all_questions),
                                    "changes": changes, "note": note[:500]})
                return row
        except IntegrityError:  # another admin saved the same version number a moment ago
            continue
    raise BuilderError(t("questionnaire.err.busy"))


def question_numbers(data: dict) -> dict[str, int]:
    """The number a citizen sees before each closed question ("Câu 5."), by question id."""
    return {str(q.get("id")): i for i, q in enumerate(data.get("questions") or [], start=1)}


def renumbering(old: dict, new: dict) -> list[tuple[str, int | None, int | None]]:
    """(question id, number before, number after) of every question whose number changes:
    added (no number before), removed (none after) or moved."""
    a, b = question_numbers(old), question_numbers(new)
    out = [(qid, a.get(qid), b.get(qid)) for qid in dict.fromkeys([*b, *a])
           if a.get(qid) != b.get(qid)]
    return sorted(out, key=lambda x: (x[2] or x[1] or 0, x[1] or 0))


def renumbering_text(changes: list[tuple[str, int | None, int | None]], limit: int = 6) -> str:
    """The changes in words: "câu 5 (q05) thành câu 6; câu mới q19 là câu 5; ..."."""
    parts = []
    for qid, before, after in changes[:limit]:
        if before is None:
            parts.append(t("questionnaire.renumber.added", id=qid, after=after))
        elif after is None:
            parts.append(t("questionnaire.renumber.removed", id=qid, before=before))
        else:
            parts.append(t("questionnaire.renumber.moved", id=qid, before=before, after=after))
    if len(changes) > limit:
        parts.append(t("questionnaire.renumber.more", n=len(changes) - limit))
    return "; ".join(parts)


def campaign_answers(campaign_id: int) -> int:
    with session_scope() as s:
        return int(s.exec(select(func.count()).select_from(Response)
                          .where(Response.campaign_id == campaign_id)).one())


def campaign_switch_check(campaign_id: int, questionnaire_id: int) -> dict:
    """What switching a campaign to this version means: answers already given on other
    versions, and the question numbers that change while its survey window is open."""
    with session_scope() as s:
        c = s.get(Campaign, campaign_id)
        q = s.get(Questionnaire, questionnaire_id)
        if c is None or q is None:
            raise BuilderError(t("questionnaire.err.not_found"))
        cur = s.get(Questionnaire, c.questionnaire_id)
        n_other = int(s.exec(select(func.count()).select_from(Response).where(
            Response.campaign_id == campaign_id,
            Response.questionnaire_id != questionnaire_id)).one())
        changes = renumbering(json.loads(cur.definition), json.loads(q.definition)) \
            if cur is not None and cur.id != q.id else []
        return {"same": c.questionnaire_id == questionnaire_id, "answers_other": n_other,
                "open": window_state(c) == WINDOW_OPEN, "renumbered": changes,
                "campaign": c.name, "version": q.version}


def assign_to_campaign(scope: Scope, campaign_id: int, questionnaire_id: int, *,
                       allow_mixed: bool = False, allow_renumber: bool = False) -> None:
    """Make a campaign's new answers use this version (old answers keep theirs)."""
    _require_admin(scope)
    with session_scope() as s:
        c = s.get(Campaign, campaign_id)
        q = s.get(Questionnaire, questionnaire_id)
        if c is None or q is None:
            raise BuilderError(t("questionnaire.err.not_found"))
        if c.questionnaire_id == questionnaire_id:
            return
        cur = s.get(Questionnaire, c.questionnaire_id)
        changes = renumbering(json.loads(cur.definition), json.loads(q.definition)) \
            if cur is not None else []
        if changes and window_state(c) == WINDOW_OPEN and not allow_renumber:
            raise BuilderError(t("questionnaire.err.renumber", name=c.name,
                                 changes=renumbering_text(changes)))
        n_other = int(s.exec(select(func.count()).select_from(Response).where(
            Response.campaign_id == campaign_id,
            Response.questionnaire_id != questionnaire_id)).one())
        if n_other and not allow_mixed:
            raise BuilderError(t("questionnaire.err.mixed", n=n_other, name=c.name))
        before = {"questionnaire_id": c.questionnaire_id}
        c.questionnaire_id = questionnaire_id
        s.add(c)
        audit.record(s, scope.username, "campaign.set_questionnaire", "campaign", c.id,
                     before=before, after={"questionnaire_id": questionnaire_id,
                                           "code": q.code, "version": q.version,
                                           "responses_on_other_versions": n_other})
    campaigns.invalidate()
