"""The SQLModel classes of the writes that use the ORM, mapped onto the tables of cadence.store.tables.

Each column is declared once, in tables.py; a class here names its fields' Python types and
defaults for pydantic and takes the column itself from there (`_column`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import Table, event
from sqlmodel import Field, SQLModel

from cadence.store import tables
from cadence.store.tables import name_key, stat_tally, variant_counter  # noqa: F401  (re-exported: older imports read them here)

P, T = tables.prospect, tables.touch


def _column(table: Table, name: str, default: Any = ..., **kw) -> Any:
    """A field whose column is `table`'s own."""
    return Field(default, sa_column=table.c[name], **kw)


class Contact(SQLModel):
    """Who a prospect is and how to reach them: the fields a stored prospect and a new one share."""

    first_name: str = _column(P, "first_name", "")
    last_name: str = _column(P, "last_name", "")
    title: str = _column(P, "title", "")
    company: str = _column(P, "company", "")
    phone: str = _column(P, "phone", "")
    email: str = _column(P, "email", "")
    timezone: str = _column(P, "timezone", "")
    source: str = _column(P, "source", "")
    tags: str = _column(P, "tags", "")


class NewProspect(Contact):
    """A prospect to add: their contact fields and custom fields (cadence.pipeline's add and import)."""

    fields: dict[str, str] = {}


class Prospect(Contact, table=True):
    __table__ = P

    id: Optional[int] = _column(P, "id", None)
    name_key: str = _column(P, "name_key", "")
    phone_key: str = _column(P, "phone_key", "")
    email_key: str = _column(P, "email_key", "")
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=P.c.fields)
    owner: str = _column(P, "owner", "")
    status: str = _column(P, "status", "active")
    cadence: Optional[str] = _column(P, "cadence", None)
    cadence_version: Optional[str] = _column(P, "cadence_version", None)
    started_on: Optional[date] = _column(P, "started_on", None)
    step: Optional[int] = _column(P, "step", None)
    due_on: Optional[date] = _column(P, "due_on", None)
    last_done_on: Optional[date] = _column(P, "last_done_on", None)
    callback_on: Optional[date] = _column(P, "callback_on", None)
    postponements: int = _column(P, "postponements", 0)
    attempts: int = _column(P, "attempts", 0)
    fired_on: Optional[date] = _column(P, "fired_on", None)
    paused_on: Optional[date] = _column(P, "paused_on", None)
    variant_slot: Optional[int] = _column(P, "variant_slot", None)
    created_at: datetime = _column(P, "created_at")
    updated_at: datetime = _column(P, "updated_at")


@event.listens_for(Prospect, "before_insert")
@event.listens_for(Prospect, "before_update")
def _keep_name_key(_mapper, _connection, row: Prospect) -> None:
    row.name_key = name_key(row.first_name, row.last_name)


class Touch(SQLModel, table=True):
    __table__ = T

    id: Optional[int] = _column(T, "id", None)
    prospect_id: int = _column(T, "prospect_id")
    at: datetime = _column(T, "at")  # UTC
    on: date = _column(T, "on")  # the salesperson's calendar day
    cadence: Optional[str] = _column(T, "cadence", None)
    step: Optional[int] = _column(T, "step", None)
    step_type: Optional[str] = _column(T, "step_type", None)
    outcome: str = _column(T, "outcome")
    note: str = _column(T, "note", "")
    attempt: bool = _column(T, "attempt", True)
    after_fire: bool = _column(T, "after_fire", False)
    forced: bool = _column(T, "forced", False)
    owner: str = _column(T, "owner", "")
    message_id: Optional[str] = _column(T, "message_id", None)
    variant: Optional[str] = _column(T, "variant", None)
    state_before: dict[str, Any] = Field(default_factory=dict, sa_column=T.c.state_before)


class MailDraft(SQLModel, table=True):
    __table__ = tables.mail_draft

    message_id: str = _column(tables.mail_draft, "message_id")
    prospect_id: int = _column(tables.mail_draft, "prospect_id")
    step: Optional[int] = _column(tables.mail_draft, "step", None)
    created_at: datetime = _column(tables.mail_draft, "created_at")  # UTC


class MailSync(SQLModel, table=True):
    __table__ = tables.mail_sync

    source: str = _column(tables.mail_sync, "source")  # imap://user@host:port/FOLDER
    uidvalidity: int = _column(tables.mail_sync, "uidvalidity")
    last_uid: int = _column(tables.mail_sync, "last_uid")
    updated_at: datetime = _column(tables.mail_sync, "updated_at")  # UTC


class Setting(SQLModel, table=True):
    __table__ = tables.setting

    owner: str = _column(tables.setting, "owner", "")
    key: str = _column(tables.setting, "key")
    value: str = _column(tables.setting, "value", "")


class CadenceVersion(SQLModel, table=True):
    __table__ = tables.cadence_version

    hash: str = _column(tables.cadence_version, "hash")
    name: str = _column(tables.cadence_version, "name")
    content: dict[str, Any] = Field(default_factory=dict, sa_column=tables.cadence_version.c.content)
    created_at: datetime = _column(tables.cadence_version, "created_at")  # UTC


class Forgotten(SQLModel, table=True):
    __table__ = tables.forgotten

    hash: str = _column(tables.forgotten, "hash")
    created_at: datetime = _column(tables.forgotten, "created_at")  # UTC


class Change(SQLModel, table=True):
    __table__ = tables.prospect_change

    id: Optional[int] = _column(tables.prospect_change, "id", None)
    prospect_id: int = _column(tables.prospect_change, "prospect_id")
    at: datetime = _column(tables.prospect_change, "at")  # UTC
    text: str = _column(tables.prospect_change, "text")
    undo: Optional[dict[str, Any]] = _column(tables.prospect_change, "undo", None)
