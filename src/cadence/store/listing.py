"""The rows `cadence list` shows: plain columns, not ORM objects, so 100,000 prospects stay quick."""

from __future__ import annotations

from datetime import date
from typing import Collection, Sequence

from sqlalchemy import String, cast, select
from sqlmodel import Session

from cadence.store.models import Prospect

COLUMNS = (
    Prospect.id, Prospect.first_name, Prospect.last_name, Prospect.name_key, Prospect.company, Prospect.status,
    Prospect.cadence, Prospect.step, Prospect.attempts, Prospect.due_on, Prospect.email, Prospect.phone,
    Prospect.tags, Prospect.owner,
)
# What --search and --tag look through, as text the database hands over unconverted (custom fields as JSON text).
SEARCHED = (Prospect.id, Prospect.name_key, Prospect.company, Prospect.email, Prospect.phone, Prospect.tags, cast(Prospect.fields, String))
MANY = 20000  # more ids than this are filtered after reading, not sent as an IN list (parameter limits)


def _where(query, statuses: Sequence[str], cadence: str | None, owner: str | None, due_before: date | None):
    if statuses:
        query = query.where(Prospect.status.in_(list(statuses)))
    if cadence:
        query = query.where(Prospect.cadence == cadence)
    if owner:
        query = query.where(Prospect.owner == owner)
    if due_before is not None:
        query = query.where(Prospect.due_on < due_before)
    return query


def listed(session: Session, statuses: Sequence[str], cadence: str | None, owner: str | None, due_before: date | None,
           ids: Collection[int] | None = None) -> list:
    """Prospects in `statuses` (all when empty), on `cadence`, of `owner`, due before `due_before` (and among `ids`), by id."""
    query = _where(select(*COLUMNS), statuses, cadence, owner, due_before)
    if ids is not None and len(ids) <= MANY:
        query = query.where(Prospect.id.in_(list(ids)))
    rows = list(session.connection().execute(query.order_by(Prospect.id)))
    if ids is not None and len(ids) > MANY:
        rows = [r for r in rows if r.id in ids]
    return rows


def searched(session: Session, statuses: Sequence[str], cadence: str | None, owner: str | None, due_before: date | None) -> list:
    """(id, name_key, company, email, phone, tags, fields as JSON text) of the same prospects, for --search and --tag."""
    return list(session.connection().execute(_where(select(*SEARCHED), statuses, cadence, owner, due_before)))
