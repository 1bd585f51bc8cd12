"""Sign-in page pieces: the list of demo accounts (demo mode only)."""
from __future__ import annotations

import streamlit as st

from app.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from app.core.i18n import t


def demo_accounts_table() -> None:
    with st.expander(t("auth.demo_accounts"), expanded=True):
        st.table([{t("auth.username"): u, "Vai trò": t(f"role.{role}"), "Đơn vị": name}
                  for u, name, role, _d, _c in DEMO_ACCOUNTS])
        st.caption(t("auth.demo_password", password=DEMO_PASSWORD))
