"""What the salesperson does with their pipeline: add, list today, log, undo, show.

Library first: the CLI calls these and prints what they return.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from typing import Any, Iterator

from sqlmodel import Session

from cadence.domain import engine
from cadence.pipeline import versions
from cadence.domain import worklist
from cadence.cadences.library import Library
from cadence.cadences.model import Cadence
from cadence.cadences.templates import render
from cadence.domain.contacts import check_timezone, clean_text, full_name, normalise_email, normalise_phone, phone_key, zone_for_phone
from cadence.domain.engine import Outcome, State, Status
from cadence.errors import CadenceError
from cadence.domain.profile import Profile, check_setting
from cadence.store import queries, tally
from cadence.store.models import Prospect, Touch


@dataclass
class NewProspect:
    first_name: str
    last_name: str = ""
    title: str = ""
    company: str = ""
    phone: str = ""
    email: str = ""
    timezone: str = ""
    source: str = ""
    tags: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Item:
    """One line of the day's list."""

    prospect_id: int
    name: str
    company: str
    title: str
    phone: str
    email: str
    timezone: str
    local_time: str | None
    status: str
    cadence: str | None
    step: int | None
    steps: int | None
    type: str
    channel: str
    due: date
    overdue_days: int
    attempts: int
    postponements: int
    script: str
    voicemail: str | None = None
    subject: str | None = None
    missing: str | None = None
    callback_on: date | None = None
    lingering: bool = False
    outside_hours: bool = False
    step_title: str | None = None  # a task step's title (what to do)
    owner: str = ""  # the rep whose prospect this is ('' when nobody's)

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["due"] = self.due.isoformat()
        data["callback_on"] = self.callback_on.isoformat() if self.callback_on else None
        return data


@dataclass
class Logged:
    prospect_id: int
    name: str
    outcome: str
    step: int | None
    status: str
    next_step: int | None
    next_due: date | None
    fired: bool
    after_fire: bool
    forced: bool
    on: date | None = None  # the date understood from --on: the asked callback or the next date

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["next_due"] = self.next_due.isoformat() if self.next_due else None
        data["on"] = self.on.isoformat() if self.on else None
        return data


class Pipeline:
    """One salesperson's (or the whole team's) prospects in one database."""

    def __init__(self, engine_, user: str | None = None, system_zone: tzinfo = timezone.utc):
        self.engine = engine_
        self.system_zone = system_zone
        with self.reading() as session:
            shared = queries.profile(session, "")
            self.user = user or shared.get("user") or ""
            # Whose prospects the lists (today, work, stats, ...) show: the rep's own, None for everyone's.
            self.scope: str | None = self.user or None
            self.profile = Profile(queries.profile(session, self.user), system_zone)
        self.library = Library(me_keys=self.profile.values.keys())
        # Which version of its cadence each prospect follows; notices for `today`.
        self.versions = versions.Book(self.library, self.reading)

    # ------------------------------------------------------------ sessions

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A transaction that commits whole or not at all; concurrent writers queue, never overwrite.

        SQLite takes the write lock at BEGIN (BEGIN IMMEDIATE); on PostgreSQL every prospect row
        read here is locked (SELECT ... FOR UPDATE) until commit. See docs/team.md.
        """
        from sqlalchemy import event

        with Session(self.engine.execution_options(immediate=True)) as session:
            event.listen(session, "do_orm_execute", queries.lock_prospects)
            with session.begin():
                yield session

    # ------------------------------------------------------------ helpers

    def cadence(self, name: str) -> Cadence:
        return self.library.get(name)

    def calendar_for(self, cadence: Cadence | None):
        from cadence.domain.calendar import Calendar

        if cadence is None:
            return Calendar(business=True, country=self.profile.country, days_off=self.profile.days_off)
        return cadence.calendar(self.profile.days_off, self.profile.country)

    def _plan_of(self, row: Prospect) -> Cadence | None:
        """The plan the prospect follows: their recorded version of the cadence (None when there is none)."""
        if not row.cadence:
            return None
        from sqlalchemy.orm import object_session

        return self.versions.plan(row.cadence, row.cadence_version, object_session(row))

    def find(self, session: Session, ref: str) -> Prospect:
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

    # ------------------------------------------------------------ profile

    def set_me(self, key: str, value: str, custom: bool = False) -> str:
        """Store one profile value; returns what was stored.

        Refuses an unknown key (unless `custom`), a secret, a malformed value and a
        default_cadence no cadence file has. `user` is stored for everyone: it says who the rep is.
        """
        value = check_setting(key, value, custom)
        if key == "default_cadence":
            self.cadence(value)  # refuses a cadence that does not exist, naming the known ones
        with self.writing() as session:
            queries.set_setting(session, "" if key == "user" else self.user, key, value)
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
        queries.put_state(row, engine.enroll(cadence, self.calendar_for(cadence), start))
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

    # ------------------------------------------------------------ today

    def today(self, now: datetime, on: date | None = None) -> list[Item]:
        """Everything due on `on` (default: the salesperson's day at `now`), overdue first."""
        day = on or self.profile.local_day(now)
        with self.reading() as session:
            rows = queries.due(session, day, self.scope)
            callbacks = [r.id for r in rows if r.status != Status.ACTIVE.value]
            notes = queries.last_notes(session, callbacks)
        items = [self._item(row, day, now, notes.get(row.id, "")) for row in rows]
        return worklist.order([item for item in items if item is not None], self.profile.aware(now))

    def today_capped(self, now: datetime, on: date | None = None, max_calls: int | None = None) -> worklist.Capped:
        """The day's list with calls capped at `max_calls` (default: the profile's max_calls)."""
        day = on or self.profile.local_day(now)
        limit = max_calls if max_calls is not None else self.profile.max_calls
        return worklist.cap_calls(self.today(now, on=day), limit, self.calendar_for(None).add(day, 1))

    def _item(self, row: Prospect, day: date, now: datetime, note: str) -> Item | None:
        plan = self._plan_of(row)
        state = queries.state_of(row)
        kind = engine.item_type(plan, state)
        if kind is None:
            return None
        step = None
        if plan is not None and kind == "recycle":
            step = plan.steps[0]
        elif plan is not None and row.step is not None and row.step <= len(plan.steps):
            step = plan.steps[row.step - 1]  # the step due, or the one a callback interrupted
        channel = step.channel if step is not None and kind != "callback" else "phone"
        texts = self._texts(row, plan, step, kind, note)
        local_time = self._local_time(row, now)
        missing = None
        if channel == "phone" and not row.phone:
            missing = "phone"
        elif channel == "email" and not row.email:
            missing = "email"
        return Item(
            prospect_id=row.id,
            name=full_name(row.first_name, row.last_name),
            company=row.company,
            title=row.title,
            phone=row.phone,
            email=row.email,
            timezone=row.timezone or self.profile.zone_name,
            local_time=local_time,
            status=row.status,
            cadence=row.cadence,
            step=step.number if step is not None else None,
            steps=len(plan.steps) if plan else None,
            type=kind,
            channel=channel,
            due=row.due_on,
            overdue_days=(day - row.due_on).days,
            attempts=row.attempts,
            postponements=row.postponements,
            missing=missing,
            callback_on=row.callback_on,
            owner=row.owner,
            lingering=engine.lingering(state, self.profile.linger_after),
            outside_hours=channel == "phone" and not worklist.in_window(local_time, self.profile.calling_hours),
            **texts,
        )

    def _local_time(self, row: Prospect, now: datetime) -> str | None:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(row.timezone) if row.timezone else self.profile.zone
        return self.profile.aware(now).astimezone(zone).strftime("%H:%M")

    def context(self, row: Prospect, plan: Cadence | None, step) -> dict[str, Any]:
        """What a script template sees."""
        prospect = {
            "id": row.id,
            "first_name": row.first_name or full_name(row.first_name, row.last_name),  # never "Hi ,"
            "last_name": row.last_name,
            "name": full_name(row.first_name, row.last_name),
            "title": row.title,
            "company": row.company,
            "phone": row.phone,
            "email": row.email,
            "timezone": row.timezone,
            "source": row.source,
            "tags": row.tags,
            "owner": row.owner,
            "status": row.status,
            "fields": dict(row.fields or {}),
        }
        step_vars = {}
        if step is not None:
            step_vars = {"number": step.number, "day": step.day, "type": step.type, "channel": step.channel, "title": step.title or ""}
        return {
            "prospect": prospect,
            "me": self.profile.me(),
            "step": step_vars,
            "steps": len(plan.steps) if plan else 0,
            "attempts": row.attempts,
        }

    def _texts(self, row: Prospect, plan: Cadence | None, step, kind: str, note: str) -> dict[str, str | None]:
        context = self.context(row, plan, step)

        def text(source: str | None) -> str | None:
            if source is None:
                return None
            try:
                return render(source, context)
            except CadenceError as exc:
                where = f"step {step.number} of " if step is not None else ""
                return f"[{exc}: fix {where}the cadence file {plan.path if plan else ''}]"

        lead = ""
        if kind == "callback":
            asked = f"They asked to be called back on {row.callback_on.isoformat()}." if row.callback_on else "The follow-up you agreed with them."
            lead = f"{asked} {('Last note: ' + note) if note else ''}".strip() + "\n"
        elif kind == "recycle":
            lead = f"Fired on {row.fired_on.isoformat() if row.fired_on else '?'}; their recycle date has come: start the cadence again.\n"
        if step is None or (kind == "callback" and step.channel != "phone"):
            return {"script": lead.strip()}
        if step.type == "task":
            return {"script": lead + (text(step.instructions) or ""), "step_title": step.title}
        if step.type == "email" or step.fire_channel == "email":
            return {"script": lead + (text(step.body) or ""), "subject": text(step.subject)}
        return {"script": lead + (text(step.script) or ""), "voicemail": text(step.voicemail)}

    # ------------------------------------------------------------ logging

    def log(
        self,
        ref: str,
        outcome: Outcome,
        at: datetime,
        note: str = "",
        callback_on: date | str | None = None,
        force: bool = False,
        message_id: str | None = None,
    ) -> Logged:
        """Record one outcome at instant `at` and move the prospect on; refuses what the engine refuses,
        and an outcome that does not fit the step's channel or the prospect's contacts unless `force`.

        `callback_on` is a date, or the text of --on: a phrase ("in 2 weeks", "next tuesday") lands on
        a working day of the prospect's calendar outside your days off; YYYY-MM-DD is kept as given.
        `message_id` is kept on the touch: the email sent, or the message `cadence sync` read it from.
        """
        from cadence.domain import dates

        at = self.profile.aware(at)
        day = self.profile.local_day(at)
        asked = dates.read_day(callback_on, day) if isinstance(callback_on, str) else (callback_on, False)
        with self.writing() as session:
            row = self.find(session, ref)
            plan = self._plan_of(row)
            if row.cadence and plan is None and row.status in (Status.ACTIVE.value, Status.SNOOZED.value):
                self.cadence(row.cadence)  # raises the loader's error: unknown or broken file
            before = queries.state_of(row)
            name = full_name(row.first_name, row.last_name)
            if self.user and row.owner not in ("", self.user) and outcome not in engine.NOT_ATTEMPTS and not force:
                raise CadenceError(
                    f"#{row.id} {name} is {row.owner}'s prospect: leave the calls to them, or take them over "
                    f"with `cadence assign {row.id} {self.user}` (--force logs it anyway)"
                )
            calendar = self.calendar_for(plan)
            on_day, phrase = asked
            if on_day is not None and phrase:
                on_day = dates.check_day(dates.on_working_day(on_day, calendar, self.profile.days_off), "--on")
            if not force:
                self._check_fit(outcome, plan, before, row, name)
            result = engine.log(
                plan,
                calendar,
                before,
                outcome,
                day,
                callback_on=on_day,
                next_on=on_day if outcome != Outcome.CALLBACK else None,
                force=force,
                callback_lead=self.profile.callback_lead,
                who=name,
            )
            touch = result.touch
            with tally.watching(session, [row.id]):
                session.add(
                    Touch(
                        prospect_id=row.id,
                        at=at.astimezone(timezone.utc),
                        on=day,
                        cadence=row.cadence,
                        step=touch.step,
                        step_type=touch.step_type,
                        outcome=outcome.value,
                        note=note,
                        attempt=touch.attempt,
                        after_fire=touch.after_fire,
                        forced=touch.forced,
                        owner=self.user or row.owner,
                        message_id=message_id,
                        state_before=queries.snapshot(before),
                    )
                )
                queries.put_state(row, result.state)
                row.updated_at = at.astimezone(timezone.utc)
            if row.cadence and not row.cadence_version and plan is not None:
                self.pin_version(row, plan, session)  # enrolled before versions were recorded
            after = result.state
            return Logged(
                prospect_id=row.id,
                name=name,
                outcome=outcome.value,
                step=touch.step,
                status=after.status.value,
                next_step=after.step if after.status in (Status.ACTIVE, Status.SNOOZED) else None,
                next_due=after.due_on,
                fired=after.status == Status.FIRED and before.status != Status.FIRED,
                after_fire=touch.after_fire,
                forced=force,
                on=on_day,
            )

    def _check_fit(self, outcome: Outcome, plan: Cadence | None, state: State, row: Prospect, who: str) -> None:
        """Refuses an outcome that cannot have happened on the item due (docs/guide.md, "Channel checks")."""
        channel = item_channel(plan, state)
        why = engine.misfit(outcome, channel, bool(row.phone), bool(row.email))
        if why is None:
            return
        force = "or use --force to log it anyway"
        if why in ("call", "email"):
            fits = "vm, na, gk, conn" if why == "call" else "sent, bounced"
            kind = "a call" if why == "call" else "an email"
            raise CadenceError(
                f"'{outcome.value}' does not fit step {state.step} for {who}: it is {kind}. "
                f"Log what happened ({fits}, ...), {force}"
            )
        what = "email" if why == "no email" else "phone"
        raise CadenceError(
            f"'{outcome.value}' needs {'an' if what == 'email' else 'a'} {what} but {who} has none on file: "
            f"add it (`cadence import FILE --update` fills empty fields), {force}"
        )

    def undo(self, ref: str | None = None) -> dict[str, Any]:
        """Remove the last touch (of one prospect, or the last logged at all) and restore the state before it."""
        with self.writing() as session:
            prospect_id = self.find(session, ref).id if ref else None
            touch = queries.last_touch(session, prospect_id, self.user or None)
            if touch is None:
                who = f"for {ref!r}" if ref else "yet"
                raise CadenceError(f"nothing to undo: no touch logged {who}")
            if self.user and touch.owner not in ("", self.user):
                raise CadenceError(f"the last touch of #{touch.prospect_id} was logged by {touch.owner}: only they can undo it")
            row = session.get(Prospect, touch.prospect_id)  # locked from here on PostgreSQL
            latest = queries.last_touch(session, row.id, None)
            if latest is None or latest.id != touch.id:
                raise CadenceError(f"#{row.id}'s touches changed while undoing (someone else logged or undid one): check `cadence show {row.id}`")
            with tally.watching(session, [row.id]):
                queries.put_state(row, queries.restore(touch.state_before))
                queries.delete_touch(session, touch.id)
            return {
                "prospect_id": row.id,
                "name": full_name(row.first_name, row.last_name),
                "removed": {"outcome": touch.outcome, "step": touch.step, "on": touch.on.isoformat()},
                "status": row.status,
                "next_step": row.step if row.status == Status.ACTIVE.value else None,
                "next_due": row.due_on.isoformat() if row.due_on else None,
            }

    # ------------------------------------------------------------ team

    def assign(self, ref: str, rep: str, now: datetime) -> dict[str, Any]:
        """Make `rep` the prospect's owner: their list, their calls. Refuses an empty name."""
        rep = rep.strip()
        if not rep:
            raise CadenceError("name the rep to assign the prospect to, e.g. `cadence assign 12 sam`")
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

    # ------------------------------------------------------------ show

    def show(self, ref: str) -> dict[str, Any]:
        """The prospect, where they stand, and their touches in order."""
        with self.reading() as session:
            row = self.find(session, ref)
            history = queries.touches(session, row.id)
        plan = self._plan_of(row)
        active = row.status == Status.ACTIVE.value
        next_type = engine.item_type(plan, queries.state_of(row))
        return {
            "id": row.id,
            "name": full_name(row.first_name, row.last_name),
            "first_name": row.first_name,
            "last_name": row.last_name,
            "company": row.company,
            "title": row.title,
            "phone": row.phone,
            "email": row.email,
            "timezone": row.timezone,
            "owner": row.owner,
            "status": row.status,
            "cadence": row.cadence,
            "steps": len(plan.steps) if plan else None,
            "started_on": _iso(row.started_on),
            "next_step": row.step if active or row.status == Status.SNOOZED.value else None,
            "next_type": next_type,
            "next_due": _iso(row.due_on),
            "callback_on": _iso(row.callback_on),
            "fired_on": _iso(row.fired_on),
            "attempts": row.attempts,
            "postponements": row.postponements,
            "lingering": engine.lingering(queries.state_of(row), self.profile.linger_after),
            "fields": dict(row.fields or {}),
            "touches": [
                {
                    "at": t.at.astimezone(timezone.utc).isoformat(),
                    "on": t.on.isoformat(),
                    "step": t.step,
                    "type": t.step_type,
                    "outcome": t.outcome,
                    "note": t.note,
                    "after_fire": t.after_fire,
                    "forced": t.forced,
                }
                for t in history
            ],
        }


def item_channel(plan: Cadence | None, state: State) -> str | None:
    """The channel of the cadence step due (phone, email or task); None for a follow-up, a callback
    or anything else out of the cadence, which may be taken on any channel."""
    if plan is None:
        return None
    if state.status == Status.ACTIVE and state.step is not None and state.step <= len(plan.steps):
        return plan.steps[state.step - 1].channel
    if state.status == Status.FIRED and state.due_on is not None:
        return plan.steps[0].channel  # a recycle item starts the cadence again
    return None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
