"""Reasons in plain Vietnamese (the words are in app/core/i18n.py, ``integrity.*``).

Each cluster keeps its reasons as structured data (``code`` and figures) and as sentences:
"27 phiếu từ một trình duyệt trong ngày 07/05/2024", "25 phiếu điền nhanh bất thường (dưới
1 phút 30 giây; thường mất 3 phút 20 giây ở xã này)", … Dates dd/mm/yyyy, numbers 1.234.
"""
from __future__ import annotations

from datetime import date, datetime

from app.core.fmt import fmt_date, fmt_float, fmt_int, fmt_pct
from app.core.i18n import t


def fmt_seconds(sec: float | None) -> str:
    if sec is None or sec != sec:
        return "–"
    sec = int(round(sec))
    if sec < 60:
        return t("integrity.sec", s=fmt_int(sec))
    m, s = divmod(sec, 60)
    if m >= 60:
        h, m = divmod(m, 60)
        return t("integrity.hour_min", h=fmt_int(h), m=fmt_int(m))
    return t("integrity.min_sec", m=fmt_int(m), s=fmt_int(s)) if s else \
        t("integrity.min", m=fmt_int(m))


def headline(kind: str, n: int, day: date | None, ev: dict) -> dict:
    values = {"n": n, "day": day.isoformat() if day else None}
    if kind == "copies":
        values.update(exact=ev["exact"], near=ev["near"], expected=round(ev["expected"], 3),
                      browsers=ev["browsers"])
        text = t("integrity.head.copies", n=fmt_int(n), expected=fmt_float(ev["expected"], 2))
        if ev["near"]:
            text += t("integrity.head.copies_near", near=fmt_int(ev["near"]))
        if ev["browsers"] > 1:
            text += t("integrity.head.copies_browsers", browsers=fmt_int(ev["browsers"]))
    elif kind == "team":
        values.update(phones=ev["phones"], expected=round(ev["expected"], 3))
        text = t("integrity.head.team", n=fmt_int(n), phones=fmt_int(ev["phones"]),
                 day=fmt_date(day))
    elif kind == "excess":
        values.update(answers=ev["answers"], visits=ev["visits"], high=ev["high"])
        ratio = fmt_float(ev["answers"] / ev["visits"], 2) if ev["visits"] else "∞"
        values.update(reference=ev.get("reference", "visits"))
        key = "integrity.head.excess_dossiers" if ev.get("reference") == "dossiers" \
            else "integrity.head.excess"
        text = t(key, day=fmt_date(day), answers=fmt_int(ev["answers"]),
                 visits=fmt_int(ev["visits"]), ratio=ratio, high=fmt_float(ev["high"], 2),
                 n=fmt_int(n))
    elif kind == "unverified":
        values.update(verified=ev["verified"], opened=ev["opened"], usual=ev["usual"])
        text = t("integrity.head.unverified", day=fmt_date(day), n=fmt_int(n),
                 opened=fmt_int(ev["opened"]), verified=fmt_int(ev["verified"]),
                 usual=fmt_int(ev["usual"]))
    else:
        text = t(f"integrity.head.{kind}", n=fmt_int(n), day=fmt_date(day))
    return {"code": kind, "values": values, "text": text}


def trait_reason(code: str, k: int, n: int, ev: dict) -> dict:
    values = {"k": k, "of": n}
    if code in ("fast", "very_fast"):
        thr = ev["usual_dur"] * (0.45 if code == "fast" else 0.15)
        values.update(under_s=round(thr), usual_s=round(ev["usual_dur"]))
        text = t(f"integrity.why.{code}", k=fmt_int(k), under=fmt_seconds(thr),
                 usual=fmt_seconds(ev["usual_dur"]))
    elif code == "quiet":
        values.update(hours=ev.get("quiet_hours", ""))
        text = t("integrity.why.quiet", k=fmt_int(k), hours=ev.get("quiet_hours", ""))
    elif code == "night":
        text = t("integrity.why.night", k=fmt_int(k))
    elif code == "top":
        values.update(usual=round(ev["top_rate"], 3))
        text = t("integrity.why.top", k=fmt_int(k), usual=fmt_pct(ev["top_rate"]))
    elif code == "rare_agent":
        text = t("integrity.why.rare_agent", k=fmt_int(k))
    elif code == "odd_facts":
        values.update(facts=ev.get("facts_text", ""))
        text = t("integrity.why.odd_facts", k=fmt_int(k), facts=ev.get("facts_text", ""))
    else:
        text = code
    return {"code": code, "values": values, "text": text}


def rotation_reason(kind: str, agents: int, facts: int) -> list[dict]:
    out = []
    where = t(f"integrity.where.{kind}")
    if agents >= 3:
        out.append({"code": "agents_change", "values": {"agents": agents},
                    "text": t("integrity.why.agents_change", k=fmt_int(agents), where=where)})
    if facts >= 2:
        out.append({"code": "facts_change", "values": {"facts": facts},
                    "text": t("integrity.why.facts_change", k=fmt_int(facts), where=where)})
    return out


def volume_reason(n: int, volume: float) -> dict:
    return {"code": "volume", "values": {"n": n, "day_volume": int(volume)},
            "text": t("integrity.why.volume", share=fmt_pct(n / max(volume, 1)),
                      volume=fmt_int(volume))}


def peers_reason(rate: float, peers: float, z: float) -> dict:
    return {"code": "peers", "values": {"top_rate": round(rate, 3), "peers": round(peers, 3),
                                        "z": round(z, 2)},
            "text": t("integrity.why.peers", rate=fmt_pct(rate), peers=fmt_pct(peers))}


def span_reason(first: datetime, last: datetime) -> dict:
    values = {"first": first.isoformat(sep=" "), "last": last.isoformat(sep=" ")}
    if first.date() == last.date():
        text = t("integrity.why.span_day", first=first.strftime("%H:%M"),
                 last=last.strftime("%H:%M"), day=fmt_date(first))
    else:
        text = t("integrity.why.span", first=f"{first:%H:%M} {fmt_date(first)}",
                 last=f"{last:%H:%M} {fmt_date(last)}")
    return {"code": "span", "values": values, "text": text}


def unattributed_reason(n: int) -> dict:
    """The part of an excess that no sheet explains (every other sheet from its own phone,
    nothing unusual): only the visits can be checked."""
    return {"code": "unattributed", "values": {"n": n},
            "text": t("integrity.why.unattributed", n=fmt_int(n))}


def also_reason(kind: str, n: int) -> dict:
    return {"code": f"also_{kind}", "values": {"n": n},
            "text": t(f"integrity.also.{kind}", n=fmt_int(n))}


def sentence(reasons: list[dict]) -> str:
    if not reasons:
        return ""
    head, rest = reasons[0]["text"], [r["text"] for r in reasons[1:]]
    return head + (", " + ", ".join(rest) if rest else "") + "."
