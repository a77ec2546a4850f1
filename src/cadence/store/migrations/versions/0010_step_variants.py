"""A/B variants of cadence steps (issue 18): the variant on each touch, and each prospect's place in
the round-robin of the step they are on, with one counter per cadence step.

Prospects already on a step are numbered in id order, so a step given variants later still
shares them out evenly.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("touch") as batch:
        batch.add_column(sa.Column("variant", sa.String(), nullable=True))
    # Covering and partial: `stats --variants` reads it alone, and a touch without a variant costs nothing.
    op.create_index(
        "ix_touch_variant", "touch", ["variant", "cadence", "step", "step_type", "outcome", "attempt"],
        sqlite_where=sa.text("variant IS NOT NULL"), postgresql_where=sa.text("variant IS NOT NULL"),
    )
    with op.batch_alter_table("prospect") as batch:
        batch.add_column(sa.Column("variant_slot", sa.Integer(), nullable=True))
    counter = op.create_table(
        "variant_counter",
        sa.Column("cadence", sa.String(), primary_key=True),
        sa.Column("step", sa.Integer(), primary_key=True),
        sa.Column("taken", sa.Integer(), nullable=False),
    )
    _number_prospects(op.get_bind(), counter)


def _number_prospects(connection, counter) -> None:
    """Give everyone already on a step their place in that step's round-robin, in id order."""
    prospect = sa.table("prospect", sa.column("id"), sa.column("cadence"), sa.column("step"), sa.column("variant_slot"))
    rows = connection.execute(
        sa.select(prospect.c.id, prospect.c.cadence, prospect.c.step)
        .where(prospect.c.cadence.is_not(None), prospect.c.step.is_not(None))
        .order_by(prospect.c.cadence, prospect.c.step, prospect.c.id)
    ).all()
    taken: dict[tuple[str, int], int] = {}
    slots = []
    for prospect_id, cadence, step in rows:
        slot = taken.get((cadence, step), 0)
        taken[cadence, step] = slot + 1
        slots.append({"pid": prospect_id, "slot": slot})
    if slots:
        update = prospect.update().where(prospect.c.id == sa.bindparam("pid")).values(variant_slot=sa.bindparam("slot"))
        connection.execute(update, slots)
    if taken:
        op.bulk_insert(counter, [{"cadence": c, "step": s, "taken": n} for (c, s), n in sorted(taken.items())])


def downgrade() -> None:
    op.drop_table("variant_counter")
    with op.batch_alter_table("prospect") as batch:
        batch.drop_column("variant_slot")
    op.drop_index("ix_touch_variant", table_name="touch")
    with op.batch_alter_table("touch") as batch:
        batch.drop_column("variant")
