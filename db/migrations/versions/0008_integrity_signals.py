"""integrity signals: browser and user agent fingerprints, coarse client facts, answer pattern;
fingerprints keyed with the installation's secret

New columns of ``response`` for the integrity engine (app/integrity): ``browser_hash`` and
``agent_hash`` (keyed hashes), ``client_tz``, ``client_tz_offset`` and ``client_locale`` (coarse
facts from ``st.context``), ``answer_pattern`` (the closed answers as a short string).

The fingerprints stored before this revision were salted with a public salt only, so an
address could be recovered from a copy of the database by trying every address. They are
re-keyed in place: ``HMAC(key, old fingerprint)``, exactly what new sheets store
(app/integrity/keys.py), so sheets from before and after the upgrade still match each other and
no address can be recovered without the key (kept outside the database).

Revision ID: 0008_integrity_signals
Revises: 0007_api_tokens
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_integrity_signals"
down_revision: str | Sequence[str] | None = "0007_api_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FINGERPRINTS = ("session_hash", "device_hash", "network_hash")
Str = sqlmodel.sql.sqltypes.AutoString


def _rekey() -> None:
    from app.integrity.keys import keyed, signal_key
    bind = op.get_bind()
    response = sa.table("response", sa.column("id", sa.Integer),
                        *(sa.column(c, sa.String) for c in FINGERPRINTS))
    rows = bind.execute(sa.select(response.c.id, *(response.c[c] for c in FINGERPRINTS))
                        .where(sa.or_(*(response.c[c].is_not(None) for c in FINGERPRINTS)))
                        ).all()
    if not rows:
        return
    key = signal_key()
    stmt = (response.update().where(response.c.id == sa.bindparam("rid"))
            .values({c: sa.bindparam(f"new_{c}") for c in FINGERPRINTS}))
    batch = []
    for r in rows:
        batch.append({"rid": r[0], **{f"new_{c}": keyed(key, v) for c, v in
                                       zip(FINGERPRINTS, r[1:])}})
        if len(batch) >= 5000:
            bind.execute(stmt, batch)
            batch = []
    if batch:
        bind.execute(stmt, batch)


def upgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("browser_hash", Str(length=64), nullable=True))
        batch_op.add_column(sa.Column("agent_hash", Str(length=64), nullable=True))
        batch_op.add_column(sa.Column("client_tz", Str(length=64), nullable=True))
        batch_op.add_column(sa.Column("client_tz_offset", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_locale", Str(length=35), nullable=True))
        batch_op.add_column(sa.Column("answer_pattern", Str(length=128), nullable=True))
    _rekey()


def downgrade() -> None:
    # the re-keyed fingerprints stay keyed (they cannot, and should not, be turned back)
    with op.batch_alter_table("response", schema=None) as batch_op:
        for c in ("answer_pattern", "client_locale", "client_tz_offset", "client_tz",
                  "agent_hash", "browser_hash"):
            batch_op.drop_column(c)
