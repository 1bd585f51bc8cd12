"""One-time codes of the office screens (issue 15), on the real database: SQLite, and PostgreSQL
when DATABASE_URL_TEST is set. A sheet sent with a valid, unused code opened on its phone is
stored verified and the code used in the same transaction; anything else is stored, unverified.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.auth import AuthError, Scope
from app.survey import kiosk
from app.survey.responses import DUPLICATE, STORED, new_submission_token, submit_response
from db.models import KioskCode, Response
from tests.sheets import valid_answers

COMMUNE, OTHER = "07201", "07243"
@pytest.fixture
def active_now(backend):
    from app.core.campaigns import active_campaign
    return active_campaign(max_age=0)


def screen(commune: str = COMMUNE, name: str = "man.hinh") -> Scope:
    return Scope(username=name, name="Màn hình", role="screen", commune_code=commune)


def verified_of(response_id: int) -> bool:
    from db.engine import session_scope
    with session_scope() as s:
        return bool(s.execute(select(Response.verified).where(Response.id == response_id))
                    .scalar_one())


def send(active, code: str | None, token: str, commune: str = COMMUNE, i: int = 0, **kw):
    return submit_response(active, commune, valid_answers(active.definition, i), token,
                           kiosk_code=code, **kw)


def test_opened_code_gives_one_verified_sheet_and_the_screen_moves_on(active_now):
    scope = screen()
    before = kiosk.screen_counts(scope)  # (the PostgreSQL database is shared by the module)
    shown = kiosk.issue_code(scope, "screen-1")
    assert shown.url.endswith(f"/survey?xa={COMMUNE}&ma={shown.code}")
    assert not kiosk.needs_new_code(scope, shown)
    opening = kiosk.open_code(active_now.campaign.id, COMMUNE, shown.code, kept_token=None)
    assert opening.status == kiosk.OPENED and opening.token
    assert kiosk.needs_new_code(scope, shown)  # the screen draws a fresh one
    result = send(active_now, shown.code, opening.token)
    assert result.status == STORED and result.verified and verified_of(result.response_id)
    again = send(active_now, shown.code, opening.token)  # a retry of the same sheet
    assert again.status == DUPLICATE and again.verified and again.response_id == result.response_id
    counts = kiosk.screen_counts(scope)
    assert (counts.shown - before.shown, counts.opened - before.opened,
            counts.verified - before.verified) == (1, 1, 1)
    # only a hash of the code is stored
    from db.engine import session_scope
    with session_scope() as s:
        row = s.execute(select(KioskCode).where(KioskCode.id == shown.id)).scalar_one()
    assert shown.code not in (row.code_hash, row.sheet_token_hash)
    assert row.code_hash == kiosk.code_hash(shown.code) and row.response_id == result.response_id
    assert row.screen_session == "screen-1" and row.used_at is not None


def test_reused_expired_forged_and_foreign_codes_store_unverified_sheets(active_now):
    cid = active_now.campaign.id
    shown = kiosk.issue_code(screen(), "s")
    first = kiosk.open_code(cid, COMMUNE, shown.code, None)
    assert send(active_now, shown.code, first.token).verified
    # reused: the same code opened on another phone, a second sheet in the first phone's session
    second = kiosk.open_code(cid, COMMUNE, shown.code, None)
    assert second.status == kiosk.TAKEN and second.token is None
    r = send(active_now, shown.code, new_submission_token())
    assert r.status == STORED and not r.verified and not verified_of(r.response_id)
    # forged and malformed
    assert kiosk.open_code(cid, COMMUNE, "A" * 16, None).status == kiosk.UNKNOWN
    assert kiosk.open_code(cid, COMMUNE, "<script>", None).status == kiosk.UNKNOWN
    assert not send(active_now, "A" * 16, new_submission_token()).verified
    assert not send(active_now, "not a code!", new_submission_token()).verified
    # a code of another commune's screen, sent for this commune
    foreign = kiosk.issue_code(screen(OTHER), "s2")
    assert kiosk.open_code(cid, COMMUNE, foreign.code, None).status == kiosk.UNKNOWN
    assert not send(active_now, foreign.code, new_submission_token()).verified
    # expired before anybody opened it
    from app.core import clock
    old = kiosk.issue_code(screen(), "s3", now=clock.now() - timedelta(hours=1))
    assert kiosk.needs_new_code(screen(), old)
    assert kiosk.open_code(cid, COMMUNE, old.code, None).status == kiosk.EXPIRED
    assert not send(active_now, old.code, new_submission_token()).verified
    # opened, but the sheet sent long after (QCDC_KIOSK_ANSWER_HOURS)
    late = kiosk.issue_code(screen(), "s4")
    opened = kiosk.open_code(cid, COMMUNE, late.code, None)
    r = send(active_now, late.code, opened.token, now=clock.now() + timedelta(hours=13))
    assert r.status in (STORED, "closed") and not r.verified
    # the printed QR (no code) as before
    plain = send(active_now, None, new_submission_token())
    assert plain.status == STORED and not plain.verified


def test_a_reload_resumes_the_sheet_and_a_new_citizen_on_the_same_phone_gets_a_new_one(active_now):
    cid = active_now.campaign.id
    a = kiosk.issue_code(screen(), "s")
    first = kiosk.open_code(cid, COMMUNE, a.code, kept_token="earlier-sheet-token")
    assert first.status == kiosk.OPENED and first.token != "earlier-sheet-token"
    again = kiosk.open_code(cid, COMMUNE, a.code, kept_token=first.token)
    assert (again.status, again.token) == (kiosk.RESUMED, first.token)
    assert send(active_now, a.code, first.token).verified
    b = kiosk.issue_code(screen(), "s")  # the next citizen scans with the same phone
    nxt = kiosk.open_code(cid, COMMUNE, b.code, kept_token=first.token)
    assert nxt.status == kiosk.OPENED and nxt.token != first.token
    assert send(active_now, b.code, nxt.token, i=1).verified


def test_only_screen_accounts_of_a_commune_run_a_screen(active_now):
    for scope in (Scope("p", "P", "province"), Scope("d", "D", "district", district_code="213"),
                  Scope("s", "S", "screen"), Scope("", "", "public")):
        with pytest.raises(AuthError):
            kiosk.issue_code(scope, "s")
    assert kiosk.issue_code(Scope("x", "X", "commune", "213", COMMUNE), "s") is not None


def _race(n: int, fn) -> list:
    barrier = threading.Barrier(n)
    out, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait()
            out[i] = fn(i)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    return out


def test_two_phones_open_and_send_the_same_code_at_once_at_most_one_verified(active_now):
    cid = active_now.campaign.id
    for _round in range(5):
        shown = kiosk.issue_code(screen(), "s")
        openings = _race(2, lambda i, c=shown.code: kiosk.open_code(cid, COMMUNE, c, None))
        assert sorted(o.status for o in openings) == [kiosk.OPENED, kiosk.TAKEN]
        tokens = [o.token or new_submission_token() for o in openings]
        results = _race(2, lambda i, c=shown.code, tk=tokens: send(active_now, c, tk[i], i=i))
        assert [r.status for r in results] == [STORED, STORED]
        assert sum(r.verified for r in results) == 1
    # the same sheet sent twice at once (a double tap on two connections): one sheet, verified
    shown = kiosk.issue_code(screen(), "s")
    tok = kiosk.open_code(cid, COMMUNE, shown.code, None).token
    results = _race(2, lambda i: send(active_now, shown.code, tok))
    assert sorted(r.status for r in results) == [DUPLICATE, STORED]
    assert all(r.verified for r in results)
    assert len({r.response_id for r in results}) == 1


def test_load_200_codes_across_20_screens_at_once(active_now):
    """20 screens show 10 codes each, one after another; 200 phones open them and send their
    sheets at once, with a forged code, a reuse and a plain sheet mixed in: every sheet is
    stored once and exactly the sheets of opened codes are verified."""
    from app.core.reference import geography
    from db.engine import session_scope
    cid = active_now.campaign.id
    communes = [c.code for c in geography().communes[:20]]

    def counts():  # (the PostgreSQL database is shared by this module's tests)
        with session_scope() as s:
            return (s.execute(select(func.count()).select_from(Response)).scalar_one(),
                    s.execute(select(func.count()).select_from(Response)
                              .where(Response.verified == True)).scalar_one(),  # noqa: E712
                    s.execute(select(func.count()).select_from(KioskCode)
                              .where(KioskCode.used_at.is_not(None))).scalar_one(),
                    sum(kiosk.verified_counts(cid, None).values()))
    before = counts()
    plan = []  # (commune, code or None, expected verified)
    for k, commune in enumerate(communes):
        for _ in range(10):
            plan.append((commune, kiosk.issue_code(screen(commune, f"s{k}"), f"screen-{k}").code,
                         True))
    used = kiosk.issue_code(screen(communes[1]), "earlier")  # a code used before the rush
    assert send(active_now, used.code, kiosk.open_code(cid, communes[1], used.code, None).token,
                commune=communes[1]).verified
    extra = [(communes[0], "F" * 16, False), (communes[1], used.code, False),
             (communes[2], None, False)]
    workers = 20
    jobs = plan + extra
    results: list = [None] * len(jobs)
    tokens: list = [None] * len(jobs)

    def phone(i: int):
        commune, code, _ = jobs[i]
        opening = kiosk.open_code(cid, commune, code, None) if code else None
        tokens[i] = (opening.token if opening and opening.token else None) or \
            new_submission_token()
        return send(active_now, code, tokens[i], commune=commune, i=i)

    def worker(w: int):
        for i in range(w, len(jobs), workers):
            results[i] = phone(i)
    _race(workers, worker)
    assert all(r is not None and r.status == STORED for r in results)
    got = [r.verified for r in results]
    assert got[:len(plan)] == [True] * len(plan)
    assert got[len(plan):] == [False] * len(extra)
    after = counts()
    assert [a - b for a, b in zip(after, before)] == [len(jobs) + 1] + [len(plan) + 1] * 3
    assert len({r.response_id for r in results}) == len(jobs)


def test_cli_kiosk_code_prints_a_fresh_url_and_stats_count_verified_sheets(db, capsys):
    import json

    from app.cli import main
    from app.core.campaigns import active_campaign
    active = active_campaign(max_age=0)
    assert main(["kiosk-code", "--commune", "07201"]) == 0
    url = capsys.readouterr().out.strip().splitlines()[-1]
    assert "/survey?xa=07201&ma=" in url
    code = url.rsplit("ma=", 1)[1]
    opening = kiosk.open_code(active.campaign.id, COMMUNE, code, None)
    assert opening.status == kiosk.OPENED
    assert send(active, code, opening.token).verified
    send(active, None, new_submission_token(), i=1)
    assert main(["stats"]) == 0
    stats = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    mine = next(c for c in stats["responses_per_campaign"] if c["campaign_id"] == active.campaign.id)
    assert (mine["responses"], mine["verified_responses"]) == (2, 1)
    assert main(["kiosk-code", "--commune", "99999"]) == 2
