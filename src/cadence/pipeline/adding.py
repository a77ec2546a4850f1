"""The write side of the pipeline that makes prospects and settings: add, enroll, assign, `me set`."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from cadence.cadences.model import Cadence
from cadence.domain import engine
from cadence.domain.contacts import check_timezone, clean_text, full_name, normalise_email, normalise_phone, zone_for_phone
from cadence.domain.engine import Status
from cadence.domain.profile import check_setting
from cadence.errors import CadenceError
from cadence.pipeline import versions
from cadence.pipeline.base import Base
from cadence.store import queries

if TYPE_CHECKING:
    from sqlmodel import Session

    from cadence.store.models import NewProspect, Prospect


class Adding(Base):
    """Adding prospects, enrolling them, handing them to a rep, and the rep's profile."""

    def set_me(self, key: str, value: str, custom: bool = False, session: Session | None = None) -> str:
        """Store one profile value; returns what was stored.

        Refuses an unknown key (unless `custom`), a secret, a malformed value and a
        default_cadence no cadence file has. `user` is stored for everyone: it says who the rep is.
        With `session`, the value is written in that transaction (the caller undoes `profile.values`
        if it rolls back); else in its own.
        """
        value = check_setting(key, value, custom)
        if key == "default_cadence":
            self.cadence(value)  # refuses a cadence that does not exist, naming the known ones
        owner = "" if key == "user" else self.user
        if session is not None:
            queries.set_setting(session, owner, key, value)
        else:
            with self.writing() as session:
                queries.set_setting(session, owner, key, value)
        self.profile.values[key] = value
        return value

    def unset_me(self, key: str) -> bool:
        """Remove the value wherever it comes from (the rep's own, and the shared one under it); False when none was set.

        The shared value goes too: otherwise it would show through at once, and `me unset user`
        (stored shared, as it names the rep) would change nothing.
        """
        with self.writing() as session:
            found = queries.profile(session, self.user)
            for owner in dict.fromkeys([self.user, ""]):
                queries.set_setting(session, owner, key, None)
        self.profile.values.pop(key, None)
        return key in found

    # ------------------------------------------------------------ adding

    def new_row(self, person: NewProspect, now: datetime) -> Prospect:
        """A prospect row with normalised contacts; refuses a bad time zone or email."""
        from cadence.store.models import Prospect

        email = normalise_email(person.email)
        if person.email.strip() and not email.valid:
            raise CadenceError(f"email {person.email!r} is not a valid address")
        phone = normalise_phone(person.phone, self.profile.region)
        if person.timezone:
            check_timezone(person.timezone)
        stamp = now.astimezone(timezone.utc)
        return Prospect(
            first_name=clean_text(person.first_name),
            last_name=clean_text(person.last_name),
            title=clean_text(person.title),
            company=clean_text(person.company),
            phone=phone.text,
            email=email.text,
            phone_key=phone.key,
            email_key=email.key,
            timezone=person.timezone or zone_for_phone(phone.text),
            source=person.source,
            tags=person.tags,
            fields=dict(person.fields),
            owner=self.user,
            status=Status.ACTIVE.value,
            created_at=stamp,
            updated_at=stamp,
        )

    def enroll_row(self, row: Prospect, cadence: Cadence, start: date, session: Session | None = None) -> None:
        """Start the row on `cadence` from `start`, recording the cadence version it follows."""
        queries.put_state(row, engine.enroll(cadence, self.calendar_for(cadence), start), session)
        self.pin_version(row, cadence, session)

    def pin_version(self, row: Prospect, cadence: Cadence, session: Session | None = None) -> None:
        """Record on the row which version of `cadence` it follows, and store a copy of that version."""
        from sqlalchemy.orm import object_session

        session = session or object_session(row)
        if session is None:
            row.cadence_version = versions.fingerprint(cadence)
            return
        stamp = (row.updated_at or row.created_at).astimezone(timezone.utc)
        row.cadence_version = versions.record(session, cadence, stamp)

    def add(self, person: NewProspect, now: datetime, cadence: str | None = None, start: date | None = None, enroll: bool = True) -> Prospect:
        """Add one prospect, enrolled from `start`; refuses a duplicate email or phone."""
        if not (clean_text(person.first_name) or clean_text(person.last_name)):
            raise CadenceError("a prospect needs a name: give --first and/or --last (with a visible character)")
        row = self.new_row(person, now)
        plan = self.cadence(cadence or self.profile.default_cadence) if enroll else None
        with self.writing() as session:
            existing = queries.matching_contacts(session, [row.email_key], [row.phone_key])
            if existing:
                other = existing[0]
                raise CadenceError(
                    f"already present as #{other.id} {full_name(other.first_name, other.last_name)} "
                    f"(same {'email' if row.email_key and other.email_key == row.email_key else 'phone'})"
                )
            if plan is not None:
                self.enroll_row(row, plan, start or self.profile.local_day(now), session)
            else:
                row.status = Status.PAUSED.value
            session.add(row)
            session.flush()
            session.expunge(row)
        return row

    def assign(self, ref: str, rep: str, now: datetime) -> dict[str, Any]:
        """Make `rep` the prospect's owner: their list, their calls. Refuses an empty name."""
        rep = rep.strip()
        if not rep:
            raise CadenceError("name the rep to assign the prospect to, e.g. `cadence assign 12 sam`")
        from cadence.store import tally

        with self.writing() as session:
            row = self.find(session, ref)
            previous = row.owner
            with tally.watching(session, [row.id]):
                row.owner = rep
            row.updated_at = self.profile.aware(now).astimezone(timezone.utc)
            return {
                "prospect_id": row.id,
                "name": full_name(row.first_name, row.last_name),
                "owner": rep,
                "previous_owner": previous or None,
                "status": row.status,
            }

