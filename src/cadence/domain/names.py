"""Plain names made from free text: custom field names from CSV headers, cadence names from titles."""

from __future__ import annotations

import re


def plain_name(text: str, sep: str, keep: str = "", letters: bool = False) -> str:
    """`text` in lower case, each run of other characters than a-z, 0-9 and `keep` made one `sep`,
    with `sep` and `keep` trimmed from both ends ("" when nothing is left). With `letters`, every
    letter and digit of any alphabet is kept too (höbbela stays höbbela)."""
    others = re.compile(f"[^\\w{re.escape(keep)}]+|_+" if letters else f"[^a-z0-9{re.escape(keep)}]+")
    return others.sub(sep, str(text).strip().lower()).strip(sep + keep)


def plain_key(text: str) -> str:
    """`text` reduced to lower-case letters and digits of any alphabet, for matching headers and words."""
    return "".join(c for c in text.casefold() if c.isalnum())
