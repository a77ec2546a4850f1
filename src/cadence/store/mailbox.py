"""What `cadence sync` and `cadence email` keep in the database: Message-IDs and where each folder's sync stopped."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlmodel import Session

from cadence.store.models import MailDraft, MailSync, Prospect, Touch


def contacts(session: Session, owner: str | None) -> dict[str, int]:
    """Email key -> prospect id for every prospect with an email (the rep's own when `owner`, else all)."""
    query = select(Prospect.email_key, Prospect.id).where(Prospect.email_key != "")
    if owner:
        query = query.where(Prospect.owner.in_(("", owner)))
    return {key: pid for key, pid in session.execute(query.order_by(Prospect.id.desc()))}


def threads(session: Session) -> dict[str, int]:
    """Message-ID -> prospect id: the emails cadence sent, the drafts it wrote, the messages sync read."""
    found = {mid: pid for mid, pid in session.execute(select(MailDraft.message_id, MailDraft.prospect_id))}
    found.update(
        {mid: pid for mid, pid in session.execute(select(Touch.message_id, Touch.prospect_id).where(Touch.message_id.is_not(None)))}
    )
    return found


def logged_message(session: Session, message_id: str) -> bool:
    """Whether a touch was already logged from (or with) this Message-ID."""
    return session.execute(select(Touch.id).where(Touch.message_id == message_id).limit(1)).first() is not None


def remember_draft(session: Session, message_id: str, prospect_id: int, step: int | None, at: datetime) -> None:
    session.merge(MailDraft(message_id=message_id, prospect_id=prospect_id, step=step, created_at=at.astimezone(timezone.utc)))


def position(session: Session, source: str) -> MailSync | None:
    return session.get(MailSync, source)


def move_to(session: Session, source: str, uidvalidity: int, last_uid: int, at: datetime) -> None:
    row = session.get(MailSync, source)
    stamp = at.astimezone(timezone.utc)
    if row is None:
        session.add(MailSync(source=source, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=stamp))
    else:
        row.uidvalidity, row.last_uid, row.updated_at = uidvalidity, last_uid, stamp
