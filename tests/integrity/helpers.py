"""Hand-made campaigns for the integrity engine's tests, written through submit_response.

``Town`` writes an honest background day (several communes of a few dozen citizens each, on
their office Wi-Fi or mobile data, a few phone models, the usual mix of times on form and of
"all top" sheets), so that the engine has a campaign to take its baselines from; each test
then adds the behaviour it is about, honest or not, and asks ``evaluate``.
"""
from __future__ import annotations

import itertools
import math
import random
import time
from datetime import date, datetime, timedelta

from app.core import clock
from app.survey.responses import Signals, submit_response

AGENTS = [
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/123.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 12; SM-A125F Build/SP1A.210812.016; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 Zalo "
    "android/12100627",
]
# a script's borrowed user agents, seen nowhere else
SCRIPT_AGENTS = [f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                 f"Gecko) Chrome/{v}.0.{k}.0 Safari/537.36" for v in range(110, 126)
                 for k in (1, 2)]
BACKGROUND = ["07201", "07204", "07207", "07210", "07213", "07216", "07219", "07222"]
_ids = itertools.count()


class Town:
    def __init__(self, active, seed: int = 7):
        self.active = active
        self.defn = active.definition
        self.rng = random.Random(seed)
        self.day = clock.today() - timedelta(days=1)   # inside the test campaign's window
        self.wifi = {c: f"27.72.{i}.10" for i, c in enumerate(BACKGROUND + ["07243", "07246"])}

    # ---- answers

    def all_top(self) -> dict:
        out = {}
        for q in self.defn.questions:
            if q.type == "single":
                out[q.id] = max((o for o in q.options if o.score is not None),
                                key=lambda o: o.score).value
            elif q.type == "rating":
                out[q.id] = q.scale_max
            elif q.type == "multi":
                out[q.id] = [o.value for o in q.options if not o.exclusive][:3]
        return out

    def varied(self, quality: float | None = None) -> dict:
        rng = self.rng
        quality = rng.uniform(0.5, 0.9) if quality is None else quality
        out = {}
        for q in self.defn.questions:
            if q.type == "single":
                scored = sorted([o for o in q.options if o.score is not None],
                                key=lambda o: -o.score)
                idx = min(len(scored) - 1, int(abs(rng.gauss(0, 2.2 * (1.02 - quality)))))
                out[q.id] = scored[idx].value
            elif q.type == "rating":
                out[q.id] = q.scale_min + round((q.scale_max - q.scale_min) *
                                                min(1, max(0, rng.gauss(quality, 0.2))))
            elif q.type == "multi":
                normal = [o.value for o in q.options if not o.exclusive]
                out[q.id] = sorted(rng.sample(normal, rng.randint(1, 4)), key=normal.index)
        if rng.random() < 0.5:
            for q in self.defn.profile:
                out[q.id] = rng.choice(q.options).value
        return out

    def honest_answers(self) -> dict:
        return self.all_top() if self.rng.random() < 0.4 else self.varied()

    # ---- submitting

    def at(self, hour: float, day: date | None = None) -> datetime:
        d = day or self.day
        return datetime(d.year, d.month, d.day) + timedelta(seconds=round(hour * 3600))

    def put(self, code: str, answers: dict, when: datetime, seconds: float, *, ip: str,
            agent: str, browser: str | None = None, session: str | None = None,
            timezone: str | None = "Asia/Saigon", locale: str | None = "vi-VN") -> int:
        n = next(_ids)
        sig = Signals(session_id=session or f"sess-{n}", user_agent=agent,
                      accept_language="vi-VN,vi;q=0.9", client_ip=ip,
                      started_at=time.time() - seconds,
                      browser_id=browser if browser is not None else f"br-{n}",
                      timezone=timezone, timezone_offset=-420 if timezone else None,
                      locale=locale)
        r = submit_response(self.active, code, answers, f"tok-{n}-{self.rng.getrandbits(32)}",
                            sig, now=when)
        assert r.status == "stored", r
        return r.response_id

    def honest_duration(self) -> float:
        if self.rng.random() < 0.1:
            return self.rng.uniform(40, 80)          # a fast reader
        return min(1200, self.rng.lognormvariate(math.log(180), 0.45))

    def citizen(self, code: str, hour: float, *, wifi_share: float = 0.6) -> int:
        rng = self.rng
        ip = self.wifi[code] if rng.random() < wifi_share else f"113.185.{rng.randrange(4)}.7"
        return self.put(code, self.honest_answers(), self.at(hour), self.honest_duration(),
                        ip=ip, agent=rng.choice(AGENTS),
                        locale=rng.choice(["vi-VN", "vi-VN", "en-US"]))

    def background(self, per_commune: int = 30, communes=BACKGROUND) -> list[int]:
        """An honest office day in each commune: busy mornings, a quieter afternoon, a few
        answers at home in the evening."""
        ids = []
        for code in communes:
            for _ in range(per_commune):
                r = self.rng.random()
                if r < 0.65:
                    h = self.rng.triangular(7.5, 11.5, 8.75)
                elif r < 0.92:
                    h = self.rng.triangular(13.5, 17.0, 14.5)
                else:
                    h = self.rng.uniform(19.0, 22.0)
                ids.append(self.citizen(code, h))
        return ids
