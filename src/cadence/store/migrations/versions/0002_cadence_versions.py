"""Stored copies of cadence versions, so editing a cadence file never moves prospects already in it.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Prospects enrolled before this revision keep cadence_version NULL: they
    # follow the cadence file as it is until `cadence cadences migrate` or their
    # next logged touch records the version they are on.
    op.create_table(
        "cadence_version",
        sa.Column("hash", sa.String(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cadence_version_name", "cadence_version", ["name"])


def downgrade() -> None:
    op.drop_index("ix_cadence_version_name", table_name="cadence_version")
    op.drop_table("cadence_version")
