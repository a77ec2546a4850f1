"""The write side of the pipeline that records what happened: log and undo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from cadence.cadences.model import Cadence
from cadence.domain import engine
from cadence.domain.contacts import full_name
from cadence.domain.engine import Outcome, State, Status
from cadence.errors import CadenceError
from cadence.pipeline.base import Base, given_variant
from cadence.pipeline import versions
from cadence.store import queries
from cadence.store.tables import prospect as P

if TYPE_CHECKING:
    from cadence.store.models import Prospect


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



class Outcomes(Base):
    """Logging outcomes and undoing them."""

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
        from cadence.store import tally

        at = self.profile.aware(at)
        day = self.profile.local_day(at)
        asked = dates.read_day(callback_on, day) if isinstance(callback_on, str) else (callback_on, False)
        with self.committing() as session:
            row = self.find(session, ref)
            plan = self.plan_of(row, session)
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
            # A recycle starts the cadence again with step 1 done: its touch has no step, but the
            # script shown was step 1's, so the variant shown is the one recorded.
            variant = given_variant(plan, touch.step or (1 if touch.step_type == "recycle" else None), row)
            with tally.watching(session, [row.id]):
                queries.add_touch(
                    session,
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
                    variant=variant.id if variant is not None else None,
                    state_before={**queries.snapshot(before), "variant_slot": row.variant_slot},
                )
                queries.write_state(session, row, result.state, at.astimezone(timezone.utc))
            if row.cadence and not row.cadence_version and plan is not None:
                # Enrolled before versions were recorded: pin the one they follow now.
                version = versions.record(session, plan, at.astimezone(timezone.utc))
                session.execute(P.update().where(P.c.id == row.id).values(cadence_version=version))
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
        from cadence.store import cleaning, tally
        from cadence.store.models import Prospect

        with self.writing() as session:
            prospect_id = self.find(session, ref).id if ref else None
            touch = queries.last_touch(session, prospect_id, self.user or None)
            merged = cleaning.last_undoable(session, prospect_id)
            if merged is not None and (touch is None or _utc(merged.at) >= _utc(touch.at)):
                from cadence.pipeline.cleaning import undo_merge

                return undo_merge(session, merged)
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
                undo_state(session, row, touch.state_before)
                queries.delete_touch(session, touch.id)
            return {
                "prospect_id": row.id,
                "name": full_name(row.first_name, row.last_name),
                "removed": {"outcome": touch.outcome, "step": touch.step, "on": touch.on.isoformat()},
                "status": row.status,
                "next_step": row.step if row.status == Status.ACTIVE.value else None,
                "next_due": row.due_on.isoformat() if row.due_on else None,
            }

def undo_state(session, row: Prospect, before: dict) -> None:
    """Put back the state a touch started from, and the variant slot they held then.

    A slot taken by the touch (it moved them to a new step) is given back when nobody took one since.
    """
    from cadence.store import slots

    state = queries.restore(before)
    moved = (state.cadence, state.step) != (row.cadence, row.step)
    if moved:
        slots.give_back(session, row.cadence, row.step, row.variant_slot)
    kept = before["variant_slot"] if "variant_slot" in before else (None if moved else row.variant_slot)
    queries.put_state(row, state, session, slot=kept)


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




def _utc(at: datetime) -> datetime:
    """A stored instant as an aware UTC datetime (SQLite gives it back naive)."""
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at
