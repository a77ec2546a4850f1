"""The pipeline's foundation: the database sessions, the profile, the cadence library and finding a prospect.

The read side (cadence.pipeline.reading) and the write sides (adding, outcomes) build on it;
cadence.pipeline.core puts them together as `Pipeline`.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timezone, tzinfo
from typing import TYPE_CHECKING, Iterator

from cadence.cadences.library import Library
from cadence.cadences.model import Cadence, Variant
from cadence.domain.contacts import full_name, phone_key
from cadence.domain.profile import Profile
from cadence.errors import CadenceError
from cadence.pipeline import versions
from cadence.store import queries

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    from cadence.store.models import Prospect


def given_variant(plan: Cadence | None, number: int | None, row: Prospect) -> Variant | None:
    """The variant of step `number` of `plan` this prospect gets (their slot there, else their id); None without one.

    The same answer for `today`, `show`, `email` and `log`, so the script shown is the one recorded.
    """
    if plan is None or number is None or not 1 <= number <= len(plan.steps):
        return None
    step = plan.steps[number - 1]
    if not step.variants:
        return None
    return step.variant(row.variant_slot if row.variant_slot is not None else row.id)


class Base:
    """One salesperson's (or the whole team's) prospects in one database."""

    def __init__(self, engine_, user: str | None = None, system_zone: tzinfo = timezone.utc):
        self.engine = engine_
        self.system_zone = system_zone
        with self.peeking() as session:
            shared = queries.profile(session, "")
            self.user = user or shared.get("user") or ""
            # Whose prospects the lists (today, work, stats, ...) show: the rep's own, None for everyone's.
            self.scope: str | None = self.user or None
            self.profile = Profile(queries.profile(session, self.user), system_zone)
        self.library = Library(me_keys=self.profile.values.keys())
        # Which version of its cadence each prospect follows; notices for `today`.
        self.versions = versions.Book(self.library, self.peeking)

    # ------------------------------------------------------------ sessions

    @contextmanager
    def reading(self) -> Iterator[Session]:
        from sqlmodel import Session

        with Session(self.engine) as session:
            yield session

    @contextmanager
    def peeking(self) -> Iterator[Connection]:
        """A read on a bare Connection: rows, not objects, and no ORM, SQLModel or pydantic to
        import, for the commands run fifty times a day (today, show; docs/performance.md)."""
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that commits whole or not at all; concurrent writers queue, never overwrite.

        SQLite takes the write lock at BEGIN (BEGIN IMMEDIATE); on PostgreSQL every prospect row
        read here is locked (SELECT ... FOR UPDATE) until commit. See docs/team.md.
        """
        from sqlalchemy import event
        from sqlmodel import Session

        with Session(self.engine.execution_options(immediate=True)) as session:
            event.listen(session, "do_orm_execute", queries.lock_prospects)
            with session.begin():
                yield session

    @contextmanager
    def committing(self) -> Iterator[Connection]:
        """`writing` on a bare Connection, for a write that needs no ORM (`log`): the same
        BEGIN IMMEDIATE on SQLite, and every prospect row read locked (FOR UPDATE) on PostgreSQL."""
        with self.engine.execution_options(immediate=True).connect() as connection:
            connection.info["locking"] = True
            try:
                with connection.begin():
                    yield connection
            finally:
                connection.info.pop("locking", None)

    def cadence(self, name: str) -> Cadence:
        return self.library.get(name)

    def calendar_for(self, cadence: Cadence | None):
        from cadence.domain.calendar import Calendar

        if cadence is None:
            return Calendar(business=True, country=self.profile.country, days_off=self.profile.days_off)
        return cadence.calendar(self.profile.days_off, self.profile.country)

    def plan_of(self, row: Prospect, session: Session | Connection | None = None) -> Cadence | None:
        """The plan the prospect follows: their recorded version of the cadence (None when there is none).

        A stored version is read in `session`, else in the ORM object's own session, else in a fresh read.
        """
        if not row.cadence:
            return None
        if session is None:  # an ORM object knows its session; a plain row has none
            from sqlalchemy import inspect

            mapped = inspect(row, raiseerr=False)
            session = mapped.session if mapped is not None else None
        return self.versions.plan(row.cadence, row.cadence_version, session)

    def find(self, session: Session | Connection, ref: str) -> Prospect:
        """The one prospect `ref` names; refuses none or several (listing them)."""
        if not ref.strip():
            raise CadenceError("name a prospect by id, email, phone or part of the name")

        def key() -> str:  # read only for a phone-like ref: parsing loads the phone library
            return phone_key(ref, self.profile.region)

        rows = queries.by_reference(session, ref, key, self.user or None)
        if not rows and self.user:
            rows = queries.by_reference(session, ref, key, None)  # a colleague's prospect
        if not rows:
            raise CadenceError(f"no prospect matches {ref!r}: try an id, email, phone or part of the name")
        if len(rows) > 1:
            names = "; ".join(f"#{r.id} {full_name(r.first_name, r.last_name)} ({r.company or r.email or r.phone})" for r in rows[:8])
            more = f" and {len(rows) - 8} more" if len(rows) > 8 else ""
            raise CadenceError(f"{ref!r} matches {len(rows)} prospects: {names}{more}; use the id")
        return rows[0]

