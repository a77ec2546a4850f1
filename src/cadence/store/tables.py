"""The tables, declared once in SQLAlchemy Core: what the database holds.

The commands a salesperson runs fifty times a day (`today`, `show`) read these through Core
without importing SQLModel and pydantic (issue 17); `cadence.store.models` maps its SQLModel
classes onto these same Table objects for the writes that use the ORM. The enrollment state
lives on the prospect row so `today` reads indexed columns.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, text
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


def name_key(first_name: str, last_name: str) -> str:
    """The full name as lookup compares it: Unicode case-folded (É, Ł, Ü as well as A), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", f"{first_name or ''} {last_name or ''}").casefold().split())


class UTCDateTime(TypeDecorator):
    """An aware instant, stored in UTC and read back aware in UTC.

    SQLModel's own type does the same, but importing it imports all of SQLModel and pydantic,
    which is what the reading commands avoid.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("an instant must carry its time zone")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:  # SQLite keeps UTC without an offset
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _text(name: str, default: str | None = "", **kw) -> Column:
    """A text column: NOT NULL with a default, or nullable with none (default=None)."""
    if default is None:
        return Column(name, String, nullable=True, **kw)
    return Column(name, String, nullable=False, default=default, **kw)


prospect = Table(
    "prospect",
    metadata,
    # Who a prospect is and how to reach them (models.Contact).
    *(_text(name) for name in ("first_name", "last_name", "title", "company", "phone", "email", "timezone", "source", "tags")),
    Column("id", Integer, primary_key=True),
    _text("name_key", index=True, server_default=text("''")),  # models.name_key(first_name, last_name): finding by name (0006)
    _text("phone_key", index=True),  # normalised, for finding duplicates
    _text("email_key", index=True),
    Column("fields", JSON, nullable=False),
    _text("owner"),
    _text("status", "active", index=True),
    _text("cadence", None),
    _text("cadence_version", None),
    Column("started_on", Date, nullable=True),
    Column("step", Integer, nullable=True),
    Column("due_on", Date, nullable=True),
    Column("last_done_on", Date, nullable=True),
    Column("callback_on", Date, nullable=True),
    Column("postponements", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("fired_on", Date, nullable=True),
    Column("paused_on", Date, nullable=True),
    # Their place in the round-robin of the step they are on: which variant they get (0010).
    Column("variant_slot", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_prospect_due", "due_on", "status"),
    Index("ix_prospect_owner_due", "owner", "due_on"),
    Index("ix_prospect_stats", "cadence", "status", "postponements", "owner"),  # `stats` counts statuses from it
)

touch = Table(
    "touch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prospect_id", Integer, ForeignKey("prospect.id"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("on", Date, nullable=False),  # the salesperson's calendar day
    _text("cadence", None),
    Column("step", Integer, nullable=True),
    _text("step_type", None),
    Column("outcome", String, nullable=False),
    _text("note"),
    Column("attempt", Boolean, nullable=False, default=True),
    Column("after_fire", Boolean, nullable=False, default=False),
    Column("forced", Boolean, nullable=False, default=False),
    _text("owner"),
    # The Message-ID of the email this touch sent, or of the message `cadence sync` read it from (0008).
    _text("message_id", None, index=True),
    # The id of the step's variant the prospect was given, when the step has variants (0010).
    _text("variant", None),
    # The prospect's state before this touch, so undo restores it exactly.
    Column("state_before", JSON, nullable=False),
    # What `cadence stats` counts, readable without touching the rows (migration 0003).
    Index("ix_touch_stats", "cadence", "step", "outcome", "attempt", "step_type", "prospect_id"),
    # `stats --variants` reads only this (0010): the touches with a variant, nothing else indexed.
    # Partial (WHERE variant IS NOT NULL) as migration 0010 makes it; the WHERE is not declared here
    # because naming postgresql_where loads the PostgreSQL dialect on every start-up (30 ms).
    Index("ix_touch_variant", "variant", "cadence", "step", "step_type", "outcome", "attempt"),
)

# The Message-ID of a draft `cadence email --draft` wrote, so a reply to it is matched by thread (0008).
mail_draft = Table(
    "mail_draft",
    metadata,
    Column("message_id", String, primary_key=True),
    Column("prospect_id", Integer, ForeignKey("prospect.id"), nullable=False, index=True),
    Column("step", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Where `cadence sync` stopped in one IMAP folder: its UIDVALIDITY and the last UID read (0008).
mail_sync = Table(
    "mail_sync",
    metadata,
    Column("source", String, primary_key=True),  # imap://user@host:port/FOLDER
    Column("uidvalidity", BigInteger, nullable=False),
    Column("last_uid", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# One value of a salesperson's profile (`me.*`); owner '' is the single-user profile.
setting = Table(
    "setting",
    metadata,
    Column("owner", String, primary_key=True, default=""),
    Column("key", String, primary_key=True),
    _text("value"),
)

# A stored copy of one version of a cadence, so a prospect keeps the plan they started on:
# `hash` is the content hash recorded in `prospect.cadence_version`; `content` holds the steps,
# calendar and scripts as JSON (see cadence.pipeline.versions).
cadence_version = Table(
    "cadence_version",
    metadata,
    Column("hash", String, primary_key=True),
    Column("name", String, nullable=False, index=True),
    Column("content", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),  # when this version was first recorded
)

# Running totals behind `cadence stats` (see cadence.store.tally): one row per figure, cadence,
# step, ... and owner, so `stats` reads a few hundred rows instead of every touch. Nothing reads
# it as objects, so it has no SQLModel class.
stat_tally = Table(
    "stat_tally",
    metadata,
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
    metadata,
    Column("cadence", String, primary_key=True),
    Column("step", Integer, primary_key=True),
    Column("taken", Integer, nullable=False),
)

# A one-way hash of an erased person's email or phone key (`cadence forget`): imports never re-create them.
forgotten = Table(
    "forgotten",
    metadata,
    Column("hash", String, primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# One line of a prospect's history of edits (`cadence edit`), shown by `cadence show`.
prospect_change = Table(
    "prospect_change",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prospect_id", Integer, ForeignKey("prospect.id"), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("text", String, nullable=False),
    # What `cadence undo` needs to take the change back (a merge: the merged prospect and what moved); None when it cannot.
    Column("undo", JSON(none_as_null=True), nullable=True),
)
