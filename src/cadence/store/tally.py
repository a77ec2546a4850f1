"""Running totals behind `cadence stats`, kept up to date by every write, so stats never re-reads the touch log.

Every figure `stats` takes from the touch log is a sum over prospects of
something decided by that prospect's own touches: how many touches each step
and outcome had, whether they were reached on a step, fired, booked a meeting,
which step they replied to, how many calls their first connect took, how many
days after their fire they replied. `share` works out one prospect's part from
their touches alone; a write that changes some prospects' touches or owner runs
inside `watching`, which adds the difference between their parts after and
before to the `stat_tally` table. `stats` then sums a few hundred rows instead
of a million touches.

`cadence.store.insight` still counts the same figures from the touch log (for
`stats --since` and `--recount`); the tests hold the two to the same answers.
Changing what `share` counts needs a migration that calls `rebuild`, as 0005 does.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Iterable, Iterator, NamedTuple, Sequence

from sqlalchemy import delete, func, select, true
from sqlalchemy.engine import Connection

from cadence.domain.engine import ADVANCING
from cadence.store.tables import prospect as P
from cadence.store.tables import stat_tally
from cadence.store.tables import touch as T

if TYPE_CHECKING:
    from sqlmodel import Session

    # Read only by `stats` (not insight: `log` imports this module, the touch-log SQL is for `stats` only;
    # and scope is loaded when `stats` needs it, so `log` never imports SQLModel).
    from cadence.store.scope import Figures, Scope

ADVANCING_OUTCOMES = tuple(sorted(o.value for o in ADVANCING))  # outcomes that move a prospect on
CONNECTS = ("connected", "meeting")  # outcomes that reached the person

# One prospect's touches as `share` reads them, in log order.
TOUCH_COLUMNS = (T.c.prospect_id, T.c.id, T.c.cadence, T.c.step, T.c.step_type, T.c.outcome,
                 T.c.attempt, T.c.after_fire, T.c.on)
# What share needs to know of the prospect: their owner, whether they have a cadence, which one.
PROSPECT_COLUMNS = 3
CHUNK = 500  # prospect ids per query


class Key(NamedTuple):
    """One running total: a figure (`kind`) of one cadence, narrowed by the fields that figure uses."""

    kind: str
    cadence: str
    step: int = 0
    step_type: str = ""
    outcome: str = ""
    attempt: bool = False
    value: int = 0


# The kinds, and what one prospect adds to each:
#   touches          1 per touch on a step, by step, step type, outcome and outbound or not
#   reach            1 for each step up to the furthest one with an outbound touch, in
#                    their current enrolment only (see `share`)
#   fired            1 if the cadence fired them
#   meeting          1 if they booked a meeting in it
#   connect          1 at value = outbound touches up to their first connect in it
#   reply            1 if they replied while this step was their last outbound touch, in
#                    their current enrolment only
#   fire_reply       1 at value = fewest days from a fire of this cadence to a reply after it
# The *_same kinds count only replies logged in the cadence of that step or fire: the
# figures of `stats --cadence NAME`, where both must be NAME.


def share(touches: Iterable, current: str | None = None) -> Counter:
    """What one prospect adds to each total, from their touches in log order.

    Each touch is a row starting with TOUCH_COLUMNS (more columns may follow); read by
    position, as this runs once per touch when the totals are rebuilt. `current` is the
    cadence the prospect is in now.

    The funnel (reach, and the replies it divides) counts the current enrolment only, so
    a step never reaches more people than the cadence has enrolled and never more than the
    step before: an enrolment is the run of touches since the last one on a step of another
    cadence or on an earlier step (a recycle or a re-enrolment starts again at step 1), and
    it reaches every step up to the furthest one it had an outbound touch on.
    """
    out: Counter = Counter()
    once: set[tuple] = set()
    fewest: dict[tuple[str, str], int] = {}  # (kind, cadence of the fire) -> days
    outbound: Counter = Counter()  # cadence -> outbound touches so far
    connected: set[str] = set()
    last_step = None  # (cadence, step, run) of the latest outbound touch on a step
    last_fire = None  # (cadence, day) of the latest fire touch
    run = 0  # which enrolment the touches belong to, counted from 1
    run_cadence, run_step, furthest = None, 0, 0  # of the current run
    replies: set[tuple] = set()  # (kind, cadence, step, run)
    for _, _, cadence, step, step_type, outcome, attempt, after_fire, on, *_ in touches:
        if cadence is not None and step is not None:
            if cadence != run_cadence or step < run_step:
                run, run_cadence, furthest = run + 1, cadence, 0
            run_step = step
            if attempt:
                furthest = max(furthest, step)
        if cadence is not None and outcome == "replied":
            if last_step is not None and last_step[0] is not None:
                replies.add(("reply", *last_step))
                if last_step[0] == cadence:
                    replies.add(("reply_same", *last_step))
            if after_fire and last_fire is not None and last_fire[0] is not None:
                days = (on - last_fire[1]).days
                kinds = ("fire_reply", "fire_reply_same") if last_fire[0] == cadence else ("fire_reply",)
                for kind in kinds:
                    key = (kind, last_fire[0])
                    fewest[key] = min(days, fewest.get(key, days))
        fire = step is not None and step_type == "fire" and outcome in ADVANCING_OUTCOMES
        if attempt and step is not None:
            last_step = (cadence, step, run)
        if fire:
            last_fire = (cadence, on)
        if cadence is None:
            continue
        if step is not None:
            out[Key("touches", cadence, step, step_type or "", outcome, bool(attempt))] += 1
            if fire:
                once.add(("fired", cadence))
        if outcome == "meeting":
            once.add(("meeting", cadence))
        if attempt:
            outbound[cadence] += 1
        if outcome in CONNECTS and cadence not in connected:
            connected.add(cadence)
            if outbound[cadence]:
                out[Key("connect", cadence, value=outbound[cadence])] = 1
    if run_cadence is not None and run_cadence == current:
        for number in range(1, furthest + 1):
            out[Key("reach", current, number)] = 1
        for kind, cadence, number, of_run in replies:
            if of_run == run and cadence == current:
                once.add((kind, cadence, number))
    for key in once:
        out[Key(*key)] = 1
    for (kind, cadence), days in fewest.items():
        out[Key(kind, cadence, value=days)] = 1
    return out


# ---------------------------------------------------------------- keeping the totals


def shares(connection: Connection, prospect_ids: Sequence[int]) -> Counter:
    """The parts of these prospects, summed, keyed by (Key, owner, enrolled)."""
    total: Counter = Counter()
    ids = sorted(set(prospect_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        _add_shares(total, connection.execute(_touches().where(T.c.prospect_id.in_(chunk))))
    return total


def _touches():
    """Touches as `share` reads them, with their prospect's owner, whether they have a cadence and which, by prospect."""
    enrolled = P.c.cadence.is_not(None).label("enrolled")
    return (
        select(*TOUCH_COLUMNS, P.c.owner, enrolled, P.c.cadence.label("current"))
        .join(P, P.c.id == T.c.prospect_id)
        .order_by(T.c.prospect_id, T.c.id)
    )


def _add_shares(total: Counter, rows: Iterable) -> None:
    """Add the parts of the prospects in `rows` (touches with owner, enrolled and cadence, by prospect) to `total`."""
    for _, touches in groupby(rows, key=itemgetter(0)):
        touches = list(touches)
        owner, enrolled, current = touches[0][-3] or "", bool(touches[0][-2]), touches[0][-1]
        for key, n in share(touches, current).items():
            total[(key, owner, enrolled)] += n


def funnel(session: Session, scope: Scope) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    """(reach, replies) of `stats`, counted from the touch log by `share` (for --since and --recount).

    The prospects in scope (owner, --since) are read whole, so their enrolments are told apart as
    the running totals do; with --since only touches on or after it count.
    """
    query = _touches()
    if scope.owner:
        query = query.where(P.c.owner == scope.owner, P.c.cadence.is_not(None))
    if scope.since:
        query = query.where(T.c.on >= scope.since, P.c.started_on >= scope.since, P.c.cadence.is_not(None))
    reply = "reply_same" if scope.cadence else "reply"
    counts: Counter = Counter()
    for _, touches in groupby(session.execute(query.execution_options(yield_per=20000)), key=itemgetter(0)):
        touches = list(touches)
        for key in share(touches, touches[0][-1]):
            if key.kind in ("reach", reply) and (not scope.cadence or key.cadence == scope.cadence):
                counts[key.kind, key.cadence, key.step] += 1
    reach = [(c, s, n) for (kind, c, s), n in sorted(counts.items()) if kind == "reach"]
    replies = [(c, s, n) for (kind, c, s), n in sorted(counts.items()) if kind == reply]
    return reach, replies


@contextmanager
def watching(session: Session | Connection, prospect_ids: Sequence[int]) -> Iterator[None]:
    """Around a change to these prospects' touches or owner: the totals move by the change, in the same transaction.

    Changes made to other prospects inside are not counted: name every prospect the change touches.
    """
    plain = isinstance(session, Connection)  # a Core write (log) or an ORM session
    if not plain:
        session.flush()
    connection = session if plain else session.connection()
    before = shares(connection, prospect_ids)
    yield
    if not plain:
        session.flush()
    change = shares(connection, prospect_ids)
    change.subtract(before)
    add(connection, change)


def add(connection: Connection, change: Counter) -> None:
    """Add these amounts to the totals (rows are created as needed; a total may fall to 0)."""
    rows = [
        {**key._asdict(), "owner": owner, "enrolled": enrolled, "n": n}
        for (key, owner, enrolled), n in sorted(change.items())  # one order for everyone: no deadlock on PostgreSQL
        if n
    ]
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(stat_tally)
    statement = statement.on_conflict_do_update(
        index_elements=list(stat_tally.primary_key.columns),
        set_={"n": stat_tally.c.n + statement.excluded.n},
    )
    connection.execute(statement, rows)


def rebuild(connection: Connection, batch: int = 20000) -> None:
    """Count every total again from the whole touch log (a migration, a bulk load), streamed."""
    connection.execute(delete(stat_tally))
    total: Counter = Counter()
    # Streamed (yield_per on the statement: on the connection it would stay set for the statements after).
    _add_shares(total, connection.execute(_touches().execution_options(yield_per=batch)))
    add(connection, total)


# ---------------------------------------------------------------- reading


def figures(session: Session, scope: Scope) -> Figures:
    """The touch-log figures of `stats` for this scope, from the totals; refuses a scope with `since`."""
    if scope.since is not None:
        raise ValueError("the running totals cover all time: count --since from the touch log (insight.count)")
    columns = [stat_tally.c[name] for name in Key._fields]
    query = select(*columns, func.sum(stat_tally.c.n)).group_by(*columns)
    if scope.owner:
        query = query.where(stat_tally.c.owner == scope.owner, stat_tally.c.enrolled == true())
    if scope.cadence:
        query = query.where(stat_tally.c.cadence == scope.cadence)
    reply, fire_reply = ("reply_same", "fire_reply_same") if scope.cadence else ("reply", "fire_reply")
    from cadence.store.scope import Figures

    found = Figures()
    connects: dict[str, list[int]] = {}
    for kind, cadence, step, step_type, outcome, attempt, value, n in session.execute(query):
        n = int(n or 0)
        if n <= 0:
            continue
        if kind == "touches":
            found.outcomes.append((cadence, step, step_type or None, outcome, bool(attempt), n))
        elif kind == "reach":
            found.reach.append((cadence, step, n))
        elif kind == reply:
            found.replies.append((cadence, step, n))
        elif kind == "fired":
            found.fired[cadence] = n
        elif kind == "meeting":
            found.meetings[cadence] = n
        elif kind == "connect":
            sums = connects.setdefault(cadence, [0, 0])
            sums[0] += value * n
            sums[1] += n
        elif kind == fire_reply:
            found.days_to_reply.setdefault(cadence, []).extend([value] * n)
    found.connects = {c: (touches / prospects, prospects) for c, (touches, prospects) in connects.items()}
    for days in found.days_to_reply.values():
        days.sort()
    return found
