"""A campaign's sheets as arrays: one query for the responses, one for the daily reports, one
for the one-stop office's dossier counts.

Everything the engine needs of a sheet is a number in a numpy array (fingerprints and client
facts become small integer codes, the answer pattern a row of a byte matrix), so the rules are
vectorised and 100 000 sheets are judged in about a second.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select

from app.core.campaigns import load_definition
from app.core.reference import geography
from app.integrity.signals import BASE, MISSING_CHAR, answer_pattern, layout
from db.engine import session_scope
from db.models import Campaign, DailyReport, DossierCount, KioskCode, Response

TIES = ("session", "browser", "device", "network")
DAY_SECONDS = 86400.0
DAY_START = 5 * 3600.0


@dataclass
class Rows:
    campaign_id: int
    start: date
    ratio_high: float
    n: int
    ids: np.ndarray            # response ids
    commune: np.ndarray        # index into `communes`
    communes: list[str]
    district: np.ndarray       # index into `districts`, per sheet
    districts: list[str]
    commune_district: np.ndarray  # district index per commune index
    day: np.ndarray            # days since the campaign's first day
    gday: np.ndarray           # the same, for a day running from 05:00 to 05:00 (a night's
                               # sitting past midnight stays with its evening)
    tod: np.ndarray            # seconds since local midnight
    at: np.ndarray             # datetime64[s] of the submission
    dur: np.ndarray            # time on form in seconds (nan when unknown)
    excluded: np.ndarray
    codes: dict[str, np.ndarray]         # tie name -> code per sheet (-1: none)
    tie_values: dict[str, np.ndarray]    # tie name -> the stored hash of each code
    agent: np.ndarray
    facts: np.ndarray
    facts_values: list[tuple]
    pattern: np.ndarray        # (n, width) uint8 answer pattern (MISSING_CHAR where none)
    pattern_code: np.ndarray   # equal patterns (same questionnaire) share a code
    rank_code: np.ndarray      # equal single-choice and rating answers (multiple choices aside)
    set_code: np.ndarray       # equal multiple-choice answers (the rest aside)
    top_share: np.ndarray      # share of single choices / ratings answered with the best option
    visits: dict[tuple[int, int], int] = field(default_factory=dict)  # (commune, day) -> visits
    # (commune, day) -> dossiers received, the one-stop office's own count (where imported)
    dossiers: dict[tuple[int, int], int] = field(default_factory=dict)
    # the office screens (issue 15): sheets verified in person (None: not read), and the codes
    # opened per (commune, day) on days a commune's screen was in use
    verified: np.ndarray | None = None
    screen: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def n_days(self) -> int:
        return int(self.day.max()) + 1 if self.n else 0

    def day_date(self, d: int) -> date:
        return date.fromordinal(self.start.toordinal() + int(d))


def _codes(values) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def load(campaign_id: int) -> Rows:
    """Every sheet of the campaign (excluded ones too: exclusion is reversible and a warning
    stays visible after its sheets were excluded)."""
    R = Response
    with session_scope() as s:
        camp = s.get(Campaign, campaign_id)
        if camp is None:
            raise LookupError(f"campaign {campaign_id} not found")
        start, ratio_high = camp.start_date, float(camp.ratio_high or 1.2)
        conn = s.connection()
        rows = _fetch_raw(conn, select(
            R.id, R.commune_code, R.submitted_at, R.duration_s, R.excluded,
            R.session_hash, R.browser_hash, R.device_hash, R.network_hash, R.agent_hash,
            R.client_tz, R.client_tz_offset, R.client_locale, R.questionnaire_id,
            R.answer_pattern, case((R.answer_pattern.is_(None), R.answers), else_=None))
            .where(R.campaign_id == int(campaign_id)))
        reports = conn.execute(select(DailyReport.commune_code, DailyReport.day,
                                   DailyReport.visits)
                            .where(DailyReport.campaign_id == campaign_id)).all()
        dossiers = conn.execute(select(DossierCount.commune_code, DossierCount.day,
                                    DossierCount.dossiers)
                             .where(DossierCount.campaign_id == campaign_id)).all()
        verified_ids = [r[0] for r in conn.execute(select(R.id).where(
            R.campaign_id == int(campaign_id), R.verified == True))]  # noqa: E712
        opened = conn.execute(select(KioskCode.commune_code, KioskCode.day, func.count())
                              .where(KioskCode.campaign_id == int(campaign_id),
                                     KioskCode.opened_at.is_not(None))
                              .group_by(KioskCode.commune_code, KioskCode.day)).all()
    out = from_tuples(campaign_id, start, ratio_high, rows, reports, dossiers)
    add_screens(out, verified_ids, opened)
    return out


def add_screens(rows: Rows, verified_ids, opened) -> None:
    """The sheets verified in person and the office screens' opened codes per commune and
    day (tests call it on rows built by hand)."""
    rows.verified = np.isin(rows.ids, np.asarray(list(verified_ids), dtype=np.int64))
    cindex = {c: i for i, c in enumerate(rows.communes)}
    rows.screen = {(cindex[code], (d - rows.start).days): int(n) for code, d, n in opened
                   if code in cindex and n}


def _fetch_raw(conn, stmt) -> list[tuple]:
    """The statement's rows straight from the driver's cursor: for 100 000 sheets the result
    processing of SQLAlchemy costs as much as the query (the only bound value is the
    campaign's integer id, written into the SQL). SQLite gives times as ISO text, which
    numpy reads as well as datetimes."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cur = conn.connection.dbapi_connection.cursor()
    try:
        cur.execute(sql)
        return cur.fetchall()
    finally:
        cur.close()


def from_tuples(campaign_id: int, start: date, ratio_high: float, rows, reports,
                dossiers=()) -> Rows:
    """Arrays from the query's tuples (kept apart from `load` so that tests can build rows by
    hand)."""
    geo = geography()
    n = len(rows)
    cols = list(zip(*rows)) if n else [()] * 16
    (ids, communes_raw, at_raw, dur, excl, session, browser, device, network, agent,
     tz, tzo, loc, qids, patterns, answers) = cols
    ccode, communes = _codes(communes_raw)
    communes = [str(c) for c in communes]
    dist_of = [geo.by_code[c].district_code if c in geo.by_code else "?" for c in communes]
    dcodes, districts = _codes(dist_of)
    commune_district = dcodes
    at = np.array(at_raw, dtype="datetime64[s]") if n else np.zeros(0, dtype="datetime64[s]")
    start64 = np.datetime64(start, "s")
    secs = (at - start64).astype(np.int64).astype(np.float64)
    day = np.floor(secs / DAY_SECONDS).astype(np.int64)
    tod = secs - day * DAY_SECONDS
    gday = np.clip(np.floor((secs - DAY_START) / DAY_SECONDS).astype(np.int64), 0, None)
    day = np.clip(day, 0, None)
    codes, tie_values = {}, {}
    for name, col in zip(TIES, (session, browser, device, network)):
        codes[name], tie_values[name] = _codes(col)
    agent_code, _ = _codes(agent)
    facts_keys = [None if (a is None and b is None and c is None) else (a, b, c)
                  for a, b, c in zip(tz, tzo, loc)]
    facts_code, facts_values = _codes(facts_keys)
    pattern, pattern_code, top, rank_code, set_code = _patterns(qids, patterns, answers)
    visits, counted = {}, {}
    cindex = {c: i for i, c in enumerate(communes)}
    for code, d, v in reports:
        if code in cindex and v is not None:
            visits[(cindex[code], (d - start).days)] = int(v)
    for code, d, k in dossiers:
        if code in cindex and k is not None:
            counted[(cindex[code], (d - start).days)] = int(k)
    return Rows(
        campaign_id=campaign_id, start=start, ratio_high=ratio_high, n=n,
        ids=np.asarray(ids, dtype=np.int64), commune=ccode, communes=communes,
        district=commune_district[ccode] if n else np.zeros(0, np.int64),
        districts=[str(d) for d in districts], commune_district=commune_district,
        day=day, gday=gday, tod=tod, at=at,
        dur=np.array([np.nan if d is None else float(d) for d in dur], dtype=np.float64),
        excluded=np.asarray(excl, dtype=bool), codes=codes, tie_values=tie_values,
        agent=agent_code, facts=facts_code, facts_values=list(facts_values),
        pattern=pattern, pattern_code=pattern_code, rank_code=rank_code, set_code=set_code,
        top_share=top, visits=visits,
        dossiers=counted)


def _patterns(qids, patterns, answers):
    """The pattern matrix; patterns missing (sheets stored before the column existed) are
    computed from the answers."""
    n = len(qids)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return np.zeros((0, 1), np.uint8), empty, np.zeros(0), empty, empty
    pats = list(patterns)
    defs = {}
    for i, p in enumerate(pats):
        if p is None:
            q = qids[i]
            if q not in defs:
                defs[q] = load_definition(q)
            try:
                a = json.loads(answers[i] or "{}")
            except ValueError:
                a = {}
            pats[i] = answer_pattern(defs[q], a if isinstance(a, dict) else {})
    width = max(1, max(len(p) for p in pats))
    keyed = [f"{q}:{p}" for q, p in zip(qids, pats)]
    pattern_code, _ = _codes(keyed)
    blob = "".join(p.ljust(width, MISSING_CHAR)[:width] for p in pats).encode("ascii", "replace")
    mat = np.frombuffer(blob, dtype=np.uint8).reshape(n, width)
    # the best answer of single choices and ratings is rank 0
    top = np.zeros(n)
    for q in set(qids):
        if q not in defs:
            defs[q] = load_definition(q)
        cols = [s.start for s in layout(defs[q]) if s.kind == "rank"]
        if not cols:
            continue
        sel = np.fromiter((x == q for x in qids), dtype=bool, count=n)
        sub = mat[np.ix_(sel, cols)]
        answered = (sub != ord(MISSING_CHAR)).sum(axis=1)
        best = (sub == BASE).sum(axis=1)
        top[sel] = np.where(answered > 0, best / np.maximum(answered, 1), 0.0)
    # the same sheet as two parts: its single choices and ratings, its multiple choices
    rank_code = np.zeros(n, np.int64)
    set_code = np.zeros(n, np.int64)
    offset = [0, 0]
    for q in sorted(set(qids), key=str):
        sets = [c for s in layout(defs[q]) if s.kind == "set"
                for c in range(s.start, s.start + s.width) if c < width]
        sel = np.flatnonzero(np.fromiter((x == q for x in qids), dtype=bool, count=n))
        mask = np.zeros(width, bool)
        mask[sets] = True
        for k, (out, cols) in enumerate(((rank_code, ~mask), (set_code, mask))):
            sub = np.ascontiguousarray(mat[np.ix_(sel, np.flatnonzero(cols))])
            if sub.shape[1] == 0:
                inv, m = np.zeros(len(sel), np.int64), 1
            else:
                keys = sub.view(np.dtype((np.void, sub.shape[1]))).ravel()
                _u, inv = np.unique(keys, return_inverse=True)
                m = len(_u)
            out[sel] = inv.ravel() + offset[k]
            offset[k] += m
    return mat, pattern_code, top, rank_code, set_code

