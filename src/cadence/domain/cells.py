"""CSV cells that a spreadsheet would run as formulas, made harmless and read back exactly.

`neutralise` and `unneutralise` are inverses for every text, so what `export` writes,
`import` reads back unchanged; `SafeWriter` is the one way cadence writes CSV.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timezone
from typing import IO, Any, Iterable

# A cell starting with one of these is read as a formula by spreadsheet applications.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_FORMULA_FIRST = frozenset(FORMULA_STARTS)
_NEEDS_CARE = _FORMULA_FIRST | {"'"}


def neutralise(cell: str) -> str:
    """The cell, prefixed with one apostrophe when a spreadsheet would run it as a formula.

    A cell that already starts with apostrophes before a formula character gets one more, so
    `unneutralise` gives back exactly what was written: the round trip is exact for every text.
    """
    if cell[:1] == "'":
        rest = cell.lstrip("'")
        return "'" + cell if rest[:1] in _FORMULA_FIRST and rest else cell
    return "'" + cell if cell[:1] in _FORMULA_FIRST and cell else cell


def unneutralise(cell: str) -> str:
    """The cell without the apostrophe `neutralise` put before a formula character; any other cell as it is."""
    if cell[:1] == "'":
        rest = cell.lstrip("'")
        if rest and rest[0] in _FORMULA_FIRST:
            return cell[1:]
    return cell


class SafeWriter:
    """A csv.writer whose every cell is neutralised: the one way cadence writes CSV."""

    def __init__(self, out: IO[str], **options: Any):
        self._writer = csv.writer(out, **options)

    def writerow(self, cells: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in cells])


def plain(value: Any) -> Any:
    """A JSON-safe value: dates and instants as ISO text."""
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return stamp.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def cell(value: Any) -> str:
    """One CSV cell. The common types are tested first: a million touches make 16 million cells."""
    kind = type(value)
    if kind is str:
        return neutralise(value) if value[:1] in _NEEDS_CARE else value
    if value is None:
        return ""
    if kind is int:
        return str(value)
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(str(value))
