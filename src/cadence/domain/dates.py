"""Reading the dates a salesperson types: ISO dates and plain phrases."""

from __future__ import annotations

import re
from datetime import date, timedelta

from cadence.errors import CadenceError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12}
FORMS = "YYYY-MM-DD, today, tomorrow, monday..sunday, next week, next month, in N days, in N weeks, in a month, in N months"


def parse_day(text: str, today: date, option: str = "--on") -> date:
    """The day `text` names, counted from `today`; refuses anything else, listing the accepted forms."""
    phrase = re.sub(r"\s+", " ", (text or "").strip().lower())
    try:
        return date.fromisoformat(phrase)
    except ValueError:
        pass
    day = _phrase(phrase, today)
    if day is None:
        raise CadenceError(f"cannot read {text!r} as a date for {option}: use {FORMS}")
    return day


def _phrase(phrase: str, today: date) -> date | None:
    from dateutil.relativedelta import relativedelta

    if phrase == "today":
        return today
    if phrase == "tomorrow":
        return today + timedelta(days=1)
    name = phrase.removeprefix("next ").removeprefix("on ")
    target = _weekday(name)
    if target is not None:
        ahead = (target - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    if phrase == "next week":
        return today + timedelta(days=7)
    if phrase == "next month":
        return today + relativedelta(months=1)
    if phrase == "next year":
        return today + relativedelta(years=1)
    match = re.fullmatch(r"in (\d+|[a-z]+) (day|week|month|year)s?", phrase)
    if not match:
        return None
    count_text, unit = match.groups()
    count = int(count_text) if count_text.isdigit() else NUMBERS.get(count_text)
    if count is None:
        return None
    return today + relativedelta(**{unit + "s": count})


def _weekday(name: str) -> int | None:
    """0 for monday (or mon) ... 6 for sunday; None for anything else."""
    for index, day in enumerate(WEEKDAYS):
        if name == day or name == day[:3]:
            return index
    return None
