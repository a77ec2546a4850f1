"""Keeping the pipeline clean in the store: erased people's hashes, edit history, removing prospects."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Iterable, Sequence

from sqlalchemy import delete, select, update
from sqlmodel import Session

from cadence.store.models import Change, Forgotten, Prospect, Touch


def contact_hash(key: str) -> str:
    """The one-way hash kept of an erased email or phone key: it tells a key again, never gives it back."""
    return hashlib.sha256(f"cadence-forgotten:{key}".encode()).hexdigest()


def forgotten(session: Session, keys: Iterable[str]) -> set[str]:
    """The keys (email or phone keys) among these that belong to someone erased with `cadence forget`."""
    if session.execute(select(Forgotten.hash).limit(1)).first() is None:  # nobody erased (most stores): no hashing
        return set()
    hashes = {contact_hash(k): k for k in keys if k}
    if not hashes:
        return set()
    found = session.execute(select(Forgotten.hash).where(Forgotten.hash.in_(list(hashes)))).scalars()
    return {hashes[h] for h in found}


def keep_forgotten(session: Session, keys: Iterable[str], at: datetime) -> None:
    """Remember these keys as erased (only their hashes)."""
    for key in dict.fromkeys(k for k in keys if k):
        if session.get(Forgotten, contact_hash(key)) is None:
            session.add(Forgotten(hash=contact_hash(key), created_at=at))


def add_change(session: Session, prospect_id: int, at: datetime, text: str, undo: dict | None = None) -> None:
    session.add(Change(prospect_id=prospect_id, at=at, text=text, undo=undo))


def delete_prospect(session: Session, prospect_id: int) -> int:
    """Delete a prospect, their touches and their history; returns how many touches went."""
    touches = session.execute(delete(Touch).where(Touch.prospect_id == prospect_id)).rowcount
    session.execute(delete(Change).where(Change.prospect_id == prospect_id))
    session.execute(delete(Prospect).where(Prospect.id == prospect_id))
    return touches or 0


def last_undoable(session: Session, prospect_id: int | None) -> Change | None:
    """The latest change `cadence undo` can take back (a merge), of one prospect or of anyone."""
    query = select(Change).where(Change.undo.is_not(None))
    if prospect_id is not None:
        query = query.where(Change.prospect_id == prospect_id)
    return session.execute(query.order_by(Change.at.desc(), Change.id.desc()).limit(1)).scalars().first()


def move_touches(session: Session, ids: Sequence[int], to: int) -> None:
    if ids:
        session.execute(update(Touch).where(Touch.id.in_(list(ids))).values(prospect_id=to))


def move_changes(session: Session, source: int, to: int) -> list[int]:
    ids = list(session.execute(select(Change.id).where(Change.prospect_id == source)).scalars())
    if ids:
        session.execute(update(Change).where(Change.id.in_(ids)).values(prospect_id=to))
    return ids


def move_changes_back(session: Session, ids: Sequence[int], to: int) -> None:
    if ids:
        session.execute(update(Change).where(Change.id.in_(list(ids))).values(prospect_id=to))


def row_data(row: Prospect) -> dict:
    """Every column of a prospect as JSON values, for `restore_row`: dates as ISO text, named under "_dates"."""
    out: dict = {"_dates": {}}
    for column in Prospect.__table__.columns:
        value = getattr(row, column.name)
        if isinstance(value, (date, datetime)):
            out["_dates"][column.name] = "datetime" if isinstance(value, datetime) else "date"
            value = value.isoformat()
        out[column.name] = value
    return out


def restore_row(data: dict) -> Prospect:
    """The prospect `row_data` saved, with its id."""
    values = {column.name: data.get(column.name) for column in Prospect.__table__.columns}
    for name, kind in data.get("_dates", {}).items():
        values[name] = (datetime if kind == "datetime" else date).fromisoformat(values[name])
    return Prospect(**values)
