"""The survey's admission gate (app/survey/admission.py): bounded concurrency, answers first, newcomers
told at once that the system is busy when the line is too long."""
from __future__ import annotations

import threading
import time

from app.survey.admission import NEW, PRIORITY, Gate


def test_slots_are_bounded_and_released_however_the_block_ends():
    g = Gate(concurrency=2, max_wait_s=5)
    a, b = g.acquire(NEW), g.acquire(NEW)
    assert a and b and g.snapshot()["running"] == 2
    g.release(a)
    try:
        with g.slot(NEW) as t:
            assert t is not None
            raise RuntimeError("st.stop() or an error inside the page")
    except RuntimeError:
        pass
    assert g.snapshot()["running"] == 1
    g.release(b)
    assert g.snapshot()["running"] == 0


def _until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the waiting citizen never queued"
        time.sleep(0.005)


def _turns(g: Gate, arrivals: list[tuple[str, float]]) -> list[str]:
    """Citizens queue at a gate whose one slot is taken, in the order of ``arrivals`` (their
    kind, then how long nobody else comes); the slot is then freed. The order of their turns."""
    held = g.acquire(NEW)
    order: list[str] = []

    def wait(kind: str) -> None:
        t = g.acquire(kind)
        order.append(kind)
        g.release(t)

    threads = []
    for i, (kind, pause) in enumerate(arrivals):
        threads.append(threading.Thread(target=wait, args=(kind,)))
        threads[-1].start()
        queued = sum(1 for k, _ in arrivals[:i + 1] if k == kind)
        field = "waiting_new" if kind == NEW else "waiting_priority"
        _until(lambda f=field, n=queued: g.snapshot()[f] == n)
        time.sleep(pause)
    g.release(held)
    for th in threads:
        th.join(5)
    return order


def test_answers_go_before_newcomers():
    g = Gate(concurrency=1, max_wait_s=10, priority_wait_s=10)
    assert _turns(g, [(NEW, 0), (PRIORITY, 0)]) == [PRIORITY, NEW]
    # QCDC_SURVEY_ANSWERS_FIRST=0: answers first however long the newcomer has waited
    g = Gate(concurrency=1, max_wait_s=10, priority_wait_s=10, answers_first_s=0)
    assert _turns(g, [(NEW, 0.3), (PRIORITY, 0)]) == [PRIORITY, NEW]


def test_a_newcomer_who_had_waited_long_goes_before_answers_sent_later():
    """When everyone at a meeting scans at once and answers at once, answers must not keep a
    newcomer on a blank page for ever: one who had already waited ``answers_first_s`` when
    an answer came goes before it."""
    g = Gate(concurrency=1, max_wait_s=10, priority_wait_s=10, answers_first_s=0.5)
    # the newcomer has waited longer than answers may go ahead of it when the answer comes
    assert _turns(g, [(NEW, 0.7), (PRIORITY, 0)]) == [NEW, PRIORITY]


def test_an_answer_never_waits_behind_newcomers_for_more_than_twice_the_allowance():
    """When more citizens come than the server can serve, the newcomers are the ones who
    wait (and are told "busy"), not the citizens who pressed "Gửi"."""
    g = Gate(concurrency=1, max_wait_s=10, priority_wait_s=10, answers_first_s=0.1)
    # both newcomers waited longer than the allowance; the answer then twice the allowance
    assert _turns(g, [(NEW, 0), (NEW, 0.15), (PRIORITY, 0.25)]) == [PRIORITY, NEW, NEW]


def test_newcomer_is_turned_away_when_the_estimated_wait_is_too_long():
    g = Gate(concurrency=1, max_wait_s=0.5, initial_hold_s=1.0)
    held = g.acquire(NEW)
    t0 = time.monotonic()
    assert g.acquire(NEW) is None            # estimated 1 s > 0.5 s: busy at once
    assert time.monotonic() - t0 < 0.4      # not after waiting out max_wait_s
    assert g.snapshot()["rejected"] == 1
    got = []
    th = threading.Thread(target=lambda: got.append(g.acquire(PRIORITY, timeout=0.2)))
    th.start()
    th.join(2)
    assert got == [None] and g.snapshot()["timed_out"] == 1  # answers wait, then give up
    g.release(held)
    assert g.acquire(NEW) is not None        # nothing waits any more


# --------------------------------------------------------------------------- the survey page
def _busy_gate(monkeypatch):
    from app.survey.admission import reset_gate
    monkeypatch.setenv("QCDC_SURVEY_CONCURRENCY", "1")
    monkeypatch.setenv("QCDC_SURVEY_MAX_WAIT", "0")
    monkeypatch.setenv("QCDC_SURVEY_SUBMIT_WAIT", "1")
    reset_gate()


def test_a_newcomer_is_told_the_system_is_busy(active, monkeypatch):
    from app.survey.admission import gate, reset_gate
    from tests.apptest import app_for, texts
    _busy_gate(monkeypatch)
    held = gate().acquire(NEW)  # the only slot is taken by another citizen
    try:
        at = app_for("pages/public/survey.py", query={"xa": "07201"})
        assert not at.exception
        assert "Hệ thống đang bận, vui lòng thử lại sau 1 phút." in texts(at)
        assert not at.radio and not [b for b in at.button if "Gửi phiếu" in str(b.label)]
    finally:
        gate().release(held)
        reset_gate()


def test_answers_sent_while_busy_are_kept_and_stored_on_the_next_tap(active, monkeypatch):
    from app.survey.admission import gate, reset_gate
    from db.models import Response
    from tests.apptest import answer_all, app_for, submit_button, texts
    from tests.conftest import count_rows
    _busy_gate(monkeypatch)
    try:
        at = app_for("pages/public/survey.py", query={"xa": "07201"})
        answer_all(at, active.definition)
        chosen = [r.value for r in at.radio]
        before = count_rows(Response)
        held = gate().acquire(NEW)
        try:
            submit_button(at).click().run()
        finally:
            gate().release(held)
        assert not at.exception
        assert "Hệ thống đang bận" in texts(at) and count_rows(Response) == before
        assert [r.value for r in at.radio] == chosen  # nothing the citizen chose is lost
        submit_button(at).click().run()
        assert "Cảm ơn" in texts(at) and count_rows(Response) == before + 1
    finally:
        reset_gate()


def test_a_newcomer_who_left_while_waiting_gets_no_page_drawn(active, monkeypatch):
    """Under overload a citizen may give up (or lose coverage) while waiting for a slot: the
    run that finally gets the slot draws nothing for nobody, and the citizen coming back is
    served as a newcomer."""
    from app.ui.survey import gate as ui_gate
    from tests.apptest import app_for, submit_button, texts
    monkeypatch.setattr(ui_gate, "browser_connected", lambda: False)
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    assert not at.exception
    assert not at.radio and not texts(at)
    assert ui_gate._SEEN not in at.session_state
    monkeypatch.setattr(ui_gate, "browser_connected", lambda: True)
    at.run()  # the browser is back and asks again
    assert at.radio and submit_button(at) is not None
    assert ui_gate._SEEN in at.session_state
