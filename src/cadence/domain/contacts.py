"""Normalising phones, emails, names and time zones."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cadence.errors import CadenceError


@dataclass(frozen=True)
class Phone:
    text: str  # what we store and show: E.164 (with ;ext=) when valid, else as written
    key: str  # what duplicates are matched on
    valid: bool
    region: str | None = None  # the number's country, when known
    zone: str = ""  # the number's IANA time zone, when its prefix has exactly one
    problem: str = ""  # why an invalid number cannot be read, when more can be said than "invalid"


def normalise_phone(raw: str, region: str | None = "US") -> Phone:
    """The phone in E.164 when phonenumbers can read it; otherwise kept as written, flagged invalid."""
    raw = (raw or "").strip()
    if not raw:
        return Phone("", "", False)
    if excel := _EXCEL.fullmatch(raw):
        digits, exponent = excel[1] + excel[2], int(excel[3])
        if len(digits) != exponent + 1:  # digits lost (2.12555E+09) or a fraction: not a number to guess at
            return Phone(raw, _digits_key(raw), False, problem=(
                f"{raw} is a phone number a spreadsheet turned into a number and cut to {len(digits)} digits: "
                "format the phone column as text and export it again"
            ))
        raw = digits  # every digit is there (1.2125550199E+10): read it back
    return _normalise_phone(raw, (region or "US").upper())


# A phone a spreadsheet stored as a number and wrote in scientific notation: 1.2125550199E+10.
_EXCEL = re.compile(r"(\d)\.(\d+)[eE]\+?(\d{1,2})")


# Leads files repeat numbers (a company's main line, the same person twice); parsing is the slow part.
@lru_cache(maxsize=4096)
def _normalise_phone(raw: str, region: str) -> Phone:
    pn = _phonenumbers()
    try:
        if _PUNCTUATED.fullmatch(raw):
            # Punctuation-only formatting is dropped first: phonenumbers reads the digits alike, faster.
            plain = "+" + _NOT_DIGIT.sub("", raw) if raw[0] == "+" else _NOT_DIGIT.sub("", raw)
            number = _north_american(plain, region) or pn.parse(plain, region)
        else:
            number = pn.parse(raw, region)
    except pn.NumberParseException:
        return Phone(raw, _digits_key(raw), False)
    country, kind = _region_and_type(number)
    if kind == pn.UNKNOWN:
        return Phone(raw, _digits_key(raw), False)
    e164 = pn.format_number(number, pn.E164)
    text = f"{e164};ext={number.extension}" if number.extension else e164
    return Phone(text, e164, True, country, _zone_of(number, kind))


_NOT_DIGIT = re.compile(r"\D")
# A number written with digits and punctuation only (no extension, no letters).
_PUNCTUATED = re.compile(r"\+?[\d\s().\-/]+")
_PHONENUMBERS: Any = None


def _north_american(plain: str, region: str):
    """The number phonenumbers.parse gives for "+1" and ten digits, or for ten digits read in the US,
    when the area code starts with 2-9 (no national prefix, no international prefix to strip);
    None for anything else. Most numbers in a US leads file are like this, and parsing is the slow part."""
    if len(plain) == 12 and plain[1] == "1" and plain[0] == "+" and plain[2] in "23456789":
        digits = plain[2:]
    elif len(plain) == 10 and region == "US" and plain[0] in "23456789":
        digits = plain
    else:
        return None
    return _phonenumbers().PhoneNumber(country_code=1, national_number=int(digits))


def _phonenumbers() -> Any:
    """The parts of phonenumbers we use, imported on first use (it is slow to import)."""
    global _PHONENUMBERS
    if _PHONENUMBERS is None:
        from types import SimpleNamespace

        import phonenumbers
        from phonenumbers import phonenumberutil as util
        from phonenumbers import timezone as zones

        _PHONENUMBERS = SimpleNamespace(
            parse=phonenumbers.parse,
            PhoneNumber=phonenumbers.PhoneNumber,
            NumberParseException=phonenumbers.NumberParseException,
            region_code_for_number=phonenumbers.region_code_for_number,
            format_number=phonenumbers.format_number,
            E164=phonenumbers.PhoneNumberFormat.E164,
            UNKNOWN=phonenumbers.PhoneNumberType.UNKNOWN,
            is_valid_number_for_region=phonenumbers.is_valid_number_for_region,
            number_type=phonenumbers.number_type,
            metadata=phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code,
            region_metadata=phonenumbers.PhoneMetadata.metadata_for_region,
            regions_of=phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get,
            re_compile=__import__("phonenumbers.re_util", fromlist=["re_compile"]).re_compile,
            type_helper=getattr(util, "_number_type_helper", None),
            NON_GEO=util.REGION_CODE_FOR_NON_GEO_ENTITY,
            country_code_for_valid_region=util.country_code_for_valid_region,
            national_significant_number=util.national_significant_number,
            is_geographical=phonenumbers.is_number_type_geographical,
            zones_for_geographical_number=zones.time_zones_for_geographical_number,
            zones_for_number=zones.time_zones_for_number,
            UNKNOWN_ZONE=zones.UNKNOWN_TIMEZONE,
        )
    return _PHONENUMBERS


def _region_and_type(number) -> tuple[str | None, Any]:
    """The number's region and its type there (UNKNOWN when it is not a valid number).

    What phonenumbers.region_code_for_number, is_valid_number_for_region and
    number_type compute between them, with each number-type match done once
    (an import spends most of its time here; the tests compare the results
    with those public calls).
    """
    pn = _phonenumbers()
    if pn.type_helper is None:  # a phonenumbers without the helper: the public calls
        region = pn.region_code_for_number(number)
        valid = region is not None and pn.is_valid_number_for_region(number, region)
        return region, pn.number_type(number) if valid else pn.UNKNOWN
    code = number.country_code
    regions = pn.regions_of(code)
    if not regions:
        return None, pn.UNKNOWN
    national = pn.national_significant_number(number)
    if len(regions) == 1:
        region = regions[0]
        metadata = pn.metadata(code, region)
        if metadata is None or (region != pn.NON_GEO and code != pn.country_code_for_valid_region(region)):
            return region, pn.UNKNOWN
        return region, pn.type_helper(national, metadata)
    for region in regions:  # several regions share the code (+1): the first that claims the number
        metadata = pn.region_metadata(region.upper(), None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if pn.re_compile(metadata.leading_digits).match(national):
                return region, pn.type_helper(national, metadata)
        else:
            kind = pn.type_helper(national, metadata)
            if kind != pn.UNKNOWN:
                return region, kind
    return None, pn.UNKNOWN


def _zone_of(number, kind) -> str:
    """The one time zone of a valid number, or '' when it has several or none."""
    pn = _phonenumbers()
    if pn.is_geographical(kind, number.country_code):
        found = pn.zones_for_geographical_number(number)
    else:
        found = pn.zones_for_number(number)  # a mobile in some countries: the country's zones
    if len(found) == 1 and found[0] != pn.UNKNOWN_ZONE and valid_timezone(found[0]):
        return found[0]
    return ""


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
    lowered = raw.lower()
    plain = _PLAIN_EMAIL.fullmatch(lowered)
    if plain and len(lowered) <= 254 and plain.start(2) <= 65:
        # A plain ASCII address: the local part is one email-validator always accepts, so only
        # the domain needs its verdict, and a file has far fewer domains than addresses.
        valid = _domain_ok(plain.group(2))
        return Email(lowered, lowered, valid)
    return _checked_email(raw)


# Dot-separated runs of letters, digits and _%+- before the @: a subset of what RFC 5322 allows.
_PLAIN_EMAIL = re.compile(r"([a-z0-9_%+\-]+(?:\.[a-z0-9_%+\-]+)*)@([a-z0-9.\-]+)")


@lru_cache(maxsize=4096)
def _domain_ok(domain: str) -> bool:
    return _checked_email("x@" + domain).valid


def _checked_email(raw: str) -> Email:
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


# Control characters (CR, LF, ESC, ...) break a name across lines or drive the
# terminal; bidirectional overrides and isolates reorder what is shown; zero-width
# spaces and the BOM hide inside a name. Joiners (ZWJ, ZWNJ) and marks stay: some
# scripts need them inside a word.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069\u061c]")


def clean_text(text: str) -> str:
    """A name, company or title on one line: control characters become spaces, direction overrides and
    zero-width spaces go, spaces are folded; "" when nothing visible is left (only zero-width characters)."""
    text = _INVISIBLE.sub("", _CONTROLS.sub(" ", text or ""))
    text = " ".join(text.split())
    if not any(not ch.isspace() and unicodedata.category(ch)[0] != "C" for ch in text):
        return ""
    return text


@lru_cache(maxsize=8192)  # first names repeat through a file
def tidy_name(text: str) -> str:
    """Cleaned (see clean_text), inner spaces folded; all-caps or all-lower names title-cased."""
    text = clean_text(text)
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

    def first(word: str) -> str:
        fixed = fix(word)  # a leading particle is capitalised: "De la Cruz"
        return fixed[:1].upper() + fixed[1:]

    words = text.split(" ")
    return " ".join(fix(w) if i else first(w) for i, w in enumerate(words))


COURTESY_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "herr", "frau", "m", "mme", "mlle"})
NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "mba", "esq", "cpa"})


def is_courtesy_title(text: str) -> bool:
    """True for 'Mr.', 'Ms', 'Dr.' and the like: a form of address, not a job."""
    return text.strip().rstrip(".").lower() in COURTESY_TITLES


def split_name(text: str) -> tuple[str, str]:
    """First name (all but the last word) and last name; 'LAST, FIRST' and 'Dr. Jane Smith, Jr.' are understood."""
    text = tidy_name(text)
    head, comma, tail = text.partition(",")
    suffix = ""
    if comma and tail.strip().rstrip(".").lower() in NAME_SUFFIXES:
        text, suffix = head.strip(), tail.strip()
    elif comma:
        return tail.strip(), head.strip()
    words = text.split(" ")
    if len(words) > 2 and is_courtesy_title(words[0]):
        words = words[1:]
    if len(words) == 1:
        return words[0], suffix
    last = words[-1] + (" " + suffix if suffix else "")
    return " ".join(words[:-1]), last


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


def tel_uri(phone: str, region: str | None = "US", parse: bool = True) -> str | None:
    """A tel: link (RFC 3966) for a phone that reads as a number, from its E.164 form; None otherwise.

    A phone already stored in E.164 is taken as it is; with `parse=False` (a view listing many) nothing
    else is read, so phonenumbers is not loaded.
    """
    text = (phone or "").strip()
    if not _E164.fullmatch(text):
        if not parse:
            return None
        number = normalise_phone(text, region)
        if not number.valid:
            return None
        text = number.text
    return "tel:" + text  # only +, digits and ;ext=: nothing to escape


_E164 = re.compile(r"\+[1-9]\d{6,14}(?:;ext=\d{1,10})?")


def mailto_uri(email: str, check: bool = True) -> str | None:
    """A mailto: link (RFC 6068) for a valid address, percent-encoded; None for one that is not valid.

    With `check=False` (a view listing many) only a plain ASCII address is linked, without email-validator.
    """
    from urllib.parse import quote

    lowered = (email or "").strip().lower()
    if _PLAIN_EMAIL.fullmatch(lowered) and len(lowered) <= 254 and not check:
        return "mailto:" + quote(lowered, safe="@")
    if not check:
        return None
    address = normalise_email(email)
    if not address.valid:
        return None
    return "mailto:" + quote(address.text, safe="@")
