"""app/ui/core/streamlit_fixes.py: Streamlit behaviour worked around for the survey under load."""
from __future__ import annotations

from streamlit import config
from streamlit.runtime.app_session import AppSession

from app.ui.core import streamlit_fixes


class _Session:
    """The attributes AppSession.register_file_watchers touches first."""
    _local_sources_watcher = None
    _pages_manager = None


def test_a_reconnecting_session_gets_no_file_watchers_when_watching_is_off(monkeypatch):
    streamlit_fixes.install()
    streamlit_fixes.install()  # idempotent: wrapped once
    wrapped = AppSession.register_file_watchers
    assert getattr(wrapped, streamlit_fixes._MARK)
    monkeypatch.setattr(config, "get_option",
                        lambda key: "none" if key == "server.fileWatcherType" else None)
    session = _Session()
    wrapped(session)  # what WebsocketSessionManager.connect_session calls on a reconnect
    assert session._local_sources_watcher is None


def test_file_watchers_still_work_when_watching_is_on(monkeypatch):
    streamlit_fixes.install()
    calls = []
    monkeypatch.setattr(config, "get_option",
                        lambda key: "poll" if key == "server.fileWatcherType" else None)
    import streamlit.runtime.app_session as app_session
    monkeypatch.setattr(app_session, "LocalSourcesWatcher",
                        lambda pages_manager: calls.append(pages_manager) or _Watcher())
    monkeypatch.setattr(app_session.config, "on_config_parsed", lambda *a, **k: None)
    session = _Session()
    session._on_source_file_changed = lambda *a: None
    session._on_secrets_file_changed = lambda *a: None
    try:
        AppSession.register_file_watchers(session)
    finally:
        app_session.secrets_singleton.file_change_listener.disconnect(session._on_secrets_file_changed)
    assert len(calls) == 1 and isinstance(session._local_sources_watcher, _Watcher)


class _Watcher:
    def register_file_change_callback(self, cb):
        self.cb = cb


class _RunningSession:
    """What WebsocketSessionManager.disconnect_session touches on an AppSession."""

    def __init__(self, resumable: bool):
        self.id = "s1"
        self.resumable = resumable
        self.stops = 0
        self.shut_down = False

    def request_script_stop(self):
        self.stops += 1

    def is_resumable(self):
        return self.resumable

    def disconnect_file_watchers(self):
        pass

    def clear_session_caches(self):
        pass

    def shutdown(self):
        self.request_script_stop()
        self.shut_down = True


def _manager_with(session):
    from streamlit.runtime.memory_session_storage import MemorySessionStorage
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.runtime.session_manager import ActiveSessionInfo
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager
    mgr = WebsocketSessionManager(MemorySessionStorage(), None, ScriptCache(), None)
    mgr._active_session_info_by_id[session.id] = ActiveSessionInfo(object(), session)
    return mgr


def test_a_dropped_connection_lets_the_run_finish_for_the_browser_to_come_back_to():
    """A citizen's phone loses coverage while "Gửi phiếu" is processed: the run is not stopped
    (the reconnected browser gets the thank-you screen, not a blank page) and the session is
    kept for the reconnect."""
    streamlit_fixes.install()
    streamlit_fixes.install()  # idempotent
    session = _RunningSession(resumable=True)
    mgr = _manager_with(session)
    mgr.disconnect_session(session.id)
    assert session.stops == 0 and not session.shut_down
    assert mgr._session_storage.get(session.id).session is session  # kept for the reconnect
    assert "request_script_stop" not in vars(session)  # the shadow is gone after the call
    session.request_script_stop()
    assert session.stops == 1


def test_a_signed_out_session_is_still_stopped_when_its_connection_closes():
    streamlit_fixes.install()
    session = _RunningSession(resumable=False)
    mgr = _manager_with(session)
    mgr.disconnect_session(session.id)
    assert session.stops >= 1 and session.shut_down
    assert mgr._session_storage.get(session.id) is None


def test_another_streamlit_version_fails_at_start_naming_the_files_to_review():
    import pytest

    from app.ui.core import streamlit_fixes
    streamlit_fixes.check_version()  # the pinned version passes
    with pytest.raises(streamlit_fixes.StreamlitVersionError) as err:
        streamlit_fixes.check_version("1.68.0")
    assert "app/ui/core/streamlit_fixes.py" in str(err.value) and "1.68.0" in str(err.value)


class _FakeManager:
    def __init__(self, callback, sessions):
        self._message_enqueued_callback = callback
        self._sessions = sessions

    def list_sessions(self):
        return self._sessions


def _fake_session(sid: str, queued: list | None = None):
    from types import SimpleNamespace

    from streamlit.runtime.app_session import AppSessionState
    box = queued if queued is not None else []
    return SimpleNamespace(id=sid, _state=AppSessionState.APP_IS_RUNNING,
                           _browser_queue=SimpleNamespace(enqueue=box.append),
                           _message_enqueued_callback=lambda: None)


def _fake_runtime(monkeypatch, sessions):
    from types import SimpleNamespace

    from streamlit.runtime.runtime import Runtime
    runtime = Runtime.__new__(Runtime)
    woken = []
    loop = SimpleNamespace(call_soon_threadsafe=lambda fn: woken.append(fn))
    runtime._get_async_objs = lambda: SimpleNamespace(
        eventloop=loop, need_send_data=SimpleNamespace(set=lambda: None))
    runtime._session_mgr = _FakeManager(object(), [SimpleNamespace(session=s) for s in sessions])
    monkeypatch.setattr(Runtime, "exists", staticmethod(lambda: True))
    monkeypatch.setattr(Runtime, "instance", staticmethod(lambda: runtime))
    return runtime, woken


def test_the_running_runtime_wakes_its_loop_through_the_batched_callback(monkeypatch):
    """The Runtime gave its session manager (and through it every session) the bound
    ``_enqueued_some_message`` before the app's first run patched the class; the patch must
    reach that manager and the sessions already open, or every message still costs a write
    to the event loop's self-pipe."""
    from streamlit.runtime.runtime import Runtime

    streamlit_fixes.install()
    session = _fake_session("s1")
    runtime, woken = _fake_runtime(monkeypatch, [session])
    streamlit_fixes._rebind_message_wakeup()
    for callback in (runtime._session_mgr._message_enqueued_callback,
                     session._message_enqueued_callback):
        assert callback.__func__ is Runtime._enqueued_some_message
        assert getattr(callback.__func__, streamlit_fixes._BATCH_MARK)
    session._message_enqueued_callback()
    assert len(woken) == 1  # one wake-up, from a thread that is not the loop's


def test_the_loop_flushes_the_sessions_that_queued_messages_and_only_those():
    """With 300 citizens on the page, every wake-up of the Runtime's loop went through all
    300 sessions; now it takes those that queued something, each once, in order. A session
    that queued while its phone was offline gets its messages when it is connected again."""
    from types import SimpleNamespace

    from streamlit.runtime.app_session import AppSession, AppSessionState

    streamlit_fixes.install()
    pick = streamlit_fixes.sessions_with_messages
    pick({})
    queued: list = []
    sessions = {sid: _fake_session(sid, queued) for sid in ("a", "b", "c", "d")}
    active = {sid: SimpleNamespace(session=s) for sid, s in sessions.items()}

    def send(sid: str) -> None:  # what a script run does for each element it draws
        AppSession._enqueue_forward_msg(sessions[sid], f"message of {sid}")

    for sid in ("c", "a", "c"):
        send(sid)
    assert queued == ["message of c", "message of a", "message of c"]
    assert [i.session.id for i in pick(active)] == ["c", "a"]  # b and d had nothing
    assert pick(active) == []                                   # nothing new since
    offline = dict(active)
    del offline["b"]
    send("b")                             # b queues a message while disconnected
    assert pick(offline) == []
    assert [i.session.id for i in pick(active)] == ["b"]        # back: flushed
    del offline["d"]
    send("d")
    assert pick(offline) == []
    sessions["d"]._state = AppSessionState.SHUTDOWN_REQUESTED   # never came back
    assert pick(offline) == [] and "d" not in streamlit_fixes._parked


def test_sessions_open_before_the_patch_are_flushed_on_the_next_pass(monkeypatch):
    """A server's first sessions queue messages before the first run installs the patch (six
    tabs opened at once on a fresh server: one of them never got its page); the next pass of
    the loop looks at all of them."""
    from types import SimpleNamespace

    streamlit_fixes.install()
    streamlit_fixes.sessions_with_messages({})
    early = [_fake_session("e1"), _fake_session("e2")]
    _runtime, woken = _fake_runtime(monkeypatch, early)
    streamlit_fixes._flush_open_sessions_once()
    assert woken, "the loop is woken"
    active = {s.id: SimpleNamespace(session=s) for s in early}
    assert [i.session.id for i in streamlit_fixes.sessions_with_messages(active)] == ["e1", "e2"]


def test_a_server_freezes_its_start_up_objects_once_after_the_first_run(monkeypatch):
    """Full garbage collections skip what was alive a few seconds after the first run (the
    modules and caches of the process), instead of walking 240 000 objects each time."""
    import gc

    from streamlit.runtime.runtime import Runtime

    monkeypatch.setattr(streamlit_fixes, "_freeze_timer", None)
    monkeypatch.setattr(streamlit_fixes, "FREEZE_AFTER_S", 0.0)
    monkeypatch.setattr(Runtime, "exists", staticmethod(lambda: True))
    gc.unfreeze()
    threshold = gc.get_threshold()
    try:
        streamlit_fixes._freeze_start_up_objects_soon()
        timer = streamlit_fixes._freeze_timer
        streamlit_fixes._freeze_start_up_objects_soon()  # once per process
        assert streamlit_fixes._freeze_timer is timer
        timer.join(10)
        assert gc.get_freeze_count() > 1000
        assert gc.get_threshold()[0] == streamlit_fixes.YOUNG_COLLECTION_EVERY
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
