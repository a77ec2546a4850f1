"""Erased people's hashes (`cadence forget`) and each prospect's history of edits (`cadence edit`).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forgotten",
        sa.Column("hash", sa.String(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "prospect_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("prospect_id", sa.Integer(), sa.ForeignKey("prospect.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("undo", sa.JSON(), nullable=True),
    )
    op.create_index("ix_prospect_change_prospect_id", "prospect_change", ["prospect_id"])


def downgrade() -> None:
    op.drop_index("ix_prospect_change_prospect_id", "prospect_change")
    op.drop_table("prospect_change")
    op.drop_table("forgotten")
