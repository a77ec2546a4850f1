"""An index that `cadence stats` reads instead of the touch table.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Covers every per-step count of `stats` (outcomes, prospects reached,
    # fires, meetings), so a million touches are counted from this narrow
    # index rather than from rows that carry the state_before JSON.
    op.create_index("ix_touch_stats", "touch", ["cadence", "step", "outcome", "attempt", "step_type", "prospect_id"])


def downgrade() -> None:
    op.drop_index("ix_touch_stats", table_name="touch")
