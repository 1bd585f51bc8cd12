"""Work-arounds for Streamlit 1.67 behaviour that costs the survey under load or on a flaky
connection.

``install()`` is called by streamlit_app.py on every run (idempotent, process-wide).

* A reconnecting session gets file watchers although ``server.fileWatcherType = "none"``:
  ``WebsocketSessionManager.connect_session`` calls ``AppSession.register_file_watchers()``
  unconditionally when a browser comes back with its session id (a phone that lost coverage
  for a moment), while a new session honours the setting. The watcher then walks every loaded
  module with ``realpath`` on the event loop after every run of that session: about 150 ms
  each, so 50 reconnecting citizens among 500 (bench/survey_load.py --scenario reconnect)
  took the p95 from 0.3 s to 9.6 s. With the setting "none" the reconnected session now gets
  no watchers, exactly like a new one.

* A run is not stopped because its browser's connection dropped. Streamlit's
  ``WebsocketSessionManager.disconnect_session`` stops the session's script run when the
  websocket closes, and keeps the session for the browser to come back to. For a citizen
  whose phone lost coverage while "Gửi phiếu" was being processed, the stopped run left the
  answers stored or not, and the page after the reconnect blank (its elements were stale when
  the stopped run "finished") or showing the form again: measured with a phone-size Chromium
  closing its websocket right after the tap, on a loaded machine (three busy loops on two
  cores), 3 blank pages in 10 tries. A session that can be resumed now finishes its run
  (a survey run takes well under a second; a page whose browser never comes back costs that
  run once). A session that must not be resumed (signed out) is stopped as before. With one
  run at a time per session (``runner.fastReruns = false`` in .streamlit/config.toml), the
  reconnecting browser's request is taken by that same run once its write is done, and the
  page finds the stored sheet by its token (app/ui/survey/survey_page.recover_stored_submission);
  the answers are stored once whatever happens (app/survey/responses.py).

Server CPU per citizen (docs/PERFORMANCE.md, "Server CPU per citizen"), found with a CPU-clock
profile of the server under bench/survey_load.py and instruction counts (callgrind):

* ``st.radio`` and ``st.text_area`` copy the *whole* session state (``filtered_state``: every
  key, every widget value) to look up their own key once: 21 radios on the survey page made
  it quadratic, a tenth of the server's CPU. They now get a view that looks up that one key
  the same way (same lock, same rules), without the copy.
* Every script run builds its ``new_session`` message with the theme read option by option
  from the configuration (six sections); the configuration does not change while the server
  runs, so each section is built once per process.
* Every message a script sends reached the event loop through its own
  ``call_soon_threadsafe`` (a write to the loop's wake-up socket, a wake-up and a callback:
  ~70 per citizen), and each then woke the sending loop again from the loop itself. The
  events of a session now queue in order and the loop takes all that are waiting in one
  callback; the sending loop is woken directly when already on its thread.
* Streamlit forgets the compiled scripts whenever the last browser disconnects, so in a quiet
  hour every citizen paid for compiling the entry script and the page again. Without file
  watching (``server.fileWatcherType = "none"``) a script cannot change under a running
  server, and the compiled code is kept.
* Every time any session had a message to send, the Runtime's loop went through *every*
  connected session (its queue's lock, an empty list, a "messages sent" call): with 300
  citizens on the page, a few hundred wake-ups per second each cost 300 sessions' worth of
  work, and more the longer citizens keep the page open. The loop now visits the sessions
  that queued something since it last looked (in the order they did), and the others wait
  for a message of their own, as they would have found nothing to send.
* Each script run gets a new thread, and ``Thread.start()`` waits until that thread has run;
  the event loop asked for it, so under a burst it stood still for milliseconds per run
  (1.65 s for 200 runs in a profile of the loop, load average 9). Script threads are now
  started by a helper thread.

Python's cyclic garbage collector went through every object of the process in each full
collection: Streamlit, SQLAlchemy, pandas and the app's modules, about 240 000 objects, 120-180
ms with the interpreter lock held, two or three times per 300 citizens (0.35-0.38 s, 1.2 ms
per citizen, measured with ``gc.callbacks``). A few seconds after the first run, what is
alive then (modules, caches, the first session) is moved out of its sight (``gc.freeze()``):
full collections now look at what the citizens' runs created (0.07-0.25 s per 300), and 300
at once cost 14.7-16.2 ms of CPU each instead of 18.6-19.0 ms in the same minutes. A young
collection every 700 new objects then still added up (0.15 s per 300 citizens, and a full one
whenever enough had survived: 0.46 s of collecting per 300 in all); every 10 000, 0.18 s.

The first visit after a start (docs/PERFORMANCE.md) also paid, once per process: a walk of the
whole call stack reading every module's source (Streamlit's "are we in a REPL?" check before
its warning for ``python script.py``, which cannot apply under ``streamlit run``), and numpy and
Pillow imported to hand back the tab icon's ``data:`` URL unchanged; both are skipped.
"""
from __future__ import annotations

from collections import deque

_MARK = "_qcdc_respects_file_watcher_setting"
_FINISH_MARK = "_qcdc_finishes_runs_after_a_disconnect"
_VIEW_MARK = "_qcdc_looks_up_one_key"
_THEME_MARK = "_qcdc_theme_built_once"
_BATCH_MARK = "_qcdc_events_in_batches"
_CACHE_MARK = "_qcdc_keeps_compiled_scripts"
_ICON_MARK = "_qcdc_data_url_icon"
_START_MARK = "_qcdc_started_off_the_loop"
_DIRTY_MARK = "_qcdc_flushes_only_sessions_with_messages"
FREEZE_AFTER_S = 5.0  # seconds after the first run: imports done, the first visitor served
YOUNG_COLLECTION_EVERY = 10_000  # new objects between two young collections (Python's: 700)
_KEPT: list = []  # replaced functions that running objects may still refer to weakly


# The Streamlit these patches (and app/ui/core/entry.py's first-run doors) were written for.
WRITTEN_FOR = "1.67."


class StreamlitVersionError(RuntimeError):
    """Another Streamlit than the one the patches were written for is installed."""


def check_version(version: str | None = None) -> None:
    """Refuse to start on a Streamlit the patches were not written for: they replace internals
    that may have changed, and would misbehave silently rather than fail."""
    if version is None:
        import streamlit
        version = streamlit.__version__
    if not version.startswith(WRITTEN_FOR):
        raise StreamlitVersionError(
            f"Streamlit {version} is installed, but app/ui/core/streamlit_fixes.py and "
            f"app/ui/core/entry.py patch internals of Streamlit {WRITTEN_FOR}x. Review both files "
            f"(and deploy/prepare_static.py) against this version, then update WRITTEN_FOR in "
            f"app/ui/core/streamlit_fixes.py; or install the version in requirements.txt.")


def install() -> None:
    check_version()
    _respect_file_watcher_setting()
    _finish_runs_after_a_disconnect()
    _widgets_look_up_one_key()
    _theme_built_once()
    _script_events_in_batches()
    _keep_compiled_scripts()
    _first_visit_shortcuts()
    _script_threads_started_off_the_loop()
    _flush_only_sessions_with_messages()
    _freeze_start_up_objects_soon()


def _respect_file_watcher_setting() -> None:
    from streamlit import config
    from streamlit.runtime.app_session import AppSession

    original = AppSession.register_file_watchers
    if getattr(original, _MARK, False):
        return

    def register_file_watchers(self) -> None:
        if config.get_option("server.fileWatcherType") == "none":
            return
        original(self)

    setattr(register_file_watchers, _MARK, True)
    register_file_watchers.__doc__ = original.__doc__
    AppSession.register_file_watchers = register_file_watchers


def _finish_runs_after_a_disconnect() -> None:
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

    disconnect = WebsocketSessionManager.disconnect_session
    if getattr(disconnect, _FINISH_MARK, False):
        return

    def disconnect_session(self, session_id: str) -> None:
        info = self._active_session_info_by_id.get(session_id)
        session = info.session if info is not None else None
        if session is None or not session.is_resumable():
            disconnect(self, session_id)
            return
        # the one stop request of this call (the original's first step) does nothing; the
        # instance attribute shadows the method for this call only
        session.request_script_stop = lambda: None
        try:
            disconnect(self, session_id)
        finally:
            del session.request_script_stop

    setattr(disconnect_session, _FINISH_MARK, True)
    disconnect_session.__doc__ = disconnect.__doc__
    WebsocketSessionManager.disconnect_session = disconnect_session


class _OneKeyView:
    """What ``SessionState.filtered_state`` answers for one user key (``key in``, ``[key]``),
    without building it: the same lookup under the same lock, internal keys left out."""

    __slots__ = ("_safe",)

    def __init__(self, safe) -> None:
        self._safe = safe

    def __getitem__(self, key: str):
        from streamlit.runtime.state.session_state import _is_internal_key
        if _is_internal_key(key):
            raise KeyError(key)
        with self._safe._lock:
            return self._safe._state[key]

    def __contains__(self, key: str) -> bool:
        try:
            self[key]
        except KeyError:
            return False
        return True


class _SessionStateForOneKey:
    """The session state as radio/text_area see it: ``filtered_state`` is a one-key view."""

    __slots__ = ("_safe",)

    def __init__(self, safe) -> None:
        self._safe = safe

    @property
    def filtered_state(self) -> _OneKeyView:
        return _OneKeyView(self._safe)

    def __getattr__(self, name: str):
        return getattr(self._safe, name)


def _widgets_look_up_one_key() -> None:
    from streamlit.elements.widgets import radio, text_widgets

    for module in (radio, text_widgets):
        original = module.get_session_state
        if getattr(original, _VIEW_MARK, False):
            continue

        def get_session_state(_original=original):
            return _SessionStateForOneKey(_original())

        setattr(get_session_state, _VIEW_MARK, True)
        module.get_session_state = get_session_state


def _theme_built_once() -> None:
    from streamlit.runtime import app_session

    original = app_session._populate_theme_msg
    if getattr(original, _THEME_MARK, False):
        return
    built: dict[tuple[type, str], bytes] = {}

    def _populate_theme_msg(msg, section: str = "theme") -> None:
        key = (type(msg), section)
        data = built.get(key)
        if data is None:
            fresh = type(msg)()
            original(fresh, section)
            data = built[key] = fresh.SerializeToString()
        msg.MergeFromString(data)

    setattr(_populate_theme_msg, _THEME_MARK, True)
    app_session._populate_theme_msg = _populate_theme_msg


def _script_events_in_batches() -> None:
    import asyncio
    import threading
    from collections import deque

    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.runtime import Runtime

    original = AppSession._on_scriptrunner_event
    if getattr(original, _BATCH_MARK, False):
        return
    lock = threading.Lock()

    def _on_scriptrunner_event(self, sender, event, forward_msg=None, exception=None,
                               client_state=None, page_script_hash=None,
                               fragment_ids_this_run=None, pages=None,
                               run_descriptor=None) -> None:
        item = (sender, event, forward_msg, exception, client_state, page_script_hash,
                fragment_ids_this_run, pages, run_descriptor)
        with lock:
            pending = self.__dict__.get("_qcdc_pending")
            if pending is None:
                pending = self.__dict__["_qcdc_pending"] = deque()
            pending.append(item)
            first = len(pending) == 1
        if first:  # otherwise a callback is already due and takes this event too
            self._call_soon_on_event_loop(lambda: _handle_waiting_events(self, pending))

    def _handle_waiting_events(self, pending) -> None:
        while True:
            with lock:
                if not pending:
                    return
                item = pending.popleft()
            try:
                self._handle_scriptrunner_event_on_event_loop(*item)
            except BaseException:
                with lock:
                    more = bool(pending)
                if more:  # the events behind this one are not left waiting
                    self._call_soon_on_event_loop(lambda: _handle_waiting_events(self, pending))
                raise

    setattr(_on_scriptrunner_event, _BATCH_MARK, True)
    _on_scriptrunner_event.__doc__ = original.__doc__
    # A ScriptRunner already running (the first run after a start, whose script installs
    # this) holds the original method through a weak reference: keep it alive, or that
    # run's messages would go nowhere.
    _KEPT.append(original)
    AppSession._on_scriptrunner_event = _on_scriptrunner_event

    wake = Runtime._enqueued_some_message
    if getattr(wake, _BATCH_MARK, False):
        return

    def _enqueued_some_message(self) -> None:
        objs = self._get_async_objs()
        try:
            on_loop = asyncio.get_running_loop() is objs.eventloop
        except RuntimeError:
            on_loop = False
        if on_loop:
            objs.need_send_data.set()
        else:
            objs.eventloop.call_soon_threadsafe(objs.need_send_data.set)

    setattr(_enqueued_some_message, _BATCH_MARK, True)
    _enqueued_some_message.__doc__ = wake.__doc__
    Runtime._enqueued_some_message = _enqueued_some_message
    _rebind_message_wakeup()


def _rebind_message_wakeup() -> None:
    """The running Runtime handed its session manager the bound ``_enqueued_some_message``
    when it was created, before the app's first run patched the class: without this every
    message still woke the event loop through the self-pipe (a system call per message, 6 % of
    the server's CPU with 300 citizens at once; measured with py-spy)."""
    from streamlit.runtime.runtime import Runtime
    if not Runtime.exists():
        return
    runtime = Runtime.instance()
    manager = getattr(runtime, "_session_mgr", None)
    if manager is None or not hasattr(manager, "_message_enqueued_callback"):
        return
    manager._message_enqueued_callback = runtime._enqueued_some_message
    for info in manager.list_sessions():
        if hasattr(info.session, "_message_enqueued_callback"):
            info.session._message_enqueued_callback = runtime._enqueued_some_message


def _keep_compiled_scripts() -> None:
    from streamlit import config
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    original = ScriptCache.clear
    if getattr(original, _CACHE_MARK, False):
        return

    def clear(self) -> None:
        if config.get_option("server.fileWatcherType") == "none":
            return  # no file can change under this server: keep what is compiled
        original(self)

    setattr(clear, _CACHE_MARK, True)
    clear.__doc__ = original.__doc__
    ScriptCache.clear = clear


def _first_visit_shortcuts() -> None:
    from streamlit import delta_generator
    from streamlit.commands import page_config

    delta_generator._use_warning_has_been_displayed = True  # running under streamlit run
    original = page_config._get_favicon_string
    if getattr(original, _ICON_MARK, False):
        return

    def _get_favicon_string(page_icon) -> str:
        if isinstance(page_icon, str) and page_icon.startswith("data:image/"):
            return page_icon  # what image_to_url answers for a data: URL
        return original(page_icon)

    setattr(_get_favicon_string, _ICON_MARK, True)
    page_config._get_favicon_string = _get_favicon_string


_starter_lock = None
_starter_queue = None


def _start_soon(thread) -> None:
    """Start `thread` from a helper thread: ``Thread.start()`` waits until the new thread has
    run, and on a busy interpreter that is milliseconds during which the event loop, which
    asks for every script run, sends nothing to anybody."""
    global _starter_lock, _starter_queue
    import queue
    import threading
    if _starter_queue is None:
        if _starter_lock is None:
            _starter_lock = threading.Lock()
        with _starter_lock:
            if _starter_queue is None:
                q: queue.SimpleQueue = queue.SimpleQueue()

                def run() -> None:
                    while True:
                        thread = q.get()
                        try:
                            thread.start()
                        except Exception:  # the next runs must still start
                            import logging
                            logging.getLogger("qcdc").exception("could not start %s", thread)

                threading.Thread(target=run, name="qcdc-script-starter", daemon=True).start()
                _starter_queue = q
    _starter_queue.put(thread)


def _script_threads_started_off_the_loop() -> None:
    import threading

    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    original = ScriptRunner.start
    if getattr(original, _START_MARK, False):
        return

    def start(self) -> None:
        if self._script_thread is not None:
            raise RuntimeError("ScriptRunner was already started")
        self._script_thread = threading.Thread(target=self._run_script_thread,
                                               name="ScriptRunner.scriptThread", daemon=True)
        _start_soon(self._script_thread)

    setattr(start, _START_MARK, True)
    start.__doc__ = original.__doc__
    ScriptRunner.start = start


# Sessions that queued a message since the Runtime's loop last looked, in order (a deque:
# appending from script threads and taking from the loop need no lock), and sessions that had
# one while disconnected, looked at again on every pass until they are back or gone.
_with_messages: deque = deque()
_parked: dict = {}


def sessions_with_messages(active: dict) -> list:
    """What the Runtime's loop flushes: the connected sessions (``active``: session id ->
    ActiveSessionInfo) that queued a message since it last looked, once each, in order. A
    session that queued one while disconnected is kept aside until it is connected again
    (then flushed) or shut down (then forgotten)."""
    from streamlit.runtime.app_session import AppSessionState
    gone = AppSessionState.SHUTDOWN_REQUESTED
    seen: set = set()
    out = []
    for sid in list(_parked):
        session = _parked[sid]
        info = active.get(sid)
        if info is not None and info.session is session:
            del _parked[sid]
            seen.add(sid)
            out.append(info)
        elif session._state == gone:
            del _parked[sid]
    while True:
        try:
            session = _with_messages.popleft()
        except IndexError:
            break
        sid = session.id
        if sid in seen:
            continue
        seen.add(sid)
        info = active.get(sid)
        if info is not None and info.session is session:
            out.append(info)
        elif session._state != gone:
            _parked[sid] = session
    return out


def _flush_only_sessions_with_messages() -> None:
    import sys

    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.runtime import Runtime
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

    original = WebsocketSessionManager.list_active_sessions
    if getattr(original, _DIRTY_MARK, False):
        return
    loop_code = Runtime._loop_coroutine.__code__
    settle = AppSession._settle_once_delivered

    # The two places where a session asks the loop for a flush, each noting the session
    # between its queue and the wake-up, so that the loop which wakes finds it.
    def _enqueue_forward_msg(self, msg) -> None:
        self._browser_queue.enqueue(msg)
        _with_messages.append(self)
        if self._message_enqueued_callback:
            self._message_enqueued_callback()

    def _settle_once_delivered(self) -> None:
        settle(self)  # marks the session as settling, then wakes the loop
        if self._settled is not None:
            _with_messages.append(self)
            if self._message_enqueued_callback:
                self._message_enqueued_callback()

    def list_active_sessions(self):
        if sys._getframe(1).f_code is not loop_code:
            return original(self)
        return sessions_with_messages(self._active_session_info_by_id)

    for fn, was in ((_enqueue_forward_msg, AppSession._enqueue_forward_msg),
                    (_settle_once_delivered, settle), (list_active_sessions, original)):
        setattr(fn, _DIRTY_MARK, True)
        fn.__doc__ = was.__doc__
    AppSession._enqueue_forward_msg = _enqueue_forward_msg
    AppSession._settle_once_delivered = _settle_once_delivered
    WebsocketSessionManager.list_active_sessions = list_active_sessions
    _flush_open_sessions_once()


def _flush_open_sessions_once() -> None:
    """Have the loop look at every open session on its next pass: what they queued before the
    loop took only the sessions noted (the sessions of a server's first seconds, whose runs
    install the patch) would otherwise wait for their next message, or for ever."""
    from streamlit.runtime.runtime import Runtime
    if not Runtime.exists():
        return
    runtime = Runtime.instance()
    manager = getattr(runtime, "_session_mgr", None)
    if manager is None:
        return
    for info in manager.list_sessions():
        _with_messages.append(info.session)
    runtime._enqueued_some_message()


_freeze_timer = None


def _freeze_start_up_objects_soon() -> None:
    """Once per process, FREEZE_AFTER_S seconds after the first run: collect, then freeze what
    is alive (``gc.freeze()``) so that full collections skip the start-up objects, and collect
    the young generation every YOUNG_COLLECTION_EVERY new objects. Objects frozen stay until
    the process ends, which for modules and caches they do anyway."""
    global _freeze_timer
    import threading
    if _freeze_timer is not None:
        return

    def freeze() -> None:
        import gc
        import logging

        from streamlit.runtime.runtime import Runtime
        if not Runtime.exists():  # not a server (a test's AppTest): nothing to speed up
            return
        gc.collect()
        gc.freeze()
        gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
        logging.getLogger("qcdc").info("%d start-up objects frozen", gc.get_freeze_count())

    _freeze_timer = threading.Timer(FREEZE_AFTER_S, freeze)
    _freeze_timer.daemon = True
    _freeze_timer.name = "qcdc-gc-freeze"
    _freeze_timer.start()
