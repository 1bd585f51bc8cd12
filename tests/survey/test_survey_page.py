"""AppTest tests of the public survey page: what a citizen sees and what gets stored."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.core import campaigns, clock
from db.engine import session_scope
from db.models import Campaign, Response
from tests.apptest import answer_all, app_for, submit_button, texts
from tests.conftest import count_rows


def test_valid_code_shows_commune_and_stores_exactly_one_response(active):
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    assert not at.exception
    body = texts(at)
    assert "Phường Thọ Xương" in body and "Thành phố Bắc Giang" in body
    before = count_rows(Response)
    answer_all(at, active.definition)
    submit_button(at).click().run()
    assert not at.exception
    assert "Cảm ơn ông/bà đã tham gia khảo sát!" in texts(at)
    assert count_rows(Response) == before + 1
    with session_scope() as s:
        r = s.exec(select(Response).order_by(Response.id.desc())).first()
        assert r.commune_code == "07201"
        assert r.answer_hash and r.duration_s is not None


def test_double_submit_stores_one(active):
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    answer_all(at, active.definition)
    before = count_rows(Response)
    submit = submit_button(at)
    submit.click()
    submit.click()  # a second tap queued before the page redraws
    at.run()
    # the same form submitted again after the thank-you (e.g. the browser resends it)
    prefix = f"svy{active.campaign.id}_07201"
    token = at.session_state[f"{prefix}__token"]
    from app.survey.responses import submit_response
    again = submit_response(active, "07201", {}, token)
    assert count_rows(Response) == before + 1
    assert again.status in ("duplicate", "invalid")


@pytest.mark.parametrize("code,message", [
    ("abc", "không hợp lệ"),
    ("99999", "Không tìm thấy"),
    ("07201'--", "không hợp lệ"),
    ("", "chưa có mã"),
])
def test_bad_codes_store_nothing_and_offer_the_picker(db, code, message):
    before = count_rows(Response)
    at = app_for("pages/public/survey.py", query={"xa": code} if code else None)
    assert not at.exception
    assert message in texts(at)
    labels = [s.label for s in at.selectbox]
    assert "Huyện, thị xã, thành phố" in labels and "Xã, phường, thị trấn" in labels
    assert not [b for b in at.button if "Gửi phiếu" in str(b.label)]
    assert count_rows(Response) == before


def test_picker_lists_the_communes_of_the_chosen_district(db):
    # (following the picker's button to the survey is covered by the browser test: AppTest
    # re-sends its own query string on every run)
    at = app_for("pages/public/survey.py", query={"xa": "abc"})
    assert at.button(key="survey_picker_go").disabled
    at.selectbox(key="survey_picker_district").set_value("213").run()
    options = at.selectbox(key="survey_picker_commune").options
    assert "Phường Thọ Xương (07201)" in options and len(options) == 16
    at.selectbox(key="survey_picker_commune").set_value("07201").run()
    assert not at.button(key="survey_picker_go").disabled


def test_closed_window_shows_dates_and_stores_nothing(active):
    today = clock.today()
    with session_scope() as s:
        c = s.get(Campaign, active.campaign.id)
        c.start_date, c.end_date = today - timedelta(days=10), today - timedelta(days=8)
        s.add(c)
    campaigns.invalidate()
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    body = texts(at)
    assert "đã kết thúc" in body
    assert (today - timedelta(days=10)).strftime("%d/%m/%Y") in body
    assert not [b for b in at.button if "Gửi phiếu" in str(b.label)]


def test_missing_required_answers_are_named_and_others_kept(active):
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    answer_all(at, active.definition, skip={"q05", "q17"})
    before = count_rows(Response)
    submit_button(at).click().run()
    body = texts(at)
    assert "Câu 5" in body and "Câu 17" in body
    assert "Vui lòng trả lời câu này." in body
    assert count_rows(Response) == before
    # the answers already given are still selected
    q01 = [r for r in at.radio if r.key.endswith("_q01")][0]
    assert q01.value == active.definition.question("q01").options[0].value
    # completing the two stores the sheet
    answer_all(at, active.definition)
    submit_button(at).click().run()
    assert "Cảm ơn" in texts(at)
    assert count_rows(Response) == before + 1


def _last_response() -> Response:
    with session_scope() as s:
        return s.exec(select(Response).order_by(Response.id.desc())).first()


def test_the_sheet_carries_the_browsers_signals(active):
    """What the integrity engine reads of a citizen's browser is stored with the sheet: its
    anonymous id (the ``qcdc_b`` cookie's value, as a keyed hash), its session, and the time
    zone, offset and locale it reports through st.context."""
    from app.integrity.keys import fingerprint, signal_key
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    at.context = {"timezone": "Asia/Ho_Chi_Minh", "timezone_offset": -420, "locale": "vi-VN"}
    answer_all(at, active.definition)
    submit_button(at).click().run()
    assert "Cảm ơn ông/bà đã tham gia khảo sát!" in texts(at)
    r = _last_response()
    assert (r.client_tz, r.client_tz_offset, r.client_locale) == ("Asia/Ho_Chi_Minh", -420,
                                                                  "vi-VN")
    browser = at.session_state["qcdc_b"]
    salt = f"qcdc-signals-{active.campaign.id}"
    assert r.browser_hash == fingerprint(signal_key(), salt, "browser", browser)
    assert r.session_hash and r.answer_pattern


def test_a_sheet_is_stored_when_signals_cannot_be_read(active, monkeypatch):
    """A client fact that cannot be read (here the time zone and the address raise) is left
    out; the sheet is stored with the other signals and the citizen is thanked."""
    from streamlit.runtime.context import ContextProxy

    def broken(self):
        raise RuntimeError("no context")
    at = app_for("pages/public/survey.py", query={"xa": "07201"})
    at.context = {"timezone": "Asia/Ho_Chi_Minh", "locale": "vi-VN"}
    answer_all(at, active.definition)
    before = count_rows(Response)
    monkeypatch.setattr(ContextProxy, "timezone", property(broken))
    monkeypatch.setattr(ContextProxy, "ip_address", property(broken))
    submit_button(at).click().run()
    assert not at.exception
    assert "Cảm ơn ông/bà đã tham gia khảo sát!" in texts(at)
    assert count_rows(Response) == before + 1
    r = _last_response()
    assert r.client_tz is None and r.network_hash is None
    assert r.client_locale == "vi-VN" and r.browser_hash and r.session_hash


@pytest.mark.parametrize("case", ["screen", "forged", "reused", "another_sheet_same_session"])
def test_survey_with_a_screen_code(active, case):
    """The survey page with an office screen's code (issue 15): a fresh code gives a verified
    sheet; a forged or reused one an ordinary form, no word about it, an unverified sheet; a
    second sheet in the same session after the thank-you is not verified again."""
    from app.core.auth import Scope
    from app.survey import kiosk
    shown = kiosk.issue_code(Scope("m", "M", "screen", commune_code="07201"), "t")
    code = "Z" * 16 if case == "forged" else shown.code
    if case == "reused":
        assert kiosk.open_code(active.campaign.id, "07201", code, None).token
    at = app_for("pages/public/survey.py", query={"xa": "07201", "ma": code})
    assert not at.exception
    body = texts(at)
    assert "Phường Thọ Xương" in body and not at.error and not at.warning
    answer_all(at, active.definition)
    submit_button(at).click().run()
    assert "Cảm ơn ông/bà đã tham gia khảo sát!" in texts(at) and not at.warning
    if case == "another_sheet_same_session":
        at.button(key=f"svy{active.campaign.id}_07201__again").click().run()
        answer_all(at, active.definition, choice=1)
        submit_button(at).click().run()
        assert "Cảm ơn ông/bà đã tham gia khảo sát!" in texts(at)
    with session_scope() as s:
        last = s.exec(select(Response).order_by(Response.id.desc())).first()
        verified = [r.verified for r in s.exec(select(Response).order_by(Response.id)).all()]
    assert last.verified == (case == "screen")
    assert sum(verified) == (1 if case in ("screen", "another_sheet_same_session") else 0)
