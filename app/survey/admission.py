"""Admission gate of the public survey: how many citizens' scripts do heavy work at once.

One Streamlit process runs every citizen's script in its own thread, and all of them share one
interpreter lock with the event loop that answers the websockets and ``/_stcore/health``. When
fifty scripts draw the form at the same time, each of them takes fifty times longer and the
event loop starves: pages hang and health checks time out. The gate lets one survey run work
at a time (``QCDC_SURVEY_CONCURRENCY``, default 1); the others wait in line, which costs
nothing. One is the measured best (bench/survey_load.py, 500 citizens within 10 s): with two,
answers being sent wait behind a form being drawn and the event loop shares the interpreter
with two busy threads (p95 from "Gửi" to the thank-you 3.6 s instead of 0.3-0.5 s).

Who goes next: work for a citizen who already holds a form (sending answers, a form redrawn with
its errors) goes before newcomers, so answers are stored first when the server is under
pressure - but not for ever: a newcomer who had already waited ``QCDC_SURVEY_ANSWERS_FIRST``
seconds (default 1.5) when an answer arrived goes before that answer. Otherwise, when everyone
at a village meeting scans at once and answers at once, every answer sent overtakes every
newcomer still looking at a blank page, and the last forms arrive only after most of the
answers are stored (300 citizens at once: forms p95 5.2 s, answers p95 0.3 s). Each waiter is
due at its arrival (answers) or its arrival plus that allowance (newcomers), earliest due first
(FIFO within a kind). And an answer that has waited twice that allowance goes first whoever
else waits: when more citizens come than the server can serve, the newcomers are the ones told
"busy" (below), not the citizens who pressed "Gửi". 0 puts answers always first (the rule
before). Measured in bench/survey_load.py and bench/overload.py, docs/PERFORMANCE.md.

A newcomer whose estimated wait exceeds ``QCDC_SURVEY_MAX_WAIT`` seconds (default 20) is told at
once that the system is busy (``common.server_busy``), which costs one short message instead of a
form; so does one who waited that long without a turn. Answers being sent wait up to
``QCDC_SURVEY_SUBMIT_WAIT`` seconds (default 30); if that is not enough the citizen gets the
busy message with the answers kept in the form. The estimate uses the measured time a slot is
held (moving average), so it follows the real cost of a run on the machine at that moment.

Importable without Streamlit; ``gate()`` is the process-wide instance.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

NEW = "new"            # a citizen opening the survey (may be turned away when the line is long)
PRIORITY = "priority"  # answers being sent, or a form redrawn for a citizen who has one


@dataclass
class Ticket:
    kind: str
    granted_at: float
    waited_s: float


@dataclass
class _Waiter:
    due: float  # earliest due goes first: arrival (answers), arrival + allowance (newcomers)
    event: threading.Event = field(default_factory=threading.Event)
    granted: bool = False


class Gate:
    """At most ``concurrency`` holders at a time; FIFO within a kind; PRIORITY before NEW
    unless the newcomer had already waited ``answers_first_s`` when the PRIORITY work came,
    and then only until that work has waited twice as long (0: PRIORITY always first)."""

    def __init__(self, concurrency: int = 1, max_wait_s: float = 20.0,
                 priority_wait_s: float = 30.0, initial_hold_s: float = 0.05,
                 answers_first_s: float = 1.5) -> None:
        self.concurrency = max(1, int(concurrency))
        self.max_wait_s = max_wait_s
        self.priority_wait_s = priority_wait_s
        self.answers_first_s = answers_first_s
        self._lock = threading.Lock()
        self._running = 0
        self._queues: dict[str, deque[_Waiter]] = {PRIORITY: deque(), NEW: deque()}
        self._avg_hold = initial_hold_s
        self.counts = {"admitted": 0, "rejected": 0, "timed_out": 0}

    # ------------------------------------------------------------------ introspection
    def snapshot(self) -> dict:
        with self._lock:
            return {"running": self._running, "waiting_priority": len(self._queues[PRIORITY]),
                    "waiting_new": len(self._queues[NEW]), "avg_hold_s": round(self._avg_hold, 4),
                    "concurrency": self.concurrency, **self.counts}

    def _estimated_wait(self, kind: str) -> float:
        ahead = len(self._queues[PRIORITY]) + (len(self._queues[NEW]) if kind == NEW else 0)
        return (ahead + 1) * self._avg_hold / self.concurrency

    # ------------------------------------------------------------------ acquire / release
    def acquire(self, kind: str = NEW, timeout: float | None = None) -> Ticket | None:
        """A ticket once a slot is free, or None (the caller shows the busy message)."""
        if kind not in self._queues:
            raise ValueError(f"unknown kind {kind!r}")
        if timeout is None:
            timeout = self.max_wait_s if kind == NEW else self.priority_wait_s
        t0 = time.monotonic()
        with self._lock:
            if self._running < self.concurrency and not self._queues[PRIORITY] and (
                    kind == PRIORITY or not self._queues[NEW]):
                self._running += 1
                self.counts["admitted"] += 1
                return Ticket(kind, t0, 0.0)
            if kind == NEW and self._estimated_wait(NEW) > self.max_wait_s:
                self.counts["rejected"] += 1
                return None
            waiter = _Waiter(due=t0 + (self.answers_first_s if kind == NEW else 0.0))
            self._queues[kind].append(waiter)
        waiter.event.wait(timeout)
        with self._lock:
            if not waiter.granted:  # timed out (a grant after this point cannot happen)
                try:
                    self._queues[kind].remove(waiter)
                except ValueError:
                    pass
                self.counts["timed_out"] += 1
                return None
            self.counts["admitted"] += 1
        now = time.monotonic()
        return Ticket(kind, now, now - t0)

    def release(self, ticket: Ticket) -> None:
        held = max(0.0, time.monotonic() - ticket.granted_at)
        with self._lock:
            self._avg_hold += 0.1 * (min(held, 30.0) - self._avg_hold)
            answers, newcomers = self._queues[PRIORITY], self._queues[NEW]
            if answers or newcomers:  # hand the slot straight to the next in line
                if answers and (not newcomers or answers[0].due <= newcomers[0].due
                                or self._answer_waited_too_long(answers[0])):
                    waiter = answers.popleft()
                else:
                    waiter = newcomers.popleft()
                waiter.granted = True
                waiter.event.set()
                return
            self._running = max(0, self._running - 1)

    def _answer_waited_too_long(self, waiter: _Waiter) -> bool:
        return time.monotonic() - waiter.due >= 2 * self.answers_first_s

    @contextmanager
    def slot(self, kind: str = NEW, timeout: float | None = None) -> Iterator[Ticket | None]:
        """``with gate().slot(NEW) as ticket:`` - ticket is None when the citizen must be told
        the system is busy; the slot is released however the block ends."""
        ticket = self.acquire(kind, timeout)
        try:
            yield ticket
        finally:
            if ticket is not None:
                self.release(ticket)


_gate: Gate | None = None
_gate_lock = threading.Lock()


def gate() -> Gate:
    """The process-wide gate, configured from the settings (app/core/settings.py) on first use."""
    global _gate
    if _gate is None:
        with _gate_lock:
            if _gate is None:
                from app.core.settings import read_settings
                cfg = read_settings()
                _gate = Gate(concurrency=cfg.survey_concurrency,
                             max_wait_s=cfg.survey_max_wait_s,
                             priority_wait_s=cfg.survey_submit_wait_s,
                             answers_first_s=cfg.survey_answers_first_s)
    return _gate


def reset_gate() -> None:
    """Forget the process-wide gate (tests; a changed environment)."""
    global _gate
    with _gate_lock:
        _gate = None
