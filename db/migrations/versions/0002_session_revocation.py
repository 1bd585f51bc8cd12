"""session revocation: user_account.sessions_revoked_at

A sign-in cookie (or an open session) issued at or before this time is refused, so signing out,
changing or resetting a password and disabling an account end every session of that user even if
a browser kept the cookie.

Revision ID: 0007
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sessions_revoked_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("sessions_revoked_at")
