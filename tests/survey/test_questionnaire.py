"""The PKS 03 definition, answer validation and scoring, against hand-computed cases."""
from __future__ import annotations

import pytest

from app.core.text import clean_text
from app.survey.questionnaire import (
    DefinitionError,
    answer_hash,
    item_score,
    load_seed_definition,
    parse_definition,
    score_answers,
    validate_answers,
)


@pytest.fixture(scope="module")
def pks03():
    return parse_definition(load_seed_definition())


def test_seed_questionnaire_has_the_designed_shape(pks03):
    closed = [q for q in pks03.questions if q.type != "text"]
    open_ = [q for q in pks03.questions if q.type == "text"]
    assert 15 <= len(closed) <= 20
    assert 1 <= len(open_) <= 2
    assert {p.id for p in pks03.pillars} == {q.pillar for q in closed}
    assert len(pks03.pillars) == 6
    assert all(not q.required for q in pks03.profile) and len(pks03.profile) >= 3
    for q in closed:
        for o in q.options:
            assert "score" in next(x for x in load_seed_definition()["questions"]
                                   if x["id"] == q.id)["options"][q.options.index(o)]
    # Vietnamese text with diacritics, not ASCII placeholders
    assert "Bộ phận một cửa" in " ".join(p.name for p in pks03.pillars)


def _small():
    return parse_definition({
        "pillars": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}],
        "questions": [
            {"id": "s1", "pillar": "a", "type": "single", "required": True,
             "text": "S1", "options": [{"value": "y", "label": "Có", "score": 100},
                                       {"value": "n", "label": "Không", "score": 0},
                                       {"value": "dk", "label": "Không biết", "score": None}]},
            {"id": "m1", "pillar": "a", "type": "multi", "text": "M1",
             "options": [{"value": "x", "label": "X", "score": 60},
                         {"value": "z", "label": "Z", "score": 70},
                         {"value": "none", "label": "Không", "score": 0, "exclusive": True}]},
            {"id": "r1", "pillar": "b", "type": "rating", "required": True, "text": "R1",
             "scale": {"min": 1, "max": 5}},
            {"id": "t1", "type": "text", "text": "T1", "max_length": 10},
        ]})


def test_scores_hand_computed():
    d = _small()
    # pillar a: s1=100, m1=min(100,60+70)=100 -> 100 ; pillar b: r1=4 -> 75 ; overall 87.5
    assert score_answers(d, {"s1": "y", "m1": ["x", "z"], "r1": 4}) == {
        "a": 100.0, "b": 75.0, "overall": 87.5}
    # "don't know" is not scored: pillar a only from m1=60 ; b: r1=1 -> 0 ; overall 30
    assert score_answers(d, {"s1": "dk", "m1": ["x"], "r1": 1}) == {
        "a": 60.0, "b": 0.0, "overall": 30.0}
    assert item_score(d.question("t1"), "abc") is None


def test_validation_messages_are_vietnamese_and_specific():
    d = _small()
    clean, errors = validate_answers(d, {"s1": "maybe", "m1": ["x", "none"], "r1": 9,
                                         "t1": "x" * 11, "evil": "1"})
    assert errors["s1"] == "Lựa chọn không hợp lệ."
    assert "Không thể chọn «Không»" in errors["m1"]
    assert errors["r1"] == "Điểm phải từ 1 đến 5."
    assert errors["t1"] == "Nội dung quá dài (tối đa 10 ký tự)."
    assert "evil" in errors
    assert clean == {}
    clean, errors = validate_answers(d, {})
    assert set(errors) == {"s1", "r1"} and errors["s1"] == "Vui lòng trả lời câu này."


def test_valid_answers_are_normalised():
    d = _small()
    clean, errors = validate_answers(d, {"s1": "n", "m1": ["z", "x", "z"], "r1": "3",
                                         "t1": " ok\u202e\x00 "})
    assert errors == {}
    assert clean == {"s1": "n", "m1": ["x", "z"], "r1": 3, "t1": "ok"}


@pytest.mark.parametrize("bad", [True, 2.5, "abc", None, [], {"a": 1}])
def test_rating_rejects_non_integers(bad):
    d = _small()
    _, errors = validate_answers(d, {"s1": "y", "r1": bad})
    assert "r1" in errors


def test_clean_text_keeps_vietnamese_and_emoji_drops_controls():
    assert clean_text("Cảm ơn 👍\u200f\x07") == "Cảm ơn 👍"
    assert clean_text("dòng 1\ndòng 2") == "dòng 1\ndòng 2"


def test_answer_hash_ignores_free_text():
    d = _small()
    a = answer_hash(d, {"s1": "y", "r1": 3, "t1": "một"})
    b = answer_hash(d, {"s1": "y", "r1": 3, "t1": "hai"})
    c = answer_hash(d, {"s1": "n", "r1": 3})
    assert a == b != c


@pytest.mark.parametrize("bad", [
    {"questions": []},
    {"questions": [{"id": "q", "type": "essay", "text": "x"}]},
    {"questions": [{"id": "q", "type": "single", "text": "x", "options": [{"value": "a", "label": "A"}]}]},
    {"pillars": [], "questions": [{"id": "q", "pillar": "nope", "type": "text", "text": "x"}]},
    {"questions": [{"id": "q", "type": "single", "text": "x",
                    "options": [{"value": "a", "label": "A", "score": 150}, {"value": "b", "label": "B"}]}]},
    "{not json",
])
def test_malformed_definitions_are_refused(bad):
    with pytest.raises(DefinitionError):
        parse_definition(bad)
