"""API tokens: shown once, stored as a hash only, refused once revoked or expired, every
issue/expiry/revocation audited, uses counted without a write per request, a rate limit per
token. Real SQLite database (the `db` fixture), real command line."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

from app.admin import api_tokens as svc
from app.api import tokens as tk
from app.api.http import ApiRequest, handle
from app.core import clock
from app.core.auth import AuthError, Scope
from db.engine import get_engine, session_scope
from db.models import ApiToken, AuditLog
from tests.conftest import ROOT

ADMIN = Scope("chief", "Quản trị tỉnh", "admin")


def _everything_stored() -> str:
    """Every value of every table, as one text (the token must be nowhere in it)."""
    out = []
    with get_engine().connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


def _audit(action: str) -> list[AuditLog]:
    with session_scope() as s:
        return list(s.execute(select(AuditLog).where(AuditLog.action == action)).scalars())


def _call(token: str | None, endpoint: str = "campaigns", **kw):
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return handle(ApiRequest(endpoint, headers=headers, **kw), counter=tk.UsageCounter(),
                  limiter=tk.RateLimiter(6000, 100))


def test_a_token_is_shown_once_and_only_its_hash_is_stored(db):
    row, token = svc.create_token(ADMIN, "Cục Thống kê tỉnh", "province", days=30)
    assert tk.TOKEN_RE.fullmatch(token)
    secret = token.split("_", 2)[2]
    stored = _everything_stored()
    assert token not in stored and secret not in stored
    with session_scope() as s:
        tok = s.get(ApiToken, row.id)
        assert tok.token_hash == tk.token_hash(token) and len(tok.token_hash) == 64
        assert tok.prefix == token.split("_")[1] and tok.expires_at is not None
    # lists show the public part only, never the token
    listed = svc.list_tokens(ADMIN)
    assert [r.shown_as for r in listed] == [f"qcdc_{tok.prefix}_…"]
    assert token not in json.dumps([r.__dict__ for r in listed], default=str)
    # the audit log says who issued what, without the token
    created = _audit("api_token.create")
    assert len(created) == 1 and created[0].actor == "chief"
    assert "Cục Thống kê tỉnh" in created[0].after and secret not in created[0].after
    # and the token works
    assert _call(token).status == 200


def test_revoked_and_expired_tokens_are_refused_and_both_are_audited(db):
    _row, revoked = svc.create_token(ADMIN, "Cổng báo cáo", "province")
    row2, expiring = svc.create_token(ADMIN, "Phòng Thống kê Yên Thế", "district",
                                      district_code="215")
    assert _call(revoked).status == 200 and _call(expiring).status == 200
    svc.revoke_token(ADMIN, "qcdc_" + revoked.split("_")[1])
    svc.set_expiry(ADMIN, row2.id, 0)
    for token, code in ((revoked, "token_revoked"), (expiring, "token_expired")):
        res = _call(token)
        body = json.loads(res.body)
        assert res.status == 401 and body["error"]["code"] == code
        assert "Bearer" in res.header("WWW-Authenticate")
        assert body["error"]["message"] and "hãy liên hệ" in body["error"]["message_vi"].lower()
    assert len(_audit("api_token.revoke")) == 1 and len(_audit("api_token.expire")) == 1
    # revoking again changes nothing more; a revoked token cannot be given a new expiry
    svc.revoke_token(ADMIN, _row.id)
    assert len(_audit("api_token.revoke")) == 1
    with pytest.raises(AuthError):
        svc.set_expiry(ADMIN, _row.id, 30)
    # an expired (not revoked) token can be given a new expiry and works again
    svc.set_expiry(ADMIN, row2.id, 10)
    assert _call(expiring).status == 200


def test_an_expired_token_by_date_is_refused(db):
    row, token = svc.create_token(ADMIN, "Thử hết hạn", "province", days=1)
    assert tk.authenticate(token).token_id == row.id
    with pytest.raises(tk.TokenRefused) as exc:
        tk.authenticate(token, now=clock.now() + timedelta(days=1, seconds=1))
    assert exc.value.reason == tk.EXPIRED


@pytest.mark.parametrize("header, code", [
    (None, "token_missing"), ("", "token_missing"), ("Basic dXNlcjpwdw==", "token_malformed"),
    ("Bearer", "token_malformed"), ("Bearer abc", "token_malformed"),
    ("Bearer qcdc_zzzzzzzz_" + "A" * 43, "token_unknown"),
])
def test_missing_malformed_and_unknown_tokens_get_a_clear_401(db, header, code):
    headers = {} if header is None else {"authorization": header}
    res = handle(ApiRequest("communes", path_params={"campaign": "active"}, headers=headers),
                 counter=tk.UsageCounter(), limiter=tk.RateLimiter(60, 10))
    body = json.loads(res.body)
    assert res.status == 401 and body["error"]["code"] == code
    assert body["error"]["message"] and body["error"]["message_vi"]


def test_a_right_prefix_with_a_wrong_secret_is_unknown(db):
    _row, token = svc.create_token(ADMIN, "Thử", "province")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(tk.TokenRefused) as exc:
        tk.authenticate(forged)
    assert exc.value.reason == tk.UNKNOWN


def test_only_administrators_manage_tokens_and_the_input_is_checked(db):
    for role in ("province", "farmers", "district", "commune", "public"):
        scope = Scope("u", "U", role, district_code="213", commune_code="07201")
        with pytest.raises(AuthError):
            svc.create_token(scope, "X", "province")
        with pytest.raises(AuthError):
            svc.list_tokens(scope)
    for kwargs in ({"name": " ", "role": "province"}, {"name": "X", "role": "admin"},
                   {"name": "X", "role": "district"},
                   {"name": "X", "role": "district", "district_code": "999"},
                   {"name": "X", "role": "province", "days": 0}):
        with pytest.raises(AuthError):
            svc.create_token(ADMIN, **kwargs)
    row, _token = svc.create_token(ADMIN, "Tỉnh", "province", district_code="213", days=None)
    assert row.district_code is None and row.expires_at is None  # province-wide, no expiry
    with pytest.raises(AuthError):
        svc.revoke_token(ADMIN, 9999)


def test_the_command_line_prints_the_token_once(db, tmp_path):
    env = {"QCDC_DATA_DIR": str(db), "QCDC_DEMO": "0", "PATH": "/usr/bin:/bin",
           "QCDC_COOKIE_KEY": "k" * 40, "HOME": str(tmp_path)}

    def cli(*args):
        out = subprocess.run([sys.executable, "-m", "app.cli", "api-token", *args], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120)
        return out.returncode, out.stdout, out.stderr
    rc, out, err = cli("create", "Huyện Yên Thế – Power BI", "--role", "district",
                       "--district", "215", "--days", "30")
    assert rc == 0, err
    made = json.loads(out)
    token = made["token"]
    assert tk.TOKEN_RE.fullmatch(token) and "chỉ in ra một lần" in err
    assert made["district"] == "215" and made["role"] == "district"
    rc, out, _ = cli("list")
    listed = json.loads(out)
    assert rc == 0 and token not in out and listed[0]["token"].startswith("qcdc_")
    assert _call(token, "communes", path_params={"campaign": "active"}).status == 200
    rc, out, _ = cli("revoke", listed[0]["token"])
    assert rc == 0 and json.loads(out)["state"] == "revoked"
    assert json.loads(_call(token).body)["error"]["code"] == "token_revoked"
    rc, out, _ = cli("list")
    assert json.loads(out) == []          # revoked ones only with --all
    rc, out, _ = cli("list", "--all")
    assert [t["state"] for t in json.loads(out)] == ["revoked"]
    rc, _out, err = cli("create", "X", "--role", "district")  # no district: refused
    assert rc == 2 and "mã huyện" in err
    with session_scope() as s:
        actors = {a.actor for a in s.execute(select(AuditLog).where(
            AuditLog.action.like("api_token.%"))).scalars()}
    assert actors == {"cli"}


# --- counting uses ------------------------------------------------------------------------

class _Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def _uses(token_id: int) -> tuple[int, object]:
    with session_scope() as s:
        tok = s.get(ApiToken, token_id)
        return tok.use_count, tok.last_used_at


def test_uses_are_counted_in_memory_and_written_every_few_seconds(db):
    row, token = svc.create_token(ADMIN, "Đếm", "province")
    clock_ = _Clock()
    counter = tk.UsageCounter(flush_every=10, monotonic=clock_)
    limiter = tk.RateLimiter(6000, 1000)
    statements = []

    def count_sql(conn, cursor, statement, *a):
        statements.append(statement)
    from sqlalchemy import event
    event.listen(get_engine(), "before_cursor_execute", count_sql)
    try:
        for _ in range(25):
            res = handle(ApiRequest("campaigns", headers={"authorization": f"Bearer {token}"}),
                         counter=counter, limiter=limiter)
            assert res.status == 200
    finally:
        event.remove(get_engine(), "before_cursor_execute", count_sql)
    assert sum("FROM api_token" in s for s in statements) == 25  # each request checks it
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements)  # no write yet
    assert _uses(row.id)[0] == 0 and counter.pending() == {row.id: 25}
    clock_.t += 10
    counter.hit(row.id)  # the 26th use: the counts are due
    assert _uses(row.id)[0] == 26 and counter.pending() == {}
    # a second process adds its own counts; the last use is the later of both
    other = tk.UsageCounter(monotonic=clock_)
    later = clock.now() + timedelta(minutes=5)
    other.hit(row.id, at=later)
    counter.hit(row.id, at=clock.now())
    other.flush()
    counter.flush()
    count, last = _uses(row.id)
    assert count == 28 and last == later


def test_counts_survive_a_database_error_and_are_written_later(db):
    row, _token = svc.create_token(ADMIN, "Đếm", "province")
    counter = tk.UsageCounter()
    counter.hit(row.id)
    counter.hit(row.id)
    with get_engine().connect() as conn:
        conn.execute(text("ALTER TABLE api_token RENAME TO api_token_away"))
        conn.commit()
    try:
        with pytest.raises(Exception):  # noqa: B017 (no such table, whatever the driver says)
            counter.flush()
    finally:
        with get_engine().connect() as conn:
            conn.execute(text("ALTER TABLE api_token_away RENAME TO api_token"))
            conn.commit()
    assert counter.pending() == {row.id: 2}
    assert counter.flush() == 2 and _uses(row.id)[0] == 2


def test_rate_limit_is_a_bucket_per_token():
    clock_ = _Clock()
    lim = tk.RateLimiter(per_minute=60, burst=3, monotonic=clock_)
    assert [lim.take("a") for _ in range(3)] == [0, 0, 0]
    wait = lim.take("a")
    assert 0.9 < wait <= 1.0 and tk.RateLimiter.retry_after(wait) == 1
    assert lim.take("b") == 0          # another token has its own bucket
    clock_.t += 1.0
    assert lim.take("a") == 0 and lim.take("a") > 0
    clock_.t += 60
    assert [lim.take("a") for _ in range(4)][:3] == [0, 0, 0]  # refilled to the burst, no more
