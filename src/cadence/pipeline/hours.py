"""Best time to call, from the touch log: the hour × weekday grid of `stats --hours` and `today --order best`.

Counted on demand from the touch log (like `stats --since`), not from the running totals.
The rules (what a dial is, what "too little history" means) are in cadence.domain.hours.
"""

from __future__ import annotations

from datetime import date, datetime

from cadence.domain import hours
from cadence.store import insight
from cadence.store.scope import Scope


def grid(pipe, cadence: str | None = None, since: date | None = None) -> dict[tuple[int, int], hours.Cell]:
    """(weekday, hour) -> Cell for the dials in scope (the current rep's, a cadence's, since a day)."""
    scope = Scope(owner=pipe.scope, cadence=cadence, since=since)
    with pipe.reading() as session:
        return hours.grid(insight.dials(session, scope), pipe.profile.zone_name)


def best_first(pipe, items: list, now: datetime) -> tuple[list, bool]:
    """The list ordered by expected connect chance, and whether there was history enough to do so."""
    cells = grid(pipe)
    if not hours.enough(cells):
        return list(items), False
    return hours.best_first(items, cells, pipe.profile.aware(now), pipe.profile.zone_name), True
