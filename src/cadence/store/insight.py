"""The SQL behind `stats`, `export` and `calendar`: aggregates and streams, never a whole-table load.

Every figure of `stats` is one GROUP BY over the touch or prospect table; the
few row-level queries (replies after fire) return one row per reply, not per touch.
`stats` reads the touch figures from running totals (cadence.store.tally) and
counts them here, from the touch log itself, for --since and --recount.
"""

from __future__ import annotations

from datetime import date
from typing import Iterator, Sequence

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from cadence.domain.engine import Status
from cadence.store.models import Prospect, Touch
from cadence.store.scope import Figures, Scope
from cadence.store.tally import ADVANCING_OUTCOMES, CONNECTS, funnel

# Still in play: the statuses `cadence lingering` lists.
OPEN = (
    Status.ACTIVE.value,
    Status.SNOOZED.value,
    Status.PAUSED.value,
    Status.ENGAGED.value,
    Status.CONVERTED.value,
    Status.FIRED.value,
)


def count(session: Session, scope: Scope) -> Figures:
    """The touch-log figures of `stats`, counted from every touch in scope."""
    reach, replies = funnel(session, scope)  # per enrolment: as the running totals count them
    found = Figures(
        outcomes=step_outcomes(session, scope),
        reach=reach,
        replies=replies,
        fired=fired(session, scope),
        meetings=meetings(session, scope),
        connects=touches_to_first_connect(session, scope),
    )
    # A reply counts for the step (or fire) it followed only when that step is in scope too.
    wanted = (lambda name: name == scope.cadence) if scope.cadence else (lambda name: name is not None)
    fewest: dict[tuple[str, int], int] = {}
    for name, prospect_id, fire_on, reply_on in replies_after_fire(session, scope):
        if wanted(name):
            days = (reply_on - fire_on).days
            fewest[name, prospect_id] = min(days, fewest.get((name, prospect_id), days))
    for (name, _), days in fewest.items():
        found.days_to_reply.setdefault(name, []).append(days)
    for days in found.days_to_reply.values():
        days.sort()
    return found


def statuses(session: Session, scope: Scope, linger_after: int) -> list[tuple[str, str, int, int]]:
    """(cadence, status, prospects, lingering prospects) for each current status."""
    lingering = func.sum(
        case((and_(Prospect.postponements >= max(1, linger_after), Prospect.status.in_(OPEN)), 1), else_=0)
    )
    query = (
        select(Prospect.cadence, Prospect.status, func.count(Prospect.id), lingering)
        .where(Prospect.cadence.is_not(None))
        .group_by(Prospect.cadence, Prospect.status)
    )
    return [(c, s, int(n), int(l or 0)) for c, s, n, l in session.execute(scope.prospects(query))]


def step_outcomes(session: Session, scope: Scope) -> list[tuple[str, int, str | None, str, bool, int]]:
    """(cadence, step, step type, outcome, outbound?, touches) for touches logged against a step."""
    query = (
        select(Touch.cadence, Touch.step, Touch.step_type, Touch.outcome, Touch.attempt, func.count(Touch.id))
        .where(Touch.step.is_not(None))
        .group_by(Touch.cadence, Touch.step, Touch.step_type, Touch.outcome, Touch.attempt)
    )
    return [(c, s, t, o, bool(a), int(n)) for c, s, t, o, a, n in session.execute(scope.touches(query))]


def step_reach(session: Session, scope: Scope) -> list[tuple[str, int, int]]:
    """(cadence, step, prospects given an outbound touch on that step)."""
    query = (
        select(Touch.cadence, Touch.step, func.count(distinct(Touch.prospect_id)))
        .where(Touch.step.is_not(None), Touch.attempt.is_(True))
        .group_by(Touch.cadence, Touch.step)
    )
    return [(c, s, int(n)) for c, s, n in session.execute(scope.touches(query))]


def _fire_touch(touch=Touch):
    """The touch that fired a prospect: their fire step done with an advancing outcome."""
    return and_(touch.step.is_not(None), touch.step_type == "fire", touch.outcome.in_(ADVANCING_OUTCOMES))


def fired(session: Session, scope: Scope) -> dict[str, int]:
    """Cadence -> prospects it fired (a fire touch exists, whatever happened after)."""
    query = select(Touch.cadence, func.count(distinct(Touch.prospect_id))).where(_fire_touch()).group_by(Touch.cadence)
    return {c: int(n) for c, n in session.execute(scope.touches(query))}


def meetings(session: Session, scope: Scope) -> dict[str, int]:
    """Cadence -> prospects with a meeting booked (a `meeting` touch)."""
    query = select(Touch.cadence, func.count(distinct(Touch.prospect_id))).where(Touch.outcome == "meeting").group_by(Touch.cadence)
    return {c: int(n) for c, n in session.execute(scope.touches(query))}


def replies_after_fire(session: Session, scope: Scope) -> list[tuple[str, int, date, date]]:
    """(cadence that fired them, prospect, fire day, reply day) for each reply logged after a fire.

    The fire is the latest fire touch of that prospect logged before the reply.
    """
    fire = aliased(Touch)
    reply = aliased(Touch)
    fire_id = (
        select(func.max(fire.id))
        .where(fire.prospect_id == reply.prospect_id, fire.id < reply.id, _fire_touch(fire))
        .correlate(reply)
        .scalar_subquery()
    )
    pairs = select(reply.prospect_id.label("prospect_id"), reply.on.label("reply_on"), fire_id.label("fire_id")).where(
        reply.outcome == "replied", reply.after_fire.is_(True)
    )
    pairs = scope.touches(pairs, reply).subquery()
    query = select(Touch.cadence, pairs.c.prospect_id, Touch.on, pairs.c.reply_on).join(pairs, Touch.id == pairs.c.fire_id)
    return [(c, p, f, r) for c, p, f, r in session.execute(query)]


def replies_by_step(session: Session, scope: Scope) -> list[tuple[str, int, int]]:
    """(cadence, step, prospects who replied) where the step is the last outbound touch before the reply."""
    before = aliased(Touch)
    reply = aliased(Touch)
    last_id = (
        select(func.max(before.id))
        .where(before.prospect_id == reply.prospect_id, before.id < reply.id, before.attempt.is_(True), before.step.is_not(None))
        .correlate(reply)
        .scalar_subquery()
    )
    replies = scope.touches(select(reply.prospect_id.label("prospect_id"), last_id.label("last_id")).where(reply.outcome == "replied"), reply)
    replies = replies.subquery()
    query = (
        select(Touch.cadence, Touch.step, func.count(distinct(replies.c.prospect_id)))
        .join(replies, Touch.id == replies.c.last_id)
        .group_by(Touch.cadence, Touch.step)
    )
    return [(c, s, int(n)) for c, s, n in session.execute(query)]


def touches_to_first_connect(session: Session, scope: Scope) -> dict[str, tuple[float, int]]:
    """Cadence -> (average outbound touches up to and including the first connect, prospects connected)."""
    # Grouped by cadence first, so the database can read ix_touch_stats rather than every row.
    first = scope.touches(
        select(Touch.prospect_id, Touch.cadence, func.min(Touch.id).label("first_id"))
        .where(Touch.outcome.in_(CONNECTS))
        .group_by(Touch.cadence, Touch.prospect_id)
    ).subquery()
    counted = (
        select(first.c.cadence, func.count(Touch.id).label("touches"))
        .join(
            Touch,
            and_(
                Touch.prospect_id == first.c.prospect_id,
                Touch.cadence == first.c.cadence,
                Touch.id <= first.c.first_id,
                Touch.attempt.is_(True),
            ),
        )
        .group_by(first.c.prospect_id, first.c.cadence)
    ).subquery()
    query = select(counted.c.cadence, func.avg(counted.c.touches), func.count()).group_by(counted.c.cadence)
    return {c: (float(avg), int(n)) for c, avg, n in session.execute(query)}


# ---------------------------------------------------------------- export


def prospect_rows(session: Session, owner: str | None, batch: int = 2000) -> Iterator[dict]:
    """Every prospect as a mapping of its columns, in id order, streamed (plain rows: no ORM objects)."""
    query = select(*Prospect.__table__.columns).order_by(Prospect.id)
    if owner:
        query = query.where(Prospect.owner == owner)
    for row in session.execute(query.execution_options(yield_per=batch)):
        yield row._mapping


def custom_field_names(session: Session, owner: str | None) -> list[str]:
    """Every custom field name used by a prospect, in the order first met."""
    query = select(Prospect.fields).order_by(Prospect.id)
    if owner:
        query = query.where(Prospect.owner == owner)
    names: dict[str, None] = {}
    for fields in session.execute(query.execution_options(yield_per=2000)).scalars():
        for key in fields or {}:
            names.setdefault(key, None)
    return list(names)


def touch_rows(session: Session, owner: str | None, batch: int = 5000) -> Iterator[dict]:
    """Every touch as a mapping of its columns plus the prospect's first_name, last_name and email, in log order."""
    query = (
        select(*Touch.__table__.columns, Prospect.first_name, Prospect.last_name, Prospect.email)
        .join(Prospect, Prospect.id == Touch.prospect_id)
        .order_by(Touch.id)
    )
    if owner:
        query = query.where(Prospect.owner == owner)
    for row in session.execute(query.execution_options(yield_per=batch)):
        yield row._mapping


# ---------------------------------------------------------------- calendar


def listed_until(session: Session, last: date, statuses: Sequence[str], owner: str | None) -> Sequence[Prospect]:
    """Prospects in `statuses` with something due on or before `last` (indexed on due_on)."""
    query = select(Prospect).where(Prospect.due_on <= last, Prospect.status.in_(statuses))
    if owner:
        query = query.where(Prospect.owner == owner)
    return session.execute(query.order_by(Prospect.due_on, Prospect.id)).scalars().all()


# ---------------------------------------------------------------- best time to call


def dials(session: Session, scope: Scope, batch: int = 5000) -> Iterator[tuple]:
    """(UTC instant, prospect time zone, outcome) for each outbound phone touch in scope, streamed.

    A dial as cadence.domain.hours.is_dial reads it: outbound, not on an email step, not an email outcome.
    The local hour depends on each prospect's zone, so the grouping is done by the caller.
    """
    query = (
        select(Touch.at, Prospect.timezone, Touch.outcome)
        .join(Prospect, Prospect.id == Touch.prospect_id)
        .where(
            Touch.attempt.is_(True),
            Touch.outcome.not_in(("sent", "bounced", "done", "skipped")),
            (Touch.step_type.is_(None)) | (Touch.step_type != "email"),
        )
    )
    for row in session.execute(scope.touches(query).execution_options(yield_per=batch)):
        yield tuple(row)


# ---------------------------------------------------------------- activity and goals


def activity_rows(session: Session, first: date, last: date, owner: str | None) -> list[tuple]:
    """(day, step type, outcome, attempt, touches) logged from `first` to `last` by `owner` (everyone's when None)."""
    query = (
        select(Touch.on, Touch.step_type, Touch.outcome, Touch.attempt, func.count(Touch.id))
        .where(Touch.on >= first, Touch.on <= last)
        .group_by(Touch.on, Touch.step_type, Touch.outcome, Touch.attempt)
    )
    if owner:
        query = query.where(Touch.owner == owner)
    return [(d, t, o, bool(a), int(n)) for d, t, o, a, n in session.execute(query)]


def activity_by_owner(session: Session, scope: Scope) -> list[tuple]:
    """(who logged it, step type, outcome, attempt, touches) for every touch in scope (--since, --cadence)."""
    query = select(Touch.owner, Touch.step_type, Touch.outcome, Touch.attempt, func.count(Touch.id))
    if scope.cadence:
        query = query.where(Touch.cadence == scope.cadence)
    if scope.since:
        query = query.where(Touch.on >= scope.since)
    if scope.owner:
        query = query.where(Touch.owner == scope.owner)
    query = query.group_by(Touch.owner, Touch.step_type, Touch.outcome, Touch.attempt)
    return [(w, t, o, bool(a), int(n)) for w, t, o, a, n in session.execute(query)]


def activity_by_day(session: Session, scope: Scope) -> list[tuple]:
    """(day, step type, outcome, attempt, touches) for the touches in scope, the same cohort as `stats`
    (the activity over time of `cadence report`): one GROUP BY, a few rows a day."""
    query = select(Touch.on, Touch.step_type, Touch.outcome, Touch.attempt, func.count(Touch.id)).group_by(
        Touch.on, Touch.step_type, Touch.outcome, Touch.attempt
    )
    return [(d, t, o, bool(a), int(n)) for d, t, o, a, n in session.execute(scope.touches(query))]


def prospects_by_owner(session: Session, scope: Scope) -> list[tuple[str, str, int]]:
    """(owner, status, prospects) for the prospects in scope."""
    query = select(Prospect.owner, Prospect.status, func.count(Prospect.id)).group_by(Prospect.owner, Prospect.status)
    return [(w, s, int(n)) for w, s, n in session.execute(scope.prospects(query))]
