"""Valid answers for test sheets, one shape per sheet number (shared by the tests that store
many sheets: tests/test_databases.py, tests/api/test_api_data.py, tests/survey/test_kiosk.py)."""
from __future__ import annotations


def valid_answers(defn, i: int = 0, *, every_question: bool = False,
                  texts: bool = False) -> dict:
    """Answers to `defn`'s questions that validate, varied by `i`: an option of each
    single-choice question, one of each multiple-choice, a rating on the scale.
    `every_question`: also the questions shown only after another answer
    (``defn.all_questions``); `texts`: an open answer on every third sheet."""
    out: dict = {}
    for q in (defn.all_questions if every_question else defn.questions):
        if q.type == "single":
            out[q.id] = q.options[i % len(q.options)].value
        elif q.type == "multi":
            out[q.id] = [q.options[i % (len(q.options) - 1)].value]
        elif q.type == "rating":
            out[q.id] = q.scale_min + i % (q.scale_max - q.scale_min + 1)
        elif texts and q.type == "text" and i % 3 == 0:
            out[q.id] = f"Ý kiến số {i}: cán bộ tận tình, thủ tục nhanh gọn."
    return out
