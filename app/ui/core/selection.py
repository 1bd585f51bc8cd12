"""Tables where the user picks a row to act on it: the pick is remembered by the row's key,
never by its position.

``st.dataframe``'s selection is a row *position*. When the list changes between two runs (a
filter, a refresh, another user's change, an action that removes the row) the same position
holds another row, and an action taken then lands on a row the user never read (a review was
stored on the wrong warning). ``keyed_table`` turns the position into the key of the row the
user clicked, from the list that was on the screen at the time, and keeps that key:

- the detail panel and its buttons act on that key, found again in the current list;
- when the list changes, the table starts without a highlighted row (a new widget), so no other
  row looks selected, while the pick is kept and named;
- when the picked row is no longer in the list, nothing is acted on and the page says so.
"""
from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import streamlit as st

from app.core.i18n import t


def _rows(state: Any) -> list[int]:
    """Selected row positions of a dataframe widget state (object or plain dict)."""
    if state is None:
        return []
    selection = state.get("selection") if isinstance(state, dict) else getattr(state, "selection", None)
    if selection is None:
        return []
    rows = selection.get("rows") if isinstance(selection, dict) else getattr(selection, "rows", None)
    return [int(r) for r in (rows or [])]


def widget_key(key: str) -> str:
    """The current st.dataframe key of the keyed table `key` (tests select rows through it)."""
    gen = st.session_state.get(f"{key}__gen", 0)
    return key if gen == 0 else f"{key}~{gen}"


def keyed_table(data, keys: Sequence[Hashable], *, key: str, **dataframe_kwargs) -> Hashable | None:
    """Draw `data` (one row per item of `keys`, same order) with single-row selection; return
    the key of the row the user picked, if it is still in the list, else None (and a caption
    saying that the row picked is gone)."""
    keys = list(keys)
    gen_key, shown_key = f"{key}__gen", f"{key}__shown"
    picked_key, rows_key = f"{key}__picked", f"{key}__rows"
    shown = st.session_state.get(shown_key)
    rows = _rows(st.session_state.get(widget_key(key)))
    if rows != st.session_state.get(rows_key, []):  # the user clicked since the last run
        st.session_state[rows_key] = rows
        st.session_state[picked_key] = (shown[rows[0]] if rows and shown is not None
                                        and rows[0] < len(shown) else None)
    if shown is not None and shown != keys:  # another list: no stale highlight
        st.session_state[gen_key] = st.session_state.get(gen_key, 0) + 1
        st.session_state[rows_key] = []
    st.session_state[shown_key] = keys
    st.dataframe(data, key=widget_key(key), on_select="rerun", selection_mode="single-row",
                 **dataframe_kwargs)
    picked = st.session_state.get(picked_key)
    if picked is None:
        return None
    if picked not in keys:
        st.caption(t("selection.gone"))
        return None
    return picked


def forget(key: str) -> None:
    """Drop the pick of table `key` (after the row was acted on and left the list)."""
    st.session_state.pop(f"{key}__picked", None)
