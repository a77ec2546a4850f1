"""What the cadences achieve: counts by status, per-step rates, replies after fire.

The counting is done by the database: statuses by a SQL aggregate, the touch
figures by running totals kept with every write (cadence.store.tally), or by
SQL aggregates over the touch log (cadence.store.insight) for --since and
--recount; this module only divides. Definitions (also in docs/insight.md):

- enrolled: prospects whose current cadence is this one; active, engaged,
  converted, lost, disqualified (and every other status under `statuses`):
  how many of them are in that status now.
- fired: prospects this cadence fired, i.e. with a touch on its fire step
  with an advancing outcome (no-answer, voicemail, gatekeeper, sent). The
  touch log is never rewritten, so a later reply, meeting or recycle does not
  take them out of this count; only `undo` of the fire touch does.
- replies_after_fire: fired prospects whose `replied` touch (logged while
  fired) came within `window` days of the fire; share = that / fired;
  median_days_fire_to_reply over the same prospects (first reply each).
- steps: touches logged against the step (every outcome), `outcomes` by kind,
  `calls` = outbound touches on a phone step; connect_rate = (connected +
  meeting) / calls (null on email steps); reply_rate = prospects who replied
  while this step was the last outbound touch they had / prospects given an
  outbound touch on it (`reached`).
- meetings_per_100: prospects with a `meeting` touch per 100 enrolled.
- avg_touches_to_first_connect: outbound touches up to and including the
  first connected or meeting, averaged over the prospects who had one.
- lingering: prospects still in play with postponements >= linger_after.
A rate whose denominator is zero is null, never a division error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from statistics import median
from typing import Any

from cadence.cadences.model import Cadence
from cadence.domain.engine import Status
from cadence.errors import CadenceError

DEFAULT_WINDOW = 30
SHOWN_STATUSES = ("active", "engaged", "converted", "fired", "lost", "disqualified")


@dataclass
class StepStats:
    step: int
    type: str
    channel: str
    touches: int = 0
    reached: int = 0
    calls: int = 0
    connects: int = 0
    replies: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def connect_rate(self) -> float | None:
        return _rate(self.connects, self.calls) if self.channel == "phone" else None

    @property
    def reply_rate(self) -> float | None:
        return _rate(self.replies, self.reached)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "type": self.type,
            "channel": self.channel,
            "touches": self.touches,
            "reached": self.reached,
            "calls": self.calls,
            "outcomes": dict(sorted(self.outcomes.items(), key=lambda kv: (-kv[1], kv[0]))),
            "connects": self.connects,
            "connect_rate": self.connect_rate,
            "replies": self.replies,
            "reply_rate": self.reply_rate,
        }


@dataclass
class CadenceStats:
    cadence: str
    title: str
    enrolled: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    fired: int = 0
    replies_after_fire: int = 0
    days_fire_to_reply: list[int] = field(default_factory=list)
    meetings: int = 0
    connected_prospects: int = 0
    avg_touches_to_first_connect: float | None = None
    lingering: int = 0
    window: int = DEFAULT_WINDOW
    steps: list[StepStats] = field(default_factory=list)

    @property
    def replies_after_fire_share(self) -> float | None:
        return _rate(self.replies_after_fire, self.fired)

    @property
    def median_days_fire_to_reply(self) -> float | None:
        return float(median(self.days_fire_to_reply)) if self.days_fire_to_reply else None

    @property
    def meetings_per_100(self) -> float | None:
        return round(100 * self.meetings / self.enrolled, 2) if self.enrolled else None

    def count(self, status: str) -> int:
        return self.statuses.get(status, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "cadence": self.cadence,
            "title": self.title,
            "enrolled": self.enrolled,
            "active": self.count("active"),
            "engaged": self.count("engaged"),
            "converted": self.count("converted"),
            "fired": self.fired,
            "lost": self.count("lost"),
            "disqualified": self.count("disqualified"),
            "statuses": {s.value: self.count(s.value) for s in Status},
            "replies_after_fire": self.replies_after_fire,
            "replies_after_fire_share": self.replies_after_fire_share,
            "reply_window_days": self.window,
            "median_days_fire_to_reply": self.median_days_fire_to_reply,
            "meetings": self.meetings,
            "meetings_per_100": self.meetings_per_100,
            "connected": self.connected_prospects,
            "avg_touches_to_first_connect": self.avg_touches_to_first_connect,
            "lingering": self.lingering,
            "steps": [s.to_json() for s in self.steps],
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def compute(
    pipe, cadence: str | None = None, since: date | None = None, window: int = DEFAULT_WINDOW, recount: bool = False
) -> list[CadenceStats]:
    """One CadenceStats per cadence (every known cadence file, and any the database names), by name.

    The touch figures come from the running totals, or are counted from the touch log itself
    with `since` or `recount` (the same figures, slower). Refuses an unknown `cadence` and a negative window.
    """
    from cadence.store import insight, tally

    if window < 0:
        raise CadenceError(f"--window {window} is negative: give a number of days, e.g. 30")
    scope = insight.Scope(owner=pipe.scope, cadence=cadence, since=since)
    with pipe.reading() as session:
        statuses = insight.statuses(session, scope, pipe.profile.linger_after)
        found = insight.count(session, scope) if since or recount else tally.figures(session, scope)
    names = {row[0] for rows in (statuses, found.outcomes, found.reach) for row in rows}
    names |= set(found.fired) | set(found.meetings) | set(found.connects)
    plans = plans_for(pipe, cadence, names)
    names |= set(plans)
    table = {name: CadenceStats(cadence=name, title=plans[name].title if name in plans else "", window=window) for name in sorted(names)}
    steps = {name: _file_steps(plans.get(name)) for name in table}

    for name, status, count, lingering in statuses:
        entry = table[name]
        entry.statuses[status] = entry.statuses.get(status, 0) + count
        entry.enrolled += count
        entry.lingering += lingering
    for name, count in found.fired.items():
        table[name].fired = count
    for name, count in found.meetings.items():
        table[name].meetings = count
    for name, (average, connected) in found.connects.items():
        table[name].avg_touches_to_first_connect = round(average, 2)
        table[name].connected_prospects = connected
    for name, days in found.days_to_reply.items():
        if name in table:
            within = [d for d in days if d <= window]
            table[name].replies_after_fire = len(within)
            table[name].days_fire_to_reply = within
    for name, number, kind, outcome, outbound, count in found.outcomes:
        entry = _step(steps[name], number, kind)
        entry.touches += count
        entry.outcomes[outcome] = entry.outcomes.get(outcome, 0) + count
        if outbound and entry.channel == "phone":
            entry.calls += count
            if outcome in insight.CONNECTS:
                entry.connects += count
    for name, number, count in found.reach:
        _step(steps[name], number, None).reached = count
    for name, number, count in found.replies:
        if name in steps:
            _step(steps[name], number, None).replies = count
    for name, entry in table.items():
        entry.steps = [steps[name][n] for n in sorted(steps[name])]
    return list(table.values())


def plans_for(pipe, cadence: str | None, names: set[str]) -> dict[str, Cadence]:
    """The cadence files to report on: the one asked for, else every valid one plus those in use."""
    if cadence is not None:
        try:
            return {cadence: pipe.cadence(cadence)}
        except CadenceError:
            if cadence in names:
                return {}  # its file is gone, but its history is still worth counting
            raise
    plans = {c.name: c for c in pipe.library.all() if isinstance(c, Cadence)}
    for name in names - set(plans):
        try:
            plans[name] = pipe.cadence(name)
        except CadenceError:
            pass
    return plans


def _file_steps(plan: Cadence | None) -> dict[int, StepStats]:
    if plan is None:
        return {}
    return {s.number: StepStats(step=s.number, type=s.type, channel=s.channel) for s in plan.steps}


def _step(steps: dict[int, StepStats], number: int, kind: str | None) -> StepStats:
    """The step's entry; a step the file no longer has takes its type from the touches."""
    if number not in steps:
        kind = kind or "call"
        steps[number] = StepStats(step=number, type=kind, channel="email" if kind == "email" else "phone")
    return steps[number]
