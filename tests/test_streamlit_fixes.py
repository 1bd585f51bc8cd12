"""app/ui/streamlit_fixes.py: Streamlit behaviour worked around for the survey under load."""
from __future__ import annotations

from streamlit import config
from streamlit.runtime.app_session import AppSession

from app.ui import streamlit_fixes


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
