"""What is usual in this campaign, taken from its own sheets, and each sheet's unusual traits.

Usual rates and distributions are measured on the campaign itself, counting each phone once
where it matters (a phone as far as the sheets tell: its browser, else its session), so that a
sitting of 40 sheets on one phone does not make its own hour or its own speed look usual; and
rates are the median of the communes' rates, so that a few communes with stuffing do not move
them. The rules then ask whether a group of sheets carries a trait far more often than that.

- ``quiet``: sent in the quietest hours of the campaign: the quarter-hours of the day that
  together hold the fewest phones, 5 % of them (found from the data, so other office hours
  need no setting); ``night``: a quarter-hour with under 15 % of an even share of phones.
- time on form: each sheet's place (0..1) in the campaign's distribution of time on form
  relative to the usual time of its commune (the commune's median over phones that sent one
  sheet that day, pulled towards the province's); ``fast`` / ``very_fast``: under 45 % / 15 %
  of the commune's usual time.
- ``rare_agent``: a user agent seen in very few places (commune and network) in the whole
  campaign: the common phone models are everywhere; a script's borrowed user agents and a
  few unusual phones are not.
- ``odd_facts``: a time zone / offset / locale combination that under 2 % of the campaign's
  phones have (a script's "UTC" and "en-US"; nothing when the deployment gives none at all).
- ``top``: nearly every answer the best one (90 % of single choices and ratings). Common and
  honest; its usual rate is the commune's own (pulled towards the province's).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.integrity.data import Rows

SLOT_SECONDS = 900
QUIET_SHARE = 0.05
NIGHT_SHARE = 0.15
FAST_RATIO = 0.45
VERY_FAST_RATIO = 0.15
ODD_FACTS_SHARE = 0.02
TOP_SHARE = 0.9
RARE_PLACES = 3          # a user agent in at most this many (commune, network) places ...
RARE_PLACES_SHARE = 0.001  # ... or this share of all places, whichever is larger
PRIOR_SHEETS = 30.0     # weight of the province in a commune's usual time on form and rates
MIN_COMMUNE = 15        # communes with fewer sheets do not vote for the usual rates
TRAITS = ("quiet", "night", "fast", "very_fast", "rare_agent", "odd_facts", "top")


@dataclass
class Baselines:
    quiet_slots: np.ndarray        # the quiet quarter-hours (0..95)
    night_slots: np.ndarray
    slot_share: np.ndarray         # share of phones per quarter-hour
    median_dur: np.ndarray         # usual time on form per commune (seconds)
    province_median_dur: float
    dur_q: np.ndarray              # per sheet: place in the time-on-form distribution (nan)
    rate: dict[str, float]         # usual rate of each trait (province)
    commune_sheets: np.ndarray
    commune_counts: dict[str, np.ndarray]  # sheets with each trait per commune
    commune_day_sheets: dict[tuple[int, int], int]
    units: np.ndarray              # a phone as far as the sheets tell, per sheet
    agent_share: np.ndarray        # share of phones with each user agent (by agent code)
    unit_day_sheets: np.ndarray    # sheets of the same phone in the same commune and day
    traits: dict[str, np.ndarray]  # per sheet

    def commune_rate(self, trait: str, commune: np.ndarray, k: np.ndarray | float = 0.0,
                     n: np.ndarray | float = 0.0) -> np.ndarray:
        """The commune's own usual rate of a trait, leaving out a group's k of n sheets and
        pulled towards the province's rate (a commune whose citizens answer in the evening,
        or tick the best answers, does so in every group)."""
        have = self.commune_counts[trait][commune] - k
        sheets = self.commune_sheets[commune] - n
        p = self.rate[trait]
        return np.clip((have + PRIOR_SHEETS * p) / (np.maximum(sheets, 0) + PRIOR_SHEETS),
                       p, 0.95) if trait != "top" else \
            np.clip((have + PRIOR_SHEETS * p) / (np.maximum(sheets, 0) + PRIOR_SHEETS),
                    0.05, 0.95)

    def top_rate(self, commune, k=0.0, n=0.0) -> np.ndarray:
        return self.commune_rate("top", commune, k, n)


def _commune_median_rate(flag: np.ndarray, commune: np.ndarray, n_communes: int,
                         valid: np.ndarray | None = None) -> float:
    valid = np.ones(len(flag), bool) if valid is None else valid
    num = np.bincount(commune[valid], weights=flag[valid].astype(float), minlength=n_communes)
    den = np.bincount(commune[valid], minlength=n_communes).astype(float)
    ok = den >= MIN_COMMUNE
    if not ok.any():
        ok = den > 0
    if not ok.any():
        return 0.0
    return float(np.median(num[ok] / den[ok]))


def units_of(rows: Rows) -> np.ndarray:
    """One id per phone as far as the sheets tell: the browser, else the session, else the
    sheet itself."""
    b, s = rows.codes["browser"], rows.codes["session"]
    off_s = int(b.max()) + 1 if len(b) else 0
    off_r = off_s + (int(s.max()) + 1 if len(s) else 0)
    return np.where(b >= 0, b, np.where(s >= 0, off_s + s, off_r + np.arange(rows.n)))


def _first_per(keys: np.ndarray) -> np.ndarray:
    """A mask keeping the first sheet of each key."""
    _u, first = np.unique(keys, return_index=True)
    mask = np.zeros(len(keys), bool)
    mask[first] = True
    return mask


def _commune_medians(values: np.ndarray, commune: np.ndarray, nc: int,
                     default: float) -> tuple[np.ndarray, np.ndarray]:
    med = np.full(nc, default)
    n_c = np.bincount(commune, minlength=nc).astype(float)
    if len(values):
        order = np.lexsort((values, commune))
        cs, vs = commune[order], values[order]
        starts = np.searchsorted(cs, np.arange(nc))
        for c in np.nonzero(n_c)[0]:
            med[c] = float(np.median(vs[starts[c]:starts[c] + int(n_c[c])]))
    return med, n_c


def compute(rows: Rows) -> Baselines:
    n, nc = rows.n, len(rows.communes)
    units = units_of(rows)
    ustride = int(units.max()) + 1 if n else 1
    # sheets of the same phone in the same commune and day
    ucd = (rows.commune * 4096 + rows.day) * ustride + units
    _u, uinv, ucnt = np.unique(ucd, return_inverse=True, return_counts=True)
    unit_day = ucnt[uinv.ravel()]
    # time of day, each phone counted once per quarter-hour and day
    slot = np.clip((rows.tod // SLOT_SECONDS).astype(np.int64), 0, 95)
    once = _first_per((rows.day * 96 + slot) * ustride + units)
    counts = np.bincount(slot[once], minlength=96).astype(float)
    smooth = (np.roll(counts, 1) + 2 * counts + np.roll(counts, -1)) / 4
    share = smooth / max(1.0, smooth.sum())
    order = np.argsort(share, kind="stable")
    cum = np.cumsum(share[order])
    quiet_slots = np.sort(order[cum <= QUIET_SHARE])
    night_slots = np.flatnonzero(share < NIGHT_SHARE / 96)
    quiet = np.isin(slot, quiet_slots)
    night = np.isin(slot, night_slots)
    # time on form, relative to the commune's usual time (phones with one sheet that day)
    valid = np.isfinite(rows.dur) & (rows.dur > 0)
    ld = np.full(n, np.nan)
    ld[valid] = np.log(rows.dur[valid])
    single = valid & (unit_day == 1)
    ref = single if single.sum() >= 30 else valid
    prov = float(np.median(ld[ref])) if ref.any() else np.log(180.0)
    med_c, n_c = _commune_medians(ld[ref], rows.commune[ref], nc, prov)
    blended = (n_c * med_c + PRIOR_SHEETS * prov) / (n_c + PRIOR_SHEETS)
    usual = blended[rows.commune]
    resid = ld - usual
    ref_resid = np.sort(resid[ref])
    dur_q = np.full(n, np.nan)
    if len(ref_resid):
        pos = np.searchsorted(ref_resid, resid[valid], side="left")
        pos_r = np.searchsorted(ref_resid, resid[valid], side="right")
        dur_q[valid] = (pos + pos_r) / 2.0 / len(ref_resid)
        dur_q[valid] = np.clip(dur_q[valid], 0.5 / len(ref_resid), 1 - 0.5 / len(ref_resid))
    fast = valid & (resid < np.log(FAST_RATIO))
    very_fast = valid & (resid < np.log(VERY_FAST_RATIO))
    # user agents seen in few places (commune, network)
    agent, net = rows.agent, rows.codes["network"]
    has_agent = agent >= 0
    rare_agent = np.zeros(n, bool)
    if has_agent.any():
        nstride = int(net.max()) + 2
        place = rows.commune.astype(np.int64) * nstride + (net + 1)
        pstride = int(place.max()) + 1
        pairs = np.unique(agent[has_agent].astype(np.int64) * pstride + place[has_agent])
        per_agent = np.bincount(pairs // pstride, minlength=int(agent.max()) + 1)
        n_places = len(np.unique(place))
        limit = max(RARE_PLACES, RARE_PLACES_SHARE * n_places)
        rare_agent[has_agent] = per_agent[agent[has_agent]] <= limit
    # client facts shared by few phones
    fk = rows.facts + 1  # 0: none given
    phone_once = _first_per(units)
    agent_share = np.zeros(int(agent.max()) + 1 if n else 0)
    if has_agent.any():
        a1 = agent[phone_once & has_agent]
        agent_share = np.bincount(a1, minlength=len(agent_share)) / max(1, len(a1))
    fshare = np.bincount(fk[phone_once], minlength=int(fk.max()) + 1) / max(1, phone_once.sum())
    odd_facts = fshare[fk] < ODD_FACTS_SHARE
    # nearly all best answers
    top = rows.top_share >= TOP_SHARE
    traits = {"quiet": quiet, "night": night, "fast": fast, "very_fast": very_fast,
              "rare_agent": rare_agent, "odd_facts": odd_facts, "top": top}
    rate = {}
    for k, v in traits.items():
        sel = single if k in ("fast", "very_fast") else (unit_day == 1)
        rate[k] = _commune_median_rate(v, rows.commune, nc, sel if sel.sum() >= 30 else None)
    floors = {"quiet": 0.01, "night": 0.002, "fast": 0.04, "very_fast": 0.004,
              "rare_agent": 0.01, "odd_facts": 0.005, "top": 0.05}
    rate = {k: max(floors[k], v) for k, v in rate.items()}
    sheets_c = np.bincount(rows.commune, minlength=nc).astype(float)
    ccounts = {k: np.bincount(rows.commune, weights=v.astype(float), minlength=nc)
               for k, v in traits.items()}
    cd = rows.commune * 10_000 + rows.day
    u, cnt = np.unique(cd, return_counts=True)
    cds = {(int(k // 10_000), int(k % 10_000)): int(c) for k, c in zip(u, cnt)}
    return Baselines(quiet_slots=quiet_slots, night_slots=night_slots, slot_share=share,
                     median_dur=np.exp(blended), province_median_dur=float(np.exp(prov)),
                     dur_q=dur_q, rate=rate, commune_sheets=sheets_c, commune_counts=ccounts,
                     commune_day_sheets=cds, units=units, unit_day_sheets=unit_day,
                     agent_share=agent_share,
                     traits=traits)
