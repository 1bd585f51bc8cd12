"""``evaluate(campaign_id, scope=None) -> IntegrityReport``: every warning (cluster) of a
campaign with its score, its sheets and its reasons, and every flagged sheet with its score.

Order of judgement (each step sees what the earlier ones took):
1. strong ties: browser, then session, per commune and day;
2. copies (same closed answers far more often than expected);
3. weak ties: device fingerprint, then network, per commune and day, over the sheets not yet
   in a warning;
4. excess: days whose answers exceed the reported visits (or the one-stop office's dossier
   count, where imported and lower) beyond the band, naming the sheets that make the excess
   (first those already under a warning, then the most unusual ones).
Every day over the band is also listed in ``IntegrityReport.over_band`` (a ``DayCount``), with
the sheets, phones and sessions that make its excess, for the page's "too many answers"
warning of the days that hold no ``excess`` warning of their own.
A group mostly made of sheets already under a warning adds its reason to that warning instead
of becoming a second one. Communes whose answers are far more often "all top" than their
district peers' have that said in their warnings and their scores raised a little.

The baselines are always the whole campaign's, whoever asks: a district sees the same
warnings for its communes as the province does. Excluded sheets are judged like the others
(exclusion is reversible; a warning stays visible after its sheets were excluded).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from app.integrity import baselines as bl
from app.integrity import explain as ex
from app.integrity import rules
from app.integrity.data import Rows, load

KINDS = ("browser", "session", "copies", "team", "device", "network", "excess")
READER_ROLES = ("admin", "province", "farmers", "district")
PEER_Z = 3.0


@dataclass
class Cluster:
    key: str                      # stable: kind:commune:day-or-pattern:tie (for review marks)
    kind: str
    commune_code: str
    district_code: str
    day: date | None
    score: float
    response_ids: tuple[int, ...]
    n_excluded: int
    first_at: datetime
    last_at: datetime
    reasons: list[dict]           # [{"code", "values", "text"}], the first one is the headline
    text: str                     # the reasons as one Vietnamese sentence

    @property
    def size(self) -> int:
        return len(self.response_ids)


@dataclass
class SheetFlag:
    response_id: int
    score: float
    clusters: list[str]
    reasons: list[str]


@dataclass
class DayCount:
    """A commune's day whose counted answers exceed the campaign's band against its reference
    count (reported visits, or the one-stop office's dossiers where imported and lower), with
    what makes the excess: the day's sheets already under a warning, then the phones or
    sessions that sent several sheets (the largest first), then single unusual sheets, until
    the excess is covered. ``unattributed``: how much of the excess no sheet explains (every
    remaining sheet from its own phone, nothing unusual)."""
    commune_code: str
    district_code: str
    day: date
    answers: int
    visits: int | None
    dossiers: int | None
    reference: str                 # "visits" | "dossiers"
    ratio_high: float
    excess: int
    score: float
    cluster_key: str | None        # the day's own ``excess`` warning, if the engine made one
    # [{"tie", "n", "first", "last", "key"?}]; tie: a warning's kind (with its key), or
    # "one_browser" / "one_session" (a phone that sent several sheets), or "unusual"
    makers: list[dict]
    response_ids: tuple[int, ...]
    unattributed: int

    @property
    def reference_count(self) -> int:
        return self.dossiers if self.reference == "dossiers" else self.visits


@dataclass
class IntegrityReport:
    campaign_id: int
    n_sheets: int
    threshold: float
    clusters: list[Cluster]
    flags: dict[int, SheetFlag]
    baselines: dict = field(default_factory=dict)
    seconds: float = 0.0
    over_band: list[DayCount] = field(default_factory=list)

    def for_commune(self, code: str) -> list[Cluster]:
        return [c for c in self.clusters if c.commune_code == code]


def evaluate(campaign_id: int | None = None, scope=None, *, rows: Rows | None = None
             ) -> IntegrityReport:
    """Judge the campaign (the active one when `campaign_id` is None). With a `scope`, only the
    warnings of the communes it may see are returned (AuthError for roles that see none)."""
    t0 = time.perf_counter()
    if scope is not None and scope.role not in READER_ROLES:
        from app.core.auth import AuthError
        from app.core.i18n import t
        raise AuthError(t("common.not_allowed"))
    if rows is None:
        if campaign_id is None:
            from app.monitoring.scoring import load_campaign
            campaign_id = load_campaign(None).id
        rows = load(campaign_id)
    report = judge(rows)
    if scope is not None:
        report.clusters = [c for c in report.clusters
                           if scope.can_see_commune(c.commune_code, c.district_code)]
        keep = {k.key for k in report.clusters}
        report.flags = {i: f for i, f in report.flags.items()
                        if any(k in keep for k in f.clusters)}
        report.over_band = [d for d in report.over_band
                            if scope.can_see_commune(d.commune_code, d.district_code)]
    report.seconds = round(time.perf_counter() - t0, 3)
    return report


def judge(rows: Rows) -> IntegrityReport:
    """The pure part: rows in, report out."""
    if rows.n == 0:
        return IntegrityReport(rows.campaign_id, 0, rules.THRESHOLD, [], {})
    base = bl.compute(rows)
    owner = np.full(rows.n, -1, np.int64)      # the warning that took each sheet
    accepted: list[rules.Candidate] = []
    also: dict[int, list[tuple[str, int]]] = {}

    seen: dict[tuple, int] = {}

    def accept(cands: list[rules.Candidate]) -> None:
        for c in sorted(cands, key=lambda c: -c.score):
            if c.score < rules.THRESHOLDS.get(c.kind, rules.THRESHOLD):
                continue
            taken = owner[c.members] >= 0
            same = seen.get((c.kind, c.commune, c.day, c.tie))
            if same is not None:
                also.setdefault(same, []).append((c.kind, len(c.members)))
                continue
            if taken.mean() >= 0.5:
                j = int(np.bincount(owner[c.members][taken]).argmax())
                also.setdefault(j, []).append((c.kind, len(c.members)))
                accepted[j].score = max(accepted[j].score, c.score)
                continue
            owner[c.members[~taken]] = len(accepted)
            seen[(c.kind, c.commune, c.day, c.tie)] = len(accepted)
            accepted.append(c)

    accept(rules.strong_candidates(rows, base, "browser"))
    accept(rules.strong_candidates(rows, base, "session"))
    accept(rules.strong_candidates(rows, base, "device", taken=owner >= 0))
    accept(rules.copy_candidates(rows, base))
    accept(rules.team_candidates(rows, base, owner >= 0))
    accept(rules.weak_candidates(rows, base, "device", owner >= 0))
    accept(rules.weak_candidates(rows, base, "network", owner >= 0))
    accept(_excess(rows, base, owner))
    accept(rules.unverified_candidates(rows))
    peers = rules.peer_deviation(rows, base)
    clusters = [_cluster(rows, base, c, also.get(i, []), peers) for i, c in enumerate(accepted)]
    clusters.sort(key=lambda c: (-c.score, c.commune_code, c.key))
    flags: dict[int, SheetFlag] = {}
    for c in clusters:
        for rid in c.response_ids:
            f = flags.get(rid)
            if f is None:
                flags[rid] = SheetFlag(rid, c.score, [c.key], [c.text])
            else:
                f.score = max(f.score, c.score)
                f.clusters.append(c.key)
                f.reasons.append(c.text)
    over_band = _over_band(rows, base, owner, accepted, clusters)
    return IntegrityReport(rows.campaign_id, rows.n, rules.THRESHOLD, clusters, flags,
                           baselines=_baseline_summary(base), over_band=over_band)


def _excess(rows: Rows, base: bl.Baselines, owner: np.ndarray) -> list[rules.Candidate]:
    out = []
    suspicion = rules.sheet_suspicion(rows, base)
    for c, d, a, v, ref_kind, s in rules.excess_days(rows, base):
        if s < rules.THRESHOLD:
            continue
        day_rows = np.flatnonzero((rows.commune == c) & (rows.day == d) & ~rows.excluded)
        excess = a - int(np.floor(rows.ratio_high * v))
        flagged = day_rows[owner[day_rows] >= 0]
        need = excess - len(flagged)
        named = flagged
        if need > 0:
            rest = day_rows[(owner[day_rows] < 0) & (suspicion[day_rows] > 0)]
            rest = rest[np.argsort(-suspicion[rest], kind="stable")][:need]
            named = np.concatenate([flagged, rest])
        if len(named) == 0:
            continue
        ev = {"answers": a, "visits": v, "reference": ref_kind, "high": rows.ratio_high,
              "excess": excess,
              "already": int(len(flagged)), "n": int(len(named)),
              "unattributed": max(0, int(excess - len(named))),
              "parts": {"excess": round(s, 2)}, "counts": {}}
        out.append(rules.Candidate("excess", c, d, None, np.sort(named), s, ev))
    return out


def _over_band(rows: Rows, base: bl.Baselines, owner: np.ndarray,
               accepted: list[rules.Candidate], clusters: list[Cluster]) -> list[DayCount]:
    """Every day over the band, with the sheets, phones and sessions that make its excess."""
    days = rules.over_band_days(rows)
    if not days:
        return []
    key_of = {}
    for i, c in enumerate(accepted):
        key_of[i] = _key(rows, c)
    excess_keys = {k.key for k in clusters if k.kind == "excess"}
    suspicion = rules.sheet_suspicion(rows, base)
    b, sess = rows.codes["browser"], rows.codes["session"]
    out = []
    for c, d, a, ref, ref_kind, score in days:
        day_rows = np.flatnonzero((rows.commune == c) & (rows.day == d) & ~rows.excluded)
        limit = int(np.floor(rows.ratio_high * ref))
        excess = a - limit
        makers: list[dict] = []
        named: list[int] = []
        # 1. sheets already under a warning, by warning
        taken = owner[day_rows] >= 0
        for j in sorted({int(x) for x in owner[day_rows][taken]},
                        key=lambda j: -int((owner[day_rows] == j).sum())):
            m = day_rows[owner[day_rows] == j]
            makers.append(_maker(rows, accepted[j].kind, m, key=key_of[j]))
            named += m.tolist()
        # 2. phones (browser, else session) that sent several sheets that day, largest first
        rest = day_rows[~taken]
        groups = []
        for tie, code in (("one_browser", b), ("one_session", sess)):
            if len(rest) == 0:
                break
            have = rest[code[rest] >= 0]
            vals, inv, cnt = np.unique(code[have], return_inverse=True, return_counts=True)
            for g in np.flatnonzero(cnt >= 2):
                m = have[inv.ravel() == g]
                groups.append((len(m), float(suspicion[m].sum()), tie, m))
            used = np.concatenate([g[3] for g in groups]) if groups else np.zeros(0, np.int64)
            rest = rest[~np.isin(rest, used)]
        groups.sort(key=lambda g: (-g[0], -g[1]))
        for _n, _s, tie, m in groups:
            if len(named) >= excess:
                break
            makers.append(_maker(rows, tie, m))
            named += m.tolist()
        # 3. single unusual sheets, the most unusual first
        if len(named) < excess:
            single = rest[suspicion[rest] > 0]
            single = single[np.argsort(-suspicion[single], kind="stable")][:excess - len(named)]
            if len(single):
                makers.append(_maker(rows, "unusual", single))
                named += single.tolist()
        key = f"excess:{rows.communes[c]}:{rows.day_date(d).isoformat()}"
        out.append(DayCount(
            commune_code=rows.communes[c],
            district_code=rows.districts[rows.commune_district[c]], day=rows.day_date(d),
            answers=a, visits=rows.visits.get((c, d)), dossiers=rows.dossiers.get((c, d)),
            reference=ref_kind, ratio_high=rows.ratio_high, excess=excess,
            score=round(score, 2), cluster_key=key if key in excess_keys else None,
            makers=makers, response_ids=tuple(sorted(int(rows.ids[i]) for i in named)),
            unattributed=max(0, excess - len(named))))
    out.sort(key=lambda x: (-x.score, x.commune_code, x.day))
    return out


def _maker(rows: Rows, tie: str, m: np.ndarray, key: str | None = None) -> dict:
    at = rows.at[m]
    out = {"tie": tie, "n": int(len(m)), "first": at.min().astype(datetime),
           "last": at.max().astype(datetime)}
    if key:
        out["key"] = key
    return out


def _key(rows: Rows, c: rules.Candidate) -> str:
    """The stable key of a warning (the format of the ``WarningReview`` keys)."""
    commune = rows.communes[c.commune]
    day = rows.day_date(c.day) if c.day is not None else None
    if c.kind == "copies":
        tie = hashlib.sha256(rows.pattern[c.members[0]].tobytes()).hexdigest()[:12]
        return f"copies:{commune}:{tie}"
    if c.kind in ("excess", "team"):
        return f"{c.kind}:{commune}:{day.isoformat()}"
    return f"{c.kind}:{commune}:{day.isoformat()}:{(c.tie or '')[:12]}"


def _quiet_hours(base: bl.Baselines) -> str:
    slots = set(int(s) for s in base.quiet_slots)
    if not slots:
        return ""
    spans = []
    s = 0
    while s < 96:
        if s in slots:
            e = s
            while e + 1 < 96 and e + 1 in slots:
                e += 1
            spans.append((s, e + 1))
            s = e + 1
        else:
            s += 1
    if len(spans) > 1 and spans[0][0] == 0 and spans[-1][1] == 96:
        spans = [(spans[-1][0], spans[0][1] + 96)] + spans[1:-1]

    def hm(q: int) -> str:
        q %= 96
        return f"{q // 4:02d}:{(q % 4) * 15:02d}"
    spans.sort(key=lambda x: -(x[1] - x[0]))
    return ", ".join(f"{hm(a)}–{hm(b)}" for a, b in spans[:3])


def _cluster(rows: Rows, base: bl.Baselines, c: rules.Candidate, also: list,
             peers: np.ndarray) -> Cluster:
    m = c.members
    commune = rows.communes[c.commune]
    district = rows.districts[rows.commune_district[c.commune]]
    day = rows.day_date(c.day) if c.day is not None else None
    ev = c.evidence
    reasons = [ex.headline(c.kind, len(m), day, ev)]
    usual = float(base.median_dur[c.commune])
    info = {"usual_dur": usual, "quiet_hours": _quiet_hours(base),
            "top_rate": float(base.top_rate(np.array([c.commune]))[0])}
    odd = rows.facts[m][base.traits["odd_facts"][m]]
    if len(odd):
        vals = {rows.facts_values[f] if f >= 0 else None for f in odd.tolist()}
        info["facts_text"] = "; ".join(sorted(
            " ".join(str(x) for x in v if x is not None) if v else "không có" for v in vals))
    parts = ev.get("parts", {})
    if c.kind in ("browser", "session"):
        reasons += ex.rotation_reason(c.kind, ev["agents"], ev["facts"])
    if parts.get("duration", 0) >= 1.0:
        parts = dict(parts, fast=parts["duration"])
    for code in ("very_fast", "fast", "night", "quiet", "rare_agent", "odd_facts", "top"):
        if code == "quiet" and parts.get("night", 0) >= 1.0:
            continue
        if parts.get(code, 0) >= 1.0 or (c.kind in ("copies", "excess") and code == "fast"):
            k = int(base.traits[code][m].sum())
            if k:
                reasons.append(ex.trait_reason(code, k, len(m), info))
    if c.kind in ("browser", "session") and parts.get("volume", 0) >= 1.0:
        reasons.append(ex.volume_reason(len(m), ev["volume"]))
    for kind, n in also:
        reasons.append(ex.also_reason(kind, n))
    if c.kind == "excess" and ev.get("unattributed"):
        reasons.append(ex.unattributed_reason(ev["unattributed"]))
    at = rows.at[m]
    reasons.append(ex.span_reason(at.min().astype(datetime), at.max().astype(datetime)))
    score = c.score
    z = float(peers[c.commune])
    if z >= PEER_Z:
        cs = rows.commune == c.commune
        rate = float(base.traits["top"][cs].mean())
        dmask = (rows.district == rows.commune_district[c.commune]) & ~cs
        reasons.append(ex.peers_reason(rate, float(base.traits["top"][dmask].mean())
                                       if dmask.any() else 0.0, z))
    for r in reasons:
        r.setdefault("values", {})
    return Cluster(key=_key(rows, c), kind=c.kind, commune_code=commune, district_code=district, day=day,
                   score=round(float(score), 2),
                   response_ids=tuple(int(x) for x in np.sort(rows.ids[m])),
                   n_excluded=int(rows.excluded[m].sum()),
                   first_at=at.min().astype(datetime), last_at=at.max().astype(datetime),
                   reasons=reasons, text=ex.sentence(reasons))


def _baseline_summary(base: bl.Baselines) -> dict:
    return {"usual_rates": {k: round(v, 4) for k, v in base.rate.items()},
            "province_median_seconds": round(base.province_median_dur, 1),
            "quiet_hours": _quiet_hours(base)}


def flagged_json(report: IntegrityReport) -> dict:
    """The shape of ``python -m app.cli integrity --json`` (issue 12 item 6)."""
    return {"campaign": report.campaign_id,
            "flagged": {str(rid): {"score": f.score, "reasons": f.reasons}
                        for rid, f in sorted(report.flags.items())},
            "clusters": len(report.clusters)}
