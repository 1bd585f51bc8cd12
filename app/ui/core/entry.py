"""Every run goes through the entry script (streamlit_app.py) and its st.navigation.

Streamlit (1.67, ``PagesManager.__init__``) treats an app with a ``pages/`` folder beside the
entry script as an old-style (v1) multipage app until the entry script first calls
``st.navigation``: the first sessions after a server start run ``_mpa_v1``, which lists only the
``*.py`` files *directly* in ``pages/`` and looks the page up by file name. A page it cannot find
gets Streamlit's English "Page not found" dialog (checked in a real browser: with the pages only
in ``pages/<section>/`` the first citizen of /survey saw it above the form).

So ``pages/`` holds, beside the section folders, one door per URL: ``pages/<url path>.py``, two
lines that call ``run_entry_script()``. On those first visits Streamlit runs the door, which
switches the whole process to st.navigation mode and runs the entry script in the same run; the
entry script's st.navigation then finds the real page by the URL the browser asked for. No
rerun, so nothing the browser sent is lost; later sessions never run a door.
``tests/core/test_navigation_and_signin.py`` keeps the doors and the registry in step.
"""
from __future__ import annotations

import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager

_run = threading.local()  # Streamlit runs every session's script in its own thread


@contextmanager
def through_entry() -> Iterator[None]:
    """Mark the page run started by the entry script (streamlit_app.py)."""
    _run.via_entry = True
    try:
        yield
    finally:
        _run.via_entry = False


def run_entry_script() -> None:
    """The body of every door file ``pages/<url>.py`` (see the module docstring)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    PagesManager.uses_pages_directory = False  # later sessions: st.navigation mode at once
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    path = ctx.main_script_path
    module = types.ModuleType("__main__")
    module.__dict__["__file__"] = path
    exec(ctx.pages_manager.get_page_script_byte_code(path), module.__dict__)  # noqa: S102


def requested_url_path() -> str | None:
    """The URL path this run was asked for ("tong-quan" for /tong-quan), if the browser named
    one (a typed or bookmarked address; links inside the app name a page by its hash)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    ctx = get_script_run_ctx()
    name = getattr(getattr(ctx, "pages_manager", None), "intended_page_name", None)
    if isinstance(name, str) and name.strip("/"):
        return name.strip("/")
    return None


def running_through_entry() -> bool:
    return bool(getattr(_run, "via_entry", False))
