"""Running totals for `cadence stats`, and an index it counts statuses from.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stat_tally",
        sa.Column("kind", sa.String(), primary_key=True),
        sa.Column("cadence", sa.String(), primary_key=True),
        sa.Column("step", sa.Integer(), primary_key=True),
        sa.Column("step_type", sa.String(), primary_key=True),
        sa.Column("outcome", sa.String(), primary_key=True),
        sa.Column("attempt", sa.Boolean(), primary_key=True),
        sa.Column("value", sa.Integer(), primary_key=True),
        sa.Column("owner", sa.String(), primary_key=True),
        sa.Column("enrolled", sa.Boolean(), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_index("ix_prospect_stats", "prospect", ["cadence", "status", "postponements", "owner"])
    # The totals of the history already logged: one pass over the touch log (a few
    # seconds for a million touches), through the same code that keeps them afterwards.
    from cadence.store import tally

    tally.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_prospect_stats", table_name="prospect")
    op.drop_table("stat_tally")
