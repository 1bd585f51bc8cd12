"""Work-arounds for Streamlit 1.67 behaviour that costs the survey under load.

``install()`` is called by streamlit_app.py on every run (idempotent, process-wide).

* A reconnecting session gets file watchers although ``server.fileWatcherType = "none"``:
  ``WebsocketSessionManager.connect_session`` calls ``AppSession.register_file_watchers()``
  unconditionally when a browser comes back with its session id (a phone that lost coverage
  for a moment), while a new session honours the setting. The watcher then walks every loaded
  module with ``realpath`` on the event loop after every run of that session: about 150 ms
  each, so 50 reconnecting citizens among 500 (bench/survey_load.py --scenario reconnect)
  took the p95 from 0.3 s to 9.6 s. With the setting "none" the reconnected session now gets
  no watchers, exactly like a new one.
"""
from __future__ import annotations

_MARK = "_qcdc_respects_file_watcher_setting"


def install() -> None:
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
