"""Changing a prospect's plan without a touch: pause, resume, snooze, enroll, time away, lingering."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Callable

from cadence.domain import pausing
from cadence.domain.contacts import full_name
from cadence.domain.engine import State, Status
from cadence.errors import CadenceError
from cadence.store import queries


def _change(pipe, ref: str, change: Callable[[Any, Any, State, str], State]) -> dict[str, Any]:
    """Apply `change(plan, row, state, name)` to one prospect in one transaction; returns where they stand."""
    with pipe.writing() as session:
        row = pipe.find(session, ref)
        name = full_name(row.first_name, row.last_name)
        new = change(pipe.plan_of(row), row, queries.state_of(row), name)
        from cadence.store import tally

        with tally.watching(session, [row.id]):  # the funnel counts a prospect in their current cadence
            queries.put_state(row, new)
        return {
            "prospect_id": row.id,
            "name": name,
            "status": row.status,
            "cadence": row.cadence,
            "next_step": row.step if row.status in ("active", "snoozed") else None,
            "next_due": row.due_on.isoformat() if row.due_on else None,
        }


def pause(pipe, ref: str, on: date) -> dict[str, Any]:
    """Take a prospect off the list until resumed."""
    return _change(pipe, ref, lambda plan, row, state, who: pausing.pause(state, on, who))


def resume(pipe, ref: str, on: date) -> dict[str, Any]:
    """Put a paused prospect back; their cadence dates move on by the days paused."""
    return _change(pipe, ref, lambda plan, row, state, who: pausing.resume(pipe.calendar_for(plan), state, on, who))


def snooze(pipe, ref: str, until: date, on: date) -> dict[str, Any]:
    """Put a prospect off until a day of your choosing (not counted as their postponement)."""
    return _change(pipe, ref, lambda plan, row, state, who: pausing.snooze(state, until, on, who))


def enroll(pipe, ref: str, cadence: str, start: date, force: bool = False) -> dict[str, Any]:
    """Start a prospect on `cadence` from `start`; refuses to move or revive one silently."""
    plan = pipe.cadence(cadence)

    def change(_old_plan, row, state, who):
        fresh = pausing.reenroll(plan, pipe.calendar_for(plan), state, start, force, who)
        pipe.pin_version(row, plan)  # the version of the file they start on
        return fresh

    return _change(pipe, ref, change)


def away(pipe, first: date, last: date) -> dict[str, Any]:
    """Move everything due from `first` to `last` to after it, keeping each prospect's spacing.

    The range also becomes days off in the profile, so later steps skip it.
    """
    if last < first:
        raise CadenceError(f"--to {last.isoformat()} is before --from {first.isoformat()}")
    shift = timedelta(days=(last - first).days + 1)
    before = pipe.profile.values.get("days_off")
    days_off = ", ".join(x for x in (before or "", f"{first.isoformat()}..{last.isoformat()}") if x)
    moved = 0
    try:
        with pipe.writing() as session:  # the days off and the moves commit together or not at all
            pipe.set_me("days_off", days_off, session=session)  # so the moves below skip the range too
            for row in queries.due_between(session, first, last, pipe.user or None):
                plan = pipe.plan_of(row)
                calendar = pipe.calendar_for(plan)
                state = queries.state_of(row)
                due = calendar.roll_forward(state.due_on + shift)
                started = state.started_on + shift if state.started_on and state.status == Status.ACTIVE else state.started_on
                queries.put_state(row, replace(state, due_on=due, started_on=started))
                moved += 1
    except BaseException:
        if before is None:
            pipe.profile.values.pop("days_off", None)
        else:
            pipe.profile.values["days_off"] = before
        raise
    return {"moved": moved, "from": first.isoformat(), "to": last.isoformat(), "days_off": days_off}


def lingering(pipe) -> list[dict[str, Any]]:
    """Prospects who have postponed `linger_after` times or more, most postponements first."""
    with pipe.reading() as session:
        rows = queries.lingering(session, pipe.profile.linger_after, pipe.user or None)
    return [
        {
            "prospect_id": row.id,
            "name": full_name(row.first_name, row.last_name),
            "company": row.company,
            "status": row.status,
            "postponements": row.postponements,
            "callback_on": row.callback_on.isoformat() if row.callback_on else None,
            "next_due": row.due_on.isoformat() if row.due_on else None,
            "lingering": True,
        }
        for row in rows
    ]
