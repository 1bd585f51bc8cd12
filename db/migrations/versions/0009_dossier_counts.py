"""dossier counts: the one-stop office's own count of dossiers received per commune and day

Imported by district or province staff (app/operations/dossiers.py); an independent count of
visits beside the daily report's self-reported visits, used by the integrity engine where
present.

Revision ID: 0009_dossier_counts
Revises: 0008_integrity_signals
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_dossier_counts"
down_revision: str | Sequence[str] | None = "0008_integrity_signals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dossier_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dossiers", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=True),
        sa.Column("imported_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["commune_code"], ["commune.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "commune_code", "day",
                            name="uq_dossier_count_commune_day"),
    )
    with op.batch_alter_table("dossier_count", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dossier_count_campaign_id"), ["campaign_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_dossier_count_commune_code"), ["commune_code"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dossier_count", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_count_commune_code"))
        batch_op.drop_index(batch_op.f("ix_dossier_count_campaign_id"))
    op.drop_table("dossier_count")
