"""Activity goals and each rep's figures, counted on demand from the touch log (not the running totals)."""

from __future__ import annotations

from datetime import date, datetime

from cadence.domain import activity
from cadence.store import insight
from cadence.store.scope import Scope


def goal_progress(pipe, now: datetime, day: date | None = None) -> list[activity.Goal]:
    """The profile's goals with what the current rep (everyone, with none set) logged on `day` and in its week up to `day`."""
    targets = activity.goals(pipe.profile.values)
    if not targets:
        return []
    day = day or pipe.profile.local_day(now)
    monday, _ = activity.week_of(day)
    with pipe.reading() as session:
        rows = insight.activity_rows(session, monday, day, pipe.scope)  # the week so far
    return activity.progress(targets, rows, day)


def by_rep(pipe, cadence: str | None = None, since: date | None = None) -> list[dict]:
    """One object per rep: the touches they logged (dials, connects, ...) and the prospects they own by status."""
    scope = Scope(owner=pipe.scope, cadence=cadence, since=since)
    reps: dict[str, activity.Activity] = {}
    owned: dict[str, dict[str, int]] = {}
    with pipe.reading() as session:
        for who, step_type, outcome, attempt, count in insight.activity_by_owner(session, scope):
            reps.setdefault(who or "", activity.Activity()).add(step_type, outcome, attempt, count)
        for who, status, count in insight.prospects_by_owner(session, scope):
            owned.setdefault(who or "", {})[status] = owned.get(who or "", {}).get(status, 0) + count
    rows = []
    for rep in sorted(set(reps) | set(owned)):
        done = reps.get(rep, activity.Activity())
        statuses = owned.get(rep, {})
        rows.append({
            "rep": rep,
            "prospects": sum(statuses.values()),
            "statuses": dict(sorted(statuses.items())),
            **done.to_json(),
            "connect_rate": round(done.connects / done.dials, 4) if done.dials else None,
        })
    return rows


def over_time(pipe, cadence: str | None = None, since: date | None = None, period: str | None = None) -> dict:
    """Touches by kind per day, week or month (chosen by the span unless given), for the prospects in scope
    as `stats` counts them: {"period": ..., "periods": [{"start": "YYYY-MM-DD", "dials": ..., ...}], "earlier": ...}
    with at most the last 120 periods, the touches before them summed in `earlier` (null when there are none)."""
    scope = Scope(owner=pipe.scope, cadence=cadence, since=since)
    with pipe.reading() as session:
        rows = insight.activity_by_day(session, scope)
    chosen, periods, earlier = activity.over_time(rows, period)
    return {
        "period": chosen,
        "periods": [{"start": start.isoformat(), **done.to_json()} for start, done in periods],
        "earlier": earlier.to_json() if earlier.touches else None,  # before the first period shown
    }
