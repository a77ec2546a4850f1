"""What `stats` covers (Scope) and what it takes from the touch log (Figures).

Shared by the running totals (cadence.store.tally, which `log` imports) and the
counts from the touch log itself (cadence.store.insight, for `stats` only), so
neither of those imports the other's module for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from cadence.store.models import Prospect, Touch


@dataclass(frozen=True)
class Scope:
    """Which prospects (and so which touches) the figures cover."""

    owner: str | None = None
    cadence: str | None = None
    since: date | None = None  # prospects who started their cadence on or after; touches on or after

    def prospects(self, query):
        if self.owner:
            query = query.where(Prospect.owner == self.owner)
        if self.cadence:
            query = query.where(Prospect.cadence == self.cadence)
        if self.since:
            query = query.where(Prospect.started_on >= self.since)
        return query

    def touches(self, query, touch=Touch):
        if self.cadence:
            query = query.where(touch.cadence == self.cadence)
        if self.since:
            query = query.where(touch.on >= self.since)
        if self.owner or self.since:
            # Whose touches: the owner's (and --since) prospects, in whatever cadence they are now.
            cohort = Scope(owner=self.owner, since=self.since).prospects(select(Prospect.id).where(Prospect.cadence.is_not(None)))
            query = query.where(touch.prospect_id.in_(cohort))
        return query.where(touch.cadence.is_not(None))


@dataclass
class Figures:
    """What `stats` takes from the touch log, whether counted from it (`count`) or from the totals (tally.figures)."""

    outcomes: list[tuple[str, int, str | None, str, bool, int]] = field(default_factory=list)  # step_outcomes
    reach: list[tuple[str, int, int]] = field(default_factory=list)  # step_reach
    replies: list[tuple[str, int, int]] = field(default_factory=list)  # replies_by_step
    fired: dict[str, int] = field(default_factory=dict)
    meetings: dict[str, int] = field(default_factory=dict)
    connects: dict[str, tuple[float, int]] = field(default_factory=dict)  # touches_to_first_connect
    # Cadence that fired them -> for each prospect who replied after a fire, the fewest days it took, sorted.
    days_to_reply: dict[str, list[int]] = field(default_factory=dict)
