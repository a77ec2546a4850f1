"""A folded copy of the full name, indexed, so finding a prospect by name ignores case in every
alphabet ("MÜLLER", "łukasz") on SQLite as on PostgreSQL; it replaces 0004's lower() index, whose
SQLite lower() folds ASCII letters only.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from cadence.store.models import name_key

    op.add_column("prospect", sa.Column("name_key", sa.String(), nullable=False, server_default=sa.text("''")))
    connection = op.get_bind()
    prospect = sa.table("prospect", sa.column("id"), sa.column("first_name"), sa.column("last_name"), sa.column("name_key"))
    last = 0
    while True:  # in batches, so a large pipeline is not read into memory at once
        rows = connection.execute(
            sa.select(prospect.c.id, prospect.c.first_name, prospect.c.last_name)
            .where(prospect.c.id > last).order_by(prospect.c.id).limit(5000)
        ).all()
        if not rows:
            break
        connection.execute(
            prospect.update().where(prospect.c.id == sa.bindparam("pid")).values(name_key=sa.bindparam("key")),
            [{"pid": row.id, "key": name_key(row.first_name, row.last_name)} for row in rows],
        )
        last = rows[-1].id
    op.create_index("ix_prospect_name_key", "prospect", ["name_key"])
    op.drop_index("ix_prospect_name", table_name="prospect")


def downgrade() -> None:
    op.create_index("ix_prospect_name", "prospect", [sa.text("lower(first_name || ' ' || last_name)")])
    op.drop_index("ix_prospect_name_key", table_name="prospect")
    op.drop_column("prospect", "name_key")
