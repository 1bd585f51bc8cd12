"""Citizens first (app/api/pacing.py): while the survey serves citizens, the API sleeps between
steps so that it uses at most BUSY_SHARE of the interpreter; while it is quiet, no sleeping."""
from __future__ import annotations

from app.api import pacing
from app.survey.admission import NEW, gate, reset_gate


class _Fake:
    def __init__(self):
        self.cpu_t, self.busy_now, self.naps = 0.0, True, []

    def cpu(self):
        return self.cpu_t

    def sleep(self, s):
        self.naps.append(s)

    def busy(self):
        return self.busy_now


def test_the_api_sleeps_nineteen_times_its_work_while_citizens_are_served():
    f = _Fake()
    p = pacing.Pacer(busy=f.busy, share=0.05, sleep=f.sleep, cpu=f.cpu)
    f.cpu_t += 0.2                      # a step of 0.2 s of work
    p.step()
    assert abs(sum(f.naps) - 0.2 * 19) < 1e-9 and max(f.naps) <= pacing.SLICE_S
    f.naps.clear()
    f.busy_now = False                  # quiet: full speed
    f.cpu_t += 0.2
    p.step()
    assert f.naps == []


def test_a_sleep_ends_as_soon_as_the_survey_is_quiet():
    f = _Fake()
    p = pacing.Pacer(busy=f.busy, share=0.05, sleep=f.sleep, cpu=f.cpu)
    f.cpu_t += 1.0

    def sleep(s):
        f.naps.append(s)
        if len(f.naps) == 3:
            f.busy_now = False
    p._sleep = sleep
    p.step()
    assert len(f.naps) == 3 and p.slept == 3 * pacing.SLICE_S


def test_the_survey_is_busy_while_a_citizen_runs_and_a_moment_after(db):
    reset_gate()
    pacing._seen.update(admitted=-1, at=0.0)
    try:
        g = gate()
        t0 = 1000.0
        assert pacing.survey_busy(t0) is False          # first look: nothing happened yet
        ticket = g.acquire(NEW)
        assert pacing.survey_busy(t0 + 1) is True       # a citizen's run holds the gate
        g.release(ticket)
        assert pacing.survey_busy(t0 + 1 + pacing.QUIET_AFTER_S / 2) is True
        assert pacing.survey_busy(t0 + 1 + pacing.QUIET_AFTER_S + 0.1) is False
    finally:
        reset_gate()
        pacing._seen.update(admitted=-1, at=0.0)


def test_a_request_never_waits_more_than_a_minute_in_all():
    f = _Fake()
    p = pacing.Pacer(busy=f.busy, share=0.05, sleep=f.sleep, cpu=f.cpu)
    for _ in range(10):
        f.cpu_t += 1.0                  # ten steps of a second of work: 190 s owed
        p.step()
    assert abs(p.slept - pacing.MAX_SLEEP_S) < 1e-6
