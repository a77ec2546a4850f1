"""Best time to call: connect rates by the prospect's local hour and weekday (pure: no store, no CLI).

A dial is an outbound touch that was a phone call: `attempt` set, not on an
email step, and not an email outcome (`sent`, `bounced`); a connect is a dial
whose outcome is `connected` or `meeting`. Each dial falls in the cell of the
prospect's local weekday and hour when it was logged (their time zone, else
the salesperson's).

`today --order best` reads the cells of the coming hours (the prospect's
local hour now and the next one, on their local weekday). "Too little
history" is defined here: fewer than MIN_HISTORY dials in all, and the whole
list keeps today's order; a prospect whose coming hours have fewer than
MIN_CELL dials is judged by the same hours over every weekday, and with fewer
than MIN_CELL dials there too has no estimate and keeps today's order after
those that have one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CONNECTS = frozenset({"connected", "meeting"})
NOT_DIALS = frozenset({"sent", "bounced", "done", "skipped"})
MIN_HISTORY = 50  # dials in all before --order best reorders anything
MIN_CELL = 10  # dials in the coming hours before their rate is trusted
COMING_HOURS = 2  # the hour now and the next one


@dataclass
class Cell:
    weekday: int  # 0 = Monday
    hour: int  # 0-23, the prospect's local time
    calls: int = 0
    connects: int = 0

    @property
    def connect_rate(self) -> float | None:
        return self.connects / self.calls if self.calls else None

    def to_json(self) -> dict:
        rate = self.connect_rate
        return {
            "weekday": WEEKDAYS[self.weekday],
            "hour": self.hour,
            "calls": self.calls,
            "connects": self.connects,
            "connect_rate": round(rate, 4) if rate is not None else None,
        }


def is_dial(step_type: str | None, outcome: str, attempt: bool) -> bool:
    return bool(attempt) and step_type != "email" and outcome not in NOT_DIALS


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or fallback)
    except (KeyError, ValueError, OSError):
        return ZoneInfo(fallback)


def grid(dials: Iterable[tuple[datetime, str | None, str]], fallback_zone: str) -> dict[tuple[int, int], Cell]:
    """(weekday, hour) -> Cell from (UTC instant, prospect time zone, outcome) for each dial."""
    cells: dict[tuple[int, int], Cell] = {}
    zones: dict[str | None, ZoneInfo] = {}
    for at, zone_name, outcome in dials:
        if zone_name not in zones:
            zones[zone_name] = _zone(zone_name, fallback_zone)
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        local = at.astimezone(zones[zone_name])
        key = (local.weekday(), local.hour)
        cell = cells.get(key) or cells.setdefault(key, Cell(*key))
        cell.calls += 1
        cell.connects += outcome in CONNECTS
    return cells


def cells_json(cells: dict[tuple[int, int], Cell]) -> list[dict]:
    """The cells with at least one dial, Monday first, by hour."""
    return [cells[key].to_json() for key in sorted(cells)]


def chance(cells: dict[tuple[int, int], Cell], local: datetime) -> float | None:
    """Expected connect rate in the coming hours from `local` (the prospect's local time), or None."""
    hours = [(local.hour + n) % 24 for n in range(COMING_HOURS)]
    day = [cells[local.weekday(), h] for h in hours if (local.weekday(), h) in cells]
    calls, connects = sum(c.calls for c in day), sum(c.connects for c in day)
    if calls < MIN_CELL:
        week = [c for c in cells.values() if c.hour in hours]
        calls, connects = sum(c.calls for c in week), sum(c.connects for c in week)
    return connects / calls if calls >= MIN_CELL else None


def enough(cells: dict[tuple[int, int], Cell]) -> bool:
    return sum(c.calls for c in cells.values()) >= MIN_HISTORY


def best_first(items: list, cells: dict[tuple[int, int], Cell], now: datetime, fallback_zone: str) -> list:
    """Calls with the best expected connect chance first; the rest in the order given (a stable sort)."""
    if not enough(cells):
        return list(items)
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)

    def key(item) -> tuple[int, float]:
        if item.channel != "phone":
            return (2, 0.0)
        rate = chance(cells, now.astimezone(_zone(item.timezone, fallback_zone)))
        return (1, 0.0) if rate is None else (0, -rate)

    return sorted(items, key=key)
