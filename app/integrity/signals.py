"""What is stored with each sheet for the integrity engine, besides the keyed hashes.

- Coarse client facts from ``st.context``: the time zone name, its offset and the locale. They
  are shared by thousands of phones ("Asia/Saigon", -420, "vi-VN"), so they are stored as
  they are, but only when they look like what a browser sends (anything else is kept as "?",
  so a forged value cannot store arbitrary text).
- The answer pattern: one character per closed question (a few for a multiple choice), in the
  questionnaire's order, without the optional profile and free text. A single choice or a
  rating is coded by its rank from the best answer ("0" is the top answer, the answers without
  a score come last), a multiple choice by the set of options ticked. Two sheets with the same
  pattern gave the same closed answers; the engine reads the patterns of 100 000 sheets as one
  byte matrix instead of parsing their JSON.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.survey.questionnaire import Definition

UNKNOWN = "?"
MISSING_CHAR = "-"
BASE = 48  # "0"
_TZ = re.compile(r"[A-Za-z]+(?:/[A-Za-z0-9_+\-]+){0,2}")
_LOCALE = re.compile(r"([A-Za-z]{2,3})((?:[-_][A-Za-z0-9]{2,8}){0,2})")


def coarse_timezone(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64 or not _TZ.fullmatch(value):
        return UNKNOWN
    return value


def coarse_offset(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if v != v or not -900 <= v <= 900:
        return None
    return int(round(v))


def coarse_locale(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 35:
        return UNKNOWN
    m = _LOCALE.fullmatch(value.strip())
    if not m:
        return UNKNOWN
    parts = [m.group(1).lower()]
    for p in re.split(r"[-_]", m.group(2))[1:]:
        parts.append(p.upper() if len(p) == 2 else p)
    return "-".join(parts)


@dataclass(frozen=True)
class Slot:
    question_id: str
    kind: str          # "rank" (single choice or rating: 0 = best) or "set" (multiple choice)
    start: int         # first character in the pattern
    width: int
    codes: tuple       # single: option values by rank; rating: values best first; set: options


_layouts: dict[int, tuple[Definition, tuple[Slot, ...]]] = {}


def _build_layout(defn: Definition) -> tuple[Slot, ...]:
    slots = []
    pos = 0
    for q in defn.questions:
        if q.type == "text" or q.profile:
            continue
        if q.type == "single":
            scored = sorted([o for o in q.options if o.score is not None],
                            key=lambda o: -o.score)
            rest = [o for o in q.options if o.score is None]
            slots.append(Slot(q.id, "rank", pos, 1, tuple(o.value for o in scored + rest)))
            pos += 1
        elif q.type == "rating":
            slots.append(Slot(q.id, "rank", pos, 1,
                              tuple(range(q.scale_max, q.scale_min - 1, -1))))
            pos += 1
        elif q.type == "multi":
            width = max(1, -(-len(q.options) // 6))
            slots.append(Slot(q.id, "set", pos, width, tuple(o.value for o in q.options)))
            pos += width
    return tuple(slots)


def layout(defn: Definition) -> tuple[Slot, ...]:
    """The pattern's slots for a definition (cached per definition object; definitions of
    stored questionnaire versions are immutable and cached by app.campaigns)."""
    hit = _layouts.get(id(defn))
    if hit is not None and hit[0] is defn:
        return hit[1]
    slots = _build_layout(defn)
    if len(_layouts) > 64:
        _layouts.clear()
    _layouts[id(defn)] = (defn, slots)
    return slots


def answer_pattern(defn: Definition, answers: dict[str, Any]) -> str:
    """The sheet's closed answers as a short fixed-width string (see the module's doc)."""
    out: list[str] = []
    for slot in layout(defn):
        v = answers.get(slot.question_id)
        if slot.kind == "rank":
            try:
                code = slot.codes.index(v if not isinstance(slot.codes[0], int) else int(v))
            except (ValueError, TypeError):
                out.append(MISSING_CHAR)
                continue
            out.append(chr(BASE + min(code, 63)))
        else:
            if not isinstance(v, (list, tuple)) or not v:
                out.append(MISSING_CHAR * slot.width)
                continue
            bits = 0
            for x in v:
                if x in slot.codes:
                    bits |= 1 << slot.codes.index(x)
            for k in range(slot.width):
                out.append(chr(BASE + ((bits >> (6 * k)) & 63)))
    return "".join(out)
