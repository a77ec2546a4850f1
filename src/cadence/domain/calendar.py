"""The one place that knows which days are working days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from cadence.errors import CadenceError

WEEKEND = frozenset({5, 6})  # Saturday, Sunday as date.weekday()
WORKWEEK = frozenset({0, 1, 2, 3, 4})  # Monday to Friday as date.weekday()


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> frozenset[date]:
    import holidays  # heavy: only when a cadence names a country

    try:
        return frozenset(holidays.country_holidays(country.upper(), years=year))
    except NotImplementedError:
        raise CadenceError(
            f"unknown holiday country {country!r}: use a country code such as US, GB or DE"
        ) from None


def check_country(country: str) -> None:
    """Refuses a holiday country code the holidays package does not know."""
    _public_holidays(country, 2000)


@dataclass(frozen=True)
class Calendar:
    """Counts days: every day (calendar) or working days (business) with holidays off."""

    business: bool = True
    country: str | None = None
    days_off: frozenset[date] = field(default_factory=frozenset)
    # The weekdays that count as working days (date.weekday(): 0 = Monday).
    weekdays: frozenset[int] = WORKWEEK

    def __post_init__(self) -> None:
        if self.business and not self.weekdays:
            raise CadenceError("a business-day calendar needs at least one working weekday")

    def is_working_day(self, day: date) -> bool:
        """True when a step may fall on this day."""
        if not self.business:
            return True
        if day.weekday() not in self.weekdays or day in self.days_off:
            return False
        return not (self.country and day in _public_holidays(self.country, day.year))

    def roll_forward(self, day: date) -> date:
        """The first working day on or after `day`."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add(self, day: date, count: int) -> date:
        """The day `count` working days after `day` (`day` itself when count is 0)."""
        if not self.business:
            return day + timedelta(days=count)
        step = timedelta(days=1 if count >= 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def subtract(self, day: date, count: int) -> date:
        """The day `count` working days before `day`."""
        return self.add(day, -count)
