"""The calendar a cadence produces for one prospect, and a simulated run with given outcomes.

The dates come from the same engine and calendar as `today`: engine.enroll,
then engine.log of each step on the day it falls due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cadence.domain import engine
from cadence.cadences.model import WEEKDAY_NAMES, Cadence
from cadence.domain.engine import Outcome, Status
from cadence.errors import CadenceError

# The outcome a preview assumes for a step done on its day, when none is given.
ASSUMED = {"phone": Outcome.NO_ANSWER, "email": Outcome.SENT, "task": Outcome.DONE}
SAMPLE = {
    "first_name": "Ana María",
    "last_name": "López",
    "title": "Head of Operations",
    "company": "Northwind Traders",
    "phone": "+12125550134",
    "email": "ana.lopez@example.com",
    "timezone": "America/New_York",
}


class SampleFields(dict):
    """Custom fields of the sample prospect: any field shows as its own name in brackets."""

    def __missing__(self, key: str) -> str:
        return f"[{key}]"


@dataclass
class PreviewStep:
    step: int
    day: int
    date: date
    weekday: str
    type: str
    channel: str
    id: str | None
    title: str | None
    subject: str | None
    script: str | None
    voicemail: str | None
    outcome: str | None = None  # with --outcomes: what was logged on this step
    status_after: str | None = None  # with --outcomes: the prospect's status once it was logged
    # An A/B step: each variant's id and texts (the step's own texts are the first variant's).
    variants: list[dict[str, Any]] | None = None

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["date"] = self.date.isoformat()
        if self.variants is None:
            del data["variants"]
        return data


@dataclass
class Preview:
    cadence: Cadence
    start: date
    prospect: str
    sample: bool
    steps: list[PreviewStep] = field(default_factory=list)
    end_status: str = "active"
    end_on: date | None = None
    end_day: int | None = None
    next_step: int | None = None
    next_due: date | None = None
    unused_outcomes: int = 0

    def ending(self) -> str:
        """One line saying where the prospect ends."""
        if self.end_status == Status.ACTIVE.value:
            due = self.next_due.isoformat() if self.next_due else "?"
            return f"still active after the given outcomes: step {self.next_step} of {len(self.cadence.steps)} due {weekday(self.next_due)} {due}"
        on = f"{weekday(self.end_on)} {self.end_on.isoformat()}" if self.end_on else "?"
        if self.end_status == Status.FIRED.value:
            return f"fired on {on} (day {self.end_day})"
        finished = self.steps and (self.steps[-1].outcome is None or Outcome(self.steps[-1].outcome) in engine.ADVANCING)
        if self.end_status == Status.LOST.value and finished:
            return f"cadence finished on {on} (day {self.end_day}) without a fire step: lost"
        return f"{self.end_status} on {on} (day {self.end_day}), at step {self.steps[-1].step}"


def weekday(day: date | None) -> str:
    return WEEKDAY_NAMES[day.weekday()][:3].capitalize() if day else ""


def parse_outcomes(text: str) -> list[Outcome]:
    """The outcomes of `--outcomes vm,na,sent`; refuses an unknown one (naming its place) or a callback."""
    parts = [p.strip() for p in text.split(",")]
    if not any(parts):
        raise CadenceError("--outcomes is empty: give outcomes separated by commas, e.g. vm,na,sent")
    outcomes = []
    for number, part in enumerate(parts, start=1):
        try:
            outcome = engine.parse_outcome(part)
        except CadenceError as exc:
            raise CadenceError(f"--outcomes item {number}: {exc}") from None
        if outcome == Outcome.CALLBACK:
            raise CadenceError(
                f"--outcomes item {number}: a callback needs the date they ask for, which a preview cannot know; "
                "preview up to the callback instead"
            )
        outcomes.append(outcome)
    return outcomes


def preview(pipe, name: str, start: date, prospect: str | None = None, outcomes: list[Outcome] | None = None) -> Preview:
    """The steps of cadence `name` for a prospect starting on `start`, each on the day it falls due.

    With `outcomes`, each step is logged with the next one until they run out or
    the prospect leaves the cadence; without, every step is assumed done on its day.
    Refuses an unknown cadence or prospect.
    """
    from cadence.store.models import Prospect

    cadence = pipe.cadence(name)
    calendar = pipe.calendar_for(cadence)
    if prospect is not None:
        with pipe.reading() as session:
            found = pipe.find(session, prospect)
            values = {key: getattr(found, key) for key in (*SAMPLE, "id", "source", "tags", "owner", "status")}
            values["fields"] = dict(found.fields or {})
        row = Prospect(**values)
    else:
        row = Prospect(id=0, fields=SampleFields(), status="active", **SAMPLE)
    result = Preview(cadence=cadence, start=start, prospect=f"{row.first_name} {row.last_name}".strip(), sample=prospect is None)
    state = engine.enroll(cadence, calendar, start)
    given = list(outcomes) if outcomes is not None else None
    while state.status == Status.ACTIVE and state.step is not None:
        if given is not None and not given:
            break
        step = cadence.steps[state.step - 1]
        on = state.due_on
        outcome = given.pop(0) if given is not None else ASSUMED.get(step.channel, Outcome.VOICEMAIL)
        row.attempts = state.attempts
        # Every variant is shown: a preview takes no place in a step's round-robin.
        shown = [(v.id, pipe.texts(row, cadence, step.with_variant(v), step.type, "")) for v in step.variants]
        texts = shown[0][1] if shown else pipe.texts(row, cadence, step, step.type, "")
        logged = engine.log(cadence, calendar, state, outcome, on, callback_lead=pipe.profile.callback_lead, who=result.prospect)
        state = logged.state
        result.steps.append(
            PreviewStep(
                step=step.number,
                day=step.day,
                date=on,
                weekday=WEEKDAY_NAMES[on.weekday()],
                type=step.type,
                channel=step.fire_channel or step.channel,
                id=step.id,
                title=step.title,
                subject=texts.get("subject"),
                script=texts.get("script") or None,
                voicemail=texts.get("voicemail"),
                outcome=outcome.value if outcomes is not None else None,
                status_after=state.status.value if outcomes is not None else None,
                variants=[{"id": key, **_variant_texts(texts)} for key, texts in shown] or None,
            )
        )
    result.end_status = state.status.value
    result.unused_outcomes = len(given or [])
    if state.status == Status.ACTIVE:
        result.next_step, result.next_due = state.step, state.due_on
    else:
        result.end_on = state.last_done_on
        result.end_day = _day_number(calendar, state.started_on or start, state.last_done_on)
    return result


def _variant_texts(texts: dict[str, Any]) -> dict[str, Any]:
    return {key: texts.get(key) or None for key in ("subject", "script", "voicemail") if key in texts}


def _day_number(calendar, first: date, last: date | None) -> int | None:
    """Which day of the cadence `last` is, counting `first` as day 1 (working days on a business cadence)."""
    if last is None:
        return None
    number, day = 1, first
    while day < last:
        day = calendar.add(day, 1)
        number += 1
    return number
