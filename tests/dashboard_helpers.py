"""Builders for the dashboard tests: scopes, answer sheets with known scores, daily reports."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from app.core import clock
from app.core.auth import Scope
from app.survey.questionnaire import OVERALL, score_answers
from app.survey.responses import Signals, new_submission_token, submit_response
from db.engine import session_scope
from db.models import Campaign, DailyReport

TINH = Scope("demo.tinh", "Ban Dân vận", "province")
HOIND = Scope("demo.hoind", "Hội Nông dân tỉnh", "farmers")
ADMIN = Scope("demo.admin", "Quản trị", "admin")
HUYEN = Scope("demo.huyen", "BCĐ TP Bắc Giang", "district", "213", None)      # Thành phố Bắc Giang
HUYEN_YT = Scope("huyen.yt", "BCĐ Yên Thế", "district", "215", None)           # Huyện Yên Thế
XA = Scope("demo.xa", "Tổ công tác Thọ Xương", "commune", "213", "07201")

A = "07201"   # Phường Thọ Xương, district 213
B = "07204"   # Phường Trần Nguyên Hãn, district 213
C = "07243"   # a commune of Yên Thế (215)


def sheet(defn, best: bool) -> dict:
    """All best options (every pillar scores 100) or all worst scored options (0)."""
    out = {}
    for q in defn.questions:
        if q.type == "single":
            scored = [o for o in q.options if o.score is not None]
            pick = max(scored, key=lambda o: o.score) if best else min(scored,
                                                                       key=lambda o: o.score)
            out[q.id] = pick.value
        elif q.type == "multi":
            if best:
                out[q.id] = [o.value for o in q.options if not o.exclusive and o.score]
            else:
                zero = [o for o in q.options if o.score == 0]
                out[q.id] = [zero[0].value]
        elif q.type == "rating":
            out[q.id] = q.scale_max if best else q.scale_min
    return out


def submit(active, code: str, answers: dict, at: datetime, *, device: str | None = None,
           started: float | None = None):
    sig = Signals(session_id=new_submission_token(), user_agent=device or new_submission_token(),
                  accept_language="vi", client_ip="10.0.0.9")
    if started is not None:
        sig.started_at = started
    r = submit_response(active, code, answers, new_submission_token(), sig, now=at)
    assert r.status == "stored", r
    return r.response_id


def report(campaign_id: int, code: str, day: date, visits: int) -> None:
    with session_scope() as s:
        s.add(DailyReport(campaign_id=campaign_id, commune_code=code, day=day, visits=visits,
                          guided=0, helpers_on_duty=1, publicity="[]", difficulties="",
                          proposals=""))


def make_small(active):
    """A: 4 best + 1 worst sheets (2 yesterday, 3 today); B: 1 best today; C (other district):
    2 worst today. Reports: A yesterday 10 visits, A today 2 visits; B none; C today 20."""
    with session_scope() as s:
        c = s.get(Campaign, active.campaign.id)
        c.min_sample = 5
        c.friendly_threshold = 80.0
        s.add(c)
    from app.core import campaigns
    campaigns.invalidate()
    active = campaigns.active_campaign(max_age=0)
    defn = active.definition
    today = clock.today()
    y = today - timedelta(days=1)
    best, worst = sheet(defn, True), sheet(defn, False)
    assert score_answers(defn, best)[OVERALL] == 100.0
    assert score_answers(defn, worst)[OVERALL] == 0.0
    at = lambda d, h, m=0: datetime(d.year, d.month, d.day, h, m)  # noqa: E731
    submit(active, A, best, at(y, 9))
    submit(active, A, best, at(y, 15))
    submit(active, A, best, at(today, 9, 5))
    submit(active, A, best, at(today, 9, 40))
    submit(active, A, worst, at(today, 14))
    submit(active, B, best, at(today, 10))
    submit(active, C, worst, at(today, 8))
    submit(active, C, worst, at(today, 8, 30))
    report(active.campaign.id, A, y, 10)
    report(active.campaign.id, A, today, 2)
    report(active.campaign.id, C, today, 20)
    return active, today, y
