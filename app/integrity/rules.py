"""Groups of sheets and how surprising each group is for honest citizens.

A group's score is a sum of surprises, each ``-log10`` of the chance that honest sheets would
look at least that unusual (a score of 5 is a one-in-100 000 coincidence). The chances come
from the campaign's own usual rates (``baselines``), never from fixed counts:

- ``surprise(k, n, p, rho)``: k of n sheets carry a trait whose usual rate is p. Sheets of one
  phone or one person are alike (the same helper is always quick, a family answers together in
  the evening), so n is shrunk to ``n / (1 + (n - 1) rho)`` before asking.
- Poisson surprise for repeats of an answer pattern, against the count the rest of the province
  makes expected in this commune (a pattern ticked by more than 1 % of the province, such as
  "all top", is never a copy on its own).

Ties (what holds a group together), per commune and day:
- ``browser`` (the browser cookie) and ``session`` (one open page): strong ties, one phone or
  tablet. Honest: the helper's phone or the office tablet lent to a few elderly citizens, each
  taking the usual time or longer, during office hours. Scored on time on form, quiet hours,
  "top" answers, user agents or client facts changing inside one browser (a phone does not
  change its model between two sheets), and the group's share of the commune's day
  (answers or reported visits, whichever is larger).
- ``device`` (user agent + language + address) and ``network`` (the address): weak ties, shared
  by everyone on the office Wi-Fi or behind a carrier's NAT. Only the sheets not already in a
  strong group count, and only traits far more frequent than usual in the group make it: its
  members are the sheets with those traits (the rest of the office is left alone).
- ``copies``: one commune's sheets with the same closed answers (profile and free text aside)
  far more often than the province makes expected, with the near-identical ones (one closed
  answer changed).
- ``excess``: a day whose answers exceed the reported visits (or the one-stop office's dossier
  count, where imported and lower) beyond the campaign's band; names the sheets that make the
  excess (the most unusual ones of the day).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import betainc, gammainc, ndtr

from app.integrity.baselines import Baselines
from app.integrity.data import Rows

# scoring knobs (tuned on bench/integrity.py, checked on its held-out seeds and variants)
THRESHOLD = 4.0          # a group at or above this is a warning (1 in 10 000) ...
# ... one phone (browser, session, a crowded fingerprint) at 3.5: honest lent phones and
# tablets stay under 3.1 in every simulated campaign; copies at 5: honest near-top sheets
# coincide more often than the Poisson count allows (up to 4.3)
THRESHOLDS = {"browser": 3.5, "session": 3.5, "device": 3.5, "copies": 5.0}
MIN_STRONG = 4           # sheets in a browser/session group before it is judged
MIN_WEAK = 4             # members of a device/network group
MIN_COPIES = 3
SIG_WEAK = 3.0           # a trait must be this surprising to make a weak-tie group
SHARED_DEVICE_SHARE = 0.3  # an honest lent phone serves at most about this share of a day
COMMON_PATTERN = 0.01    # patterns above this province share are never copies
RHO_STRONG = {"very_fast": 0.1, "quiet": 0.3, "night": 0.3, "top": 0.1}
WEIGHT_STRONG = {"very_fast": 1.0, "quiet": 1.0, "night": 1.0, "top": 0.7}
VOLUME_CAP = 2.5         # a large share of the day alone (a kiosk tablet) never makes a warning
COMMUNE_RATE = ("quiet", "top")  # traits judged against the commune's own rate
RHO_DURATION = 0.03
RHO_WEAK = 0.03
WEAK_TRAITS = ("fast", "very_fast", "quiet", "night", "rare_agent", "odd_facts")
KEY_STRIDE = 1 << 20


@dataclass
class Candidate:
    kind: str
    commune: int
    day: int | None
    tie: str | None          # the stored fingerprint (or pattern id) that ties the group
    members: np.ndarray      # row indices
    score: float
    evidence: dict = field(default_factory=dict)


def surprise(k, n, p, rho=0.0) -> np.ndarray:
    """-log10 P(X >= k), X ~ Binomial(n_eff, p), n shrunk for sheets that are alike."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    k, n, p = np.broadcast_arrays(k, n, np.asarray(p, dtype=float))
    out = np.zeros(k.shape)
    n_eff = n / (1.0 + np.maximum(n - 1.0, 0.0) * rho)
    k_eff = k * n_eff / np.maximum(n, 1.0)
    m = (k > 0) & (k_eff > n_eff * p) & (p > 0) & (p < 1)
    if m.any():
        prob = betainc(k_eff[m], n_eff[m] - k_eff[m] + 1.0, p[m])
        out[m] = -np.log10(np.maximum(prob, 1e-300))
    return out


def poisson_surprise(c, lam) -> np.ndarray:
    """-log10 P(X >= c), X ~ Poisson(lam)."""
    c = np.asarray(c, dtype=float)
    lam = np.asarray(lam, dtype=float)
    c, lam = np.broadcast_arrays(c, lam)
    out = np.zeros(c.shape)
    m = (c > 0) & (c > lam)
    if m.any():
        out[m] = -np.log10(np.maximum(gammainc(c[m], np.maximum(lam[m], 1e-12)), 1e-300))
    return out


def duration_surprise(q_sum, n, rho=RHO_DURATION) -> np.ndarray:
    """-log10 of the chance that honest sheets' places in the time-on-form distribution
    (uniform 0..1 each) average as low as the group's: quick sheets, one after the other."""
    q_sum = np.asarray(q_sum, dtype=float)
    n = np.asarray(n, dtype=float)
    out = np.zeros(n.shape)
    m = n >= 2
    if m.any():
        mean = q_sum[m] / n[m]
        var = (1.0 / 12.0) * (1.0 + (n[m] - 1.0) * rho) / n[m]
        z = (0.5 - mean) / np.sqrt(var)
        out[m] = np.where(z > 0, -np.log10(np.maximum(ndtr(-z), 1e-300)), 0.0)
    return out


def _group(keys: np.ndarray):
    u, inv, cnt = np.unique(keys, return_inverse=True, return_counts=True)
    return u, inv.ravel(), cnt


def _members(idx: np.ndarray, inv: np.ndarray, groups: np.ndarray) -> dict[int, np.ndarray]:
    if len(groups) == 0:
        return {}
    want = np.isin(inv, groups)
    sel_idx, sel_inv = idx[want], inv[want]
    order = np.argsort(sel_inv, kind="stable")
    sel_idx, sel_inv = sel_idx[order], sel_inv[order]
    cuts = np.flatnonzero(np.diff(sel_inv)) + 1
    return {int(part_inv[0]): part for part, part_inv in
            zip(np.split(sel_idx, cuts), np.split(sel_inv, cuts))}


def _distinct(inv: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Distinct non-missing values per group."""
    ok = values >= 0
    if not ok.any():
        return np.zeros(n_groups, np.int64)
    stride = int(values.max()) + 1
    pairs = np.unique(inv[ok].astype(np.int64) * stride + values[ok])
    return np.bincount(pairs // stride, minlength=n_groups)


def day_volume(rows: Rows, base: Baselines, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The larger of the day's answers and its reported visits, per (commune, day)."""
    out = np.empty(len(c))
    for i, (ci, di) in enumerate(zip(c.tolist(), d.tolist())):
        out[i] = max(base.commune_day_sheets.get((ci, di), 0), rows.visits.get((ci, di), 0))
    return out


CROWD_MIN = 2.0


def _crowding(rows: Rows, base: Baselines, idx: np.ndarray, first: np.ndarray,
              cnt: np.ndarray) -> np.ndarray:
    """For device fingerprint groups: how much larger the group is than the phones sharing its
    user agent on its network that day would make it (everyone with the common model on the
    office Wi-Fi shares one fingerprint)."""
    net = rows.codes["network"]
    ustride = int(base.units.max()) + 1
    nd = (rows.commune * 4096 + rows.gday).astype(np.int64) * (int(net.max()) + 2) + net + 1
    pairs = np.unique(nd * ustride + base.units)
    nd_u, nd_units = np.unique(pairs // ustride, return_counts=True)
    pos = np.searchsorted(nd_u, nd[first])
    units_on_net = nd_units[np.clip(pos, 0, len(nd_u) - 1)]
    a = rows.agent[first]
    share = np.where(a >= 0, base.agent_share[np.clip(a, 0, None)] if len(base.agent_share)
                     else 0.0, 1.0)
    expected = units_on_net * share
    return poisson_surprise(cnt, 1.5 * expected + 1.0)


def strong_candidates(rows: Rows, base: Baselines, tie: str,
                      low: float = 2.0, taken: np.ndarray | None = None) -> list[Candidate]:
    """Browser or session groups (one phone); device fingerprint groups too, when far larger
    than honest sharing of the fingerprint explains (deployments without a browser cookie)."""
    code = rows.codes[tie]
    ok = code >= 0
    if taken is not None:
        ok &= ~taken
    if tie == "device":
        ok &= rows.codes["browser"] < 0   # with a browser cookie, the browser tells the phone
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return []
    keys = (rows.commune[idx] * 4096 + rows.gday[idx]) * KEY_STRIDE * 8 + code[idx]
    _u, inv, cnt = _group(keys)
    big = np.flatnonzero(cnt >= MIN_STRONG)
    if len(big) == 0:
        return []
    first = np.zeros(len(cnt), np.int64)
    first[inv[::-1]] = idx[::-1]          # one row of each group
    g_commune, g_day = rows.commune[first], rows.gday[first]
    tr = base.traits
    q = base.dur_q[idx]
    valid_dur = np.isfinite(q)
    n_dur = np.bincount(inv, weights=valid_dur, minlength=len(cnt))
    q_sum = np.bincount(inv, weights=np.where(valid_dur, q, 0.0), minlength=len(cnt))
    parts: dict[str, np.ndarray] = {"duration": duration_surprise(q_sum, n_dur)}
    counts: dict[str, np.ndarray] = {"fast": np.bincount(inv, weights=tr["fast"][idx],
                                                         minlength=len(cnt))}
    for t in ("very_fast", "quiet", "night", "top"):
        k = np.bincount(inv, weights=tr[t][idx].astype(float), minlength=len(cnt))
        n = n_dur if t == "very_fast" else cnt
        p = base.commune_rate(t, g_commune, k, cnt) if t in COMMUNE_RATE else base.rate[t]
        parts[t] = WEIGHT_STRONG[t] * surprise(k, n, p, RHO_STRONG[t])
        counts[t] = k
    n_agents = _distinct(inv, rows.agent[idx], len(cnt))
    n_facts = _distinct(inv, rows.facts[idx], len(cnt))
    parts["rotation"] = np.where(n_agents >= 3, 3.0 * (n_agents - 2), 0.0) + \
        np.where(n_facts >= 2, 2.0 * (n_facts - 1), 0.0)
    if tie == "device":
        # a gate, not evidence: the office tablet is a crowded fingerprint too
        crowd = _crowding(rows, base, idx, first[big], cnt[big])
        big = big[crowd >= CROWD_MIN]
    vol = day_volume(rows, base, g_commune[big], g_day[big])
    parts["volume"] = np.zeros(len(cnt))
    # a large share of the day supports other evidence, never stands alone (a kiosk tablet)
    other = sum(v for k, v in parts.items() if k != "volume")
    parts["volume"][big] = np.minimum(np.minimum(
        surprise(cnt[big], vol, SHARED_DEVICE_SHARE, 0.0), VOLUME_CAP), other[big])
    total = sum(parts.values())
    chosen = big[total[big] >= low]
    members = _members(idx, inv, chosen)
    out = []
    for g in chosen.tolist():
        ev = {"n": int(cnt[g]), "agents": int(n_agents[g]), "facts": int(n_facts[g]),
              "volume": float(vol[np.searchsorted(big, g)]),
              "parts": {k: round(float(v[g]), 2) for k, v in parts.items() if v[g] > 0},
              "counts": {k: int(v[g]) for k, v in counts.items()}}
        out.append(Candidate(tie, int(g_commune[g]), int(g_day[g]),
                             str(rows.tie_values[tie][code[first[g]]]), members[g],
                             float(total[g]), ev))
    return out


def weak_candidates(rows: Rows, base: Baselines, tie: str, taken: np.ndarray,
                    low: float = 2.0) -> list[Candidate]:
    """Device fingerprint or network groups of one commune and day. Traits of the phone itself
    (its user agent, its time zone and locale) are counted once per phone, and not at all for
    the device fingerprint, which contains the user agent."""
    code = rows.codes[tie]
    idx = np.flatnonzero((code >= 0) & ~taken)
    if len(idx) == 0:
        return []
    keys = (rows.commune[idx] * 4096 + rows.gday[idx]) * KEY_STRIDE * 8 + code[idx]
    _u, inv, cnt = _group(keys)
    big = np.flatnonzero(cnt >= MIN_WEAK)
    if len(big) == 0:
        return []
    first = np.zeros(len(cnt), np.int64)
    first[inv[::-1]] = idx[::-1]
    tr = base.traits
    valid_dur = np.isfinite(rows.dur[idx])
    n_dur = np.bincount(inv, weights=valid_dur, minlength=len(cnt))
    traits = WEAK_TRAITS if tie == "network" else ("fast", "very_fast", "quiet", "night")
    units = base.units[idx]
    stride = int(units.max()) + 1
    pair, first_of_unit = np.unique(inv.astype(np.int64) * stride + units, return_index=True)
    n_units = np.bincount(pair // stride, minlength=len(cnt))
    sig = {}
    counts = {}
    for t in traits:
        if t in ("rare_agent", "odd_facts"):
            w = tr[t][idx][first_of_unit].astype(float)
            k = np.bincount(pair // stride, weights=w, minlength=len(cnt))
            n = n_units
        else:
            k = np.bincount(inv, weights=tr[t][idx].astype(float), minlength=len(cnt))
            n = n_dur if t in ("fast", "very_fast") else cnt
        g_commune = rows.commune[first]
        p = base.commune_rate(t, g_commune, k, n) if t == "quiet" else base.rate[t]
        s = surprise(k, n, p, RHO_WEAK)
        sig[t] = np.where(s >= SIG_WEAK, s, 0.0)
        counts[t] = k
    total = sum(sig.values())
    chosen = big[total[big] >= max(low, SIG_WEAK)]
    members = _members(idx, inv, chosen)
    out = []
    for g in chosen.tolist():
        rows_g = members[g]
        hit = np.zeros(len(rows_g), bool)
        used = [t for t in traits if sig[t][g] > 0]
        for t in used:
            hit |= tr[t][rows_g]
        m = rows_g[hit]
        if len(m) < MIN_WEAK:
            continue
        ev = {"n": int(cnt[g]), "members": int(len(m)), "traits": used,
              "parts": {t: round(float(sig[t][g]), 2) for t in used},
              "counts": {t: int(counts[t][g]) for t in used}}
        out.append(Candidate(tie, int(rows.commune[first[g]]), int(rows.gday[first[g]]),
                             str(rows.tie_values[tie][code[first[g]]]), m, float(total[g]), ev))
    return out


def copy_candidates(rows: Rows, base: Baselines, low: float = 2.0) -> list[Candidate]:
    n = rows.n
    if n == 0:
        return []
    pc = rows.pattern_code
    n_pat = int(pc.max()) + 1
    province = np.bincount(pc, minlength=n_pat).astype(float)
    keys = rows.commune.astype(np.int64) * n_pat + pc
    u, inv, cnt = _group(keys)
    g_commune = u // n_pat
    g_pat = u % n_pat
    n_c = base.commune_sheets[g_commune]
    other = province[g_pat] - cnt
    share = np.maximum(other, 0.5) / np.maximum(n - n_c, 1.0)
    common = share > COMMON_PATTERN     # common in the rest of the province
    expected = 2.0 * np.maximum(n_c * share,
                                _local_expectation(rows, cnt, g_commune, g_pat, n_pat))
    s = np.where(common | (cnt < MIN_COPIES), 0.0, poisson_surprise(cnt, expected))
    chosen = np.flatnonzero(s >= low)
    if len(chosen) == 0:
        return []
    members = _members(np.arange(n), inv, chosen)
    out = []
    for g in chosen.tolist():
        m = members[g]
        c = int(g_commune[g])
        template = rows.pattern[m[0]]
        # near-identical sheets (one closed answer changed), counted only when they too are
        # far more frequent here than elsewhere
        dist = (rows.pattern != template).sum(axis=1)
        near_all = (dist == 1)
        here = rows.commune == c
        near = np.flatnonzero(near_all & here)
        near_other = float((near_all & ~here).sum())
        e_near = 2.0 * n_c[g] * max(near_other, 0.5) / max(n - n_c[g], 1.0)
        score = float(s[g])
        # given the copies, a sheet one answer away from them is most likely one too; the
        # score stays the exact copies' own (near-top sheets are near each other anyway)
        s_near = float(poisson_surprise(len(near), e_near)) if len(near) else 0.0
        if s_near < 0.5:
            near = near[:0]
        allm = np.sort(np.concatenate([m, near]))
        b = rows.codes["browser"][allm]
        browsers = len(set(b[b >= 0].tolist())) if (b >= 0).any() else \
            len(set(rows.codes["device"][allm].tolist()))
        days = sorted({int(d) for d in rows.day[allm]})
        ev = {"n": int(len(allm)), "exact": int(cnt[g]), "near": int(len(near)),
              "expected": float((expected[g] + (e_near if len(near) else 0.0)) / 2.0),
              "browsers": browsers, "days": days, "parts": {"copies": round(score, 2)},
              "counts": {"fast": int(base.traits["fast"][allm].sum())}}
        out.append(Candidate("copies", c, days[0] if len(days) == 1 else None,
                             f"p{int(g_pat[g])}", allm, score, ev))
    return out


def _local_expectation(rows: Rows, cnt: np.ndarray, g_commune: np.ndarray,
                       g_pat: np.ndarray, n_pat: int) -> np.ndarray:
    """How many sheets of a commune would share a pattern if its citizens answered alike only
    as much as the commune's own answers say: a very satisfied commune has many sheets with
    the same single choices and ratings (all the best), which then differ only by their
    multiple choices (how they heard of it). Expected: the commune's *other* sheets with the
    same single choices and ratings, times the chance of these multiple choices among such
    sheets (elsewhere in the province, or in the commune's other sheets, whichever is
    higher). Copies of a sheet gain nothing from it: their own sheets are left out."""
    rank, sets = rows.rank_code, rows.set_code
    nr, ns = int(rank.max()) + 1, int(sets.max()) + 1
    nc = len(rows.communes)
    p_rank = np.zeros(n_pat, np.int64)
    p_set = np.zeros(n_pat, np.int64)
    p_rank[rows.pattern_code] = rank           # a pattern has one rank part and one set part
    p_set[rows.pattern_code] = sets
    r, st = p_rank[g_pat], p_set[g_pat]
    c = g_commune.astype(np.int64)
    c_rank = np.bincount(rows.commune * nr + rank, minlength=nc * nr)[c * nr + r]
    c_set = np.bincount(rows.commune * ns + sets, minlength=nc * ns)[c * ns + st]
    prov_rank = np.bincount(rank, minlength=nr)[r]
    u, k = np.unique(rank.astype(np.int64) * ns + sets, return_counts=True)
    want = r * ns + st
    pos = np.clip(np.searchsorted(u, want), 0, len(u) - 1)
    prov_pair = np.where(u[pos] == want, k[pos], 0)
    n_c = np.bincount(rows.commune, minlength=nc)[c]
    same_rank_here = np.maximum(c_rank - cnt, 0)
    q_prov = np.maximum(prov_pair - cnt, 0.5) / np.maximum(prov_rank - c_rank, 1.0)
    q_here = np.maximum(c_set - cnt, 0) / np.maximum(n_c - cnt, 1.0)
    return same_rank_here * np.minimum(1.0, np.maximum(q_prov, q_here))


QUICK_MEAN = 0.3   # a phone whose sheets average below this place in time on form is quick
MIN_TEAM_SHEETS = 2


def team_candidates(rows: Rows, base: Baselines, taken: np.ndarray,
                    low: float = 2.0) -> list[Candidate]:
    """Several phones in one commune and day, each sending several quick sheets: a team
    sharing the work (each phone alone may look like a lent phone). The count of such phones
    is compared with what honest phones of those sizes would give."""
    ok = ~taken & np.isfinite(base.dur_q)
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return []
    ustride = int(base.units.max()) + 1
    keys = (rows.commune[idx] * 4096 + rows.gday[idx]).astype(np.int64) * ustride + \
        base.units[idx]
    u, inv, cnt = _group(keys)
    qsum = np.bincount(inv, weights=base.dur_q[idx], minlength=len(u))
    mean = qsum / cnt
    multi = cnt >= MIN_TEAM_SHEETS
    sd = np.sqrt((1.0 / 12.0) * (1.0 + (cnt - 1.0) * RHO_DURATION) / cnt)
    p_quick = ndtr(-(0.5 - QUICK_MEAN) / sd)
    quick = multi & (mean < QUICK_MEAN)
    cd = u // ustride
    cdu, cdinv = np.unique(cd, return_inverse=True)
    lam = np.bincount(cdinv, weights=np.where(multi, p_quick, 0.0), minlength=len(cdu))
    k = np.bincount(cdinv, weights=quick.astype(float), minlength=len(cdu))
    sc = poisson_surprise(k, lam)
    out = []
    for j in np.flatnonzero((k >= 2) & (sc >= 1.0)).tolist():
        groups = np.flatnonzero(quick & (cdinv == j))
        m = np.sort(idx[np.isin(inv, groups)])
        c, d = int(cdu[j] // 4096), int(cdu[j] % 4096)
        kt = int(base.traits["top"][m].sum())
        p_top = base.top_rate(np.array([c]), kt, len(m))[0]
        s_top = float(surprise(kt, len(m), p_top, RHO_STRONG["top"]))
        total = float(sc[j]) + s_top
        if total < low:
            continue
        ev = {"n": int(len(m)), "phones": int(k[j]), "expected": float(lam[j]),
              "parts": {"team": round(float(sc[j]), 2), "top": round(s_top, 2)},
              "counts": {"top": kt}}
        out.append(Candidate("team", c, d, None, m, total, ev))
    return out


def peer_deviation(rows: Rows, base: Baselines) -> np.ndarray:
    """Per commune: how far its share of "top" sheets is above its district peers', in
    standard deviations of the peers (0 when it has too few sheets or peers)."""
    nc = len(rows.communes)
    top = np.bincount(rows.commune, weights=base.traits["top"].astype(float), minlength=nc)
    n = base.commune_sheets
    rate = np.where(n > 0, top / np.maximum(n, 1), 0.0)
    out = np.zeros(nc)
    for d in range(len(rows.districts)):
        cs = np.flatnonzero((rows.commune_district == d) & (n >= 20))
        if len(cs) < 4:
            continue
        for c in cs:
            peers = cs[cs != c]
            mu = float(np.average(rate[peers], weights=n[peers]))
            sd = float(np.std(rate[peers]))
            # the binomial noise of this commune's own rate plus the spread between communes
            se = np.sqrt(sd ** 2 + mu * (1 - mu) / n[c])
            out[c] = (rate[c] - mu) / max(se, 1e-6)
    return out


def sheet_suspicion(rows: Rows, base: Baselines) -> np.ndarray:
    """How unusual each sheet is on its own (for ranking the sheets of an excess)."""
    s = np.zeros(rows.n)
    for t, w in (("fast", 1.0), ("very_fast", 1.0), ("quiet", 1.0), ("night", 1.0),
                 ("rare_agent", 0.5), ("odd_facts", 1.0)):
        s += w * base.traits[t] * -np.log10(base.rate[t])
    return s


def reference_count(rows: Rows, c: int, d: int) -> tuple[int | None, str | None]:
    """What a commune's answers of a day are judged against: the reported visits, or the
    one-stop office's dossier count where imported and lower (the independent count; a
    commune inflating its reported visits to match its sheets is judged against it)."""
    v = rows.visits.get((c, d))
    k = rows.dossiers.get((c, d))
    if k is not None and (v is None or k < v):
        return k, "dossiers"
    if v is not None:
        return v, "visits"
    return None, None


def over_band_days(rows: Rows) -> list[tuple[int, int, int, int, str, float]]:
    """(commune, day, counted answers, reference count, reference kind, surprise) of every day
    whose answers exceed the campaign's ``ratio_high`` times its reference count (a reference
    of 0 with answers is over the band too)."""
    out = []
    counted = ~rows.excluded
    cd = rows.commune[counted] * 4096 + rows.day[counted]
    u, cnt = np.unique(cd, return_counts=True)
    answers = {(int(k // 4096), int(k % 4096)): int(c) for k, c in zip(u, cnt)}
    for c, d in sorted(set(rows.visits) | set(rows.dossiers)):
        a = answers.get((c, d), 0)
        ref, kind = reference_count(rows, c, d)
        if ref is None or a <= 0 or (ref > 0 and a <= rows.ratio_high * ref):
            continue
        s = float(poisson_surprise(a, max(rows.ratio_high * ref, 1.0)))
        out.append((c, d, a, ref, kind, s))
    return out


def excess_days(rows: Rows, base: Baselines) -> list[tuple[int, int, int, int, str, float]]:
    """The over-band days with an excess of at least 5 sheets (candidates for an ``excess``
    warning of their own)."""
    return [x for x in over_band_days(rows) if x[2] - rows.ratio_high * x[3] >= 5]


MIN_UNVERIFIED = 20      # unverified sheets of a screen day before it is judged
RHO_UNVERIFIED = 0.1
MIN_SCREEN_SHEETS = 50   # sheets of screen days in the campaign before "usual" is known


def unverified_candidates(rows: Rows) -> list[Candidate]:
    """Days a commune's office screen was in use (codes opened) with many more sheets not
    verified in person than usual on screen days in this campaign (issue 15). Verified sheets
    are judged like any other by the other rules: this one only names the unverified ones."""
    if rows.verified is None or not rows.screen:
        return []
    counted = ~rows.excluded
    key = rows.commune * 4096 + rows.day
    on = np.isin(key, np.array([c * 4096 + d for c, d in rows.screen], dtype=np.int64)) & counted
    total, total_unverified = int(on.sum()), int((~rows.verified[on]).sum())
    out = []
    for (c, d), opened in sorted(rows.screen.items()):
        day_rows = np.flatnonzero((rows.commune == c) & (rows.day == d) & counted)
        unverified = day_rows[~rows.verified[day_rows]]
        others = total - len(day_rows)  # what is usual, from the other screen days
        if len(unverified) < MIN_UNVERIFIED or others < MIN_SCREEN_SHEETS:
            continue
        usual = float(np.clip((total_unverified - len(unverified)) / others, 0.05, 0.95))
        s = float(surprise(len(unverified), len(day_rows), usual, RHO_UNVERIFIED))
        ev = {"unverified": int(len(unverified)), "verified": int(len(day_rows) - len(unverified)),
              "opened": int(opened), "usual": round(100 * usual),
              "parts": {"unverified": round(s, 2)}, "counts": {}}
        out.append(Candidate("unverified", c, d, None, np.sort(unverified), s, ev))
    return out
