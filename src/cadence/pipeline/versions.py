"""Cadence versions: a content hash per cadence, a stored copy per hash, and moving prospects between versions.

A prospect records, at enrollment, the hash of the cadence as it was and the
database keeps a copy of it. Editing the file later does not move them: they
follow their copy until `cadence cadences migrate NAME` moves them onto the
file as it is now, matching steps by `id`, else by day and type, else by position.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Any, Callable, ContextManager

from cadence.domain import engine
from cadence.cadences.library import Library
from cadence.cadences.model import Cadence, Step, Variant, parse_period
from cadence.domain.engine import State, Status
from cadence.errors import CadenceError

FORMAT = 1
STEP_FIELDS = (
    "id", "day", "type", "channel", "fire_channel", "title",
    "script", "voicemail", "subject", "body", "instructions",
)
# Shown but not part of the plan: changing them makes no new version.
UNHASHED = ("format", "title", "description")


# ---------------------------------------------------------------- copies and hashes


def snapshot(cadence: Cadence) -> dict[str, Any]:
    """The cadence as plain JSON values: everything its plan and scripts need."""
    return {
        "format": FORMAT,
        "name": cadence.name,
        "title": cadence.title,
        "description": cadence.description,
        "days": cadence.days,
        "weekdays": list(cadence.weekdays),
        "holidays": cadence.holidays,
        "holiday_dates": [d.isoformat() for d in cadence.holiday_dates],
        "public_holidays": cadence.public_holidays,
        "recycle_after": cadence.recycle_text,
        "fields": list(cadence.fields) if cadence.fields is not None else None,
        "steps": [_step_copy(step) for step in cadence.steps],
    }


def _step_copy(step: Step) -> dict[str, Any]:
    """A step as plain values; `variants` only when it has some, so a step without keeps its old hash."""
    copy = {key: getattr(step, key) for key in STEP_FIELDS if getattr(step, key) is not None}
    if step.variants:
        copy["variants"] = [variant.to_json() for variant in step.variants]
    return copy


def fingerprint(cadence: Cadence) -> str:
    """The version hash of a cadence: 16 hex digits over its plan, calendar and scripts."""
    content = {k: v for k, v in snapshot(cadence).items() if k not in UNHASHED}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def restore(content: dict[str, Any], version: str) -> Cadence:
    """The cadence saved by `snapshot`, marked with its version hash."""
    steps = tuple(
        Step(
            number=number,
            variants=tuple(Variant(**variant) for variant in item.get("variants") or ()),
            **{key: item.get(key) for key in STEP_FIELDS},
        )
        for number, item in enumerate(content["steps"], start=1)
    )
    recycle = content.get("recycle_after")
    fields = content.get("fields")
    return Cadence(
        name=content["name"],
        title=content.get("title") or content["name"],
        description=content.get("description") or "",
        days=content.get("days") or "business",
        holidays=content.get("holidays"),
        steps=steps,
        recycle_after=parse_period(recycle) if recycle else None,
        recycle_text=recycle,
        fields=tuple(fields) if fields is not None else None,
        weekdays=tuple(content.get("weekdays") or (1, 2, 3, 4, 5)),
        holiday_dates=tuple(date.fromisoformat(d) for d in content.get("holiday_dates") or ()),
        public_holidays=content.get("public_holidays", True),
        version=version,
    )


def record(session, cadence: Cadence, at: datetime) -> str:
    """Store a copy of this version of `cadence` (once) and return its hash."""
    from cadence.store import queries

    version = fingerprint(cadence)
    queries.save_version(session, version, cadence.name, snapshot(cadence), at)
    return version


# ---------------------------------------------------------------- which plan a prospect follows


class Book:
    """Finds the plan each prospect follows and collects what the salesperson should be told.

    The cadence file when the prospect's recorded version is the file's (or none
    was recorded); else the stored copy of their version.
    """

    def __init__(self, library: Library, reading: Callable[[], ContextManager]):
        self.library = library
        self.reading = reading
        self._current: dict[str, tuple[Cadence | None, str | None, str | None]] = {}
        self._stored: dict[str, Cadence | None] = {}
        self.notices: dict[str, str] = {}  # one line per cadence, starting "warning:" or "note:"

    def current(self, name: str) -> tuple[Cadence | None, str | None, str | None]:
        """The cadence file as it is now, its hash, and why it cannot be used (None when it can)."""
        if name not in self._current:
            try:
                cadence = self.library.get(name)
                self._current[name] = (cadence, fingerprint(cadence), None)
            except CadenceError as exc:
                self._current[name] = (None, None, str(exc))
        return self._current[name]

    def stored(self, version: str, session=None) -> Cadence | None:
        """The stored copy of a version, or None when the database has none."""
        if version not in self._stored:
            from cadence.store import queries

            if session is not None:
                row = queries.stored_version(session, version)
                content = dict(row.content) if row is not None else None
            else:
                with self.reading() as fresh:
                    row = queries.stored_version(fresh, version)
                    content = dict(row.content) if row is not None else None
            self._stored[version] = restore(content, version) if content else None
        return self._stored[version]

    def plan(self, name: str, version: str | None, session=None) -> Cadence | None:
        """The plan of a prospect in cadence `name` at `version`; None when there is none to follow."""
        current, current_version, problem = self.current(name)
        if version is not None and version != current_version:
            stored = self.stored(version, session)
            if stored is not None:
                if current is None:
                    self.notices[name] = (
                        f"warning: cadence {name!r} cannot be loaded ({problem}); its prospects follow the copy "
                        "stored when they were enrolled. Restore the file, or move them with `cadence enroll`"
                    )
                else:
                    self.notices.setdefault(
                        name,
                        f"note: some prospects in {name!r} follow an earlier version of its file; "
                        f"`cadence cadences migrate {name} --dry-run` shows how they would move to the current one",
                    )
                return stored
        if current is None:
            self.notices[name] = f"warning: cadence {name!r} cannot be loaded and its prospects have no stored copy: {problem}"
        return current


# ---------------------------------------------------------------- moving prospects to the current file


def step_map(old: Cadence, new: Cadence) -> list[int | None]:
    """For each step of `old`, the number of the matching step of `new`, or None when it is gone.

    In this order: the new step with the same `id`; else an untaken new step
    with the same day and type; else the untaken new step at the same position.
    Two steps that both have ids match only when the ids are equal.
    """
    matches: list[int | None] = [None] * len(old.steps)
    taken: set[int] = set()

    def compatible(a, b) -> bool:
        return not (a.id and b.id) or a.id == b.id

    by_id = {step.id: step.number for step in new.steps if step.id}
    for index, step in enumerate(old.steps):
        if step.id and step.id in by_id:
            matches[index] = by_id[step.id]
            taken.add(by_id[step.id])
    for index, step in enumerate(old.steps):
        if matches[index] is None:
            for candidate in new.steps:
                if candidate.number not in taken and (candidate.day, candidate.type) == (step.day, step.type) and compatible(step, candidate):
                    matches[index] = candidate.number
                    taken.add(candidate.number)
                    break
    for index, step in enumerate(old.steps):
        if matches[index] is None and step.number <= len(new.steps):
            candidate = new.steps[step.number - 1]
            if candidate.number not in taken and compatible(step, candidate):
                matches[index] = candidate.number
                taken.add(candidate.number)
    return matches


@dataclass
class Move:
    """Where one prospect is and where `migrate` puts them."""

    prospect_id: int
    name: str
    status: str
    from_version: str | None
    to_version: str
    step_now: int | None
    steps_now: int
    type_now: str | None
    step_after: int | None
    steps_after: int
    type_after: str | None
    due_now: date | None
    due_after: date | None
    refused: str | None = None  # why it would go backwards; moved anyway only with --force
    skips: list[int] = field(default_factory=list)  # new steps before theirs they will never do
    state: State | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "state"}
        for key in ("due_now", "due_after"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def plan_move(
    old: Cadence, new: Cadence, state: State, old_calendar, new_calendar
) -> tuple[State, str | None, list[int]]:
    """The state on `new` for a prospect on `old`, why the move goes backwards (or None), and the new steps skipped."""
    if state.step is None:
        return replace(state, cadence=new.name), None, []
    matches = step_map(old, new)
    k = state.step
    target = next((matches[i - 1] for i in range(k, len(old.steps) + 1) if matches[i - 1] is not None), None)
    refused = None
    if target is None:
        target = len(new.steps)
        refused = (
            f"none of the steps from step {k} on is left in the current file; "
            f"they would go to its last step ({target}, {new.steps[-1].type})"
        )
    repeated = [i for i in range(1, k) if matches[i - 1] is not None and matches[i - 1] >= target]
    if repeated and refused is None:
        done = ", ".join(str(i) for i in repeated)
        refused = (
            f"they would go back to step {target} of {len(new.steps)} ({new.steps[target - 1].type}) "
            f"and repeat step{'s' if len(repeated) > 1 else ''} {done} they have already done"
        )
    done_new = {matches[i - 1] for i in range(1, k) if matches[i - 1] is not None}
    skips = [n for n in range(1, target) if n not in done_new]
    due = state.due_on
    if state.status == Status.ACTIVE and target >= 2 and state.last_done_on and state.started_on:
        last = state.last_done_on
        if k >= 2 and matches[k - 2] == target - 1:
            # The step before theirs in the new file is the one they did last: keep its gap.
            after = engine.due_after(new, new_calendar, state.started_on, target, last)
        else:
            # Its date is not known: the plan's date, and never before the day after their last touch.
            after = max(engine.planned_on(new, new_calendar, state.started_on, target), new_calendar.add(last, 1))
        before = engine.due_after(old, old_calendar, state.started_on, k, last) if k >= 2 else None
        if after != before:  # a date the edit does not change stays as it is
            due = after
    return replace(state, cadence=new.name, step=target, due_on=due), refused, skips


@dataclass
class Migration:
    cadence: str
    version: str
    moves: list[Move]
    applied: bool

    @property
    def refused(self) -> list[Move]:
        return [m for m in self.moves if m.refused]


def migrate(pipe, name: str, now: datetime, dry_run: bool = False, force: bool = False) -> Migration:
    """Move everyone in cadence `name` onto its file as it is now.

    Writes nothing on a dry run, or when a move would repeat steps already done
    and `force` is not given (the moves are returned, refused ones marked).
    Refuses a cadence whose file is missing or invalid.
    """
    from cadence.domain.contacts import full_name
    from cadence.store import queries

    current = pipe.cadence(name)
    version = fingerprint(current)
    new_calendar = pipe.calendar_for(current)
    with (pipe.reading() if dry_run else pipe.writing()) as session:
        moves: list[Move] = []
        rows = {}
        for row in queries.in_cadence(session, name, pipe.user or None):
            if row.cadence_version == version:
                continue
            old = pipe.versions.stored(row.cadence_version, session) if row.cadence_version else None
            old = old or current
            state = queries.state_of(row)
            moved, refused, skips = plan_move(old, current, state, pipe.calendar_for(old), new_calendar)
            moves.append(
                Move(
                    prospect_id=row.id,
                    name=full_name(row.first_name, row.last_name),
                    status=row.status,
                    from_version=row.cadence_version,
                    to_version=version,
                    step_now=state.step,
                    steps_now=len(old.steps),
                    type_now=old.steps[state.step - 1].type if state.step else None,
                    step_after=moved.step,
                    steps_after=len(current.steps),
                    type_after=current.steps[moved.step - 1].type if moved.step else None,
                    due_now=state.due_on,
                    due_after=moved.due_on,
                    refused=refused,
                    skips=skips,
                    state=moved,
                )
            )
            rows[row.id] = row
        applied = not dry_run and (force or not any(m.refused for m in moves))
        if applied and moves:
            stamp = pipe.profile.aware(now).astimezone(timezone.utc)
            recorded = record(session, current, stamp)
            for move in moves:
                row = rows[move.prospect_id]
                queries.put_state(row, move.state)
                row.cadence_version = recorded
                row.updated_at = stamp
    return Migration(cadence=name, version=version, moves=moves, applied=applied)


# Statuses whose cadence still matters: they have a step to come back to.
IN_PLAY = (Status.ACTIVE.value, Status.SNOOZED.value, Status.PAUSED.value, Status.NEEDS_FIX.value)


def orphans(pipe) -> list[tuple[str, int, int]]:
    """Cadences that prospects in play follow but that have no file on the search path.

    Each as (name, prospects, how many of them have a stored copy to follow).
    """
    from cadence.store import queries

    located = pipe.library.locate()
    missing: dict[str, list[int]] = {}
    with pipe.reading() as session:
        for name, version, count in queries.following(session, IN_PLAY, None):
            if name in located:
                continue
            counts = missing.setdefault(name, [0, 0])
            counts[0] += count
            if version and pipe.versions.stored(version, session) is not None:
                counts[1] += count
    return [(name, total, stored) for name, (total, stored) in sorted(missing.items())]
