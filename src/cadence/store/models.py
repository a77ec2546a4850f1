"""The tables. The enrollment state lives on the prospect row so `today` reads indexed columns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

import unicodedata

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table, event, text
from sqlmodel import Field, SQLModel


def name_key(first_name: str, last_name: str) -> str:
    """The full name as lookup compares it: Unicode case-folded (É, Ł, Ü as well as A), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", f"{first_name or ''} {last_name or ''}").casefold().split())


class Contact(SQLModel):
    """Who a prospect is and how to reach them: the fields a stored prospect and a new one share."""

    first_name: str = ""
    last_name: str = ""
    title: str = ""
    company: str = ""
    phone: str = ""
    email: str = ""
    timezone: str = ""
    source: str = ""
    tags: str = ""


class Prospect(Contact, table=True):
    __tablename__ = "prospect"
    __table_args__ = (
        Index("ix_prospect_due", "due_on", "status"),
        Index("ix_prospect_owner_due", "owner", "due_on"),
        Index("ix_prospect_stats", "cadence", "status", "postponements", "owner"),  # `stats` counts statuses from it
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    name_key: str = Field(default="", index=True, sa_column_kwargs={"server_default": text("''")})  # name_key(first_name, last_name): finding by name (0006)
    phone_key: str = Field(default="", index=True)  # normalised, for finding duplicates
    email_key: str = Field(default="", index=True)
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    owner: str = ""
    status: str = Field(default="active", index=True)
    cadence: Optional[str] = None
    cadence_version: Optional[str] = None
    started_on: Optional[date] = None
    step: Optional[int] = None
    due_on: Optional[date] = None
    last_done_on: Optional[date] = None
    callback_on: Optional[date] = None
    postponements: int = 0
    attempts: int = 0
    fired_on: Optional[date] = None
    paused_on: Optional[date] = None
    # Their place in the round-robin of the step they are on: which variant they get (0010).
    variant_slot: Optional[int] = None
    created_at: datetime
    updated_at: datetime


@event.listens_for(Prospect, "before_insert")
@event.listens_for(Prospect, "before_update")
def _keep_name_key(_mapper, _connection, row: Prospect) -> None:
    row.name_key = name_key(row.first_name, row.last_name)


class Touch(SQLModel, table=True):
    __tablename__ = "touch"
    # What `cadence stats` counts, readable without touching the rows (migration 0003).
    __table_args__ = (
        Index("ix_touch_stats", "cadence", "step", "outcome", "attempt", "step_type", "prospect_id"),
        # `stats --variants` reads only this (0010): the touches with a variant, nothing else indexed.
        Index("ix_touch_variant", "variant", "cadence", "step", "step_type", "outcome", "attempt",
              sqlite_where=text("variant IS NOT NULL"), postgresql_where=text("variant IS NOT NULL")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    prospect_id: int = Field(foreign_key="prospect.id", index=True)
    at: datetime  # UTC
    on: date  # the salesperson's calendar day
    cadence: Optional[str] = None
    step: Optional[int] = None
    step_type: Optional[str] = None
    outcome: str
    note: str = ""
    attempt: bool = True
    after_fire: bool = False
    forced: bool = False
    owner: str = ""
    # The Message-ID of the email this touch sent, or of the message `cadence sync` read it from (0008).
    message_id: Optional[str] = Field(default=None, index=True)
    # The id of the step's variant the prospect was given, when the step has variants (0010).
    variant: Optional[str] = None
    # The prospect's state before this touch, so undo restores it exactly.
    state_before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class MailDraft(SQLModel, table=True):
    """The Message-ID of a draft `cadence email --draft` wrote, so a reply to it is matched by thread (0008)."""

    __tablename__ = "mail_draft"

    message_id: str = Field(primary_key=True)
    prospect_id: int = Field(foreign_key="prospect.id", index=True)
    step: Optional[int] = None
    created_at: datetime  # UTC


class MailSync(SQLModel, table=True):
    """Where `cadence sync` stopped in one IMAP folder: its UIDVALIDITY and the last UID read (0008)."""

    __tablename__ = "mail_sync"

    source: str = Field(primary_key=True)  # imap://user@host:port/FOLDER
    uidvalidity: int = Field(sa_type=BigInteger)
    last_uid: int = Field(sa_type=BigInteger)
    updated_at: datetime  # UTC


class Setting(SQLModel, table=True):
    """One value of a salesperson's profile (`me.*`); owner '' is the single-user profile."""

    __tablename__ = "setting"

    owner: str = Field(default="", primary_key=True)
    key: str = Field(primary_key=True)
    value: str = ""


class CadenceVersion(SQLModel, table=True):
    """A stored copy of one version of a cadence, so a prospect keeps the plan they started on.

    `hash` is the content hash recorded in `prospect.cadence_version`; `content`
    holds the steps, calendar and scripts as JSON (see cadence.pipeline.versions).
    """

    __tablename__ = "cadence_version"

    hash: str = Field(primary_key=True)
    name: str = Field(index=True)
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime  # UTC, when this version was first recorded


# Running totals behind `cadence stats` (see cadence.store.tally): one row per figure, cadence,
# step, ... and owner, so `stats` reads a few hundred rows instead of every touch. A plain table,
# not a SQLModel class: nothing reads it as objects.
stat_tally = Table(
    "stat_tally",
    SQLModel.metadata,
    Column("kind", String, primary_key=True),
    Column("cadence", String, primary_key=True),
    Column("step", Integer, primary_key=True),
    Column("step_type", String, primary_key=True),
    Column("outcome", String, primary_key=True),
    Column("attempt", Boolean, primary_key=True),
    Column("value", Integer, primary_key=True),
    Column("owner", String, primary_key=True),
    Column("enrolled", Boolean, primary_key=True),  # the prospect has a cadence (what an owner's figures count)
    Column("n", Integer, nullable=False),
)


# How many prospects have reached each cadence step so far: the next one takes this number as
# their variant slot (cadence.store.queries.take_slot). Counted for every step, so variants added
# to a step later still share its prospects out evenly.
variant_counter = Table(
    "variant_counter",
    SQLModel.metadata,
    Column("cadence", String, primary_key=True),
    Column("step", Integer, primary_key=True),
    Column("taken", Integer, nullable=False),
)


class Forgotten(SQLModel, table=True):
    """A one-way hash of an erased person's email or phone key (`cadence forget`): imports never re-create them."""

    __tablename__ = "forgotten"

    hash: str = Field(primary_key=True)
    created_at: datetime  # UTC


class Change(SQLModel, table=True):
    """One line of a prospect's history of edits (`cadence edit`), shown by `cadence show`."""

    __tablename__ = "prospect_change"

    id: Optional[int] = Field(default=None, primary_key=True)
    prospect_id: int = Field(foreign_key="prospect.id", index=True)
    at: datetime  # UTC
    text: str
    # What `cadence undo` needs to take the change back (a merge: the merged prospect and what moved); None when it cannot.
    undo: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON(none_as_null=True), nullable=True))
