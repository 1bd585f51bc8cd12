"""Small widgets shared by the administration and Board pages."""
from __future__ import annotations

import streamlit as st

from app.core.campaigns import list_campaigns
from app.core.i18n import t
from app.core.reference import geography
from app.ui.core.text import md_escape


def campaign_select(key: str, label: str | None = None):
    """A campaign picker (the active campaign first selected). Returns the Campaign or None."""
    camps = list_campaigns()
    if not camps:
        return None
    active = next((c for c in camps if c.is_active), camps[0])
    ids = [c.id for c in camps]
    names = {c.id: c.name + (t("adm.active_suffix") if c.is_active else "") for c in camps}
    cid = st.selectbox(label or t("adm.campaign"), ids, index=ids.index(active.id),
                       format_func=names.get, key=key)
    return next(c for c in camps if c.id == cid)


def district_options(with_all: bool = True) -> tuple[list, dict]:
    geo = geography()
    ids: list = ([None] if with_all else []) + [d.code for d in geo.districts]
    names = {None: t("adm.all_districts")} | {d.code: d.full_name for d in geo.districts}
    return ids, names


def commune_options(district_code: str | None = None, with_none: bool = True) -> tuple[list, dict]:
    geo = geography()
    communes = geo.communes_of(district_code) if district_code else list(geo.communes)
    ids: list = ([None] if with_none else []) + [c.code for c in communes]
    names = {None: t("adm.no_commune")} | {
        c.code: f"{c.full_name} – {c.district_full_name} ({c.code})" for c in communes}
    return ids, names


def show_problems(problems: list, *, warning: bool = False, limit: int = 40) -> None:
    if not problems:
        return
    lines = "\n".join(f"- {md_escape(p)}" for p in [str(x) for x in problems][:limit])
    more = len(problems) - limit
    if more > 0:
        lines += "\n- " + t("adm.more_problems", n=more)
    (st.warning if warning else st.error)(lines)
