"""An index on the full name, so `cadence log "Ana López"` finds her without reading every prospect.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The expression must be written exactly as queries.by_reference compares it.
    op.create_index("ix_prospect_name", "prospect", [text("lower(first_name || ' ' || last_name)")])


def downgrade() -> None:
    op.drop_index("ix_prospect_name", table_name="prospect")
