"""Make sure every page runs through streamlit_app.py's st.navigation.

Streamlit treats an app with a ``pages/`` folder beside the entry script as an old-style (v1)
multipage app until the entry script first calls ``st.navigation``. If the first visitor after a
restart opens ``/survey`` directly, Streamlit would run ``pages/survey.py`` on its own, skipping
start-up and the role checks. ``guard()`` at the top of every page detects that case, switches
Streamlit to st.navigation mode for the whole process and reruns through the entry script.
"""
from __future__ import annotations

import streamlit as st


def guard() -> None:
    from streamlit.runtime.pages_manager import PagesManager
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
