"""Field values as exports write them, made into ours: time zones written any way, tag lists.

Shared by `import` and `edit`, so both accept and tidy a value alike.
"""

from __future__ import annotations

import re
from functools import lru_cache

from cadence.domain.contacts import valid_timezone
from cadence.domain.names import plain_key

ZONE_WORDS: dict[str, str] = {
    **dict.fromkeys(("eastern", "et", "est", "edt", "useastern"), "America/New_York"),
    **dict.fromkeys(("central", "ct", "cst", "cdt", "uscentral"), "America/Chicago"),
    **dict.fromkeys(("mountain", "mt", "mst", "mdt", "usmountain"), "America/Denver"),
    **dict.fromkeys(("arizona", "usarizona"), "America/Phoenix"),
    **dict.fromkeys(("pacific", "pt", "pst", "pdt", "uspacific"), "America/Los_Angeles"),
    **dict.fromkeys(("alaska", "akst", "akdt", "usalaska"), "America/Anchorage"),
    **dict.fromkeys(("hawaii", "hst", "ushawaii", "hawaiialeutian"), "Pacific/Honolulu"),
    **dict.fromkeys(("uk", "unitedkingdom", "london"), "Europe/London"),
}


def tidy_tags(text: str) -> str:
    """Tags as 'a, b': ';' and Google's ' ::: ' separators made commas, Google's '* myContacts' group tidied away."""
    text = text.strip()
    if ";" in text:  # Outlook's Categories and other ';'-separated lists
        text = ":::".join(text.split(";"))
    if ":::" not in text and not text.startswith("*"):
        return text
    parts = [p.strip().lstrip("*").strip() for p in text.split(":::")]
    return ", ".join(p for p in parts if p and p.lower() != "mycontacts")


@lru_cache(maxsize=1024)
def timezone_from(text: str) -> str:
    """The IANA zone a time-zone cell means, or '': an IANA name (any case), a common name
    ('Pacific Time', 'EST', '(GMT-05:00) Eastern Time (US & Canada)'), HubSpot's 'america_slash_new_york'."""
    text = text.strip()
    words = re.sub(r"\((?:gmt|utc)[^)]*\)|\(us\s*&\s*canada\)|\b(?:standard|daylight|time)\b", " ", text.lower())
    common = ZONE_WORDS.get(plain_key(words))
    if common:
        return common
    if valid_timezone(text):
        return text
    candidate = text.replace("_slash_", "/")
    found = re.search(r"[A-Za-z]+(?:/[A-Za-z0-9_+\-]+)+", candidate)
    if found:
        candidate = found.group(0)
    return _zone_names().get(candidate.replace(" ", "_").casefold(), "")


_ZONES: dict[str, str] = {}


def _zone_names() -> dict[str, str]:
    if not _ZONES:
        from zoneinfo import available_timezones

        _ZONES.update({name.casefold(): name for name in available_timezones()})
    return _ZONES
