"""Citizens first: the read API works at full speed while the survey is quiet and yields the
interpreter while citizens are being served.

The API answers in the same process as the survey (app/api/routes.py), and a process has one
interpreter lock: a page of 2 000 answer sheets is about a quarter of a second of Python work,
taken from the event loop and the citizens' script runs. Measured with bench/survey_load.py
(500 citizens within 10 s) while bench/api_paging.py paged through 100 000 sheets, without
pacing: 19-22 of the 500 citizens were told the system was busy (none without the client) and
the form took twice as long to arrive (docs/PERFORMANCE.md).

So the API's work is cut into steps (a few hundred sheets, one JSON or CSV chunk) and between
steps ``Pacer.step`` sleeps, without the lock, long enough that the API uses at most
``BUSY_SHARE`` of the time while the survey is busy: a citizen's run holds or waits for the
admission gate (app/survey/admission.py), or one was let in less than ``QUIET_AFTER_S`` ago.
When the survey is quiet, no sleeping. A client is never refused for this, only answered later.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

BUSY_SHARE = 0.05      # of one interpreter's time, while citizens are being served
QUIET_AFTER_S = 2.0    # the survey is quiet this long after its last admitted run
SLICE_S = 0.05         # sleeps are cut into slices, to resume as soon as the survey is quiet
MAX_SLEEP_S = 60.0     # one request never waits longer than this in all (its client waits:
                       # nginx gives up after 120 s, deploy/nginx/qcdc.conf.template)

_lock = threading.Lock()
_seen = {"admitted": -1, "at": 0.0}


def survey_busy(now: float | None = None) -> bool:
    """Is the survey serving citizens in this process right now (or was it a moment ago)?"""
    from app.survey.admission import gate
    snap = gate().snapshot()
    now = time.monotonic() if now is None else now
    with _lock:
        if snap["admitted"] != _seen["admitted"]:
            first_look = _seen["admitted"] < 0
            _seen["admitted"] = snap["admitted"]
            _seen["at"] = float("-inf") if first_look else now
        recently = now - _seen["at"] < QUIET_AFTER_S
    return bool(snap["running"] or snap["waiting_priority"] or snap["waiting_new"] or recently)


class Pacer:
    """Call ``step()`` between pieces of one request's work (in its worker thread)."""

    def __init__(self, busy: Callable[[], bool] = survey_busy, share: float = BUSY_SHARE,
                 sleep: Callable[[float], None] = time.sleep,
                 cpu: Callable[[], float] = time.thread_time):
        self.busy, self.share, self._sleep, self._cpu = busy, share, sleep, cpu
        self._mark = cpu()
        self.slept = 0.0

    def step(self) -> None:
        used = self._cpu() - self._mark
        if used > 0 and self.slept < MAX_SLEEP_S and self.busy():
            owed = min(used * (1.0 / self.share - 1.0), MAX_SLEEP_S - self.slept)
            while owed > 0:
                nap = min(SLICE_S, owed)
                self._sleep(nap)
                self.slept += nap
                owed -= nap
                if not self.busy():
                    break
        self._mark = self._cpu()


class NoPacing:
    """For work that must not wait (and the tests of what is computed)."""

    slept = 0.0

    def step(self) -> None:
        pass
