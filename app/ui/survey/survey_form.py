"""Renders a questionnaire as one st.form for a phone and hands the answers to the service.

Widget values live in st.session_state under keys derived from the commune and question ids, so
a failed validation, a rerun or a reconnect keeps what the citizen already chose.
"""
from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from app.core.i18n import t
from app.survey.questionnaire import Definition, Question
from app.ui.core import page_scripts
from app.ui.core.text import md_escape


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


@dataclass(frozen=True)
class _Shown:
    """What the form shows for one question, escaped once per questionnaire (not per run)."""
    q: Question
    label: str
    values: tuple
    labels: dict
    option_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Layout:
    sections: tuple[tuple[str, tuple[_Shown, ...]], ...]  # (heading, questions)
    numbers: dict


_LAYOUTS: dict[int, tuple[Definition, _Layout]] = {}


def _shown(q: Question, number: int | None) -> _Shown:
    label = md_escape(q.text)
    if number is not None:
        label = f"**Câu {number}.** {label}"
    if q.required:
        # gray, not italic: italic text alone makes the browser fetch a second font (135 KB)
        label += f" :gray[{t('survey.required_mark')}]"
    if q.type == "rating":
        values = tuple(range(q.scale_min, q.scale_max + 1))
        labels = {v: str(v) for v in values}
        if q.min_label:
            labels[q.scale_min] = f"{q.scale_min} – {md_escape(q.min_label)}"
        if q.max_label:
            labels[q.scale_max] = f"{q.scale_max} – {md_escape(q.max_label)}"
        return _Shown(q, label, values, labels)
    values = tuple(o.value for o in q.options)
    labels = {o.value: md_escape(o.label) for o in q.options}
    return _Shown(q, label, values, labels, tuple(labels[v] for v in values))


def _layout(defn: Definition) -> _Layout:
    """Sections and escaped labels of `defn`, built on its first use in this process (a
    questionnaire never changes once published; a new version is a new Definition)."""
    hit = _LAYOUTS.get(id(defn))
    if hit is not None and hit[0] is defn:
        return hit[1]
    numbers = {q.id: i + 1 for i, q in enumerate(defn.questions)}
    sections: list[tuple[str, tuple[_Shown, ...]]] = []
    done: set[str] = set()
    for p in defn.pillars:
        qs = defn.questions_in(p.id)
        if qs:
            sections.append((md_escape(p.name), tuple(_shown(q, numbers[q.id]) for q in qs)))
            done.update(q.id for q in qs)
    rest = [q for q in defn.questions if q.id not in done]
    if rest:
        sections.append((t("survey.section_other"), tuple(_shown(q, numbers[q.id]) for q in rest)))
    if defn.profile:
        sections.append((t("survey.section_profile"), tuple(_shown(q, None) for q in defn.profile)))
    layout = _Layout(tuple(sections), numbers)
    if len(_LAYOUTS) > 64:
        _LAYOUTS.clear()
    _LAYOUTS[id(defn)] = (defn, layout)
    return layout


def _question(shown: _Shown, prefix: str, error: str | None, disabled: bool) -> None:
    q = shown.q
    key = widget_key(prefix, q.id)
    if error:  # above the options, where the eye lands when the page scrolls to it
        st.html(f'<div class="qcdc-err" role="alert" data-qcdc-err="{html.escape(q.id)}">'
                f'⚠ {html.escape(error)}</div>')
    if q.type in ("single", "rating"):
        st.radio(shown.label, shown.values, format_func=shown.labels.__getitem__, index=None,
                 key=key, disabled=disabled)
    elif q.type == "multi":
        st.markdown(f"{shown.label}\n\n:gray[{t('survey.multi_hint')}]")  # one element
        for value, text in zip(shown.values, shown.option_labels):
            st.checkbox(text, key=widget_key(prefix, q.id, value), disabled=disabled)
    elif q.type == "text":
        st.text_area(shown.label, key=key, max_chars=q.max_length, height=90,
                     placeholder=t("survey.text_placeholder"), disabled=disabled)


def render_form(defn: Definition, prefix: str, on_submit: Callable[[], None],
                errors: dict[str, str] | None = None, disabled: bool = False,
                errors_seq: int = 0) -> bool:
    """The questionnaire in one st.form, grouped by pillar, profile last. True when this run
    comes from a tap on the submit button. With errors (``errors_seq`` counts the taps that
    had some), the page scrolls to the first question that needs an answer."""
    errors = errors or {}
    st.session_state.setdefault(f"{prefix}__started", time.time())
    layout = _layout(defn)
    if errors:
        _summary(defn, errors, layout.numbers)
    with st.form(f"{prefix}_form", clear_on_submit=False, border=False):
        for heading, shown in layout.sections:
            st.subheader(heading, divider="gray")
            for item in shown:
                _question(item, prefix, errors.get(item.q.id), disabled)
        if errors:
            _summary(defn, errors, layout.numbers)
            _scroll_to_first_error(errors_seq)
        return st.form_submit_button(t("survey.submit"), type="primary", width="stretch",
                                     on_click=on_submit, disabled=disabled)


def _scroll_to_first_error(seq: int) -> None:
    """After a tap on "Gửi" with questions left, bring the first of them into view (the tap
    was at the bottom of a long form; the list of questions at the top is out of sight).
    A script runs once per distinct content, hence the tap counter beside it."""
    st.html(page_scripts.html_with_script(page_scripts.SCROLL_TO_ERROR, {"qcdc-tap": seq}),
            unsafe_allow_javascript=True)


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
