"""Demo mode: labelled demo accounts and a demo campaign with synthetic activity.

Everything created here is flagged ``is_demo``. The demo campaign's 3-day window always contains
today: when the app starts on a later day, the demo campaign is moved and its synthetic activity
generated again. Synthetic data has planted anomalies so every warning can be seen:
a commune with far more answers than visits, one with none today, a burst from one device,
repeated identical sheets and impossibly fast forms.
"""
from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import select

from app.core import audit, clock
from app.core.auth import hash_password
from app.core.reference import geography
from app.integrity.signals import answer_pattern
from app.survey.questionnaire import Definition, answer_hash, score_answers
from app.survey.tally import rebuild_tallies
from db.engine import session_scope
from db.models import (
    AuditLog,
    Campaign,
    CommuneHourTally,
    DailyReport,
    DossierCount,
    Inspector,
    Nomination,
    OptionTally,
    ReportPhoto,
    Response,
    RosterEntry,
    RosterStatus,
    ScoreTally,
    User,
    WarningReview,
)

DEMO_PASSWORD = "Demo@2024"
DEMO_DISTRICT = "213"   # Thành phố Bắc Giang
DEMO_COMMUNE = "07201"  # Phường Thọ Xương
DEMO_ACCOUNTS = [
    # username, name, role, district, commune
    ("demo.admin", "Quản trị viên (demo)", "admin", None, None),
    ("demo.tinh", "Ban Dân vận Tỉnh ủy (demo)", "province", None, None),
    ("demo.hoind", "Hội Nông dân tỉnh (demo)", "farmers", None, None),
    ("demo.huyen", "BCĐ Thành phố Bắc Giang (demo)", "district", DEMO_DISTRICT, None),
    ("demo.xa", "Tổ công tác Phường Thọ Xương (demo)", "commune", DEMO_DISTRICT, DEMO_COMMUNE),
    # the one-stop office's QR screen (issue 15): opens /man-hinh-qr and nothing else
    ("demo.manhinh", "Màn hình QR Phường Thọ Xương (demo)", "screen", DEMO_DISTRICT,
     DEMO_COMMUNE),
]
PUBLICITY = ["niem_yet", "loa", "website", "mang_xa_hoi", "truong_thon", "dan_van"]

# planted anomalies (commune codes of the seed list)
RATIO_HIGH = "07213"      # far more answers than visits
NO_ANSWERS_TODAY = "07216"
BURST = "07219"           # many quick answers from one browser within minutes
IDENTICAL = "07222"       # repeated identical sheets
FAST = "07225"            # forms filled impossibly fast
NO_REPORT_TODAY = {"07228", "07231", "07234"}
# the one-stop office's dossier counts, imported for the demo district's communes (past days);
# this commune reports far more visits than its office received dossiers
INFLATED_VISITS = "07204"


def ensure_demo_accounts() -> None:
    with session_scope() as s:
        have = {u.username: u for u in s.exec(select(User).where(User.is_demo == True)).all()}  # noqa: E712
        pw = None
        for username, name, role, dcode, ccode in DEMO_ACCOUNTS:
            u = have.get(username)
            if u is None:
                pw = pw or hash_password(DEMO_PASSWORD)
                s.add(User(username=username, name=name, password_hash=pw, role=role,
                           district_code=dcode, commune_code=ccode, is_demo=True,
                           created_at=clock.now()))
            elif not u.active:
                u.active = True
                s.add(u)


def disable_demo_accounts() -> int:
    """Outside demo mode nothing demo mode let anybody do can sign in: the demo accounts
    (public password) and every account made or changed in demo mode (``made_in_demo``: demo.admin
    could have created it, or set its password) are disabled, audited and logged. An
    administrator re-enables such an account after resetting its password in production
    (app/admin/users.py)."""
    import logging
    now = clock.now()
    with session_scope() as s:
        made = s.exec(select(User).where(User.is_demo == False, User.made_in_demo == True,  # noqa: E712
                                         User.active == True)).all()  # noqa: E712
        for u in made:
            u.active = False  # through the ORM: the account's sessions end too
            s.add(u)
        res = s.execute(update(User).where(User.is_demo == True, User.active == True)  # noqa: E712
                        .values(active=False, sessions_revoked_at=now))
        s.execute(update(Campaign).where(Campaign.is_demo == True).values(is_active=False))  # noqa: E712
        if made:
            names = [u.username for u in made]
            audit.record(s, "system", "demo.disable_accounts", "user", None,
                         after={"usernames": names})
            logging.getLogger("qcdc").warning(
                "demo mode is off: disabled %d account(s) made or changed in demo mode (%s); an "
                "administrator may re-enable each after resetting its password",
                len(names), ", ".join(names))
        return (res.rowcount or 0) + len(made)


def _clear_campaign_activity(s, campaign_id: int) -> None:
    report_ids = select(DailyReport.id).where(DailyReport.campaign_id == campaign_id)
    s.execute(delete(ReportPhoto).where(ReportPhoto.report_id.in_(report_ids)))
    for model in (Response, CommuneHourTally, OptionTally, ScoreTally, DailyReport, RosterEntry,
                  RosterStatus, Inspector, Nomination, WarningReview, DossierCount):
        s.execute(delete(model).where(model.campaign_id == campaign_id))


def ensure_demo_campaign(questionnaire_id: int, definition: Definition,
                         today=None) -> Campaign:
    """A demo campaign whose window contains today, with synthetic activity."""
    today = today or clock.today()
    with session_scope() as s:
        c = s.exec(select(Campaign).where(Campaign.is_demo == True)  # noqa: E712
                   .order_by(Campaign.id.desc())).first()
        if c is not None and c.start_date <= today <= c.end_date:
            if not s.exec(select(Campaign).where(Campaign.is_active == True)).first():  # noqa: E712
                c.is_active = True
                s.add(c)
            return c
        start = today - timedelta(days=1)
        if c is None:
            c = Campaign(name=f"Khảo sát PKS 03 năm {today.year} (DEMO)", year=today.year,
                         start_date=start, end_date=start + timedelta(days=2),
                         roster_deadline=start - timedelta(days=2), report_cutoff="21:00",
                         ratio_low=0.3, ratio_high=1.2, min_sample=30, friendly_threshold=75.0,
                         questionnaire_id=questionnaire_id, base_url="http://localhost:8501",
                         is_active=True, is_demo=True, created_at=clock.now())
            s.add(c)
            s.flush()
        else:
            _clear_campaign_activity(s, c.id)
            c.start_date, c.end_date = start, start + timedelta(days=2)
            c.roster_deadline = start - timedelta(days=2)
            c.year = today.year
            c.name = f"Khảo sát PKS 03 năm {today.year} (DEMO)"
            c.questionnaire_id = questionnaire_id
            s.add(c)
        others = s.exec(select(Campaign).where(Campaign.id != c.id,
                                               Campaign.is_active == True)).all()  # noqa: E712
        if not others:
            c.is_active = True
        s.flush()
        now = datetime.combine(today, clock.now().time())
        generate_activity(s, c, definition, questionnaire_id, now=now)
        s.add(AuditLog(at=clock.now(), actor="demo", action="demo.generate", entity="campaign",
                       entity_id=str(c.id)))
    return c


def _answers_for(defn: Definition, rng: random.Random, quality: float) -> dict:
    """A plausible answer sheet: `quality` (0..1) shifts answers towards the better options;
    each citizen's own view varies around the commune's (so that honest sheets are as varied
    as real ones: the integrity engine judges repeated sheets)."""
    quality = min(0.99, max(0.05, rng.gauss(quality, 0.1)))
    ans: dict = {}
    for q in defn.questions:
        if q.type == "text":
            if rng.random() < 0.08:
                ans[q.id] = rng.choice(["Đề nghị niêm yết thủ tục rõ hơn.",
                                        "Cán bộ một cửa nhiệt tình, cảm ơn.",
                                        "Cần thông báo lịch họp thôn sớm hơn.",
                                        "Đường vào thôn xuống cấp, đề nghị sửa."])
            continue
        if q.type == "rating":
            span = q.scale_max - q.scale_min
            v = q.scale_min + round(span * min(1.0, max(0.0, rng.gauss(quality, 0.2))))
            ans[q.id] = int(v)
            continue
        opts = list(q.options)
        if q.type == "multi":
            normal = [o for o in opts if not o.exclusive]
            if rng.random() < 0.05 and any(o.exclusive for o in opts):
                ans[q.id] = [next(o.value for o in opts if o.exclusive)]
            else:
                k = max(1, min(len(normal), int(rng.gauss(1 + 3 * quality, 1))))
                ans[q.id] = sorted({o.value for o in rng.sample(normal, k)},
                                   key=[o.value for o in opts].index)
            continue
        scored = sorted([o for o in opts if o.score is not None], key=lambda o: -o.score)
        if rng.random() < 0.06 and any(o.score is None for o in opts):
            ans[q.id] = next(o.value for o in opts if o.score is None)
            continue
        idx = min(len(scored) - 1, int(abs(rng.gauss(0, 2.0 * (1.05 - quality)))))
        ans[q.id] = scored[idx].value
    for q in defn.profile:
        if rng.random() < 0.7:
            ans[q.id] = rng.choice(q.options).value
    return ans


def generate_activity(s, campaign: Campaign, defn: Definition, questionnaire_id: int,
                      seed: int = 2024, now: datetime | None = None) -> int:
    """Synthetic responses and daily reports for the days of the window up to now."""
    rng = random.Random(seed)
    now = now or clock.now()
    geo = geography()
    responses = []
    reports = []
    days = [campaign.start_date + timedelta(days=i)
            for i in range((campaign.end_date - campaign.start_date).days + 1)]
    n_token = 0
    for c in geo.communes:
        quality = min(0.97, max(0.3, rng.gauss(0.72, 0.12)))
        size = 1.6 if c.type == "Phường" else (1.3 if c.type == "Thị trấn" else 1.0)
        for day in days:
            if day > now.date():
                continue
            last_hour = 17 if day < now.date() else min(17, now.hour)
            if last_hour < 7:
                continue
            frac = (last_hour - 6) / 11
            visits = int(rng.randint(18, 45) * size * frac)
            ratio = rng.uniform(0.45, 0.95)
            if c.code == RATIO_HIGH:
                ratio = 2.4
            n_ans = int(visits * ratio)
            if c.code == NO_ANSWERS_TODAY and day == now.date():
                n_ans = 0
            device_base = f"{c.code}-{day}"
            for i in range(n_ans):
                hour = rng.randint(7, last_hour)
                minute = rng.randint(0, 59)
                at = datetime(day.year, day.month, day.day, hour, minute, rng.randint(0, 59))
                if at > now:
                    at = now - timedelta(minutes=rng.randint(1, 30))
                answers = _answers_for(defn, rng, quality)
                device = f"{device_base}-{i}"
                duration = max(40.0, rng.gauss(170, 50))
                if c.code == BURST and i < 25:
                    device = f"{device_base}-burst"
                    at = datetime(day.year, day.month, day.day, min(hour, 9), 10 + i // 3,
                                  (i * 7) % 60)
                    duration = rng.uniform(18, 45)
                if c.code == IDENTICAL and i < 15:
                    answers = _answers_for(defn, random.Random(99), quality)
                if c.code == FAST and i < 12:
                    duration = rng.uniform(6, 15)
                responses.append(_response_row(campaign.id, c.code, questionnaire_id, defn,
                                               answers, at, f"demo-{n_token:07d}", device,
                                               duration))
                n_token += 1
            if day < now.date() or c.code not in NO_REPORT_TODAY:
                reports.append(dict(
                    campaign_id=campaign.id, commune_code=c.code, day=day, visits=visits,
                    guided=int(visits * rng.uniform(0.5, 0.9)), helpers_on_duty=rng.randint(2, 5),
                    publicity=json.dumps(rng.sample(PUBLICITY, rng.randint(1, 4))),
                    difficulties=rng.choice(["", "", "Một số người cao tuổi không dùng điện thoại thông minh.",
                                             "Sóng điện thoại yếu vào buổi sáng."]),
                    proposals="", created_at=now, updated_at=now, updated_by="demo",
                    is_demo=True))
    dossiers = []
    for r in reports:
        c = geo.by_code[r["commune_code"]]
        if c.district_code != DEMO_DISTRICT or r["day"] >= now.date():
            continue
        share = 1 / 1.7 if c.code == INFLATED_VISITS else rng.uniform(0.9, 1.1)
        dossiers.append(dict(campaign_id=campaign.id, commune_code=c.code, day=r["day"],
                             dossiers=max(1, round(r["visits"] * share)), imported_at=now,
                             imported_by="demo", source="demo_mot_cua.xlsx"))
    if responses:
        s.execute(Response.__table__.insert(), responses)
    if dossiers:
        s.execute(DossierCount.__table__.insert(), dossiers)
    if reports:
        s.execute(DailyReport.__table__.insert(), reports)
    s.flush()
    rebuild_tallies(s, campaign.id)
    from app.operations.roster import generate_demo_rosters  # rosters, schedules, inspectors (issue 3)
    generate_demo_rosters(s, campaign, random.Random(seed + 3))
    from app.operations.daily_reports import generate_demo_photos  # illustrative report photos (issue 3)
    generate_demo_photos(s, campaign, random.Random(seed + 5))
    return len(responses)


def _response_row(campaign_id, code, questionnaire_id, defn, answers, at, token, device, duration):
    scores = score_answers(defn, answers)
    return dict(campaign_id=campaign_id, commune_code=code, questionnaire_id=questionnaire_id,
                answers=json.dumps(answers, ensure_ascii=False, sort_keys=True),
                scores=json.dumps({k: round(v, 3) for k, v in scores.items()}, sort_keys=True),
                submitted_at=at, day=at.date(), hour=at.hour, submission_token=token,
                session_hash=token[-12:], device_hash=device[:32].ljust(8, "-"),
                browser_hash=device[:32].ljust(8, "-"), network_hash=code,
                answer_hash=answer_hash(defn, answers),
                answer_pattern=answer_pattern(defn, answers),
                duration_s=round(duration, 1), excluded=False, is_demo=True)
