"""The round-robin behind A/B variants: one counter per cadence step of how many prospects have reached it.

The n-th prospect to reach a step (counting from 0) holds slot n there, and gets the
step's variant n mod k: k variants always split a step's prospects as evenly as
whole numbers allow. The pipeline reads the slot (cadence.pipeline.variants); this
module only counts, for every step, so that variants added later find the count kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import update

from cadence.store.address import dialect_name
from cadence.store.tables import variant_counter

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session


def take(session: Session | Connection, cadence: str, step: int, count: int = 1) -> int:
    """Reserve `count` consecutive slots of a cadence step; returns the first.

    One upsert: the counter row is locked until commit on PostgreSQL, so two
    people logging at once never get the same slot.
    """
    if dialect_name(session) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(variant_counter).values(cadence=cadence, step=step, taken=count)
    statement = statement.on_conflict_do_update(
        index_elements=[variant_counter.c.cadence, variant_counter.c.step],
        set_={"taken": variant_counter.c.taken + statement.excluded.taken},
    ).returning(variant_counter.c.taken)
    return int(session.execute(statement).scalar_one()) - count


def give_back(session: Session, cadence: str | None, step: int | None, slot: int | None) -> None:
    """Return a slot taken by a touch now undone, when nobody has taken one after it (else it stays used)."""
    if cadence is None or step is None or slot is None:
        return
    session.execute(
        update(variant_counter)
        .where(variant_counter.c.cadence == cadence, variant_counter.c.step == step, variant_counter.c.taken == slot + 1)
        .values(taken=slot)
    )
