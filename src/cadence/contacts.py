"""Normalising phones, emails, names and time zones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from cadence.errors import CadenceError


@dataclass(frozen=True)
class Phone:
    text: str  # what we store and show: E.164 (with ;ext=) when valid, else as written
    key: str  # what duplicates are matched on
    valid: bool
    region: str | None = None  # the number's country, when known


def normalise_phone(raw: str, region: str | None = "US") -> Phone:
    """The phone in E.164 when phonenumbers can read it; otherwise kept as written, flagged invalid."""
    raw = (raw or "").strip()
    if not raw:
        return Phone("", "", False)
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, (region or "US").upper())
    except phonenumbers.NumberParseException:
        return Phone(raw, _digits_key(raw), False)
    if not phonenumbers.is_valid_number(number):
        return Phone(raw, _digits_key(raw), False)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    text = f"{e164};ext={number.extension}" if number.extension else e164
    return Phone(text, e164, True, phonenumbers.region_code_for_number(number))


def _digits_key(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    return digits if len(digits) >= 5 else ""


def phone_key(raw: str, region: str | None = "US") -> str:
    """The key a typed phone is looked up by."""
    return normalise_phone(raw, region).key


@dataclass(frozen=True)
class Email:
    text: str
    key: str
    valid: bool


def normalise_email(raw: str) -> Email:
    """The email lower-cased and syntax-checked (no network look-ups)."""
    raw = (raw or "").strip()
    if not raw:
        return Email("", "", False)
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        return Email(raw.lower(), raw.lower(), False)
    text = checked.normalized.lower()
    return Email(text, text, True)


def full_name(first: str, last: str) -> str:
    """The name as a person writes it."""
    return " ".join(part for part in (first.strip(), last.strip()) if part)


def tidy_name(text: str) -> str:
    """Trimmed, inner spaces folded; all-caps or all-lower names title-cased."""
    text = re.sub(r"\s+", " ", (text or "").strip())
    if text and (text.isupper() or text.islower()):
        return _title_case(text)
    return text


def _title_case(text: str) -> str:
    def fix(word: str) -> str:
        lowered = word.lower()
        if lowered in ("de", "da", "del", "der", "van", "von", "la", "le", "di", "du", "dos", "y"):
            return lowered
        parts = re.split(r"([-'])", lowered)
        out = "".join(p.capitalize() if p not in "-'" else p for p in parts)
        if out.startswith("Mc") and len(out) > 2:
            out = "Mc" + out[2].upper() + out[3:]
        return out

    words = text.split(" ")
    return " ".join(fix(w) if i else fix(w).capitalize() for i, w in enumerate(words))


def split_name(text: str) -> tuple[str, str]:
    """First name (all but the last word) and last name; 'LAST, FIRST' is understood."""
    text = tidy_name(text)
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip()
    if " " not in text:
        return text, ""
    first, _, last = text.rpartition(" ")
    return first, last


@lru_cache(maxsize=512)
def valid_timezone(name: str) -> bool:
    """True for an IANA time zone name such as America/Chicago."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def check_timezone(name: str) -> str:
    """The name when it is an IANA time zone; refuses anything else."""
    if not valid_timezone(name):
        raise CadenceError(f"unknown time zone {name!r}: use an IANA name such as America/New_York or Europe/London")
    return name


def zone_for_phone(phone: str) -> str:
    """The IANA zone of a valid E.164 number when its area has exactly one, else ''."""
    if not phone.startswith("+"):
        return ""
    import phonenumbers
    from phonenumbers import timezone as number_zones

    try:
        number = phonenumbers.parse(phone.split(";")[0])
    except phonenumbers.NumberParseException:
        return ""
    zones = [z for z in number_zones.time_zones_for_number(number) if z != "Etc/Unknown"]
    return zones[0] if len(zones) == 1 else ""
