"""Renders a questionnaire as one st.form for a phone and hands the answers to the service.

Widget values live in st.session_state under keys derived from the commune and question ids, so
a failed validation, a rerun or a reconnect keeps what the citizen already chose.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import streamlit as st

from app.i18n import t
from app.questionnaire import Definition, Question
from app.ui.text import md_escape


def widget_key(prefix: str, qid: str, value: str | None = None) -> str:
    return f"{prefix}_{qid}" if value is None else f"{prefix}_{qid}__{value}"


def collect_answers(defn: Definition, prefix: str) -> dict[str, Any]:
    """Read the form's current values from session state into {question id: value}."""
    ss = st.session_state
    answers: dict[str, Any] = {}
    for q in defn.all_questions:
        if q.type == "multi":
            chosen = [o.value for o in q.options if ss.get(widget_key(prefix, q.id, o.value))]
            if chosen:
                answers[q.id] = chosen
        else:
            v = ss.get(widget_key(prefix, q.id))
            if v is not None and v != "":
                answers[q.id] = v
    return answers


def clear_answers(defn: Definition, prefix: str) -> None:
    for q in defn.all_questions:
        st.session_state.pop(widget_key(prefix, q.id), None)
        for o in q.options:
            st.session_state.pop(widget_key(prefix, q.id, o.value), None)


def _question(q: Question, number: int | None, prefix: str, error: str | None,
              disabled: bool) -> None:
    label = md_escape(q.text)
    if number is not None:
        label = f"**Câu {number}.** {label}"
    if q.required:
        # gray, not italic: italic text alone makes the browser fetch a second font (135 KB)
        label += f" :gray[{t('survey.required_mark')}]"
    key = widget_key(prefix, q.id)
    if q.type == "single":
        labels = {o.value: md_escape(o.label) for o in q.options}
        st.radio(label, [o.value for o in q.options], format_func=labels.get, index=None,
                 key=key, disabled=disabled)
    elif q.type == "rating":
        values = list(range(q.scale_min, q.scale_max + 1))

        def fmt(v: int) -> str:
            if v == q.scale_min and q.min_label:
                return f"{v} – {md_escape(q.min_label)}"
            if v == q.scale_max and q.max_label:
                return f"{v} – {md_escape(q.max_label)}"
            return str(v)
        st.radio(label, values, format_func=fmt, index=None, key=key, disabled=disabled)
    elif q.type == "multi":
        st.markdown(label)
        st.caption(t("survey.multi_hint"))
        for o in q.options:
            st.checkbox(md_escape(o.label), key=widget_key(prefix, q.id, o.value),
                        disabled=disabled)
    elif q.type == "text":
        st.text_area(label, key=key, max_chars=q.max_length, height=90,
                     placeholder=t("survey.text_placeholder"), disabled=disabled)
    if error:
        st.error(error, icon=":material/error:")


def render_form(defn: Definition, prefix: str, on_submit: Callable[[], None],
                errors: dict[str, str] | None = None, disabled: bool = False) -> None:
    """The questionnaire in one st.form, grouped by pillar, profile last."""
    errors = errors or {}
    st.session_state.setdefault(f"{prefix}__started", time.time())
    numbers = {q.id: i + 1 for i, q in enumerate(defn.questions)}
    if errors:
        _summary(defn, errors, numbers)
    with st.form(f"{prefix}_form", clear_on_submit=False, border=False):
        done: set[str] = set()
        for p in defn.pillars:
            qs = defn.questions_in(p.id)
            if not qs:
                continue
            st.subheader(md_escape(p.name), divider="gray")
            for q in qs:
                _question(q, numbers[q.id], prefix, errors.get(q.id), disabled)
                done.add(q.id)
        rest = [q for q in defn.questions if q.id not in done]
        if rest:
            st.subheader(t("survey.section_other"), divider="gray")
            for q in rest:
                _question(q, numbers[q.id], prefix, errors.get(q.id), disabled)
        if defn.profile:
            st.subheader(t("survey.section_profile"), divider="gray")
            for q in defn.profile:
                _question(q, None, prefix, errors.get(q.id), disabled)
        if errors:
            _summary(defn, errors, numbers)
        st.form_submit_button(t("survey.submit"), type="primary", width="stretch",
                              on_click=on_submit, disabled=disabled)


def _summary(defn: Definition, errors: dict[str, str], numbers: dict[str, int]) -> None:
    if "_" in errors:
        st.error(errors["_"], icon=":material/warning:")
    names = []
    for q in defn.all_questions:
        if q.id in errors:
            names.append(f"Câu {numbers[q.id]}" if q.id in numbers else md_escape(q.text))
    if names:
        st.error(t("survey.errors_summary", n=len(names), list=", ".join(names)),
                 icon=":material/warning:")
