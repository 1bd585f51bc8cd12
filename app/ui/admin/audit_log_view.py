"""The body of pages/admin/audit.py (kept thin: read input, call app/, render).

Admin: the audit log, filterable by actor, action, entity and dates, with before/after.
"""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from app.admin import audit_log as av
from app.core import clock
from app.core.fmt import fmt_int
from app.core.i18n import t
from app.ui.core.selection import keyed_table
from app.ui.core.text import md_escape


def render(scope) -> None:
    st.title(t("nav.audit"))
    opts = av.filter_options(scope)
    today = clock.today()
    a, b, c = st.columns(3)
    actors = a.multiselect(t("audit.f.actor"), opts["actor"], key="audit_f_actor",
                           placeholder=t("adm.all"))
    actions = b.multiselect(t("audit.f.action"), opts["action"], key="audit_f_action",
                            placeholder=t("adm.all"), format_func=av.action_label)
    entities = c.multiselect(t("audit.f.entity"), opts["entity"], key="audit_f_entity",
                             placeholder=t("adm.all"), format_func=av.entity_label)
    a, b, c = st.columns(3)
    period = a.date_input(t("audit.f.dates"), value=(today - timedelta(days=30), today),
                          format="DD/MM/YYYY", key="audit_f_dates")
    entity_id = b.text_input(t("audit.f.entity_id"), key="audit_f_entity_id", max_chars=64)
    limit = c.selectbox(t("audit.f.limit"), [100, 500, 2000], index=1, key="audit_f_limit")
    start = period[0] if isinstance(period, (tuple, list)) and period else None
    end = period[1] if isinstance(period, (tuple, list)) and len(period) > 1 else start

    entries, total = av.query(scope, actors=actors, actions=actions, entities=entities,
                              entity_id=entity_id or None, date_from=start, date_to=end, limit=limit)
    st.caption(t("audit.count", shown=fmt_int(len(entries)), total=fmt_int(total)))


    df = pd.DataFrame([{t("audit.col.at"): e.at.strftime("%d/%m/%Y %H:%M:%S"),
                        t("audit.col.actor"): e.actor,
                        t("audit.col.action"): av.action_label(e.action),
                        t("audit.col.entity"): av.entity_label(e.entity),
                        t("audit.col.entity_id"): e.entity_id or "",
                        t("audit.col.what"): av.summary(e)} for e in entries])
    if entries:
        picked = keyed_table(df, [e.id for e in entries], key="audit_table", hide_index=True,
                             height=min(440, 38 + 35 * len(entries)))
        st.download_button(t("audit.csv"), data=av.to_csv(entries), file_name="nhat_ky.csv",
                           mime="text/csv", icon=":material/download:", key="audit_csv",
                           on_click="ignore")
        if picked is not None:
            e = next(x for x in entries if x.id == picked)
            st.subheader(t("audit.detail", id=e.id))
            st.markdown(md_escape(av.sentence(e)))  # names typed by users
            st.caption(t("audit.detail_caption", at=e.at.strftime("%d/%m/%Y %H:%M:%S"),
                         actor=md_escape(e.actor), action=md_escape(av.action_label(e.action)),
                         entity=md_escape(av.entity_label(e.entity)),
                         entity_id=md_escape(e.entity_id or "–")))
            ch = av.changes(e.before, e.after)
            if ch:
                st.dataframe(pd.DataFrame([{
                    t("audit.col.field"): av.field_label(x["field"]),
                    t("audit.col.before"): av.value_text(x["before"], x["field"], e.entity)
                    if x["before"] is not None else "",
                    t("audit.col.after"): av.value_text(x["after"], x["field"], e.entity)
                    if x["after"] is not None else "",
                    t("audit.col.changed"): "●" if x.get("changed", True) else ""} for x in ch]),
                    hide_index=True)
            with st.expander(t("audit.raw")):
                for col, label, value in zip(st.columns(2), ("audit.col.before",
                                                             "audit.col.after"),
                                             (e.before, e.after)):
                    with col:
                        st.markdown(f"**{t(label)}**")
                        if value is None:
                            st.caption(t("audit.empty"))
                        else:
                            st.json(value, expanded=True)
        else:
            st.caption(t("audit.pick"))
    else:
        st.info(t("audit.none"))
