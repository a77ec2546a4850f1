"""The rows `cadence list` shows: plain columns, not ORM objects, so 100,000 prospects stay quick."""

from __future__ import annotations

from datetime import date
from typing import Sequence

from sqlalchemy import select
from sqlmodel import Session

from cadence.store.models import Prospect

COLUMNS = (
    Prospect.id, Prospect.first_name, Prospect.last_name, Prospect.name_key, Prospect.company, Prospect.status,
    Prospect.cadence, Prospect.step, Prospect.attempts, Prospect.due_on, Prospect.email, Prospect.phone,
    Prospect.tags, Prospect.owner, Prospect.fields,
)


def listed(session: Session, statuses: Sequence[str], cadence: str | None, owner: str | None, due_before: date | None) -> list:
    """Prospects in `statuses` (all when empty), on `cadence`, of `owner`, due before `due_before`, by id."""
    query = select(*COLUMNS)
    if statuses:
        query = query.where(Prospect.status.in_(list(statuses)))
    if cadence:
        query = query.where(Prospect.cadence == cadence)
    if owner:
        query = query.where(Prospect.owner == owner)
    if due_before is not None:
        query = query.where(Prospect.due_on < due_before)
    return list(session.execute(query.order_by(Prospect.id)))
