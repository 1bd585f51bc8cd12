"""Questionnaire builder: tables <-> definition, validation messages, immutable versions, and old
responses that keep (and score with) their own version."""
from __future__ import annotations

import copy
import json

import pytest
from sqlmodel import select

from app.admin import questionnaire_builder as qa
from app.core.auth import AuthError, Scope
from app.core.campaigns import active_campaign, load_definition
from app.survey.questionnaire import load_seed_definition, parse_definition, score_answers
from app.survey.responses import submit_response
from app.survey.tally import rebuild_tallies
from db.engine import session_scope
from db.models import AuditLog, Campaign, Questionnaire, Response, ScoreTally

ADMIN = Scope("admin1", "Quản trị", "admin")
STAFF = Scope("tinh.a", "Cán bộ", "province")


def _tables():
    return qa.definition_to_tables(load_seed_definition())


def test_tables_round_trip_to_the_same_definition():
    data, problems = qa.build_definition(_tables())
    assert problems == []
    assert parse_definition(data) == parse_definition(load_seed_definition())
    assert qa.same_definition(data, load_seed_definition())
    assert qa.diff_summary(load_seed_definition(), data) == {"added": [], "removed": [],
                                                             "changed": []}


def test_add_reorder_and_remove_questions_and_options():
    tb = _tables()
    # move q18 before q01, drop q02, add a rating question and a multi question with options
    for r in tb.questions:
        if r["id"] == "q18":
            r["order"] = 5
    tb.questions = [r for r in tb.questions if r["id"] != "q02"]
    tb.options = [o for o in tb.options if o["question"] != "q02"]
    tb.questions.append({"order": 175, "id": "q19", "type": "rating", "text": "Chấm điểm cán bộ",
                         "required": True, "pillar": "mot_cua", "profile": False,
                         "scale_min": 0, "scale_max": 10, "min_label": "Kém",
                         "max_label": "Tốt", "max_length": None})
    tb.questions.append({"order": 176, "id": "q20", "type": "multi", "text": "Kênh nào?",
                         "required": False, "pillar": "dan_biet", "profile": False})
    tb.options += [{"question": "q20", "order": 2, "value": "b", "label": "Loa", "score": 50,
                    "exclusive": False},
                   {"question": "q20", "order": 1, "value": "a", "label": "Bảng tin",
                    "score": 50.0, "exclusive": None},
                   {"question": "q20", "order": 3, "value": "z", "label": "Không biết",
                    "score": None, "exclusive": True}]
    # options of q01: swap the first two
    q01 = [o for o in tb.options if o["question"] == "q01"]
    q01[0]["order"], q01[1]["order"] = q01[1]["order"], q01[0]["order"]
    data, problems = qa.build_definition(tb)
    assert problems == []
    defn = parse_definition(data)
    ids = [q.id for q in defn.questions]
    assert ids[0] == "q18" and "q02" not in ids
    assert ids[ids.index("q17"):] == ["q17", "q19", "q20", "y_kien", "y_kien_mot_cua"]
    q19, q20 = defn.question("q19"), defn.question("q20")
    assert (q19.scale_min, q19.scale_max, q19.max_label) == (0, 10, "Tốt")
    assert [o.value for o in q20.options] == ["a", "b", "z"] and q20.options[2].exclusive
    assert [o.value for o in defn.question("q01").options][:2] == ["3", "4"]
    diff = qa.diff_summary(load_seed_definition(), data)
    assert diff["added"] == ["q19", "q20"] and diff["removed"] == ["q02"]
    assert "q01" in diff["changed"] and diff.get("reordered")


@pytest.mark.parametrize("mutate,message", [
    (lambda tb: tb.questions.append(dict(tb.questions[0])), "bị trùng"),
    (lambda tb: tb.questions[0].update(id="1abc"), "không hợp lệ"),
    (lambda tb: tb.questions[0].update(type="date"), "loại câu «date»"),
    (lambda tb: tb.questions[0].update(text="  "), "cần nhập nội dung"),
    (lambda tb: tb.questions[0].update(pillar="khong_co"), "không có trụ cột «khong_co»"),
    (lambda tb: tb.options.__setitem__(0, dict(tb.options[0], score=150)), "từ 0 đến 100"),
    (lambda tb: tb.options.__setitem__(0, dict(tb.options[0], value="co du")),
     "không được có dấu cách"),
    (lambda tb: tb.options.__setitem__(0, dict(tb.options[0], score="abc")), "từ 0 đến 100"),
    (lambda tb: tb.options.append({"question": "q99", "value": "1", "label": "x"}),
     "không có câu hỏi mã «q99»"),
    (lambda tb: tb.options.append({"question": "y_kien", "value": "1", "label": "x"}),
     "không có phương án trả lời"),
    (lambda tb: tb.options.__setitem__(slice(None), [o for o in tb.options
                                                     if o["question"] != "q01"]),
     "ít nhất 2 phương án"),
    (lambda tb: [q.update(scale_min=5, scale_max=5) for q in tb.questions if q["id"] == "q07"],
     "thang điểm"),
    (lambda tb: tb.meta.update(title=""), "tiêu đề"),
    (lambda tb: tb.pillars.append({"id": "dan_biet", "name": "Lặp"}), "bị trùng"),
])
def test_problems_are_reported_in_vietnamese_with_the_row(mutate, message):
    tb = _tables()
    mutate(tb)
    data, problems = qa.build_definition(tb)
    assert data is None
    assert any(message in p for p in problems), problems


def test_row_numbers_in_messages_match_the_table():
    tb = _tables()
    tb.questions[4]["id"] = "bad id"
    tb.options.append({"question": "q01", "value": "9", "label": "", "score": None})
    _, problems = qa.build_definition(tb)
    assert any(p.startswith("Câu hỏi dòng 5: mã câu «bad id» không hợp lệ") for p in problems)
    n_opt = len(tb.options)
    assert any(p.startswith(f"Phương án dòng {n_opt} (câu q01): cần nhập") for p in problems)
    # the options of the rejected question are reported, not silently dropped
    assert any("không có câu hỏi mã «q05»" in p for p in problems)


def _modified(seed=None, score_q01_top=50):
    data = copy.deepcopy(seed or load_seed_definition())
    for o in data["questions"][0]["options"]:
        if o["value"] == "4":
            o["score"] = score_q01_top
    data["questions"][0]["text"] = "Câu 1 (sửa): xã có công khai đầy đủ thông tin không?"
    return data


def test_saving_creates_a_new_version_and_never_changes_the_old_one(active):
    qid = active.questionnaire_id
    with session_scope() as s:
        old = s.get(Questionnaire, qid)
        old_text, old_version = old.definition, old.version
    with pytest.raises(AuthError):
        qa.save_version(STAFF, _modified(), base_id=qid)
    with pytest.raises(qa.BuilderError, match="Không có thay đổi"):
        qa.save_version(ADMIN, load_seed_definition(), base_id=qid)
    row = qa.save_version(ADMIN, _modified(), base_id=qid, note="Sửa câu 1")
    assert (row.code, row.version) == ("PKS03", old_version + 1) and row.id != qid
    row3 = qa.save_version(ADMIN, _modified(score_q01_top=70), base_id=row.id)
    assert row3.version == old_version + 2
    with session_scope() as s:
        assert s.get(Questionnaire, qid).definition == old_text
        entry = s.exec(select(AuditLog).where(AuditLog.action == "questionnaire.new_version",
                                              AuditLog.entity_id == str(row.id))).one()
        after = json.loads(entry.after)
        assert entry.actor == "admin1" and after["version"] == old_version + 1
        assert after["changes"]["changed"] == ["q01"] and after["note"] == "Sửa câu 1"
        assert json.loads(entry.before)["id"] == qid
    versions = qa.list_versions(ADMIN, "PKS03")
    assert [v.version for v in versions] == [old_version + 2, old_version + 1, old_version]


def _answers(defn):
    ans = {}
    for q in defn.questions:
        if q.type == "single":
            ans[q.id] = q.options[0].value
        elif q.type == "multi":
            ans[q.id] = [q.options[0].value]
        elif q.type == "rating":
            ans[q.id] = q.scale_max
    return ans


def test_old_responses_keep_and_score_with_their_own_version(active):
    campaign = active.campaign
    v1 = active.questionnaire_id
    answers = _answers(active.definition)
    first = submit_response(active, "07201", answers, "tok-old-version-1")
    assert first.ok
    v2 = qa.save_version(ADMIN, _modified(score_q01_top=0), base_id=v1).id
    # the campaign has answers on v1: switching needs an explicit confirmation
    with pytest.raises(qa.BuilderError, match="đã có 1 phiếu"):
        qa.assign_to_campaign(ADMIN, campaign.id, v2)
    qa.assign_to_campaign(ADMIN, campaign.id, v2, allow_mixed=True)
    now_active = active_campaign(max_age=0)
    assert now_active.questionnaire_id == v2  # the cache was invalidated
    second = submit_response(now_active, "07201", answers, "tok-new-version-2")
    assert second.ok
    with session_scope() as s:
        r1 = s.get(Response, first.response_id)
        r2 = s.get(Response, second.response_id)
        assert (r1.questionnaire_id, r2.questionnaire_id) == (v1, v2)
        s1, s2 = json.loads(r1.scores), json.loads(r2.scores)
    # the old response still scores with v1: its own definition gives its stored scores
    recomputed = score_answers(load_definition(r1.questionnaire_id), json.loads(r1.answers))
    assert {k: round(v, 3) for k, v in recomputed.items()} == s1
    assert s1["dan_biet"] != s2["dan_biet"]  # same answers, different scores per version
    # rebuilding the tallies keeps each response's own version's score
    with session_scope() as s:
        rebuild_tallies(s, campaign.id)
    with session_scope() as s:
        t = s.exec(select(ScoreTally).where(ScoreTally.campaign_id == campaign.id,
                                            ScoreTally.commune_code == "07201",
                                            ScoreTally.pillar == "dan_biet")).one()
        assert t.n == 2 and t.total == pytest.approx(s1["dan_biet"] + s2["dan_biet"])
        audit = s.exec(select(AuditLog).where(
            AuditLog.action == "campaign.set_questionnaire")).one()
        assert json.loads(audit.after)["responses_on_other_versions"] == 1
        assert s.get(Campaign, campaign.id).questionnaire_id == v2


def test_a_campaign_without_answers_switches_version_without_confirmation(active):
    v2 = qa.save_version(ADMIN, _modified(), base_id=active.questionnaire_id).id
    qa.assign_to_campaign(ADMIN, active.campaign.id, v2)
    assert active_campaign(max_age=0).questionnaire_id == v2
    with pytest.raises(AuthError):
        qa.assign_to_campaign(STAFF, active.campaign.id, active.questionnaire_id)


def _with_inserted_question(seed=None):
    data = copy.deepcopy(seed or load_seed_definition())
    data["questions"].insert(4, {"id": "q_moi", "pillar": data["questions"][4]["pillar"],
                                 "type": "single", "required": False, "text": "Câu chèn thêm?",
                                 "options": [{"value": "1", "label": "Có", "score": 100},
                                             {"value": "0", "label": "Không", "score": 0}]})
    return data


def test_renumbering_is_named_question_by_question():
    old, new = load_seed_definition(), _with_inserted_question()
    changes = qa.renumbering(old, new)
    ids = [q["id"] for q in old["questions"]]
    assert changes[0] == ("q_moi", None, 5)
    assert changes[1] == (ids[4], 5, 6) and len(changes) == len(ids) - 4 + 1
    text = qa.renumbering_text(changes, limit=2)
    assert text.startswith(f"câu mới q_moi là câu 5; câu 5 ({ids[4]}) thành câu 6; và ")
    assert qa.renumbering(old, _modified()) == []  # a text or score change keeps the numbers


def test_an_open_campaign_is_renumbered_only_when_confirmed(active):
    v2 = qa.save_version(ADMIN, _with_inserted_question(), base_id=active.questionnaire_id).id
    check = qa.campaign_switch_check(active.campaign.id, v2)
    assert check["open"] and check["renumbered"][0] == ("q_moi", None, 5)
    with pytest.raises(qa.BuilderError, match="đánh số lại câu hỏi"):
        qa.assign_to_campaign(ADMIN, active.campaign.id, v2)
    assert active_campaign(max_age=0).questionnaire_id == active.questionnaire_id
    qa.assign_to_campaign(ADMIN, active.campaign.id, v2, allow_renumber=True)
    assert active_campaign(max_age=0).questionnaire_id == v2
