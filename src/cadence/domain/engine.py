"""Pure scheduling and outcome rules: a state, an outcome and a day in, a new state out.

No database, no clock, no terminal: every date is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Protocol, Sequence

from cadence.domain.calendar import Calendar
from cadence.errors import CadenceError


class Status(StrEnum):
    ACTIVE = "active"
    SNOOZED = "snoozed"
    PAUSED = "paused"
    ENGAGED = "engaged"
    CONVERTED = "converted"
    FIRED = "fired"
    LOST = "lost"
    DISQUALIFIED = "disqualified"
    DO_NOT_CONTACT = "do-not-contact"
    NEEDS_FIX = "needs-fix"


class Outcome(StrEnum):
    NO_ANSWER = "no-answer"
    VOICEMAIL = "voicemail"
    GATEKEEPER = "gatekeeper"
    SENT = "sent"
    CONNECTED = "connected"
    MEETING = "meeting"
    CALLBACK = "callback"
    REPLIED = "replied"
    NOT_INTERESTED = "not-interested"
    DISQUALIFIED = "disqualified"
    BAD_NUMBER = "bad-number"
    BOUNCED = "bounced"
    DO_NOT_CONTACT = "do-not-contact"
    DONE = "done"  # a task step carried out
    SKIPPED = "skipped"  # a task step passed over on purpose


ALIASES: dict[str, Outcome] = {
    "na": Outcome.NO_ANSWER,
    "noanswer": Outcome.NO_ANSWER,
    "vm": Outcome.VOICEMAIL,
    "gk": Outcome.GATEKEEPER,
    "gate": Outcome.GATEKEEPER,
    "email": Outcome.SENT,
    "conn": Outcome.CONNECTED,
    "talked": Outcome.CONNECTED,
    "mtg": Outcome.MEETING,
    "cb": Outcome.CALLBACK,
    "rep": Outcome.REPLIED,
    "reply": Outcome.REPLIED,
    "ni": Outcome.NOT_INTERESTED,
    "no": Outcome.NOT_INTERESTED,
    "dq": Outcome.DISQUALIFIED,
    "bad": Outcome.BAD_NUMBER,
    "bn": Outcome.BAD_NUMBER,
    "bounce": Outcome.BOUNCED,
    "dnc": Outcome.DO_NOT_CONTACT,
}

# Outcomes that use up the step and move to the next one.
ADVANCING = frozenset(
    {Outcome.NO_ANSWER, Outcome.VOICEMAIL, Outcome.GATEKEEPER, Outcome.SENT, Outcome.DONE, Outcome.SKIPPED}
)
# Outcomes that use up a due step without touching the prospect: checked like
# an outbound touch, but not counted as an attempt.
NOT_TOUCHES = frozenset({Outcome.SKIPPED})
# Outcomes that are not an outbound try: they do not count as attempts and
# are accepted whether or not a step is due.
NOT_ATTEMPTS = frozenset({Outcome.REPLIED, Outcome.DISQUALIFIED, Outcome.DO_NOT_CONTACT})
# Outcomes that only make sense on one channel (docs/guide.md, "Channel checks"): an email was
# sent or bounced; a phone rang, or someone (a gatekeeper included) answered it.
EMAIL_OUTCOMES = frozenset({Outcome.SENT, Outcome.BOUNCED})
PHONE_OUTCOMES = frozenset({Outcome.VOICEMAIL, Outcome.NO_ANSWER, Outcome.CONNECTED, Outcome.GATEKEEPER})
# Statuses whose item is a follow-up agreed with the prospect, not a cadence step.
FOLLOWING_UP = frozenset({Status.ENGAGED, Status.CONVERTED})
# Statuses where an outbound touch is a mistake unless forced.
CLOSED = frozenset(
    {Status.FIRED, Status.LOST, Status.DISQUALIFIED, Status.PAUSED, Status.NEEDS_FIX}
)


def parse_outcome(text: str) -> Outcome:
    """The outcome named by `text` (a name or an alias); refuses anything else."""
    key = text.strip().lower().replace("_", "-").replace(" ", "-")
    try:
        return Outcome(key)
    except ValueError:
        pass
    if key.replace("-", "") in ALIASES:
        return ALIASES[key.replace("-", "")]
    names = ", ".join(o.value for o in Outcome)
    raise CadenceError(f"unknown outcome {text!r}: use one of {names} (or an alias such as vm, na, cb)")


class StepPlan(Protocol):
    day: int
    type: str


class Plan(Protocol):
    """What the engine needs of a cadence."""

    name: str
    steps: Sequence[StepPlan]
    recycle_after: object  # a dateutil relativedelta or None


@dataclass(frozen=True)
class State:
    """Where a prospect stands: the indexed columns of the prospect row."""

    status: Status = Status.ACTIVE
    cadence: str | None = None
    started_on: date | None = None
    step: int | None = None  # the next step, 1-based; None when none is left
    due_on: date | None = None  # when the next item (step, callback, recycle) is due
    last_done_on: date | None = None
    callback_on: date | None = None
    postponements: int = 0
    attempts: int = 0
    fired_on: date | None = None
    paused_on: date | None = None


@dataclass(frozen=True)
class Touch:
    """What to record for one logged outcome."""

    outcome: Outcome
    on: date
    step: int | None  # the cadence step it belongs to
    step_type: str | None  # the step's type, or callback / recycle
    attempt: bool
    after_fire: bool
    forced: bool


@dataclass(frozen=True)
class Logged:
    state: State
    touch: Touch


def enroll(plan: Plan, calendar: Calendar, start: date) -> State:
    """A fresh state at step 1, due on the start date (the next working day if it is not one)."""
    if not plan.steps:
        raise CadenceError(f"cadence {plan.name!r} has no steps")
    first = calendar.roll_forward(start)
    return State(status=Status.ACTIVE, cadence=plan.name, started_on=first, step=1, due_on=first)


def planned_on(plan: Plan, calendar: Calendar, started_on: date, step: int) -> date:
    """The earliest day step `step` may be due: start + (day_k - day_1) working days."""
    offset = plan.steps[step - 1].day - plan.steps[0].day
    return calendar.add(started_on, offset)


def due_after(plan: Plan, calendar: Calendar, started_on: date, step: int, done_on: date) -> date:
    """When step `step` is due once the step before it was done on `done_on`.

    The planned gap is kept after the actual day, and never earlier than the plan.
    """
    gap = plan.steps[step - 1].day - plan.steps[step - 2].day
    # roll_forward: a same-day step (gap 0) done on a weekend is due on the next working day.
    after = calendar.roll_forward(calendar.add(done_on, gap))
    return max(after, planned_on(plan, calendar, started_on, step))


def item_type(plan: Plan | None, state: State) -> str | None:
    """What is due for this state: a step type, `callback`, `recycle`, or None."""
    if state.due_on is None:
        return None
    if state.status == Status.SNOOZED or state.status in (Status.ENGAGED, Status.CONVERTED):
        return "callback"
    if state.status == Status.FIRED:
        return "recycle"
    if state.status == Status.ACTIVE and plan is not None and state.step is not None:
        if state.step <= len(plan.steps):
            return plan.steps[state.step - 1].type
    return None


def misfit(outcome: Outcome, channel: str | None, has_phone: bool, has_email: bool) -> str | None:
    """Why `outcome` cannot have happened on an item of `channel` (phone, email, task or None for
    a follow-up, which may be taken on either) for a prospect with these contacts; None when it fits."""
    if outcome in EMAIL_OUTCOMES:
        if channel == "phone":
            return "call"
        if not has_email:
            return "no email"
    if outcome in PHONE_OUTCOMES:
        if channel == "email":
            return "email"
        if not has_phone:
            return "no phone"
    return None


def log(
    plan: Plan | None,
    calendar: Calendar,
    state: State,
    outcome: Outcome,
    on: date,
    *,
    callback_on: date | None = None,
    next_on: date | None = None,
    force: bool = False,
    callback_lead: int = 1,
    who: str = "this prospect",
) -> Logged:
    """The state after `outcome` is logged on day `on`, and the touch to record.

    Refuses an outbound touch that is not due, or to a fired, lost or paused
    prospect, unless `force`; refuses anything to a do-not-contact prospect.
    """
    if state.status == Status.DO_NOT_CONTACT and outcome != Outcome.DO_NOT_CONTACT:
        raise CadenceError(f"{who} is do-not-contact: nothing more can be logged for them")
    outbound = outcome not in NOT_ATTEMPTS
    attempt = outbound and outcome not in NOT_TOUCHES
    if outbound:
        _check_outbound(state, on, force, who)
        if state.status in FOLLOWING_UP and outcome in ADVANCING and not force:
            _check_follow_up(state, on, who)
    kind = item_type(plan, state)
    on_step = state.step if state.status == Status.ACTIVE and plan is not None else None
    touch = Touch(
        outcome=outcome,
        on=on,
        step=on_step,
        step_type=kind,
        attempt=attempt,
        after_fire=outcome == Outcome.REPLIED and state.status == Status.FIRED,
        forced=force,
    )
    counted = replace(state, attempts=state.attempts + 1) if attempt else state
    new = _effect(plan, calendar, counted, outcome, on, callback_on, next_on, callback_lead)
    return Logged(state=new, touch=touch)


def _check_outbound(state: State, on: date, force: bool, who: str) -> None:
    if force:
        return
    if state.status == Status.FIRED:
        if state.due_on is not None and state.due_on <= on:
            return  # a recycle item whose date has come
        raise CadenceError(
            f"{who} was fired on {state.fired_on}: calling again undoes the fire message. "
            "If they got in touch, log 'replied'; use --force to log an outbound touch anyway"
        )
    if state.status in CLOSED:
        raise CadenceError(
            f"{who} is {state.status.value}: no touch is due. Use --force to log one anyway"
        )
    if state.status in (Status.ACTIVE, Status.SNOOZED):
        if state.due_on is None:
            raise CadenceError(f"{who} has no step left in the cadence; use --force to log anyway")
        if state.due_on > on:
            what = "the callback" if state.status == Status.SNOOZED else f"step {state.step}"
            raise CadenceError(
                f"{what} for {who} is not due until {state.due_on.isoformat()}; "
                "use --force to log it early"
            )


def _check_follow_up(state: State, on: date, who: str) -> None:
    """Refuses a try that did not reach an engaged (or converted) prospect before their follow-up is due.

    What a conversation produced (connected, meeting, callback, not-interested...) is accepted at any time.
    """
    if state.due_on is None:
        raise CadenceError(
            f"{who} is {state.status.value} with no follow-up date: give one with `cadence snooze` or log "
            "what the conversation gave (connected --on DATE, meeting, ...); use --force to log this try anyway"
        )
    if state.due_on > on:
        raise CadenceError(
            f"the follow-up with {who} is not due until {state.due_on.isoformat()}; use --force to log it early"
        )


def _effect(
    plan: Plan | None,
    calendar: Calendar,
    state: State,
    outcome: Outcome,
    on: date,
    callback_on: date | None,
    next_on: date | None,
    callback_lead: int,
) -> State:
    if outcome in ADVANCING:
        return _advance(plan, calendar, state, on, next_on)
    if outcome == Outcome.CALLBACK:
        if callback_on is None:
            raise CadenceError("a callback needs its date: add --on DATE (the day they asked for)")
        if callback_on < on:
            raise CadenceError(
                f"callback date {callback_on.isoformat()} is in the past; give a date from "
                f"{on.isoformat()} on"
            )
        # The lead is in business days even when the cadence counts calendar days.
        business = calendar if calendar.business else replace(calendar, business=True)
        # Never back on the list the day it was logged, unless they asked for that very day.
        earliest = on if callback_on == on else min(callback_on, business.add(on, 1))
        early = max(earliest, business.subtract(callback_on, callback_lead))
        return replace(
            state,
            status=Status.SNOOZED,
            callback_on=callback_on,
            due_on=early,
            postponements=state.postponements + 1,
            last_done_on=on,
        )
    closed = dict(step=None, callback_on=None, last_done_on=on)
    if outcome == Outcome.CONNECTED:
        return replace(state, status=Status.ENGAGED, due_on=next_on, **closed)
    if outcome == Outcome.REPLIED:
        return replace(state, status=Status.ENGAGED, due_on=next_on, **closed)
    if outcome == Outcome.MEETING:
        return replace(state, status=Status.CONVERTED, due_on=next_on, **closed)
    if outcome == Outcome.NOT_INTERESTED:
        return replace(state, status=Status.LOST, due_on=None, **closed)
    if outcome == Outcome.DISQUALIFIED:
        return replace(state, status=Status.DISQUALIFIED, due_on=None, **closed)
    if outcome == Outcome.DO_NOT_CONTACT:
        return replace(state, status=Status.DO_NOT_CONTACT, due_on=None, **closed)
    # bad-number / bounced: keep the step so the cadence resumes once fixed.
    return replace(state, status=Status.NEEDS_FIX, due_on=None, callback_on=None, last_done_on=on)


def _advance(
    plan: Plan | None, calendar: Calendar, state: State, on: date, next_on: date | None
) -> State:
    status = state.status
    if status == Status.SNOOZED:
        return _resume_after_callback(plan, calendar, state, on)
    if status in FOLLOWING_UP:
        # A follow-up that did not reach them is tried again: on the date given, else the next
        # working day. It never silently drops off every list.
        return replace(state, due_on=next_on or calendar.add(on, 1), callback_on=None, last_done_on=on)
    if status == Status.FIRED and plan is not None and state.due_on is not None and state.due_on <= on:
        # The recycle date has come: the prospect starts the cadence again, step 1 done today.
        restarted = State(
            status=Status.ACTIVE,
            cadence=plan.name,
            started_on=on,
            step=1,
            due_on=on,
            attempts=state.attempts,
            postponements=state.postponements,
        )
        return _done_step(plan, calendar, restarted, on)
    if status != Status.ACTIVE or plan is None or state.step is None:
        return replace(state, last_done_on=on)  # a forced touch outside the cadence
    return _done_step(plan, calendar, state, on)


def _done_step(plan: Plan, calendar: Calendar, state: State, on: date) -> State:
    step = state.step
    assert step is not None and state.started_on is not None
    if step < len(plan.steps):
        due = due_after(plan, calendar, state.started_on, step + 1, on)
        return replace(state, step=step + 1, due_on=due, last_done_on=on)
    if plan.steps[-1].type == "fire":
        recycle = calendar.roll_forward(on + plan.recycle_after) if plan.recycle_after else None
        return replace(
            state, status=Status.FIRED, step=None, due_on=recycle, fired_on=on, last_done_on=on
        )
    # A cadence with no fire step simply ends: the prospect is off the list.
    return replace(state, status=Status.LOST, step=None, due_on=None, last_done_on=on)


def _resume_after_callback(plan: Plan | None, calendar: Calendar, state: State, on: date) -> State:
    """A callback attempt that did not reach them: back to where they were (a follow-up out of any
    cadence is tried again the next working day)."""
    if state.step is None or plan is None or state.started_on is None:
        return replace(state, status=Status.ENGAGED, due_on=calendar.add(on, 1), callback_on=None, last_done_on=on)
    due = max(calendar.add(on, 1), planned_on(plan, calendar, state.started_on, state.step))
    return replace(state, status=Status.ACTIVE, due_on=due, callback_on=None, last_done_on=on)


def resume_after_fix(plan: Plan | None, state: State, on: date) -> State:
    """A needs-fix prospect whose contact was corrected: the pending step is due again."""
    if state.status != Status.NEEDS_FIX:
        return state
    if plan is None or state.step is None:
        return replace(state, status=Status.ENGAGED, due_on=None)
    return replace(state, status=Status.ACTIVE, due_on=on)


def lingering(state: State, linger_after: int) -> bool:
    """True once a prospect has postponed `linger_after` times or more."""
    return linger_after > 0 and state.postponements >= linger_after
