"""Taking a prospect off the list and back: pause, resume, snooze, and enrolling again.

Pure, as cadence.domain.engine (whose `State` and `enroll` these work with): a state and a day in, a new state out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from cadence.domain.calendar import Calendar
from cadence.domain.engine import Plan, State, Status, enroll
from cadence.errors import CadenceError

IN_CADENCE = frozenset({Status.ACTIVE, Status.SNOOZED, Status.PAUSED})


def pause(state: State, on: date, who: str = "this prospect") -> State:
    """The state paused on `on` (off the list, due dates kept); refuses one not in a cadence."""
    if state.status not in (Status.ACTIVE, Status.SNOOZED):
        raise CadenceError(f"{who} is {state.status.value}: only an active or snoozed prospect can be paused")
    return replace(state, status=Status.PAUSED, paused_on=on)


def resume(calendar: Calendar, state: State, on: date, who: str = "this prospect") -> State:
    """The paused state back on the list; cadence dates shift by the days paused."""
    if state.status != Status.PAUSED:
        raise CadenceError(f"{who} is {state.status.value}, not paused: nothing to resume")
    if state.step is None or state.cadence is None:
        raise CadenceError(f"{who} is not in a cadence: use `cadence enroll` to start one")
    paused_on = state.paused_on or on
    shift = max(0, (on - paused_on).days)
    if state.callback_on is not None:
        # A callback date is the prospect's own wish: it does not move.
        return replace(state, status=Status.SNOOZED, paused_on=None)
    due = calendar.roll_forward(state.due_on + timedelta(days=shift)) if state.due_on else None
    started = state.started_on + timedelta(days=shift) if state.started_on else None
    return replace(state, status=Status.ACTIVE, paused_on=None, due_on=due, started_on=started)


def snooze(state: State, until: date, on: date, who: str = "this prospect") -> State:
    """The state put off until `until` (not counted as a postponement); refuses a past date."""
    if until < on:
        raise CadenceError(f"snooze date {until.isoformat()} is in the past; give a date from {on.isoformat()} on")
    if state.status not in (Status.ACTIVE, Status.SNOOZED, Status.ENGAGED, Status.CONVERTED):
        raise CadenceError(f"{who} is {state.status.value}: nothing to snooze")
    return replace(state, status=Status.SNOOZED, callback_on=until, due_on=until)


def reenroll(plan: Plan, calendar: Calendar, state: State, start: date, force: bool = False, who: str = "this prospect") -> State:
    """A fresh start in `plan`, counters kept; refuses do-not-contact, and fired or mid-cadence without force."""
    if state.status == Status.DO_NOT_CONTACT:
        raise CadenceError(f"{who} is do-not-contact: they can never be enrolled again")
    if not force:
        if state.status == Status.FIRED:
            raise CadenceError(
                f"{who} was fired on {state.fired_on}: enrolling again undoes the fire message; use --force if they asked for it"
            )
        if state.status in IN_CADENCE and state.cadence and state.step is not None:
            raise CadenceError(
                f"{who} is already in {state.cadence} at step {state.step}; use --force to move them to {plan.name}"
            )
    fresh = enroll(plan, calendar, start)
    return replace(fresh, attempts=state.attempts, postponements=state.postponements)
