"""Keeping the pipeline clean in the store: erased people's hashes, edit history, removing prospects."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import delete, select
from sqlmodel import Session

from cadence.store.models import Change, Forgotten, Prospect, Touch


def contact_hash(key: str) -> str:
    """The one-way hash kept of an erased email or phone key: it tells a key again, never gives it back."""
    return hashlib.sha256(f"cadence-forgotten:{key}".encode()).hexdigest()


def forgotten(session: Session, keys: Iterable[str]) -> set[str]:
    """The keys (email or phone keys) among these that belong to someone erased with `cadence forget`."""
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


def add_change(session: Session, prospect_id: int, at: datetime, text: str) -> None:
    session.add(Change(prospect_id=prospect_id, at=at, text=text))


def changes(session: Session, prospect_id: int) -> Sequence[Change]:
    return session.execute(select(Change).where(Change.prospect_id == prospect_id).order_by(Change.at, Change.id)).scalars().all()


def delete_prospect(session: Session, prospect_id: int) -> int:
    """Delete a prospect, their touches and their history; returns how many touches went."""
    touches = session.execute(delete(Touch).where(Touch.prospect_id == prospect_id)).rowcount
    session.execute(delete(Change).where(Change.prospect_id == prospect_id))
    session.execute(delete(Prospect).where(Prospect.id == prospect_id))
    return touches or 0
