#!/usr/bin/env python
"""Benchmark: does the integrity engine find planted ballot stuffing without flagging honest
citizens?

For each seed a 3-day campaign is built in a temporary SQLite database (``QCDC_DATA_DIR`` in a
temporary folder, migrated and seeded by the app's own start-up code) through the app's own
services only: ``app.survey.submit_response`` for every sheet (with the ``Signals`` a real page
would pass and the simulated moment as ``now``) and ``app.operations.daily_reports.save_report``
(commune scope) for every daily report. Then the engine under test judges the campaign and each sheet is
counted as flagged or not against the generator's own truth.

Honest behaviour, as it really is (all proportions drawn per commune, ranges set per variant):
- visitors arrive along the office's hours (two sessions with a peak each, hours shifted per
  commune), busy days and quiet days, communes of very different sizes, a few low-turnout ones;
- most answer on their own phone at the office, a few phone models whose browsers send
  near-identical user agents; at the office many are on the office Wi-Fi (one address for the
  whole commune, sometimes two), the rest on mobile data behind carrier NAT (a few addresses
  shared across every commune); some answer at home in the evening (home line or mobile);
- elderly citizens answer on the helper's phone or the office tablet, one after the other
  (same browser, usually the same session through "answer again", minutes apart, slow);
- time on form varies widely: most take 2-5 minutes, some fast readers under a minute, a few
  leave the form open for a long time;
- a large share of "all top answer" sheets, some straight-liners on another answer, free text
  now and then, the optional profile filled in or not;
- daily reports: visits mostly at or above the answers, with honest noise (some communes count
  only the citizens they guided, some days have no report);
- the one-stop office's dossier counts imported for half of the communes (``dossier_share``):
  the real visitors with noise (some file several dossiers, some only ask), through the app's
  own import (``app.operations.dossiers.save_dossiers``).

Planted stuffing (``KINDS``), one kind per stuffed commune, kinds rotated over seeds:
``sitting`` (many sheets in a row on one phone), ``spread`` (one phone over a day between real
citizens, 40-90 s each), ``script_fast`` / ``script_slow`` (rotating user agents, fast or
patient), ``script_clear`` (patient, rotating user agents, new cookie and new session every
sheet), ``copies`` (one sheet copied on several phones, identical or with one answer changed),
``inflate`` (a commune adding sheets and inflating its reported visits to match), ``night``
(sheets entered at night).

Variants (``--variant``) change the generator's assumptions to guard against tuning the
engine to one generator: ``base``, ``hours`` (other office hours, earlier peaks, lunch-time
answers), ``phones`` (other phone mix, in-app browsers, scripts rotating the local phones'
user agents), ``crowd`` (other proportions: bigger communes, more assisted elderly and office
tablets, more "all top", more fast readers), ``sparse`` (a deployment that gives no browser
cookie and no time zone/locale: only session, user agent, address and time on form),
``harsh`` (honest behaviour at its most suspicious-looking: one carrier NAT address per
carrier, quick "all top" citizens, the elderly helped as fast as anyone on busy tablets, many
answers at home in the evening, households sharing a phone), ``all`` (every variant, figures
pooled and per variant).

    python bench/integrity.py [--seeds 1,2,3,4,5] [--communes 40] [--scale 1.0]
                              [--engine new|page|legacy] [--variant base|...|all] [--no-100k]
                              [--keep DIR]

Legacy engine: the warnings before the engine (``bench/integrity_legacy.py``: burst,
identical, fast and ratio_high); a sheet counts as flagged when it is in a warning's sheet list (ratio_high lists
none: it flags no sheet, and it is "honest only" when its commune and day hold no planted
sheet). New engine: ``app.integrity.evaluate``; a sheet is flagged when it is in a cluster.

The last line printed is one JSON object::

    {"bench": "integrity", "engine": ..., "variant": ..., "seeds": [...], "recall": r,
     "false_flag_rate": f, "warnings": n, "honest_only_warnings": n, "communes": n,
     "per_stuffing_kind": {...}, "per_warning_kind": {...}, "per_seed": [...],
     "seconds": {"generate": t, "engine": t, "engine_100000": t}}
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ("sitting", "spread", "script_fast", "script_slow", "script_clear", "copies",
         "inflate", "night")
VARIANTS = ("base", "hours", "phones", "crowd", "sparse", "harsh")
CAMPAIGN_START = date(2024, 5, 6)
DAYS = 3


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- user agents

def _android_chrome(v: int, android: str = "10", model: str = "K") -> str:
    return (f"Mozilla/5.0 (Linux; Android {android}; {model}) AppleWebKit/537.36 "
            f"(KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile Safari/537.36")


def _iphone(ios: str) -> str:
    return (f"Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/605.1.15 "
            f"(KHTML, like Gecko) Version/{ios.split('_')[0]}.{ios.split('_')[1]} "
            f"Mobile/15E148 Safari/604.1")


def _samsung(model: str, v: str) -> str:
    return (f"Mozilla/5.0 (Linux; Android 13; SAMSUNG {model}) AppleWebKit/537.36 (KHTML, like "
            f"Gecko) SamsungBrowser/{v} Chrome/117.0.0.0 Mobile Safari/537.36")


def _zalo_android(model: str) -> str:
    return (f"Mozilla/5.0 (Linux; Android 12; {model} Build/SP1A.210812.016; wv) "
            f"AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile "
            f"Safari/537.36 Zalo android/12100627 ZaloTheme/light ZaloLanguage/vn")


def _zalo_ios(ios: str) -> str:
    return (f"Mozilla/5.0 (iPhone; CPU iPhone OS {ios} like Mac OS X) AppleWebKit/605.1.15 "
            f"(KHTML, like Gecko) Mobile/15E148 Zalo iOS/479 ZaloTheme/light ZaloLanguage/vn")


def _coccoc(model: str) -> str:
    return (f"Mozilla/5.0 (Linux; Android 11; {model}) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"coc_coc_browser/130.0.226 Chrome/124.0.6367.172 Mobile Safari/537.36")


# the province's phones: (user agent, weight); reduced Chrome user agents are near-identical
PHONES_BASE = [
    (_android_chrome(124), 18), (_android_chrome(123), 12), (_android_chrome(125), 8),
    (_android_chrome(122), 5), (_samsung("SM-A145F", "24.0"), 6), (_samsung("SM-A235F", "23.0"), 4),
    (_iphone("17_4_1"), 9), (_iphone("16_7_7"), 6), (_iphone("17_3"), 4),
    (_zalo_android("SM-A125F"), 7), (_zalo_android("CPH2239"), 5), (_zalo_ios("17_4"), 5),
    (_coccoc("RMX2185"), 3), (_android_chrome(120, "13"), 2),
]
# another province: fewer models, more in-app browsers, one dominant phone
PHONES_FEW = [
    (_android_chrome(124), 45), (_zalo_android("SM-A125F"), 20), (_iphone("17_4_1"), 15),
    (_zalo_ios("17_4"), 12), (_samsung("SM-A145F", "24.0"), 8),
]
# what a script author finds on the web (desktop and foreign phones, newer versions)
WEB_AGENTS = (
    [f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     f"Chrome/{v}.0.0.0 Safari/537.36" for v in range(118, 127)]
    + [f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
       f"Gecko) Version/17.{m} Safari/605.1.15" for m in range(0, 5)]
    + [f"Mozilla/5.0 (Android 14; Mobile; rv:{v}.0) Gecko/{v}.0 Firefox/{v}.0"
       for v in range(120, 126)]
    + [_android_chrome(v, "14", m) for v in (124, 125, 126) for m in ("Pixel 8", "Pixel 7a")]
    + [_iphone(i) for i in ("17_5", "17_2_1", "16_6", "15_8")]
)
LOCALES = [("vi-VN", 66), ("en-US", 26), ("vi", 6), ("en-GB", 2)]
TIMEZONES = [(("Asia/Saigon", -420), 58), (("Asia/Ho_Chi_Minh", -420), 36),
             (("Asia/Bangkok", -420), 5), (("Asia/Jakarta", -420), 1)]
ACCEPT = {"vi-VN": "vi-VN,vi;q=0.9,fr-FR;q=0.8,en-US;q=0.7", "en-US": "en-US,en;q=0.9,vi;q=0.8",
          "vi": "vi", "en-GB": "en-GB,en;q=0.9"}


RARE_MODELS = ["SM-A055F", "SM-A256E", "SM-M146B", "CPH2591", "CPH2473", "RMX3834", "RMX3710",
               "2312DRAA5G", "23129RAA4G", "V2318", "V2247", "TECNO KI5k", "Infinix X6831",
               "Nokia G21", "vivo 1906", "M2101K7AG", "SM-J730G", "Mi A2", "Redmi Note 8",
               "ASUS_X00TD", "moto g(30)", "SM-G973F", "itel A665L", "SM-A515F"]


def rare_agent(rng: random.Random) -> str:
    """A phone outside the common models: old Android builds and in-app browsers still send
    the model and build, so these agents are nearly unique."""
    model = rng.choice(RARE_MODELS)
    kind = rng.random()
    if kind < 0.4:
        return _zalo_android(model).replace("12100627", str(rng.randint(12000000, 12200000)))
    if kind < 0.7:
        return _samsung(model, f"{rng.randint(17, 25)}.{rng.randint(0, 9)}")
    return (f"Mozilla/5.0 (Linux; Android {rng.randint(8, 14)}; {model} Build/"
            f"{rng.choice(['RP1A', 'SP1A', 'TP1A', 'QP1A'])}.{rng.randint(190000, 240000)}.0"
            f"{rng.randint(10, 99)}; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
            f"Chrome/{rng.randint(100, 125)}.0.{rng.randint(4000, 6400)}.{rng.randint(10, 200)} "
            f"Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/{rng.randint(400, 460)}.0.0."
            f"{rng.randint(10, 60)}.{rng.randint(10, 120)};]")


def pick(rng: random.Random, weighted):
    items, weights = zip(*weighted)
    return rng.choices(items, weights=weights, k=1)[0]


# --------------------------------------------------------------------------- assumptions

@dataclass(frozen=True)
class Assumptions:
    name: str = "base"
    # office sessions (start h, end h, peak h) and the share of visitors in the morning
    morning: tuple = (7.5, 11.5, 8.75)
    afternoon: tuple = (13.5, 17.0, 14.5)
    morning_share: float = 0.66
    hours_jitter_min: int = 20
    lunch_answers: float = 0.0        # share of home answers at lunch time instead of evening
    phones: tuple = tuple(PHONES_BASE)
    in_app_no_context: float = 0.0    # share of in-app browsers giving no time zone / locale
    send_browser_id: bool = True
    send_client_facts: bool = True
    size_median: float = 26.0         # visits per day, median commune
    size_sigma: float = 0.65
    low_turnout_share: float = 0.15
    turnout: tuple = (0.45, 0.9)
    wifi_share: tuple = (0.25, 0.8)
    elderly_share: tuple = (0.04, 0.22)
    assisted_slowdown: float = 1.7     # time on form of an elderly citizen helped, vs own phone
    shared_devices: tuple = (1, 2)    # helper phones / office tablets per commune
    home_share: tuple = (0.03, 0.15)
    alltop_share: tuple = (0.15, 0.45)
    quality: tuple = (0.62, 0.88)
    duration_median: tuple = (120.0, 260.0)
    fast_reader_share: tuple = (0.04, 0.18)
    guided_only_reports: float = 0.12  # communes reporting only the citizens they guided
    missing_report: float = 0.05
    stuffed_share: float = 0.2
    script_local_agents: float = 0.0  # share of scripts rotating the local phones' agents
    rare_phones: float = 0.12         # phones outside the common models (a long tail of agents)
    nat_pool: int = 12                # public addresses per mobile carrier (carrier-grade NAT)
    alltop_speed: float = 1.0         # time on form of "all top" citizens, vs the others
    family_phone: float = 0.0         # share of home answers on the household's shared phone
    stuff_scale: float = 1.0
    dossier_share: float = 0.5        # communes whose one-stop office counts are imported
    dossier_noise: float = 0.15       # dossiers vs visitors (several dossiers, questions only)


def assumptions(name: str) -> Assumptions:
    base = Assumptions()
    if name == "base":
        return base
    if name == "hours":
        return replace(base, name=name, morning=(7.0, 11.0, 7.6), afternoon=(13.0, 16.5, 13.6),
                       morning_share=0.75, hours_jitter_min=45, lunch_answers=0.5,
                       home_share=(0.05, 0.25), duration_median=(90.0, 200.0))
    if name == "phones":
        return replace(base, name=name, phones=tuple(PHONES_FEW), in_app_no_context=0.3,
                       rare_phones=0.25,
                       wifi_share=(0.5, 0.95), script_local_agents=0.6,
                       fast_reader_share=(0.1, 0.3))
    if name == "crowd":
        return replace(base, name=name, size_median=45.0, size_sigma=0.8,
                       elderly_share=(0.12, 0.4), shared_devices=(1, 3), assisted_slowdown=1.0,
                       alltop_share=(0.3, 0.7), fast_reader_share=(0.1, 0.3),
                       duration_median=(100.0, 220.0), low_turnout_share=0.25,
                       guided_only_reports=0.25, stuff_scale=0.8)
    if name == "sparse":
        return replace(base, name=name, send_browser_id=False, send_client_facts=False)
    if name == "harsh":
        # honest behaviour at its most suspicious-looking: one NAT address per carrier, "all
        # top" citizens quick, the elderly helped as fast as anyone, busy office tablets,
        # many answering at home in the evening, households sharing one phone
        return replace(base, name=name, nat_pool=1, alltop_speed=0.6, assisted_slowdown=0.9,
                       elderly_share=(0.15, 0.45), shared_devices=(1, 2),
                       home_share=(0.1, 0.35), family_phone=0.4,
                       fast_reader_share=(0.1, 0.3), alltop_share=(0.25, 0.6))
    raise SystemExit(f"unknown variant {name!r}")


# --------------------------------------------------------------------------- answers

class Sheets:
    """Answer sheets for the PKS 03 definition (or any definition of the same types)."""

    def __init__(self, defn):
        self.defn = defn
        self.closed = [q for q in defn.questions if q.type != "text"]
        self.texts = [q for q in defn.questions if q.type == "text"]

    def _single(self, q, rng, quality):
        scored = sorted([o for o in q.options if o.score is not None], key=lambda o: -o.score)
        if rng.random() < 0.05 and any(o.score is None for o in q.options):
            return next(o.value for o in q.options if o.score is None)
        idx = min(len(scored) - 1, int(abs(rng.gauss(0, 2.2 * (1.02 - quality)))))
        return scored[idx].value

    def _multi(self, q, rng, quality):
        normal = [o for o in q.options if not o.exclusive]
        if rng.random() < 0.04 and any(o.exclusive for o in q.options):
            return [next(o.value for o in q.options if o.exclusive)]
        k = max(1, min(len(normal), int(rng.gauss(1 + 3 * quality, 1))))
        chosen = {o.value for o in rng.sample(normal, k)}
        return [o.value for o in q.options if o.value in chosen]

    def _rating(self, q, rng, quality):
        span = q.scale_max - q.scale_min
        return int(q.scale_min + round(span * min(1.0, max(0.0, rng.gauss(quality, 0.18)))))

    def profile(self, rng, fill: float = 0.6) -> dict:
        out = {}
        if rng.random() < fill:
            for q in self.defn.profile:
                if rng.random() < 0.9:
                    out[q.id] = rng.choice(q.options).value
        return out

    def comment(self, rng, p: float = 0.07) -> dict:
        out = {}
        for q in self.texts:
            if rng.random() < p:
                out[q.id] = rng.choice(["Cán bộ nhiệt tình, hướng dẫn chu đáo.",
                                        "Đề nghị niêm yết thủ tục rõ hơn.",
                                        "Cần thông báo lịch họp thôn sớm hơn.",
                                        "Đường vào thôn xuống cấp, đề nghị sửa.",
                                        "Không có ý kiến."])
        return out

    def all_top(self, rng) -> dict:
        out = {}
        for q in self.closed:
            if q.type == "single":
                out[q.id] = max((o for o in q.options if o.score is not None),
                                key=lambda o: o.score).value
            elif q.type == "rating":
                out[q.id] = q.scale_max
            else:
                normal = [o.value for o in q.options if not o.exclusive]
                out[q.id] = normal if rng.random() < 0.5 else rng.choice(
                    [normal[:3], normal[1:3], normal[:2], [normal[1]], normal[:4]])
        return out

    def straight(self, rng, level: int = 1) -> dict:
        """The same (second best) answer everywhere."""
        out = self.all_top(rng)
        for q in self.closed:
            if q.type == "single":
                scored = sorted([o for o in q.options if o.score is not None],
                                key=lambda o: -o.score)
                out[q.id] = scored[min(level, len(scored) - 1)].value
            elif q.type == "rating":
                out[q.id] = q.scale_max - level
        return out

    last_alltop = False

    def honest(self, rng, quality: float, alltop: float) -> dict:
        r = rng.random()
        self.last_alltop = r < alltop
        if r < alltop:
            out = self.all_top(rng)
        elif r < alltop + 0.03:
            out = self.straight(rng)
        else:
            person = min(0.99, max(0.05, rng.gauss(quality, 0.13)))
            out = {}
            for q in self.closed:
                if q.type == "single":
                    out[q.id] = self._single(q, rng, person)
                elif q.type == "multi":
                    out[q.id] = self._multi(q, rng, person)
                else:
                    out[q.id] = self._rating(q, rng, person)
        out.update(self.profile(rng))
        out.update(self.comment(rng))
        return out

    def positive(self, rng) -> dict:
        """What a stuffer fills in: good, with some variation so it does not look copied."""
        if rng.random() < 0.3:
            out = self.all_top(rng)
        else:
            q = rng.uniform(0.86, 0.98)
            out = {}
            for qq in self.closed:
                if qq.type == "single":
                    out[qq.id] = self._single(qq, rng, q)
                elif qq.type == "multi":
                    out[qq.id] = self._multi(qq, rng, q)
                else:
                    out[qq.id] = self._rating(qq, rng, q)
        out.update(self.profile(rng, 0.4))
        return out

    def scripted(self, rng, p_top: float) -> dict:
        """A script: each answer drawn on its own, mostly the top one."""
        out = {}
        for q in self.closed:
            if q.type == "single":
                scored = sorted([o for o in q.options if o.score is not None],
                                key=lambda o: -o.score)
                out[q.id] = scored[0].value if rng.random() < p_top else scored[1].value
            elif q.type == "rating":
                out[q.id] = q.scale_max if rng.random() < p_top else q.scale_max - 1
            else:
                out[q.id] = self._multi(q, rng, 0.9)
        if rng.random() < 0.5:
            out.update(self.profile(rng, 1.0))
        return out

    def mutate(self, rng, sheet: dict, what: str) -> dict:
        out = json.loads(json.dumps(sheet))
        if what == "profile":
            q = rng.choice(self.defn.profile)
            out[q.id] = rng.choice([o.value for o in q.options if o.value != out.get(q.id)])
        elif what == "closed":
            q = rng.choice([q for q in self.closed if q.type == "single"])
            out[q.id] = rng.choice([o.value for o in q.options if o.value != out.get(q.id)])
        return out


# --------------------------------------------------------------------------- simulation

@dataclass
class Sheet:
    at: datetime
    code: str
    answers: dict
    duration: float
    session: str | None
    browser: str | None
    agent: str
    language: str | None
    ip: str
    tz: tuple | None
    locale: str | None
    truth: str          # "honest" or a stuffing kind
    role: str = ""      # honest behaviour (own, assisted, home, fast) or stuffing detail


@dataclass
class Phone:
    browser: str
    agent: str
    locale: str | None
    tz: tuple | None
    carrier: int


@dataclass
class CommunePlan:
    code: str
    district: str
    size: float
    turnout: float
    wifi: float
    elderly: float
    home: float
    alltop: float
    quality: float
    dur_median: float
    fast: float
    shift_min: int
    guided_only: bool
    wifi_ips: list
    shared: list         # shared phones/tablets
    kind: str | None = None
    visits: dict = field(default_factory=dict)   # day -> true visits
    planted: dict = field(default_factory=dict)  # day -> planted sheets


class Generator:
    dossiers: dict = {}

    def __init__(self, seed: int, a: Assumptions, communes: int, scale: float, geo, defn):
        self.rng = random.Random(seed * 7919 + VARIANTS.index(a.name) * 104729)
        self.seed, self.a, self.scale = seed, a, scale
        self.sheets = Sheets(defn)
        self.days = [CAMPAIGN_START + timedelta(days=i) for i in range(DAYS)]
        self.nat = {c: [f"113.{160 + 20 * c + k // 250}.{k % 250}.{self.rng.randint(1, 254)}"
                        for k in range(a.nat_pool)] for c in range(3)}
        self.n_ip = 0
        self.plans = self._pick_communes(geo, communes)

    def _token(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def _ip(self, prefix="14.") -> str:
        self.n_ip += 1
        return f"{prefix}{self.rng.randint(160, 250)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"

    def phone(self, agent: str | None = None) -> Phone:
        a, rng = self.a, self.rng
        if agent is None:
            agent = pick(rng, a.phones) if rng.random() >= a.rare_phones else rare_agent(rng)
        locale, tz = pick(rng, LOCALES), pick(rng, TIMEZONES)
        if "Zalo" in agent and rng.random() < a.in_app_no_context:
            locale, tz = None, None
        return Phone(self._token(), agent, locale, tz, rng.randrange(3))

    def _pick_communes(self, geo, n: int) -> list[CommunePlan]:
        rng, a = self.rng, self.a
        districts = list(geo.districts)
        rng.shuffle(districts)
        per = max(4, min(9, round(n / 5)))
        chosen = []
        for d in districts:
            cs = [c for c in geo.communes if c.district_code == d.code]
            rng.shuffle(cs)
            chosen += cs[:per]
            if len(chosen) >= n:
                break
        chosen = chosen[:n]
        plans = []
        for c in chosen:
            size = rng.lognormvariate(math.log(a.size_median), a.size_sigma)
            size *= 1.5 if c.type == "Phường" else 1.0
            size = min(220.0, max(4.0, size)) * self.scale
            turnout = (rng.uniform(0.1, 0.3) if rng.random() < a.low_turnout_share
                       else rng.uniform(*a.turnout))
            n_wifi = 2 if size > 60 and rng.random() < 0.5 else 1
            n_shared = rng.randint(*a.shared_devices)
            shared = [self.phone() for _ in range(n_shared)]
            plans.append(CommunePlan(
                code=c.code, district=c.district_code, size=size, turnout=turnout,
                wifi=rng.uniform(*a.wifi_share), elderly=rng.uniform(*a.elderly_share),
                home=rng.uniform(*a.home_share), alltop=rng.uniform(*a.alltop_share),
                quality=rng.uniform(*a.quality), dur_median=rng.uniform(*a.duration_median),
                fast=rng.uniform(*a.fast_reader_share),
                shift_min=rng.randint(-a.hours_jitter_min, a.hours_jitter_min),
                guided_only=rng.random() < a.guided_only_reports,
                wifi_ips=[self._ip("27.") for _ in range(n_wifi)], shared=shared))
        stuffed = min(len(plans), max(3, round(a.stuffed_share * len(plans))))
        # kinds in turn over consecutive seeds, so that a few small seeds still plant them all
        first = (self.seed * stuffed) % len(KINDS)
        for i, p in enumerate(rng.sample(plans, stuffed)):
            p.kind = KINDS[(first + i) % len(KINDS)]
        return plans

    # ---- honest

    def arrival(self, p: CommunePlan, day: date) -> datetime:
        a, rng = self.a, self.rng
        s, e, peak = a.morning if rng.random() < a.morning_share else a.afternoon
        h = rng.triangular(s, e, peak) + p.shift_min / 60
        return datetime.combine(day, datetime.min.time()) + timedelta(hours=h)

    def duration(self, p: CommunePlan, assisted: bool = False, alltop: bool = False) -> float:
        d = self._duration(p, assisted)
        return max(20.0, d * self.a.alltop_speed) if alltop else d

    def _duration(self, p: CommunePlan, assisted: bool = False) -> float:
        rng = self.rng
        if assisted:
            return min(1500.0, rng.lognormvariate(
                math.log(p.dur_median * self.a.assisted_slowdown), 0.4))
        r = rng.random()
        if r < p.fast:
            return rng.uniform(28, 80)
        if r < p.fast + 0.03:
            return rng.uniform(600, 3600)   # left open, came back
        return min(1500.0, rng.lognormvariate(math.log(p.dur_median), 0.45))

    def honest_day(self, p: CommunePlan, day: date, factor: float) -> list[Sheet]:
        a, rng = self.a, self.rng
        visits = max(1, int(rng.gauss(p.size * factor, math.sqrt(p.size * factor))))
        p.visits[day] = visits
        out: list[Sheet] = []
        queue: list[tuple[datetime, Sheet]] = []
        arrivals = sorted(self.arrival(p, day) for _ in range(visits))
        family = None
        for t in arrivals:
            if rng.random() >= p.turnout:
                continue
            answers = self.sheets.honest(rng, p.quality, p.alltop)
            top = self.sheets.last_alltop
            r = rng.random()
            if r < p.elderly:
                queue.append((t + timedelta(minutes=rng.uniform(1, 10)), answers, top))
                continue
            ph = self.phone()
            if r < p.elderly + p.home:
                if a.family_phone and family is not None and rng.random() < a.family_phone:
                    ph = family      # the household's phone, again
                family = ph
                if rng.random() < a.lunch_answers:
                    at = datetime.combine(day, datetime.min.time()) + timedelta(
                        hours=rng.uniform(11.6, 13.4))
                else:
                    at = datetime.combine(day, datetime.min.time()) + timedelta(
                        hours=rng.uniform(18.3, 22.7))
                at = max(at, t + timedelta(minutes=30))
                ip = self._ip("14.") if rng.random() < 0.55 else rng.choice(self.nat[ph.carrier])
                dur = self.duration(p, alltop=top)
                out.append(self._sheet(at, p.code, answers, dur, ph, ip, "honest", "home"))
                continue
            dur = self.duration(p, alltop=top)
            on_wifi = rng.random() < p.wifi
            ip = rng.choice(p.wifi_ips) if on_wifi else rng.choice(self.nat[ph.carrier])
            at = t + timedelta(minutes=rng.uniform(1, 20), seconds=dur)
            role = "fast" if dur < 80 else "own"
            out.append(self._sheet(at, p.code, answers, dur, ph, ip, "honest", role))
        # the elderly, one after the other on a shared phone or the office tablet
        free = {i: datetime.min for i in range(len(p.shared))}
        sessions = {i: self._token() for i in range(len(p.shared))}
        for t, answers, top in sorted(queue, key=lambda x: x[0]):
            i = min(free, key=lambda k: max(free[k], t))
            dev = p.shared[i]
            start = max(t, free[i] + timedelta(seconds=rng.uniform(20, 150)))
            if start - free[i] > timedelta(minutes=40) or rng.random() < 0.25:
                sessions[i] = self._token()   # the page was reloaded, or a new morning
            dur = self.duration(p, assisted=True, alltop=top)
            at = start + timedelta(seconds=dur)
            free[i] = at
            ip = p.wifi_ips[0] if i == 0 or rng.random() < 0.5 else rng.choice(
                self.nat[dev.carrier])
            out.append(self._sheet(at, p.code, answers, dur, dev, ip, "honest", "assisted",
                                   session=sessions[i]))
        return out

    def _sheet(self, at, code, answers, dur, ph: Phone, ip, truth, role, session=None,
               agent=None, tz="keep", locale="keep", browser="keep") -> Sheet:
        a = self.a
        loc = ph.locale if locale == "keep" else locale
        return Sheet(
            at=at.replace(microsecond=0), code=code, answers=answers, duration=round(dur, 1),
            session=session or self._token(),
            browser=(ph.browser if browser == "keep" else browser) if a.send_browser_id else None,
            agent=agent or ph.agent, language=ACCEPT.get(loc or "vi-VN", "vi"), ip=ip,
            tz=(ph.tz if tz == "keep" else tz) if a.send_client_facts else None,
            locale=loc if a.send_client_facts else None, truth=truth, role=role)

    # ---- stuffing

    def _when(self, day: date, h0: float, h1: float) -> datetime:
        return datetime.combine(day, datetime.min.time()) + timedelta(
            hours=self.rng.uniform(h0, h1))

    def stuffing(self, p: CommunePlan, day: date, honest: list[Sheet]) -> list[Sheet]:
        rng, S, a = self.rng, self.sheets, self.a
        kind = p.kind
        k = a.stuff_scale
        out: list[Sheet] = []
        local_ip = rng.choice(p.wifi_ips)

        def n_of(lo, hi):
            return max(3, int(rng.randint(lo, hi) * k))

        if kind == "sitting":
            ph = p.shared[0] if rng.random() < 0.3 else self.phone()
            t = self._when(day, *rng.choice([(9.5, 10.5), (11.6, 12.2), (17.2, 18.0),
                                             (19.5, 21.0)]))
            same = rng.random() < 0.6
            session = self._token()
            ip = local_ip if rng.random() < 0.7 else rng.choice(self.nat[ph.carrier])
            for _ in range(n_of(15, 45)):
                dur = rng.uniform(15, 60)
                t += timedelta(seconds=dur + rng.uniform(3, 25))
                out.append(self._sheet(t, p.code, S.positive(rng), dur, ph, ip, kind, "",
                                       session=session if same else None))
        elif kind in ("spread", "inflate"):
            phones = [self.phone()] if kind == "spread" or rng.random() < 0.5 else \
                [self.phone(), self.phone()]
            n = n_of(20, 40) if kind == "spread" else n_of(25, 50)
            s0, e0, _ = a.morning
            s1, e1, _ = a.afternoon
            for j in range(n):
                ph = phones[j % len(phones)]
                h = rng.uniform(s0, e0) if rng.random() < 0.6 else rng.uniform(s1, e1)
                t = datetime.combine(day, datetime.min.time()) + timedelta(
                    hours=h + p.shift_min / 60)
                dur = rng.uniform(40, 90)
                out.append(self._sheet(t, p.code, S.positive(rng), dur, ph, local_ip, kind,
                                       "", session=None if rng.random() < 0.5 else
                                       f"{ph.browser}-{day}"))
        elif kind in ("script_fast", "script_slow", "script_clear"):
            local = rng.random() < a.script_local_agents
            agents = ([ag for ag, _w in a.phones] if local
                      else rng.sample(WEB_AGENTS, rng.randint(10, len(WEB_AGENTS))))
            headless = rng.random() < 0.5
            tz = ("UTC", 0) if headless else ("Asia/Ho_Chi_Minh", -420)
            locale = "en-US" if headless else "vi-VN"
            ph = self.phone()
            ip = local_ip if rng.random() < 0.5 else self._ip("103.")
            p_top = rng.uniform(0.6, 0.95)
            if kind == "script_fast":
                n = n_of(30, 80)
                t = self._when(day, *rng.choice([(1.0, 3.0), (9.0, 10.0), (12.0, 12.5),
                                                 (21.0, 22.0)]))
            else:
                n = n_of(20, 45)
                t = self._when(day, a.morning[0], a.morning[0] + 1.0)
            keep_cookie = kind != "script_clear" and rng.random() < 0.7
            for _ in range(n):
                if kind == "script_fast":
                    dur = rng.uniform(4, 25)
                    t += timedelta(seconds=dur + rng.uniform(2, 40))
                else:
                    dur = rng.uniform(110, 330)
                    t += timedelta(seconds=dur + rng.uniform(60, 600))
                browser = ph.browser if keep_cookie else self._token()
                out.append(self._sheet(t, p.code, S.scripted(rng, p_top), dur, ph, ip, kind,
                                       "", agent=rng.choice(agents), tz=tz, locale=locale,
                                       browser=browser))
        elif kind == "copies":
            template = S.positive(rng) if rng.random() < 0.7 else S.all_top(rng)
            template.update(S.profile(rng, 1.0))
            t = self._when(day, 8.0, 16.0)
            for _ph in range(rng.randint(3, 6)):
                ph = self.phone()
                ip = local_ip if rng.random() < 0.6 else rng.choice(self.nat[ph.carrier])
                t2 = t + timedelta(minutes=rng.uniform(0, 90))
                for _ in range(max(2, int(rng.randint(3, 9) * k))):
                    what = rng.choice(["same", "same", "profile", "closed"])
                    dur = rng.uniform(25, 75)
                    t2 += timedelta(seconds=dur + rng.uniform(5, 120))
                    out.append(self._sheet(t2, p.code, S.mutate(rng, template, what), dur, ph,
                                           ip, kind, what))
        elif kind == "night":
            phones = [self.phone() for _ in range(rng.randint(1, 2))]
            ips = [rng.choice([local_ip, self._ip("14.")]) for _ in phones]
            t = self._when(day, *rng.choice([(0.2, 1.5), (21.8, 22.4)]))
            for j in range(n_of(12, 30)):
                ph = phones[j % len(phones)]
                dur = rng.uniform(40, 150)
                t += timedelta(seconds=dur + rng.uniform(20, 400))
                out.append(self._sheet(t, p.code, S.positive(rng), dur, ph, ips[j % len(ips)],
                                       kind, ""))
        # a night sitting may run past midnight (then it belongs to the next day), but never
        # past the campaign's last day
        last = datetime.combine(self.days[-1], datetime.max.time())
        return [s for s in out if s.at <= last]

    def campaign(self) -> tuple[list[Sheet], dict]:
        rng = self.rng
        sheets: list[Sheet] = []
        day_factor = [rng.uniform(1.05, 1.35), rng.uniform(0.85, 1.05), rng.uniform(0.7, 1.0)]
        for p in self.plans:
            stuff_days = set()
            if p.kind:
                stuff_days = {rng.choice(self.days)}
                if p.kind in ("spread", "script_slow", "inflate") and rng.random() < 0.4:
                    stuff_days.add(rng.choice(self.days))
            for i, day in enumerate(self.days):
                f = day_factor[i] * rng.uniform(0.85, 1.15)
                honest = self.honest_day(p, day, f)
                sheets += honest
                if day in stuff_days:
                    planted = self.stuffing(p, day, honest)
                    sheets += planted
                    for s in planted:
                        p.planted[s.at.date()] = p.planted.get(s.at.date(), 0) + 1
        last = datetime.combine(self.days[-1], datetime.max.time())
        sheets = [s for s in sheets if s.at <= last]
        sheets.sort(key=lambda s: s.at)
        reports = {}
        for p in self.plans:
            answers_by_day = Counter(s.at.date() for s in sheets if s.code == p.code)
            onsite = Counter(s.at.date() for s in sheets
                             if s.code == p.code and s.truth == "honest" and s.role != "home")
            for day in self.days:
                if rng.random() < self.a.missing_report:
                    continue
                v = p.visits.get(day, 0)
                if p.guided_only:
                    visits = int(onsite[day] * rng.uniform(1.0, 1.25))
                else:
                    visits = max(0, int(round(v * rng.gauss(1.0, 0.08))))
                if p.kind == "inflate":
                    visits += int(p.planted.get(day, 0) * rng.uniform(1.0, 1.3))
                reports[(p.code, day)] = dict(visits=visits, guided=min(visits, answers_by_day[day]),
                                              helpers_on_duty=rng.randint(1, 4))
        # the one-stop office's own count of dossiers (its software counts the real visitors,
        # roughly: some file several dossiers, some only ask), for a share of the communes
        drng = random.Random(self.seed * 31 + 7)
        self.dossiers = {}
        for p in self.plans:
            if drng.random() >= self.a.dossier_share:
                continue
            for day in self.days:
                v = p.visits.get(day, 0)
                self.dossiers[(p.code, day)] = max(0, round(v * drng.gauss(1.0,
                                                                         self.a.dossier_noise)))
        return sheets, reports


# --------------------------------------------------------------------------- building

def signals_for(sh: Sheet):
    from app.survey.responses import Signals
    have = {f.name for f in fields(Signals)}
    kw = dict(session_id=sh.session, user_agent=sh.agent, accept_language=sh.language,
              client_ip=sh.ip, started_at=time.time() - sh.duration)
    extra = dict(browser_id=sh.browser, timezone=sh.tz[0] if sh.tz else None,
                 timezone_offset=sh.tz[1] if sh.tz else None, locale=sh.locale)
    kw.update({k: v for k, v in extra.items() if k in have})
    return Signals(**kw)


def prepare_template(base: Path) -> Path:
    """Migrate and seed once (the app's start-up code); each seed starts from a copy."""
    tpl = base / "template"
    tpl.mkdir(parents=True, exist_ok=True)
    use_dir(tpl)
    from app.core.startup import ensure_ready
    ensure_ready(demo_mode=False)
    from db.engine import get_engine
    with get_engine().connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    reset_caches()
    return tpl


def reset_caches() -> None:
    from app.core import campaigns, reference
    from db.engine import dispose_engines
    dispose_engines()
    reference.reset_cache()
    campaigns._cache.clear()


def use_dir(path: Path) -> None:
    os.environ["QCDC_DATA_DIR"] = str(path)
    os.environ["QCDC_DEMO"] = "0"
    os.environ.setdefault("QCDC_COOKIE_KEY", "bench-integrity-cookie-key-" + "x" * 40)
    os.environ.pop("DATABASE_URL", None)
    reset_caches()


def build(seed: int, a: Assumptions, communes: int, scale: float, tpl: Path, work: Path):
    """A fresh database with one 3-day campaign; returns (campaign id, truth by response id,
    planted (commune, day) set, plans)."""
    from app.core import clock
    from app.core.auth import Scope
    from app.core.campaigns import active_campaign, invalidate
    from app.core.reference import geography
    from app.operations.daily_reports import save_report
    from app.survey.responses import submit_response
    from db.engine import session_scope
    from db.models import Campaign
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(tpl / "qcdc.db", work / "qcdc.db")
    use_dir(work)
    with session_scope() as s:
        for c in s.query(Campaign).all():
            c.is_active = False
        qid = s.execute(__import__("sqlalchemy").text(
            "SELECT id FROM questionnaire ORDER BY id LIMIT 1")).scalar()
        camp = Campaign(name=f"Khảo sát PKS 03 (bench integrity {a.name} {seed})", year=2024,
                        start_date=CAMPAIGN_START,
                        end_date=CAMPAIGN_START + timedelta(days=DAYS - 1),
                        roster_deadline=CAMPAIGN_START - timedelta(days=2),
                        report_cutoff="21:00", questionnaire_id=qid, is_active=True,
                        created_at=clock.now())
        s.add(camp)
        s.flush()
        cid = camp.id
    invalidate()
    active = active_campaign(max_age=0)
    assert active is not None and active.campaign.id == cid
    geo = geography()
    gen = Generator(seed, a, communes, scale, geo, active.definition)
    sheets, reports = gen.campaign()
    truth: dict[int, tuple[str, str, str, date]] = {}
    by_day: dict[date, list[Sheet]] = defaultdict(list)
    for sh in sheets:
        by_day[sh.at.date()].append(sh)
    for day in gen.days:
        for sh in by_day.get(day, []):
            res = submit_response(active, sh.code, sh.answers, "b" + gen._token()[:40],
                                  signals_for(sh), now=sh.at)
            assert res.status == "stored", (res.status, res.errors)
            truth[res.response_id] = (sh.truth, sh.role, sh.code, day)
        for p in gen.plans:
            r = reports.get((p.code, day))
            if r is None:
                continue
            c = geo.by_code[p.code]
            scope = Scope(username=f"xa.{p.code}", name=c.full_name, role="commune",
                          district_code=c.district_code, commune_code=p.code)
            res = save_report(scope, active.campaign, p.code, day, dict(r, publicity=["loa"]),
                              now=datetime.combine(day, datetime.min.time()) + timedelta(
                                  hours=20, minutes=30))
            assert res.ok, res.errors
    if gen.dossiers:   # imported by the province, through the app's own import
        from openpyxl import Workbook

        from app.operations.dossiers import save_dossiers
        wb = Workbook()
        ws = wb.active
        ws.append(["Mã xã", "Ngày", "Số hồ sơ tiếp nhận"])
        for (code, day), k in sorted(gen.dossiers.items()):
            ws.append([code, day.strftime("%d/%m/%Y"), k])
        buf = __import__("io").BytesIO()
        wb.save(buf)
        res = save_dossiers(Scope(username="tinh.bench", name="bench", role="province"),
                            active.campaign, buf.getvalue(), source="bench.xlsx",
                            now=datetime.combine(gen.days[-1], datetime.max.time()))
        assert res.ok, res.problems[:3]
    return cid, truth, gen


# --------------------------------------------------------------------------- judging

@dataclass
class Warning_:
    kind: str
    commune: str
    day: date | None
    ids: tuple


def judge_legacy(cid: int) -> list[Warning_]:
    from integrity_legacy import legacy_warnings
    return [Warning_(w.kind, w.commune, w.day, w.ids) for w in legacy_warnings(cid)]


def judge_new(cid: int) -> list[Warning_]:
    from app.integrity import evaluate
    rep = evaluate(cid)
    return [Warning_(c.kind, c.commune_code, c.day, tuple(c.response_ids)) for c in rep.clusters]


def judge_page(cid: int) -> list[Warning_]:
    """What a reviewer faces on the warnings page about sheets: the engine's warnings and the
    too-high ratios with the sheets that make their excess."""
    from app.core.auth import Scope
    from app.monitoring.warnings import ENGINE_KINDS, KIND_RATIO_HIGH, compute_warnings
    now = datetime.combine(CAMPAIGN_START + timedelta(days=DAYS), datetime.min.time())
    ws = compute_warnings(Scope(username="bench", name="bench", role="province"), cid,
                          kinds=set(ENGINE_KINDS) | {KIND_RATIO_HIGH}, now=now)
    return [Warning_(w.kind, w.commune_code, w.day, tuple(w.response_ids)) for w in ws]


JUDGES = {"legacy": judge_legacy, "new": judge_new, "page": judge_page}


def score(warnings: list[Warning_], truth: dict) -> dict:
    planted_at = {(c, d) for (k, _r, c, d) in truth.values() if k != "honest"}
    flagged = set()
    per_warn: dict[str, Counter] = defaultdict(Counter)
    honest_only = 0
    for w in warnings:
        flagged.update(w.ids)
        kinds = [truth[i][0] for i in w.ids if i in truth]
        n_planted = sum(1 for k in kinds if k != "honest")
        if w.ids:
            only_honest = n_planted == 0
        else:
            only_honest = (w.commune, w.day) not in planted_at
        honest_only += only_honest
        pw = per_warn[w.kind]
        pw["warnings"] += 1
        pw["honest_only"] += only_honest
        pw["honest_sheets"] += len(kinds) - n_planted
        pw["planted_sheets"] += n_planted
    n_planted = Counter()
    found = Counter()
    honest = honest_flagged = 0
    honest_roles: dict[str, Counter] = defaultdict(Counter)
    for rid, (kind, role, _c, _d) in truth.items():
        if kind == "honest":
            honest += 1
            honest_flagged += rid in flagged
            honest_roles[role]["n"] += 1
            honest_roles[role]["flagged"] += rid in flagged
        else:
            n_planted[kind] += 1
            found[kind] += rid in flagged
    planted = sum(n_planted.values())
    return {
        "planted": planted, "found": sum(found.values()), "honest": honest,
        "honest_flagged": honest_flagged, "warnings": len(warnings),
        "honest_only_warnings": honest_only,
        "per_stuffing_kind": {k: {"planted": n_planted[k], "found": found[k]}
                              for k in sorted(n_planted)},
        "per_warning_kind": {k: dict(v) for k, v in sorted(per_warn.items())},
        "honest_by_behaviour": {k: dict(v) for k, v in sorted(honest_roles.items())},
    }


def merge(results: list[dict]) -> dict:
    out = {"planted": 0, "found": 0, "honest": 0, "honest_flagged": 0, "warnings": 0,
           "honest_only_warnings": 0, "communes": 0}
    kinds: dict[str, Counter] = defaultdict(Counter)
    warn: dict[str, Counter] = defaultdict(Counter)
    roles: dict[str, Counter] = defaultdict(Counter)
    for r in results:
        for k in out:
            out[k] += r[k]
        for k, v in r["per_stuffing_kind"].items():
            kinds[k].update(v)
        for k, v in r["per_warning_kind"].items():
            warn[k].update(v)
        for k, v in r["honest_by_behaviour"].items():
            roles[k].update(v)
    out["recall"] = round(out["found"] / out["planted"], 4) if out["planted"] else None
    out["false_flag_rate"] = round(out["honest_flagged"] / out["honest"], 4) if out["honest"] \
        else None
    out["honest_only_warnings_per_10_communes"] = round(
        10 * out["honest_only_warnings"] / out["communes"], 3) if out["communes"] else None
    out["per_stuffing_kind"] = {k: dict(v, recall=round(v["found"] / v["planted"], 3))
                                for k, v in sorted(kinds.items())}
    out["per_warning_kind"] = {k: dict(v) for k, v in sorted(warn.items())}
    out["honest_by_behaviour"] = {
        k: dict(v, rate=round(v["flagged"] / v["n"], 4) if v["n"] else None)
        for k, v in sorted(roles.items())}
    return out


# --------------------------------------------------------------------------- 100 000 answers

def time_at_scale(db_dir: Path, cid: int, engine: str, target: int = 100_000,
                  repeat: int = 3) -> float:
    """Copy the campaign's sheets (and reports) into a new campaign until it holds `target`
    answers, spread over all 209 communes, with every fingerprint made distinct per copy; then
    time the engine on it (best of `repeat`)."""
    use_dir(db_dir)
    from app.core.reference import geography
    codes = [c.code for c in geography().communes]
    con = sqlite3.connect(db_dir / "qcdc.db")
    cols = [r[1] for r in con.execute("PRAGMA table_info(response)") if r[1] != "id"]
    n0 = con.execute("SELECT count(*) FROM response WHERE campaign_id=?", (cid,)).fetchone()[0]
    con.execute("INSERT INTO campaign (name, year, start_date, end_date, roster_deadline, "
                "report_cutoff, ratio_low, ratio_high, min_sample, friendly_threshold, "
                "questionnaire_id, base_url, is_active, is_demo, created_at) "
                "SELECT name || ' x100k', year, start_date, end_date, roster_deadline, "
                "report_cutoff, ratio_low, ratio_high, min_sample, friendly_threshold, "
                "questionnaire_id, base_url, 0, is_demo, created_at FROM campaign WHERE id=?",
                (cid,))
    big = con.execute("SELECT max(id) FROM campaign").fetchone()[0]
    src = sorted({r[0] for r in con.execute(
        "SELECT DISTINCT commune_code FROM response WHERE campaign_id=?", (cid,))})
    copies = math.ceil(target / max(1, n0))
    hashed = {"session_hash", "device_hash", "network_hash", "browser_hash", "agent_hash"}
    for k in range(copies):
        mapping = {c: codes[(k * len(src) + i) % len(codes)] for i, c in enumerate(src)}
        case = "CASE commune_code " + " ".join(f"WHEN '{a}' THEN '{b}'" for a, b in
                                               mapping.items()) + " END"
        sel = []
        for c in cols:
            if c == "campaign_id":
                sel.append(str(big))
            elif c == "commune_code":
                sel.append(case)
            elif c == "submission_token":
                sel.append(f"submission_token || '-{k}'")
            elif c in hashed:
                sel.append(f"CASE WHEN {c} IS NULL THEN NULL ELSE substr({c}, 1, 24) || "
                           f"printf('%08d', {k}) END" if c != "agent_hash" else c)
            else:
                sel.append(c)
        con.execute(f"INSERT INTO response ({', '.join(cols)}) SELECT {', '.join(sel)} "
                    f"FROM response WHERE campaign_id=? ORDER BY id LIMIT ?",
                    (cid, max(0, min(n0, target - k * n0))))
        con.execute("INSERT OR IGNORE INTO daily_report (campaign_id, commune_code, day, visits, "
                    "guided, helpers_on_duty, publicity, difficulties, proposals) "
                    f"SELECT {big}, {case}, day, visits, guided, helpers_on_duty, publicity, "
                    "difficulties, proposals FROM daily_report WHERE campaign_id=?", (cid,))
    con.commit()
    n = con.execute("SELECT count(*) FROM response WHERE campaign_id=?", (big,)).fetchone()[0]
    con.close()
    reset_caches()
    judge = JUDGES[engine]
    judge(big)  # warm-up (imports, definition cache)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        judge(big)
        best = min(best, time.perf_counter() - t0)
    log(f"  {n} answers: {engine} engine best of {repeat}: {best:.3f} s")
    return round(best, 3)


# --------------------------------------------------------------------------- main

def run(args) -> dict:
    seeds = [int(s) for s in str(args.seeds).split(",") if s.strip()]
    variants = list(VARIANTS) if args.variant == "all" else [args.variant]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="qcdc-integrity-"))
    base.mkdir(parents=True, exist_ok=True)
    tpl = prepare_template(base)
    per_seed, per_variant, all_results = [], {}, []
    gen_s, eng_s = [], []
    last_db = last_cid = None
    try:
        for v in variants:
            a = assumptions(v)
            results = []
            for seed in seeds:
                work = base / f"{v}-{seed}"
                t0 = time.perf_counter()
                cid, truth, gen = build(seed, a, args.communes, args.scale, tpl, work)
                t1 = time.perf_counter()
                warnings = JUDGES[args.engine](cid)
                t2 = time.perf_counter()
                r = score(warnings, truth)
                r["communes"] = len(gen.plans)
                results.append(r)
                gen_s.append(t1 - t0)
                eng_s.append(t2 - t1)
                row = {"variant": v, "seed": seed, "communes": len(gen.plans),
                       "honest": r["honest"], "planted": r["planted"],
                       "recall": round(r["found"] / r["planted"], 4) if r["planted"] else None,
                       "false_flag_rate": round(r["honest_flagged"] / r["honest"], 4),
                       "warnings": r["warnings"], "honest_only_warnings":
                           r["honest_only_warnings"],
                       "stuffed": {p.code: p.kind for p in gen.plans if p.kind},
                       "per_stuffing_kind": {k: f"{x['found']}/{x['planted']}" for k, x in
                                             r["per_stuffing_kind"].items()},
                       "seconds": {"generate": round(t1 - t0, 1), "engine": round(t2 - t1, 3)}}
                per_seed.append(row)
                log(json.dumps(row, ensure_ascii=False))
                if args.keep:
                    (work / "truth.json").write_text(json.dumps(
                        {"campaign": cid, "truth": {str(k): [v_[0], v_[1], v_[2], str(v_[3])]
                                                    for k, v_ in truth.items()}}))
                last_db, last_cid = work, cid
            per_variant[v] = merge(results)
            all_results += results
        seconds = {"generate": round(sum(gen_s) / len(gen_s), 1),
                   "engine": round(sum(eng_s) / len(eng_s), 3)}
        if not args.no_100k and last_db is not None:
            seconds["engine_100000"] = time_at_scale(last_db, last_cid, args.engine)
    finally:
        if not args.keep:
            reset_caches()
            shutil.rmtree(base, ignore_errors=True)
    total = merge(all_results)
    out = {"bench": "integrity", "engine": args.engine, "variant": args.variant,
           "seeds": seeds, "recall": total["recall"],
           "false_flag_rate": total["false_flag_rate"], "warnings": total["warnings"],
           "honest_only_warnings": total["honest_only_warnings"],
           "communes": total["communes"],
           "honest_only_warnings_per_10_communes": total["honest_only_warnings_per_10_communes"],
           "planted": total["planted"], "honest": total["honest"],
           "per_stuffing_kind": total["per_stuffing_kind"],
           "per_warning_kind": total["per_warning_kind"],
           "honest_by_behaviour": total["honest_by_behaviour"],
           "per_seed": [{k: r[k] for k in ("variant", "seed", "recall", "false_flag_rate",
                                           "warnings", "honest_only_warnings", "communes")}
                        for r in per_seed],
           "seconds": seconds}
    if len(variants) > 1:
        out["per_variant"] = {v: {k: per_variant[v][k] for k in (
            "recall", "false_flag_rate", "warnings", "honest_only_warnings", "communes",
            "honest_only_warnings_per_10_communes")} | {"per_stuffing_kind": {
                k: x["recall"] for k, x in per_variant[v]["per_stuffing_kind"].items()}}
            for v in variants}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--communes", type=int, default=40)
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies every commune's visits per day")
    ap.add_argument("--engine", choices=tuple(JUDGES), default="new")
    ap.add_argument("--variant", choices=VARIANTS + ("all",), default="base")
    ap.add_argument("--no-100k", action="store_true", help="skip the 100 000 answers timing")
    ap.add_argument("--keep", help="build the databases in DIR and keep them (with truth.json)")
    args = ap.parse_args(argv)
    out = run(args)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
