"""What a cadence file says, as plain values: Cadence, Step, Problem, and the parsers of periods and weekdays.

Imports nothing heavy: the pipeline and CadenceML take these types without
loading YAML, Jinja or the search path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from cadence.domain.calendar import Calendar
from cadence.errors import CadenceError

STEP_TYPES = ("call", "no-message-call", "email", "fire", "task")
FIRE_CHANNELS = ("voicemail", "email")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WORKWEEK = (1, 2, 3, 4, 5)  # ISO weekday numbers: 1 = Monday
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
STEP_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # step and variant ids


@dataclass(frozen=True)
class Variant:
    """One version of a step's texts in an A/B test: a call's script, or an email's subject and body."""

    id: str
    script: str | None = None
    subject: str | None = None
    body: str | None = None
    line: int = 0
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, str]:
        return {key: value for key in VARIANT_FIELDS if (value := getattr(self, key)) is not None}


VARIANT_FIELDS = ("id", "script", "subject", "body")


@dataclass(frozen=True)
class Step:
    number: int
    day: int
    type: str
    channel: str  # what the salesperson uses: phone, email or task
    fire_channel: str | None = None  # voicemail or email, fire steps only
    script: str | None = None
    voicemail: str | None = None
    subject: str | None = None
    body: str | None = None
    title: str | None = None
    instructions: str | None = None  # task steps: what to do, a template
    id: str | None = None  # optional stable id, used to match steps across versions
    line: int = 0
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    variants: tuple[Variant, ...] = ()  # two or more when the step is an A/B test; its texts are theirs

    def variant(self, slot: int) -> Variant | None:
        """The variant given to the prospect holding `slot` in this step's round-robin; None without variants."""
        return self.variants[slot % len(self.variants)] if self.variants else None

    def with_variant(self, variant: Variant | None) -> Step:
        """This step with the texts of `variant` in place of its own and no variants left (itself when None)."""
        if variant is None:
            return self
        return replace(self, script=variant.script or self.script, subject=variant.subject, body=variant.body, variants=())


@dataclass(frozen=True)
class Cadence:
    name: str
    title: str
    description: str
    days: str  # business or calendar
    holidays: str | None
    steps: tuple[Step, ...]
    recycle_after: Any = None  # dateutil relativedelta
    recycle_text: str | None = None
    fields: tuple[str, ...] | None = None
    path: Path | None = None
    builtin: bool = False
    weekdays: tuple[int, ...] = WORKWEEK  # ISO numbers of the working weekdays (business days)
    holiday_dates: tuple[date, ...] = ()  # extra days off named by the file
    version: str | None = None  # the content hash of a stored copy (None: read from its file)
    public_holidays: bool = True  # False: `holidays: none`, not even the profile's country

    def calendar(self, days_off: frozenset = frozenset(), country: str | None = None) -> Calendar:
        """The calendar that counts this cadence's days (profile country if the file names none)."""
        business = self.days == "business"
        return Calendar(
            business=business,
            country=(self.holidays or country) if self.public_holidays else None,
            days_off=frozenset(days_off) | frozenset(self.holiday_dates) if business else frozenset(),
            weekdays=frozenset(day - 1 for day in self.weekdays),
        )


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        if not self.line:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


def parse_weekday(value: Any) -> int | None:
    """The ISO number (1 = Monday .. 7 = Sunday) of a weekday name, short name or number; None if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= 7 else None
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return parse_weekday(int(text))
        for number, name in enumerate(WEEKDAY_NAMES, start=1):
            if len(text) >= 3 and name.startswith(text):
                return number
    return None



def parse_period(text: str):
    """A relativedelta for '6 months', '2 weeks', '10 days', '1 year'; refuses anything else."""
    from dateutil.relativedelta import relativedelta

    match = re.fullmatch(r"\s*(\d+)\s*(day|week|month|year)s?\s*", text.lower())
    if not match:
        raise CadenceError(f"period {text!r} is not like '6 months', '2 weeks', '30 days' or '1 year'")
    count, unit = int(match.group(1)), match.group(2)
    return relativedelta(**{unit + "s": count})

