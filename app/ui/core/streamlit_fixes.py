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
"""
from __future__ import annotations

_MARK = "_qcdc_respects_file_watcher_setting"
_FINISH_MARK = "_qcdc_finishes_runs_after_a_disconnect"


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
