"""District → commune picker, for citizens who could not scan or mistyped the code."""
from __future__ import annotations

import streamlit as st

from app.core.i18n import t
from app.core.reference import geography


def commune_picker(key: str = "picker", stay: bool = False, *, prompt: str = "survey.pick_unit",
                   go: str = "survey.pick_go") -> None:
    """District, then commune, then a button: the one commune picker of the public pages.
    `stay`: this page takes the chosen code as ?xa= (the survey and schedule pages); else the
    button opens the survey of the chosen commune (home page). `prompt`, `go`: i18n keys."""
    geo = geography()
    st.write(t(prompt))
    districts = {d.code: d.full_name for d in geo.districts}
    dcode = st.selectbox(t("common.district"), list(districts), format_func=districts.get,
                         index=None, placeholder=t("common.choose"), key=f"{key}_district")
    communes = {c.code: f"{c.full_name} ({c.code})" for c in geo.communes_of(dcode)} if dcode else {}
    ccode = st.selectbox(t("common.commune"), list(communes), format_func=communes.get,
                         index=None, placeholder=t("common.choose"), key=f"{key}_commune",
                         disabled=not dcode)
    if st.button(t(go), type="primary", disabled=not ccode, key=f"{key}_go",
                 width="stretch"):
        if stay:
            st.query_params["xa"] = ccode
            st.rerun()
        st.switch_page("pages/public/survey.py", query_params={"xa": ccode})
