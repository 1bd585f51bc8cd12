"""kiosk: one-time codes of the office screens and verified answer sheets (issue 15)

``kiosk_code`` holds a hash of each code an office screen showed, with its commune, campaign,
the screen's session, and when it was shown, expires, was opened and was used; ``response``
gains ``verified`` (sent with a valid, unused code opened on that sheet's phone).

Revision ID: 0010_kiosk
Revises: 0009_dossier_counts
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_kiosk"
down_revision: str | Sequence[str] | None = "0009_dossier_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    # a plain ADD COLUMN (no table copy on SQLite: the response table may be large)
    op.add_column("response", sa.Column("verified", sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.create_index("ix_response_campaign_verified", "response",
                    ["campaign_id", "verified", "commune_code", "day", "excluded"], unique=False)
    op.create_table(
        "kiosk_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", Str(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("commune_code", Str(), nullable=False),
        sa.Column("screen_session", Str(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("sheet_token_hash", Str(length=64), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["commune_code"], ["commune.code"]),
        sa.ForeignKeyConstraint(["response_id"], ["response.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_kiosk_code_campaign_commune_day", "kiosk_code",
                    ["campaign_id", "commune_code", "day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_kiosk_code_campaign_commune_day", table_name="kiosk_code")
    op.drop_table("kiosk_code")
    op.drop_index("ix_response_campaign_verified", table_name="response")
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_column("verified")
