"""Running totals again: the stats funnel counts each prospect's current enrolment only.

`tally.share` now counts a step as reached once per current enrolment (every step up to
the furthest one touched), and a reply only when it followed a step of that enrolment,
so the totals kept since 0005 are counted again from the touch log.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from cadence.store import tally

    tally.rebuild(op.get_bind())


def downgrade() -> None:
    pass  # 0005's totals differ only in what they count; nothing to take away
