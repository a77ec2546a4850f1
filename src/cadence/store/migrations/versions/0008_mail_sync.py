"""The mailbox as a source of truth (issue 15): the Message-ID of each email touch, the
Message-IDs of drafts written, and where `cadence sync` stopped in each folder.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("touch") as batch:
        batch.add_column(sa.Column("message_id", sa.String(), nullable=True))
    op.create_index("ix_touch_message_id", "touch", ["message_id"])
    op.create_table(
        "mail_draft",
        sa.Column("message_id", sa.String(), primary_key=True),
        sa.Column("prospect_id", sa.Integer(), sa.ForeignKey("prospect.id"), nullable=False, index=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "mail_sync",
        sa.Column("source", sa.String(), primary_key=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mail_sync")
    op.drop_table("mail_draft")
    op.drop_index("ix_touch_message_id", table_name="touch")
    with op.batch_alter_table("touch") as batch:
        batch.drop_column("message_id")
