"""Streamlit glue of the questionnaire builder: the draft in session state and its editors.

The draft (``app.questionnaire_admin.Tables``) is the data every editor starts from; the
editors' keys carry a revision number. An ``st.data_editor`` that may add rows is identified by
its data and column settings, so both stay fixed while the admin edits; "Cập nhật bảng" folds
the edits into a new draft revision (rows re-sorted by their order). A new or renamed question
code or pillar does that by itself (``choices_changed``), so the drop-down lists offer it at once.
Empty cells show nothing (not "None"), rows left entirely empty are dropped, and pillars are
listed by name.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app.admin.questionnaire_builder import ORDER_STEP, Tables, is_blank, order_key
from app.core.i18n import t
from app.survey.questionnaire import QUESTION_TYPES

KEY_DRAFT = "qb_draft"
KEY_REV = "qb_rev"
KEY_BASE = "qb_base_id"

Q_COLUMNS = ["order", "id", "type", "text", "required", "pillar", "profile", "scale_min",
             "scale_max", "min_label", "max_label", "max_length"]
O_COLUMNS = ["question", "order", "value", "label", "score", "exclusive"]
P_COLUMNS = ["order", "id", "name"]


def set_draft(tables: Tables, base_id: int | None) -> None:
    st.session_state[KEY_DRAFT] = tables
    st.session_state[KEY_BASE] = base_id
    st.session_state[KEY_REV] = st.session_state.get(KEY_REV, 0) + 1


def draft() -> Tables | None:
    return st.session_state.get(KEY_DRAFT)


def rev() -> int:
    return st.session_state.get(KEY_REV, 0)


def _records(df: pd.DataFrame, columns: list[str]) -> list[dict]:
    out = []
    for rec in df.to_dict("records"):
        out.append({c: (None if is_blank(rec.get(c)) else rec.get(c)) for c in columns})
    return out


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    return df


def _filled(rows: list[dict]) -> list[dict]:
    return [r for r in rows if not all(is_blank(v) for k, v in r.items() if k != "order")]


def choices_changed(before: Tables, now: Tables) -> bool:
    """Did the edits add, rename or remove a question code or a pillar (the drop-down lists
    of the other tables must then offer the new set)?"""
    def ids(rows):
        return [r.get("id") for r in rows if not is_blank(r.get("id"))]

    def names(rows):
        return [(r.get("id"), r.get("name")) for r in rows if not is_blank(r.get("id"))]
    return (ids(before.questions) != ids(now.questions)
            or names(before.pillars) != names(now.pillars))


def normalised(tables: Tables) -> Tables:
    """Rows sorted by their order and renumbered 10, 20, 30... (options within each question);
    rows left empty dropped."""
    def renumber(rows: list[dict]) -> list[dict]:
        rows = _filled(rows)
        ordered = [r for _i, r in sorted(enumerate(rows), key=lambda x: order_key(x[1], x[0]))]
        return [dict(r, order=(i + 1) * ORDER_STEP) for i, r in enumerate(ordered)]
    q_order = {r.get("id"): i for i, r in enumerate(renumber(tables.questions))}
    options: list[dict] = []
    by_q: dict = {}
    for r in tables.options:
        by_q.setdefault(r.get("question"), []).append(r)
    for qid in sorted(by_q, key=lambda q: q_order.get(q, 10**6)):
        options.extend(renumber(by_q[qid]))
    return Tables(dict(tables.meta), renumber(tables.pillars), renumber(tables.questions), options)


def editors(tables: Tables, disabled: bool = False) -> Tables:
    """Render the four editors for the draft; returns the tables as currently edited."""
    r = rev()
    meta = dict(tables.meta)
    tab_q, tab_o, tab_p, tab_m = st.tabs([t("questionnaire.tab.questions"), t("questionnaire.tab.options"),
                                         t("questionnaire.tab.pillars"), t("questionnaire.tab.meta")],
                                        key="qb_tabs", on_change="rerun")
    pillar_ids = [p["id"] for p in tables.pillars if p.get("id")]
    pillar_names = {p["id"]: f"{p.get('name') or p['id']}" for p in tables.pillars if p.get("id")}
    question_ids = [q["id"] for q in tables.questions if q.get("id")]
    question_texts = {q["id"]: str(q.get("text") or "") for q in tables.questions if q.get("id")}

    def question_label(qid) -> str:
        text = question_texts.get(qid, "")
        return f"{qid} · {text[:40]}{'…' if len(text) > 40 else ''}" if text else str(qid)
    with tab_q:
        st.caption(t("questionnaire.help.questions"))
        qdf = st.data_editor(
            _frame(tables.questions, Q_COLUMNS), key=f"qb_questions_{r}", num_rows="dynamic",
            placeholder="",
            hide_index=True, disabled=disabled, height=520,
            column_config={
                "order": st.column_config.NumberColumn(t("questionnaire.col.order"), step=1, width=70,
                                                       help=t("questionnaire.help.order")),
                "id": st.column_config.TextColumn(t("questionnaire.col.id"), width=90, required=True,
                                                  help=t("questionnaire.help.id")),
                "type": st.column_config.SelectboxColumn(
                    t("questionnaire.col.type"), options=list(QUESTION_TYPES), required=True, width=130,
                    format_func=lambda x: t(f"questionnaire.type.{x}")),
                "text": st.column_config.TextColumn(t("questionnaire.col.text"), width="large",
                                                    required=True),
                "required": st.column_config.CheckboxColumn(t("questionnaire.col.required"), width=80),
                "pillar": st.column_config.SelectboxColumn(
                    t("questionnaire.col.pillar"), options=pillar_ids, width=180,
                    format_func=lambda p: pillar_names.get(p, p)),
                "profile": st.column_config.CheckboxColumn(t("questionnaire.col.profile"), width=90,
                                                           help=t("questionnaire.help.profile")),
                "scale_min": st.column_config.NumberColumn(t("questionnaire.col.scale_min"), step=1,
                                                           width=70),
                "scale_max": st.column_config.NumberColumn(t("questionnaire.col.scale_max"), step=1,
                                                           width=70),
                "min_label": st.column_config.TextColumn(t("questionnaire.col.min_label")),
                "max_label": st.column_config.TextColumn(t("questionnaire.col.max_label")),
                "max_length": st.column_config.NumberColumn(t("questionnaire.col.max_length"), step=1,
                                                            min_value=1, max_value=10000),
            })
    with tab_o:
        st.caption(t("questionnaire.help.options"))
        odf = st.data_editor(
            _frame(tables.options, O_COLUMNS), key=f"qb_options_{r}", num_rows="dynamic",
            placeholder="",
            hide_index=True, disabled=disabled, height=520,
            column_config={
                "question": st.column_config.SelectboxColumn(
                    t("questionnaire.col.question"), options=question_ids, required=True,
                    width=220, format_func=question_label),
                "order": st.column_config.NumberColumn(t("questionnaire.col.order"), step=1, width=70),
                "value": st.column_config.TextColumn(t("questionnaire.col.value"), width=100,
                                                     required=True, help=t("questionnaire.help.value")),
                "label": st.column_config.TextColumn(t("questionnaire.col.label"), width="large",
                                                     required=True),
                "score": st.column_config.NumberColumn(t("questionnaire.col.score"), min_value=0,
                                                       max_value=100, width=90,
                                                       help=t("questionnaire.help.score")),
                "exclusive": st.column_config.CheckboxColumn(t("questionnaire.col.exclusive"), width=90,
                                                             help=t("questionnaire.help.exclusive")),
            })
    with tab_p:
        st.caption(t("questionnaire.help.pillars"))
        pdf_ = st.data_editor(
            _frame(tables.pillars, P_COLUMNS), key=f"qb_pillars_{r}", num_rows="dynamic",
            placeholder="",
            hide_index=True, disabled=disabled,
            column_config={
                "order": st.column_config.NumberColumn(t("questionnaire.col.order"), step=1, width=70),
                "id": st.column_config.TextColumn(t("questionnaire.col.pillar_id"), width=140,
                                                  required=True),
                "name": st.column_config.TextColumn(t("questionnaire.col.pillar_name"), width="large",
                                                    required=True),
            })
    with tab_m:
        meta["title"] = st.text_input(t("questionnaire.col.title"), value=meta.get("title", ""),
                                      key=f"qb_title_{r}", disabled=disabled, max_chars=300)
        meta["intro"] = st.text_area(t("questionnaire.col.intro"), value=meta.get("intro", ""),
                                     key=f"qb_intro_{r}", disabled=disabled, max_chars=2000)
        st.text_input(t("questionnaire.col.code"), value=meta.get("code", ""), disabled=True,
                      key=f"qb_code_{r}", help=t("questionnaire.help.code"))
    return Tables(meta, _records(pdf_, P_COLUMNS), _records(qdf, Q_COLUMNS),
                  _records(odf, O_COLUMNS))
