"""Questionnaire definitions: parsing, validation of answers, and scoring.

A definition is JSON (see db/seed/pks03.json): pillars, questions (types ``single``, ``multi``,
``rating``, ``text``) and an optional anonymous ``profile`` section. Every closed option carries a
``score`` from 0 to 100, or ``null`` for answers that do not count towards the index ("don't
know"). Rating questions score linearly from 0 (min) to 100 (max).

Scoring rules (names a reader can search for):
- ``item_score``: single -> the option's score; multi -> the sum of the chosen options' scores,
  capped at 100; rating -> linear 0..100; text -> not scored.
- ``score_answers``: a pillar's score is the mean of its scored items; ``overall`` is the mean of
  the pillar scores (each pillar weighs the same).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.core.i18n import t
from app.core.text import clean_text

QUESTION_TYPES = ("single", "multi", "rating", "text")
SEED_PATH = Path(__file__).resolve().parents[2] / "db" / "seed" / "pks03.json"
DEFAULT_TEXT_MAX = 1000
OVERALL = "overall"

# Unicode categories removed from free text: controls (except newline/tab), format characters
# (bidi overrides, zero-width joiners are kept out of dashboards), private use, unassigned.


class DefinitionError(ValueError):
    """The questionnaire definition itself is malformed."""


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    score: float | None = None
    exclusive: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: str
    required: bool = False
    pillar: str | None = None
    options: tuple[Option, ...] = ()
    scale_min: int = 1
    scale_max: int = 5
    min_label: str = ""
    max_label: str = ""
    max_length: int = DEFAULT_TEXT_MAX
    profile: bool = False

    def option(self, value: str) -> Option | None:
        for o in self.options:
            if o.value == value:
                return o
        return None

    @property
    def scored(self) -> bool:
        if self.profile or self.pillar is None:
            return False
        if self.type == "rating":
            return True
        return any(o.score is not None for o in self.options)


@dataclass(frozen=True)
class Pillar:
    id: str
    name: str


@dataclass(frozen=True)
class Definition:
    code: str
    title: str
    intro: str
    pillars: tuple[Pillar, ...]
    questions: tuple[Question, ...]
    profile: tuple[Question, ...] = ()
    raw: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def all_questions(self) -> tuple[Question, ...]:
        return self.questions + self.profile

    def question(self, qid: str) -> Question | None:
        for q in self.all_questions:
            if q.id == qid:
                return q
        return None

    def pillar_name(self, pid: str) -> str:
        for p in self.pillars:
            if p.id == pid:
                return p.name
        return pid

    def questions_in(self, pillar_id: str) -> list[Question]:
        return [q for q in self.questions if q.pillar == pillar_id]


def _parse_question(d: dict, pillar_ids: set[str], profile: bool, where: str) -> Question:
    if not isinstance(d, dict):
        raise DefinitionError(f"{where}: not an object")
    qid = str(d.get("id") or "").strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", qid):
        raise DefinitionError(f"{where}: invalid question id {qid!r}")
    qtype = d.get("type")
    if qtype not in QUESTION_TYPES:
        raise DefinitionError(f"{where} ({qid}): unknown type {qtype!r}")
    text = str(d.get("text") or "").strip()
    if not text:
        raise DefinitionError(f"{where} ({qid}): empty text")
    pillar = d.get("pillar")
    if pillar is not None and pillar not in pillar_ids:
        raise DefinitionError(f"{where} ({qid}): unknown pillar {pillar!r}")
    options: list[Option] = []
    if qtype in ("single", "multi"):
        seen = set()
        for i, o in enumerate(d.get("options") or []):
            value = str(o.get("value", "")).strip()
            label = str(o.get("label", "")).strip()
            if not value or not label:
                raise DefinitionError(f"{where} ({qid}) option {i + 1}: value and label required")
            if value in seen:
                raise DefinitionError(f"{where} ({qid}): duplicate option value {value!r}")
            seen.add(value)
            score = o.get("score")
            if score is not None:
                score = float(score)
                if not 0 <= score <= 100:
                    raise DefinitionError(f"{where} ({qid}) option {value}: score outside 0..100")
            options.append(Option(value, label, score, bool(o.get("exclusive", False))))
        if len(options) < 2:
            raise DefinitionError(f"{where} ({qid}): a choice question needs at least 2 options")
    scale = d.get("scale") or {}
    smin, smax = int(scale.get("min", 1)), int(scale.get("max", 5))
    if qtype == "rating" and not (smin < smax and smax - smin <= 10):
        raise DefinitionError(f"{where} ({qid}): rating scale must have 2..11 points")
    max_length = int(d.get("max_length") or DEFAULT_TEXT_MAX)
    return Question(id=qid, type=qtype, text=text, required=bool(d.get("required", False)),
                    pillar=pillar, options=tuple(options), scale_min=smin, scale_max=smax,
                    min_label=str(scale.get("min_label", "")),
                    max_label=str(scale.get("max_label", "")),
                    max_length=max(1, min(max_length, 10000)), profile=profile)


def parse_definition(data: dict | str) -> Definition:
    """Validate and parse a definition (dict or JSON text). Raises DefinitionError."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise DefinitionError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DefinitionError("definition must be an object")
    pillars = tuple(Pillar(str(p["id"]), str(p["name"])) for p in data.get("pillars") or [])
    pillar_ids = {p.id for p in pillars}
    if len(pillar_ids) != len(pillars):
        raise DefinitionError("duplicate pillar id")
    questions = tuple(_parse_question(q, pillar_ids, False, f"question {i + 1}")
                      for i, q in enumerate(data.get("questions") or []))
    profile = tuple(_parse_question(q, pillar_ids, True, f"profile {i + 1}")
                    for i, q in enumerate(data.get("profile") or []))
    if not questions:
        raise DefinitionError("no questions")
    ids = [q.id for q in questions + profile]
    if len(set(ids)) != len(ids):
        raise DefinitionError("duplicate question id")
    return Definition(code=str(data.get("code") or "PKS03"), title=str(data.get("title") or ""),
                      intro=str(data.get("intro") or ""), pillars=pillars, questions=questions,
                      profile=profile, raw=data)


@lru_cache(maxsize=64)
def parse_definition_cached(text: str) -> Definition:
    return parse_definition(text)


def load_seed_definition() -> dict:
    return json.loads(SEED_PATH.read_text(encoding="utf-8"))


def validate_answers(defn: Definition, raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check raw answers against the definition.

    Returns ``(clean, errors)``: ``clean`` holds only answered questions with normalised values;
    ``errors`` maps question id to a Vietnamese message. Unknown question ids are errors too
    (under their own id), so forged payloads never pass silently.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not isinstance(raw, dict):
        return {}, {"_": t("survey.error.invalid_option")}
    known = {q.id for q in defn.all_questions}
    for key in raw:
        if key not in known:
            errors[str(key)[:64]] = t("survey.error.unknown_question")
    for q in defn.all_questions:
        value = raw.get(q.id)
        empty = value is None or value == "" or value == [] or value == ()
        if empty:
            if q.required:
                errors[q.id] = t("survey.error.required")
            continue
        if q.type == "single":
            if not isinstance(value, str) or q.option(value) is None:
                errors[q.id] = t("survey.error.invalid_option")
            else:
                clean[q.id] = value
        elif q.type == "multi":
            if isinstance(value, str) or not isinstance(value, (list, tuple, set)):
                errors[q.id] = t("survey.error.invalid_option")
                continue
            values = []
            for v in value:
                if not isinstance(v, str) or q.option(v) is None:
                    errors[q.id] = t("survey.error.invalid_option")
                    break
                if v not in values:
                    values.append(v)
            else:
                exclusive = [v for v in values if q.option(v).exclusive]
                if exclusive and len(values) > 1:
                    errors[q.id] = t("survey.error.exclusive", label=q.option(exclusive[0]).label)
                else:
                    order = [o.value for o in q.options]
                    clean[q.id] = sorted(values, key=order.index)
        elif q.type == "rating":
            if isinstance(value, bool):
                errors[q.id] = t("survey.error.invalid_option")
                continue
            try:
                iv = int(value)
                if iv != float(value):
                    raise ValueError
            except (TypeError, ValueError):
                errors[q.id] = t("survey.error.invalid_option")
                continue
            if not q.scale_min <= iv <= q.scale_max:
                errors[q.id] = t("survey.error.rating_range", min=q.scale_min, max=q.scale_max)
            else:
                clean[q.id] = iv
        elif q.type == "text":
            if not isinstance(value, str):
                errors[q.id] = t("survey.error.invalid_option")
                continue
            if len(value) > q.max_length:
                errors[q.id] = t("survey.error.too_long", max=f"{q.max_length:,}".replace(",", "."))
                continue
            text = clean_text(value)
            if text:
                clean[q.id] = text
            elif q.required:
                errors[q.id] = t("survey.error.required")
    return clean, errors


def item_score(q: Question, value: Any) -> float | None:
    if value is None or not q.scored:
        return None
    if q.type == "single":
        opt = q.option(value)
        return None if opt is None else opt.score
    if q.type == "multi":
        scores = [q.option(v).score for v in value if q.option(v) is not None]
        scores = [s for s in scores if s is not None]
        if not scores:
            return None
        return min(100.0, float(sum(scores)))
    if q.type == "rating":
        return 100.0 * (int(value) - q.scale_min) / (q.scale_max - q.scale_min)
    return None


def score_answers(defn: Definition, answers: dict[str, Any]) -> dict[str, float]:
    """Per-pillar scores (0..100) and ``overall``; pillars with no scored answer are absent."""
    per: dict[str, list[float]] = {}
    for q in defn.questions:
        s = item_score(q, answers.get(q.id))
        if s is not None and q.pillar:
            per.setdefault(q.pillar, []).append(s)
    out = {p: sum(v) / len(v) for p, v in per.items()}
    if out:
        out[OVERALL] = sum(out.values()) / len(out)
    return out


def answer_hash(defn: Definition, answers: dict[str, Any]) -> str:
    """Fingerprint of the closed answers (free text excluded) for spotting identical sheets."""
    closed = {q.id: answers.get(q.id) for q in defn.all_questions if q.type != "text"}
    blob = json.dumps(closed, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def tally_items(defn: Definition, answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(question id, option value) pairs to count for distributions; ratings count as values."""
    items: list[tuple[str, str]] = []
    for q in defn.all_questions:
        v = answers.get(q.id)
        if v is None or q.type == "text":
            continue
        if q.type == "multi":
            items.extend((q.id, str(x)) for x in v)
        else:
            items.append((q.id, str(v)))
    return items
