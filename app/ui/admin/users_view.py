"""The body of pages/admin/users.py (kept thin: read input, call app/, render).

Admin: user accounts (list, create, edit, disable, reset password) and the one-time bulk
creation of accounts for every district and commune.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.admin import users as ua
from app.core import clock
from app.core.auth import ROLES, AuthError
from app.core.fmt import fmt_datetime, fmt_int
from app.core.i18n import t
from app.ui.admin.widgets import commune_options, district_options
from app.ui.core.flash import rerun_with
from app.ui.core.public_url import current_address
from app.ui.core.selection import keyed_table
from app.ui.core.text import md_escape


def render(scope) -> None:
    st.title(t("nav.users"))

    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


    def _forget(key: str) -> None:
        st.session_state.pop(key, None)


    def _show_secret() -> None:
        """A password generated for one account: shown until the admin closes it."""
        secret = st.session_state.get("users_secret")
        if not secret:
            return
        with st.container(border=True):
            st.warning(t("users.secret_once", username=secret["username"]),
                       icon=":material/key:")
            st.code(secret["password"], language=None)
            st.button(t("users.secret_done"), key="users_secret_done", on_click=_forget,
                      args=("users_secret",))


    _show_secret()
    tab_list, tab_new, tab_bulk = st.tabs([t("users.tab.list"), t("users.tab.new"),
                                           t("users.tab.bulk")], key="users_tabs", on_change="rerun")


    def _unit_fields(prefix: str, role: str, district: str | None, commune: str | None):
        """District and commune pickers that match the role (none for province-wide roles)."""
        if role == "district":
            d_ids, d_names = district_options(with_all=False)
            district = st.selectbox(t("common.district"), d_ids, format_func=d_names.get,
                                    index=d_ids.index(district) if district in d_ids else 0,
                                    key=f"{prefix}_district")
            return district, None
        if role in ("commune", "screen"):
            c_ids, c_names = commune_options(None, with_none=False)
            commune = st.selectbox(t("common.commune"), c_ids, format_func=c_names.get,
                                   index=c_ids.index(commune) if commune in c_ids else 0,
                                   key=f"{prefix}_commune")
            return None, commune
        return None, None


    with tab_list:
        f1, f2, f3, f4 = st.columns([1, 1, 2, 1])
        role_f = f1.selectbox(t("users.f.role"), [None, *ROLES], key="users_f_role",
                              format_func=lambda r: t("adm.all") if r is None else t(f"role.{r}"))
        d_ids, d_names = district_options(with_all=True)
        dist_f = f2.selectbox(t("common.district"), d_ids, format_func=d_names.get,
                              key="users_f_district")
        search = f3.text_input(t("users.f.search"), key="users_f_search",
                               placeholder=t("users.f.search_ph"))
        show_disabled = f4.toggle(t("users.f.disabled"), value=True, key="users_f_disabled")
        users = ua.list_users(scope, role=role_f, district_code=dist_f, search=search,
                              active=None if show_disabled else True)
        st.caption(t("users.count", n=fmt_int(len(users))))
        df = pd.DataFrame([{
            t("users.col.username"): u.username, t("users.col.name"): u.name,
            t("users.col.role"): t(f"role.{u.role}"), t("users.col.unit"): u.unit_name,
            t("users.col.state"): (t("users.state.disabled") if not u.active else
                                   t("users.state.locked") if u.locked else
                                   t("users.state.must_change") if u.must_change_password else
                                   t("users.state.active")) + (" · demo" if u.is_demo else "")
                                  + (f" · {t('users.state.made_in_demo')}" if u.made_in_demo
                                     else ""),
            t("users.col.last_login"): fmt_datetime(u.last_login_at)} for u in users])
        # the account acted on is the one whose row was clicked, by its id: a list that changes
        # meanwhile (a filter, another admin's change) never moves the action to another row
        picked = keyed_table(df, [u.id for u in users], key="users_table", hide_index=True,
                             height=420)
        if picked is None:
            st.caption(t("users.pick"))
        else:
            u = next(x for x in users if x.id == picked)
            st.subheader(t("users.edit_title", username=u.username))
            st.caption(t("users.edit_caption", name=md_escape(u.name), unit=md_escape(u.unit_name)))
            if u.is_demo:
                st.info(t("users.err.demo"))
            else:
                role = st.selectbox(t("users.f.role"), list(ROLES), index=list(ROLES).index(u.role),
                                    format_func=lambda r: t(f"role.{r}"), key=f"users_e_role_{u.id}")
                with st.form(f"users_edit_{u.id}"):
                    name = st.text_input(t("users.col.name"), value=u.name, max_chars=200)
                    email = st.text_input(t("users.f.email"), value=u.email or "", max_chars=200)
                    dcode, ccode = _unit_fields(f"users_e_{u.id}", role, u.district_code,
                                                u.commune_code)
                    if st.form_submit_button(t("common.save"), type="primary"):
                        try:
                            ua.update_account(scope, u.id, name=name, role=role,
                                              district_code=dcode, commune_code=ccode, email=email)
                        except AuthError as exc:
                            st.error(str(exc))
                        else:
                            rerun_with(t("users.saved", username=u.username))
                b1, b2, _ = st.columns([1, 1, 2])
                if u.active:
                    if b1.button(t("users.disable"), key=f"users_disable_{u.id}",
                                 icon=":material/block:"):
                        try:
                            ua.set_active(scope, u.id, False)
                        except AuthError as exc:
                            st.error(str(exc))
                        else:
                            rerun_with(t("users.disabled",
                                                                username=u.username))
                elif b1.button(t("users.enable"), key=f"users_enable_{u.id}",
                               icon=":material/check_circle:"):
                    ua.set_active(scope, u.id, True)
                    rerun_with(t("users.enabled", username=u.username))
                if b2.button(t("users.reset"), key=f"users_reset_{u.id}", icon=":material/key:",
                             help=t("users.reset_help")):
                    try:
                        pw = ua.reset_password(scope, u.id)
                    except AuthError as exc:
                        st.error(str(exc))
                    else:
                        st.session_state["users_secret"] = {"username": u.username, "password": pw}
                        st.rerun()

    with tab_new:
        role = st.selectbox(t("users.f.role"), list(ROLES), format_func=lambda r: t(f"role.{r}"),
                            key="users_n_role", index=list(ROLES).index("province"))
        with st.form("users_new", clear_on_submit=False):
            username = st.text_input(t("users.col.username"), key="users_n_username",
                                     help=t("users.f.username_help"), max_chars=40)
            name = st.text_input(t("users.col.name"), key="users_n_name", max_chars=200)
            email = st.text_input(t("users.f.email"), key="users_n_email", max_chars=200)
            dcode, ccode = _unit_fields("users_n", role, None, None)
            st.caption(t("users.new_help"))
            if st.form_submit_button(t("users.create"), type="primary"):
                try:
                    row, pw = ua.create_account(scope, username=username, name=name, role=role,
                                                district_code=dcode, commune_code=ccode, email=email)
                except AuthError as exc:
                    st.error(str(exc))
                else:
                    st.session_state["users_secret"] = {"username": row.username, "password": pw}
                    rerun_with(t("users.created", username=row.username))

    with tab_bulk:
        st.markdown(t("users.bulk.help"))
        pv = ua.bulk_preview(scope)
        m1, m2, m3 = st.columns(3)
        m1.metric(t("users.bulk.districts"), f"{pv['districts_with']}/{pv['districts']}")
        m2.metric(t("users.bulk.communes"), f"{pv['communes_with']}/{pv['communes']}")
        m3.metric(t("users.bulk.missing"), pv["missing"])
        sheet = st.session_state.get("users_bulk_sheet")
        slips = st.session_state.get("users_bulk_slips")
        if sheet or slips:
            n = (sheet or slips)["n"]
            st.warning(t("users.bulk.download_once", n=n), icon=":material/warning:")
            c1, c2 = st.columns(2)
            if sheet:
                c1.download_button(t("users.bulk.download"), data=sheet["data"],
                                   file_name=sheet["file"], mime=XLSX, type="primary",
                                   icon=":material/download:", key="users_bulk_dl",
                                   on_click=_forget, args=("users_bulk_sheet",))
            if slips:
                c2.download_button(t("users.bulk.download_slips"), data=slips["data"],
                                   file_name=slips["file"], mime="application/pdf",
                                   icon=":material/print:", key="users_bulk_slips_dl",
                                   on_click=_forget, args=("users_bulk_slips",))
        elif pv["missing"] == 0:
            st.success(t("users.bulk.all_done"))
        else:
            address = current_address()
            if address is None:
                st.warning(t("public_url.missing", what=t("public_url.what.sheet")),
                           icon=":material/link_off:")
            if st.button(t("users.bulk.run", n=pv["missing"]), type="primary", key="users_bulk_run",
                         icon=":material/group_add:"):
                sign_in_url = address.sign_in if address else None
                with st.status(t("users.bulk.step.passwords", total=pv["missing"]),
                               expanded=True) as status:
                    bar = st.progress(0.0, text=t("users.bulk.running", done=0,
                                                  total=pv["missing"]))
                    result = ua.bulk_create(
                        scope.username, scope=scope,
                        progress=lambda d, n: bar.progress(
                            d / max(n, 1), text=t("users.bulk.running", done=d, total=n)))
                    stamp = f"{clock.now():%Y%m%d_%H%M}"
                    if result.created:
                        status.update(label=t("users.bulk.step.sheet"))
                        st.session_state["users_bulk_sheet"] = {
                            "data": result.sheet(sign_in_url), "n": len(result.created),
                            "file": f"tai_khoan_don_vi_{stamp}.xlsx"}
                        status.update(label=t("users.bulk.step.slips"))
                        st.session_state["users_bulk_slips"] = {
                            "data": result.slips(sign_in_url), "n": len(result.created),
                            "file": f"phieu_tai_khoan_{stamp}.pdf"}
                    status.update(label=t("users.bulk.step.done", n=len(result.created)),
                                  state="complete", expanded=False)
                msg = t("users.bulk.result", created=len(result.created), skipped=result.skipped)
                if result.conflicts:
                    msg += " " + t("users.bulk.conflicts", names=", ".join(result.conflicts))
                rerun_with(msg)
