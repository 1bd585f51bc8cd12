"""The body of pages/admin/api_tokens.py (kept thin: read input, call app/, render).

Admin: tokens of the read API (docs/API.md): issue one to a named consumer with a role and
unit (shown once), list them with their use, change when they expire, revoke them.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.admin import api_tokens as svc
from app.core.auth import AuthError
from app.core.fmt import fmt_datetime, fmt_int
from app.core.i18n import t
from app.ui.admin.widgets import district_options
from app.ui.core.flash import rerun_with
from app.ui.core.public_url import browser_base_url, current_address
from app.ui.core.selection import keyed_table

_SECRET = "api_tokens_secret"


def _forget() -> None:
    st.session_state.pop(_SECRET, None)


def _show_secret() -> None:
    """A token just issued: shown until the administrator closes it, never again."""
    secret = st.session_state.get(_SECRET)
    if not secret:
        return
    with st.container(border=True):
        st.warning(t("api_tokens.secret_once", name=secret["name"]), icon=":material/key:")
        st.code(secret["token"], language=None)
        st.caption(t("api_tokens.secret_howto"))
        st.code(f'curl -H "Authorization: Bearer {secret["token"]}" '
                f'{secret["base"]}/api/v1/campaigns', language="bash", wrap_lines=True)
        st.button(t("api_tokens.secret_done"), key="api_tokens_secret_done", on_click=_forget)


def _state(row) -> str:
    return t(f"api_tokens.state.{row.state}")


def _list(scope) -> None:
    rows = svc.list_tokens(scope)
    if not rows:
        st.info(t("api_tokens.none"))
        return
    st.caption(t("api_tokens.count", n=fmt_int(len(rows))))
    df = pd.DataFrame([{
        t("api_tokens.col.name"): r.name, t("api_tokens.col.token"): r.shown_as,
        t("api_tokens.col.unit"): f"{t(f'role.{r.role}')} – {r.unit_name}",
        t("api_tokens.col.state"): _state(r),
        t("api_tokens.col.created"): f"{fmt_datetime(r.created_at)} ({r.created_by})",
        t("api_tokens.col.expires"): fmt_datetime(r.expires_at) or t("api_tokens.never"),
        t("api_tokens.col.last_used"): fmt_datetime(r.last_used_at),
        t("api_tokens.col.uses"): fmt_int(r.use_count)} for r in rows])
    # the pick is the token's id: a token issued meanwhile (sorted first) moves the rows
    picked = keyed_table(df, [r.id for r in rows], key="api_tokens_table", hide_index=True)
    st.caption(t("api_tokens.uses_note"))
    if picked is None:
        st.caption(t("api_tokens.pick"))
        return
    row = next(r for r in rows if r.id == picked)
    st.subheader(t("api_tokens.edit_title", name=row.name, token=row.shown_as))
    if row.state == "revoked":
        st.info(t("api_tokens.revoked_info", when=fmt_datetime(row.revoked_at),
                  who=row.revoked_by or ""))
        return
    a, b = st.columns(2)
    with a.form(f"api_tokens_expiry_{row.id}"):
        days = st.number_input(t("api_tokens.f.days_from_now"), min_value=0,
                               max_value=svc.MAX_DAYS, value=365, step=30)
        never = st.checkbox(t("api_tokens.f.never"), key=f"api_tokens_never_{row.id}")
        if st.form_submit_button(t("api_tokens.set_expiry"), icon=":material/event:"):
            _act(lambda: svc.set_expiry(scope, row.id, None if never else int(days)),
                 t("api_tokens.expiry_set", name=row.name))
    with b.form(f"api_tokens_revoke_{row.id}"):
        st.markdown(t("api_tokens.revoke_help"))
        sure = st.checkbox(t("api_tokens.revoke_confirm"), key=f"api_tokens_sure_{row.id}")
        if st.form_submit_button(t("api_tokens.revoke"), type="primary",
                                 icon=":material/block:"):
            if not sure:
                st.error(t("api_tokens.revoke_unconfirmed"))
            else:
                _act(lambda: svc.revoke_token(scope, row.id),
                     t("api_tokens.revoked", name=row.name))


def _act(action, message: str) -> None:
    try:
        action()
    except AuthError as exc:
        st.error(str(exc))
    else:
        rerun_with(message)


def _new(scope) -> None:
    role = st.selectbox(t("api_tokens.f.role"), ["province", "district"],
                        format_func=lambda r: t(f"api_tokens.role.{r}"), key="api_tokens_n_role")
    with st.form("api_tokens_new"):
        name = st.text_input(t("api_tokens.f.name"), max_chars=svc.NAME_MAX,
                             placeholder=t("api_tokens.f.name_ph"))
        district = None
        if role == "district":
            ids, names = district_options(with_all=False)
            district = st.selectbox(t("common.district"), ids, format_func=names.get)
        days = st.number_input(t("api_tokens.f.days"), min_value=1, max_value=svc.MAX_DAYS,
                               value=365, step=30)
        never = st.checkbox(t("api_tokens.f.never"), key="api_tokens_n_never")
        if st.form_submit_button(t("api_tokens.create"), type="primary",
                                 icon=":material/add_circle:"):
            try:
                row, token = svc.create_token(scope, name, role, district_code=district,
                                              days=None if never else int(days))
            except AuthError as exc:
                st.error(str(exc))
            else:
                # the example names the public address (QCDC_PUBLIC_URL), else this browser's
                address = current_address()
                base = address.url if address else (browser_base_url() or "")
                st.session_state[_SECRET] = {"name": row.name, "token": token, "base": base}
                rerun_with(t("api_tokens.created", name=row.name))


def render(scope) -> None:
    st.title(t("nav.api_tokens"))
    st.caption(t("api_tokens.intro"))
    _show_secret()
    tab_list, tab_new = st.tabs([t("api_tokens.tab.list"), t("api_tokens.tab.new")],
                                key="api_tokens_tabs", on_change="rerun")
    with tab_list:
        _list(scope)
    with tab_new:
        _new(scope)
