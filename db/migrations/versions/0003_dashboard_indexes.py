"""dashboard indexes: covering indexes for the overview's sums over the running tallies

The overview sums ``option_tally`` per option and ``commune_hour_tally`` per day and hour over all
communes. With these indexes SQLite reads the sums in index order (no temporary sort), which
keeps the overview's cost flat as answers grow (bench/dashboard.py).

Revision ID: 0004
Revises: 0007
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("option_tally", schema=None) as batch_op:
        batch_op.create_index("ix_option_tally_question",
                              ["campaign_id", "questionnaire_id", "question_id", "option_value",
                               "n"], unique=False)
    with op.batch_alter_table("commune_hour_tally", schema=None) as batch_op:
        batch_op.create_index("ix_commune_hour_tally_day_hour",
                              ["campaign_id", "day", "hour", "n"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("commune_hour_tally", schema=None) as batch_op:
        batch_op.drop_index("ix_commune_hour_tally_day_hour")
    with op.batch_alter_table("option_tally", schema=None) as batch_op:
        batch_op.drop_index("ix_option_tally_question")
