"""The salesperson's profile: `me.*` in scripts and the settings that shape the day."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Callable

from cadence.errors import CadenceError


def _whole_number(value: str) -> str:
    if not re.fullmatch(r"\d{1,4}", value.strip()):
        raise CadenceError(f"{value!r} is not a whole number (for example 1 or 3)")
    return value.strip()


def _zone(value: str) -> str:
    from cadence.domain.contacts import check_timezone

    return check_timezone(value.strip())


def _country(value: str) -> str:
    from cadence.domain.calendar import check_country

    check_country(value.strip())
    return value.strip().upper()


def _region(value: str) -> str:
    import phonenumbers

    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise CadenceError(f"unknown phone region {value!r}: use a two-letter country code such as US or GB")
    return code


def _days_off(value: str) -> str:
    parse_days_off(value)
    return value.strip()


def _hours(value: str) -> str:
    match = re.fullmatch(r"\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)\s*", value)
    if not match or match.group(1, 2) >= match.group(3, 4):
        raise CadenceError(f"calling hours {value!r} must look like 09:00-17:00 (start before end)")
    return f"{match.group(1)}:{match.group(2)}-{match.group(3)}:{match.group(4)}"


def _cadence_name(value: str) -> str:
    # Whether the cadence exists is checked by the pipeline, which knows the cadence files.
    if not value.strip():
        raise CadenceError("give a cadence name, e.g. five-touch-fire (see `cadence cadences list`)")
    return value.strip()


def _email(value: str) -> str:
    from cadence.domain.contacts import normalise_email

    email = normalise_email(value)
    if not email.valid:
        raise CadenceError(f"email {value.strip()!r} is not a valid address: give one like sam@example.com")
    return email.text


def _phone(value: str) -> str:
    # Read as written, not through the phone library: a salesperson's own line may be an
    # internal or made-up number ("+1 555 0100"), as long as it looks like a number.
    match = re.fullmatch(r"\s*(\+?[\d\s().\-/]+?)\s*(?:(?:ext\.?|x|#)\s*\d{1,6})?\s*", value, re.IGNORECASE)
    if not match or not 7 <= sum(c.isdigit() for c in match.group(1)) <= 15:
        raise CadenceError(
            f"phone {value.strip()!r} is not a phone number: give 7 to 15 digits, e.g. \"+1 555 0100\" (an extension as ext 12)"
        )
    return value.strip()


def _text(value: str) -> str:
    return value.strip()


# Settings with a meaning of their own; any other key is a free `me.*` value.
SETTINGS: dict[str, tuple[str, Callable[[str], str]]] = {
    "timezone": ("your IANA time zone; naive --at times are read in it", _zone),
    "region": ("default country for phone numbers without a +code (e.g. US)", _region),
    "holidays": ("country whose public holidays business-day cadences skip (e.g. US)", _country),
    "days_off": ("your own days off: dates or ranges, comma-separated (2026-12-24..2026-12-31)", _days_off),
    "callback_lead": ("business days before an asked callback date to call (default 1)", _whole_number),
    "linger_after": ("postponements after which a prospect is flagged lingering (default 3)", _whole_number),
    "calling_hours": ("prospects' local hours when calls are welcome (default 09:00-17:00)", _hours),
    "max_calls": ("most calls on one day's list (default: no cap)", _whole_number),
    "default_cadence": ("cadence for new prospects when none is named (default five-touch-fire)", _cadence_name),
    "user": ("the current rep, when CADENCE_USER is not set", str.strip),
    "drafts": ("folder where `work` writes email drafts (its draft key; `work --draft DIR` for one session)", _text),
    # Activity goals (issue 18): per day, and per week (Monday to Sunday) with _week; 0 means none.
    "goal_dials": ("calls to make each day, shown by `today` and at the end of `work` (0: no goal)", _whole_number),
    "goal_connects": ("connects (connected or meeting) to reach each day (0: no goal)", _whole_number),
    "goal_meetings": ("meetings to book each day (0: no goal)", _whole_number),
    "goal_dials_week": ("calls to make each week, Monday to Sunday (0: no goal)", _whole_number),
    "goal_connects_week": ("connects to reach each week, Monday to Sunday (0: no goal)", _whole_number),
    "goal_meetings_week": ("meetings to book each week, Monday to Sunday (0: no goal)", _whole_number),
}
ME_DEFAULTS = ("name", "company", "phone", "email", "title")
# What scripts show as me.*, checked when set.
ME_VALUES: dict[str, Callable[[str], str]] = {"name": _text, "company": _text, "phone": _phone, "email": _email, "title": _text}
# How `cadence email --send` reaches the mail server (checked when it is used; see cadence.channels.mail).
SMTP_KEYS = ("smtp_host", "smtp_port", "smtp_tls", "smtp_user", "smtp_timeout")
# Where `cadence sync` reads the mailbox (checked when it is used; see cadence.channels.imap).
IMAP_KEYS = ("imap_host", "imap_port", "imap_tls", "imap_user", "imap_folders", "imap_timeout")
KNOWN_KEYS = (*ME_DEFAULTS, *SETTINGS, *SMTP_KEYS, *IMAP_KEYS)
PASSWORD_ENV = "CADENCE_SMTP_PASSWORD"  # also cadence.channels.mail's; kept here so `me set` does not load mail


def check_key(key: str, custom: bool = False) -> None:
    """Refuses a key that is not one of KNOWN_KEYS (naming the closest) unless `custom`, and any secret."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
        raise CadenceError(f"setting name {key!r} must be lower case letters, digits and _ (e.g. name, phone)")
    if re.search(r"pass(word|wd)?$|secret|token", key):
        raise CadenceError(
            f"{key} is not stored in the database, where anyone with the file could read it: "
            f"set {'CADENCE_IMAP_PASSWORD' if key.startswith('imap') else PASSWORD_ENV} in your environment, or store it in the system keyring with "
            f"`keyring set cadence {'IMAP_USER' if key.startswith('imap') else 'SMTP_USER'}` (pip install 'prospect-cadence[keyring]'); "
            f"see {'docs/inbox.md' if key.startswith('imap') else 'docs/insight.md'}"
        )
    if key in KNOWN_KEYS or custom:
        return
    from difflib import get_close_matches

    close = get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.6)
    known = f"did you mean {close[0]}?" if close else f"the keys are {', '.join(KNOWN_KEYS)};"
    raise CadenceError(
        f"unknown profile key {key!r}: {known} for a value of your own (me.{key} in scripts) "
        f"use `cadence me set --custom {key} VALUE`"
    )


def check_setting(key: str, value: str, custom: bool = False) -> str:
    """The value to store for `key`; refuses an unknown key (unless `custom`), a secret, or a malformed value."""
    check_key(key, custom)
    if key in SETTINGS:
        return SETTINGS[key][1](value)
    if key in ME_VALUES:
        return ME_VALUES[key](value)
    return value


def parse_days_off(text: str) -> frozenset[date]:
    """Dates from '2026-12-24, 2026-12-28..2026-12-31'; refuses anything else."""
    days: set[date] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        first, _, last = part.partition("..")
        try:
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError:
            raise CadenceError(f"day off {part!r} is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)") from None
        if end < start:
            raise CadenceError(f"day-off range {part!r} ends before it starts")
        while start <= end:
            days.add(start)
            start += timedelta(days=1)
    return frozenset(days)


@dataclass
class Profile:
    values: dict[str, str] = field(default_factory=dict)
    system_zone: tzinfo = timezone.utc

    @property
    def zone(self) -> tzinfo:
        from zoneinfo import ZoneInfo

        name = self.values.get("timezone")
        return ZoneInfo(name) if name else self.system_zone

    @property
    def zone_name(self) -> str:
        return self.values.get("timezone") or getattr(self.system_zone, "key", None) or "UTC"

    def number(self, key: str, default: int) -> int:
        value = self.values.get(key, "")
        return int(value) if value.isdigit() else default

    @property
    def callback_lead(self) -> int:
        return self.number("callback_lead", 1)

    @property
    def linger_after(self) -> int:
        return self.number("linger_after", 3)

    @property
    def region(self) -> str:
        return self.values.get("region") or "US"

    @property
    def country(self) -> str | None:
        return self.values.get("holidays") or None

    @property
    def days_off(self) -> frozenset[date]:
        return parse_days_off(self.values.get("days_off", ""))

    @property
    def calling_hours(self) -> str:
        return self.values.get("calling_hours") or "09:00-17:00"

    @property
    def max_calls(self) -> int | None:
        value = self.values.get("max_calls", "")
        return int(value) if value.isdigit() else None

    @property
    def default_cadence(self) -> str:
        return self.values.get("default_cadence") or "five-touch-fire"

    def me(self) -> dict[str, str]:
        """What scripts see as `me.*`."""
        # A visible reminder beats a blank in the middle of a call.
        values = {key: f"[your {key}]" for key in ME_DEFAULTS}
        values.update(self.values)
        return values

    def aware(self, at: datetime) -> datetime:
        """`at` with a zone: a naive time is in the salesperson's zone."""
        return at.replace(tzinfo=self.zone) if at.tzinfo is None else at

    def local_day(self, at: datetime) -> date:
        """The salesperson's calendar day at instant `at`."""
        return self.aware(at).astimezone(self.zone).date()
