"""The SQL behind `stats --variants`: touches, outcomes and replies per step variant, from the touch log.

Two grouped queries over the touches that carry a variant (index ix_touch_variant);
no running totals are kept for them.
"""

from __future__ import annotations

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from cadence.store.models import Touch
from cadence.store.scope import Scope


def outcomes(session: Session, scope: Scope) -> list[tuple[str, int, str | None, str, str, int]]:
    """(cadence, step, step type, variant, outcome, touches) for outbound touches given a variant."""
    query = (
        select(Touch.cadence, Touch.step, Touch.step_type, Touch.variant, Touch.outcome, func.count(Touch.id))
        .where(Touch.variant.is_not(None), Touch.step.is_not(None), Touch.attempt.is_(True))
        .group_by(Touch.cadence, Touch.step, Touch.step_type, Touch.variant, Touch.outcome)
    )
    return [(c, s, t, v, o, int(n)) for c, s, t, v, o, n in session.execute(scope.touches(query))]


def replies(session: Session, scope: Scope) -> list[tuple[str, int, str, int]]:
    """(cadence, step, variant, prospects) who replied when a touch of that variant was the last outbound one they had."""
    reply = aliased(Touch)
    out = aliased(Touch)
    earlier = aliased(Touch)
    last_out = (
        select(func.max(earlier.id))
        .where(earlier.prospect_id == reply.prospect_id, earlier.id < reply.id, earlier.attempt.is_(True))
        .correlate(reply)
        .scalar_subquery()
    )
    query = (
        select(out.cadence, out.step, out.variant, func.count(distinct(reply.prospect_id)))
        .select_from(reply)
        .join(out, out.id == last_out)
        .where(reply.outcome == "replied", out.variant.is_not(None), out.step.is_not(None))
        .group_by(out.cadence, out.step, out.variant)
    )
    return [(c, s, v, int(n)) for c, s, v, n in session.execute(scope.touches(query, touch=out))]
