"""Activity: dials, connects and meetings counted from touches, and progress against the profile's goals (pure).

What counts (the same rules as the hour grid, cadence.domain.hours):
- dials: outbound phone touches (hours.is_dial);
- connects: dials whose outcome is `connected` or `meeting`;
- meetings: touches with outcome `meeting`, whatever the step;
- emails: `sent` touches; replies: `replied` touches; touches: every touch.

Goals are profile settings: goal_dials, goal_connects, goal_meetings per day
(the salesperson's calendar day) and goal_dials_week, goal_connects_week,
goal_meetings_week per week, Monday to Sunday. 0 or unset means no goal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from cadence.domain.hours import CONNECTS, is_dial

KINDS = ("dials", "connects", "meetings")
GOAL_KEYS = {f"goal_{kind}": (kind, "day") for kind in KINDS} | {f"goal_{kind}_week": (kind, "week") for kind in KINDS}


@dataclass
class Activity:
    touches: int = 0
    dials: int = 0
    connects: int = 0
    meetings: int = 0
    emails: int = 0
    replies: int = 0

    def add(self, step_type: str | None, outcome: str, attempt: bool, count: int = 1) -> None:
        self.touches += count
        if is_dial(step_type, outcome, attempt):
            self.dials += count
            self.connects += count if outcome in CONNECTS else 0
        self.meetings += count if outcome == "meeting" else 0
        self.emails += count if outcome == "sent" else 0
        self.replies += count if outcome == "replied" else 0

    def to_json(self) -> dict[str, int]:
        return {"touches": self.touches, "dials": self.dials, "connects": self.connects, "meetings": self.meetings,
                "emails": self.emails, "replies": self.replies}


@dataclass(frozen=True)
class Goal:
    key: str  # the profile key, e.g. goal_dials_week
    kind: str  # dials, connects or meetings
    period: str  # day or week
    target: int
    done: int

    def to_json(self) -> dict:
        return {"goal": self.key, "kind": self.kind, "period": self.period, "target": self.target, "done": self.done}


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week of `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def goals(settings: dict[str, str]) -> dict[str, int]:
    """The goals set (key -> target), in the order of GOAL_KEYS; 0 and unset are left out."""
    found = {}
    for key in GOAL_KEYS:
        text = (settings.get(key) or "").strip()
        if text.isdigit() and int(text) > 0:
            found[key] = int(text)
    return found


def progress(targets: dict[str, int], rows: Iterable[tuple[date, str | None, str, bool, int]], day: date) -> list[Goal]:
    """Each goal with what was done, from (day, step type, outcome, attempt, touches) rows of the week of `day`."""
    today, week = Activity(), Activity()
    for on, step_type, outcome, attempt, count in rows:
        week.add(step_type, outcome, attempt, count)
        if on == day:
            today.add(step_type, outcome, attempt, count)
    return [Goal(key, *GOAL_KEYS[key], target, getattr(today if GOAL_KEYS[key][1] == "day" else week, GOAL_KEYS[key][0]))
            for key, target in targets.items()]


def progress_line(found: list[Goal]) -> str:
    """One line: `Goals today: dials 12/60 · connects 2/10; this week: meetings 1/5`."""
    parts = []
    for period, lead in (("day", "today"), ("week", "this week")):
        shown = [f"{g.kind} {g.done}/{g.target}" + (" ✓" if g.done >= g.target else "") for g in found if g.period == period]
        if shown:
            parts.append(f"{lead}: " + " · ".join(shown))
    return "Goals " + "; ".join(parts) if parts else ""


# ---------------------------------------------------------------- activity over time (cadence report)

PERIODS = ("day", "week", "month")


def period_for(first: date, last: date) -> str:
    """day for a span under six weeks, week under three years, else month: a chart of at most ~160 bars."""
    span = (last - first).days
    return "day" if span < 42 else "week" if span < 3 * 365 else "month"


def period_start(day: date, period: str) -> date:
    """The first day of the day, week (Monday) or month holding `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _after(start: date, period: str) -> date:
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


MAX_PERIODS = 120  # bars per chart: ten years of months; older touches are summed up in one line


def over_time(rows: Iterable[tuple[date, str | None, str, bool, int]], period: str | None = None,
              most: int = MAX_PERIODS) -> tuple[str, list[tuple[date, Activity]], Activity]:
    """(period, [(first day of each period, what was done in it)], what was done before the first one shown)
    from (day, step type, outcome, attempt, touches) rows: every period from the first touch's to the last's,
    the empty ones too, at most the last `most` of them. No rows, no periods."""
    rows = list(rows)
    if not rows:
        return period or "day", [], Activity()
    days = [row[0] for row in rows]
    period = period or period_for(min(days), max(days))
    found: dict[date, Activity] = {}
    for on, step_type, outcome, attempt, count in rows:
        found.setdefault(period_start(on, period), Activity()).add(step_type, outcome, attempt, count)
    out, start, last = [], period_start(min(days), period), period_start(max(days), period)
    while start <= last:
        out.append((start, found.get(start, Activity())))
        start = _after(start, period)
    earlier = Activity()
    for start, done in out[:-most]:
        for kind, count in done.to_json().items():
            setattr(earlier, kind, getattr(earlier, kind) + count)
    return period, out[-most:], earlier
