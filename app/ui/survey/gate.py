"""The admission gate (app/survey/admission.py) around every citizen's script run.

streamlit_app.py runs each anonymous run's page inside ``admitted(...)``: a few runs at a time do
the work, the others wait without costing anything. The first run of a new browser session may
be turned away with the busy message ("Hệ thống đang bận, vui lòng thử lại sau 1 phút.") when
the line is too long; every later run of a session (answers sent, a form redrawn with its
errors, a reconnect) waits its turn ahead of newcomers and is never turned away, so answers
already typed are kept. Signed-in staff are not gated: their pages may take seconds (exports)
and must not hold the citizens' slots.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from app.core.i18n import t
from app.core.settings import read_settings
from app.survey import admission

_SEEN = "qcdc_admitted"
_STORING = "qcdc_answers_stored_event"
# the longest a submit can take: a slot (QCDC_SURVEY_SUBMIT_WAIT, 30 s) and a busy database (10 s)
STORING_WAIT_LIMIT_S = 45.0

# Every script run shares one interpreter lock with the event loop. A thread that comes back from
# a system call (a socket write, a thread start, a file check) waits until the running thread
# hands the lock over, by default after up to 5 ms; the event loop makes one such call for every
# message to every browser (about 60 per citizen), so under load it is starved and every page
# stalls. Handing the lock over sooner keeps the event loop moving; too soon, and the threads
# spend their time handing it back and forth. Measured with bench/survey_load.py (issue 6, at
# 35-40 ms of CPU per citizen), 500 citizens within 10 s, p95 from "Gửi" to the thank-you: 5 ms
# (Python's default) and 1 ms: 5-7 s; 0.3 ms: 4-6 s; 0.1 ms: 0.4-2.1 s; 0.05 ms: 0.15-0.64 s;
# 0.02 ms: 0.4-1.0 s with more CPU per citizen. Re-measured once a citizen cost 16-22 ms
# (issue 16, 01/12/2026, quiet machine; docs/PERFORMANCE.md), 300 at once, form p95 / answers
# p95 / CPU per citizen: 0.05 ms 5.4-5.6 s / 0.14-0.18 s / 22 ms; 0.5 ms 4.4-4.9 s /
# 0.17-0.44 s / 16-19 ms; 2 ms 4.1-5.0 s / 0.4-0.9 s; 5 ms 4.1-5.4 s / 1.7-2.0 s; and
# 1 500 within 10 s: 0.05 ms served 1 039 and told 461 "busy", 0.5 ms served 1 427 and told 73.
# Hence 0.5 ms (QCDC_SWITCH_INTERVAL_S).
# The run that follows a submit waits for its slot again (as PRIORITY) rather than drawing the
# thank-you beside another citizen's run: measured, sparing it that wait made p95 worse.
sys.setswitchinterval(read_settings().switch_interval_s)


@contextmanager
def storing_answers() -> Iterator[None]:
    """Marks this session's answers as being stored (around the submit callback's write)."""
    done = threading.Event()
    st.session_state[_STORING] = done
    try:
        yield
    finally:
        # no session-state call here: in a run that Streamlit has been asked to stop, every
        # st.session_state access raises StopException
        done.set()


def wait_for_answers_being_stored(limit_s: float = STORING_WAIT_LIMIT_S) -> bool:
    """Wait while another run of this session is still storing its answers; True if it had to.

    When a phone's connection drops while "Gửi phiếu" is being processed, the browser asks
    for a new run as soon as it is back, and Streamlit starts it beside the submit run it
    asked to stop (a database write is not interrupted). Drawn at once, the new run would
    show the form again while the answers are still being written; after this wait the page
    finds them (app/ui/survey/survey_page.recover_stored_submission) and thanks the citizen."""
    done = st.session_state.get(_STORING)
    if done is None or done.is_set():
        return False
    done.wait(limit_s)
    return True


def browser_connected() -> bool:
    """False once this session's browser has gone (its websocket closed and not back yet).
    True outside a running server (tests)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return True
    return Runtime.instance().is_active_session(ctx.session_id)


@contextmanager
def admitted(gated: bool = True) -> Iterator[bool]:
    """True: run the page. False: the busy message is shown (or nobody is left to see the
    page); the caller stops the run.

    A newcomer whose browser left while waiting for a slot (a citizen who gave up, a phone
    that lost coverage) gets no page drawn: streamlit_fixes lets a disconnected session's run
    go on, and under overload drawing forms for nobody would hold up those still waiting. If
    the browser comes back, it asks for the page again and waits its turn."""
    if not gated:
        yield True
        return
    wait_for_answers_being_stored()  # outside the slot: the write may be waiting for one
    first = _SEEN not in st.session_state
    kind = admission.NEW if first else admission.PRIORITY
    with admission.gate().slot(kind) as ticket:
        if ticket is None and first:
            st.warning(t("common.server_busy"), icon=":material/hourglass_top:")
            yield False
            return
        if first and not browser_connected():
            yield False
            return
        st.session_state[_SEEN] = True
        yield True
