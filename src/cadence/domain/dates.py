"""Reading the dates a salesperson types: ISO dates and plain phrases, within sane bounds."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from cadence.errors import CadenceError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12}
FORMS = (
    "YYYY-MM-DD, today, tomorrow, monday..sunday, next monday..next sunday, next week, next month, "
    "in N days, in N weeks, in a month, in N months, yesterday, last monday..last sunday"
)
# Every date cadence reads or computes stays in these years: far enough for any pipeline, and far
# from the ends of Python's calendar (year 1 and 9999), where adding a day or a zone overflows.
EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)


def check_day(day: date, option: str = "--date", text: str | None = None) -> date:
    """`day` itself when it lies from EARLIEST to LATEST; refuses anything outside, naming the option."""
    if not EARLIEST <= day <= LATEST:
        said = f"{text!r} ({day.isoformat()})" if text is not None and text.strip() != day.isoformat() else day.isoformat()
        raise CadenceError(
            f"{option} {said} is out of range: cadence handles dates from {EARLIEST.isoformat()} to {LATEST.isoformat()}"
        )
    return day


def check_instant(at: datetime, option: str = "--at") -> datetime:
    """`at` itself when its calendar day (in its own zone and in UTC) is within the bounds; refuses anything else."""
    check_day(at.date(), option)
    if at.tzinfo is not None:
        check_day(_utc_day(at, option), option)
    return at


def _utc_day(at: datetime, option: str) -> date:
    from datetime import timezone

    try:
        return at.astimezone(timezone.utc).date()
    except OverflowError:
        raise CadenceError(
            f"{option} {at.isoformat()} is out of range: cadence handles dates from {EARLIEST.isoformat()} to {LATEST.isoformat()}"
        ) from None


def parse_day(text: str, today: date, option: str = "--on") -> date:
    """The day `text` names, counted from `today`; refuses anything else (listing the accepted forms)
    and any day outside EARLIEST..LATEST."""
    return read_day(text, today, option)[0]


def read_day(text: str, today: date, option: str = "--on") -> tuple[date, bool]:
    """(the day `text` names, True when it was a phrase rather than a YYYY-MM-DD date); refuses as parse_day."""
    phrase = re.sub(r"\s+", " ", (text or "").strip().lower())
    try:
        return check_day(date.fromisoformat(phrase), option, text), False
    except ValueError:
        pass  # not a date that exists ("2026-02-30" included): read as a phrase, or refused as one
    try:
        day = _phrase(phrase, today)
    except (ValueError, OverflowError):  # "in 99999 years": past the end of Python's calendar
        raise CadenceError(
            f"{option} {text!r} is out of range: cadence handles dates from {EARLIEST.isoformat()} to {LATEST.isoformat()}"
        ) from None
    if day is None:
        raise CadenceError(f"cannot read {text!r} as a date for {option}: use {FORMS}")
    return check_day(day, option, text), True


def _phrase(phrase: str, today: date) -> date | None:
    from dateutil.relativedelta import relativedelta

    if phrase == "today":
        return today
    if phrase == "tomorrow":
        return today + timedelta(days=1)
    if phrase == "yesterday":
        return today - timedelta(days=1)
    if phrase.startswith("next ") and (target := _weekday(phrase.removeprefix("next "))) is not None:
        # "next tuesday" is the Tuesday of next week (weeks run Monday to Sunday), as people say it:
        # said on a Monday it is eight days away, not tomorrow.
        return today - timedelta(days=today.weekday()) + timedelta(days=7 + target)
    if phrase.startswith("last ") and (target := _weekday(phrase.removeprefix("last "))) is not None:
        return today - timedelta(days=(today.weekday() - target) % 7 or 7)
    target = _weekday(phrase.removeprefix("on "))
    if target is not None:
        return today + timedelta(days=(target - today.weekday()) % 7 or 7)  # the next one, never today
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


def on_working_day(day: date, calendar, days_off: frozenset[date] = frozenset()) -> date:
    """The first day on or after `day` that is a working day of `calendar` and not one of `days_off`."""
    while True:
        day = calendar.roll_forward(day)
        if day not in days_off:
            return day
        day += timedelta(days=1)
