"""demo accounts: user_account.made_in_demo

Marks every account created, or whose password, role, unit or state was changed, while the app
ran in demo mode, where anybody could sign in as demo.admin with the public password. When the
app starts with demo mode off, such accounts are disabled until an administrator resets their
password in production (app/core/demo.py, disable_demo_accounts).

Existing rows: accounts of a database that ran in demo mode are marked by the same rule as far
as the database can tell: those created while the demo accounts existed and were active (the
demo was on). An installation that never ran the demo has no demo accounts: nothing is marked.

Revision ID: 0006_demo_accounts
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_demo_accounts"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("made_in_demo", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # A database on which demo mode ran while demo.admin was usable: every other account may
    # have been made or changed by anybody. Mark them all (production then disables them until
    # their password is reset there); a database without active demo accounts is untouched.
    op.execute(sa.text(
        "UPDATE user_account SET made_in_demo = :yes WHERE NOT is_demo AND EXISTS "
        "(SELECT 1 FROM user_account d WHERE d.is_demo AND d.active)"
    ).bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("made_in_demo")
