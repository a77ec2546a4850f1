"""`cadence list`: the whole pipeline, filtered, searched and sorted (not only what is due today)."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from cadence.domain.contacts import full_name
from cadence.domain.engine import Status
from cadence.errors import CadenceError

SORTS = ("id", "name", "company", "status", "cadence", "step", "attempts", "due")


@dataclass
class Listed:
    id: int
    name: str
    company: str
    status: str
    cadence: str | None
    step: int | None
    attempts: int
    next_due: date | None
    owner: str
    email: str
    phone: str
    tags: str

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["next_due"] = self.next_due.isoformat() if self.next_due else None
        return data


def parse_statuses(text: str | None) -> list[str]:
    """--status a,b as status values; refuses an unknown one, listing the valid ones."""
    if text is None:
        return []
    known = [s.value for s in Status]
    asked = [word.strip().lower() for word in text.split(",")]
    for word in asked:
        if word not in known:
            raise CadenceError(f"unknown status {word!r} for --status: use one or more of {', '.join(known)} (comma-separated)")
    return asked


def check_sort(text: str) -> str:
    word = text.strip().lower()
    if word not in SORTS:
        raise CadenceError(f"unknown sort field {text!r} for --sort: use one of {', '.join(SORTS)}")
    return word


def fold(text: str) -> str:
    """Text as --search compares it: Unicode case-folded (É, Ł, Ü as well as A), as name_key folds names."""
    return unicodedata.normalize("NFKC", text).casefold()


def listing(
    pipe,
    statuses: list[str] | None = None,
    cadence: str | None = None,
    search: str | None = None,
    tag: str | None = None,
    due_before: date | None = None,
    sort: str = "id",
) -> list[Listed]:
    """The prospects in scope matching every filter given, sorted by `sort` (then id).

    --search and --tag first read only the searched columns, then the matching prospects' rows.
    """
    from cadence.store.listing import listed, searched

    sort = check_sort(sort)
    filters = (statuses or [], cadence, pipe.scope, due_before)
    wanted = fold(search.strip()) if search and search.strip() else None
    tagged = fold(tag.strip()) if tag and tag.strip() else None
    with pipe.reading() as session:
        ids = None
        if wanted is not None or tagged is not None:
            matches = _matcher(wanted, tagged)
            ids = {r[0] for r in searched(session, *filters) if matches(r)}
        rows = listed(session, *filters, ids=ids) if ids is None or ids else []
    out = [
        Listed(r.id, full_name(r.first_name, r.last_name), r.company, r.status, r.cadence, r.step, r.attempts, r.due_on, r.owner, r.email, r.phone, r.tags)
        for r in rows
    ]
    if sort != "id":
        out.sort(key=_sort_key(sort))
    return out


def _folded(text: str | None) -> str:
    if not text:
        return ""
    return text.lower() if text.isascii() else fold(text)


def _matcher(wanted: str | None, tagged: str | None):
    """The test --search and --tag make of a searched row: the tag among the row's tags, folded; the text in
    the name, company, email, phone (its digits too: "555 0112") or a custom field's value, folded."""
    digits = "".join(ch for ch in wanted or "" if ch.isdigit())
    if len(digits) < 4 or digits != "".join((wanted or "").split()).replace("-", "").lstrip("+"):
        digits = None

    def matches(row) -> bool:
        _, name_key, company, email, phone, tags, fields = row
        if tagged is not None and tagged not in {_folded(t.strip()) for t in (tags or "").split(",")}:
            return False
        if wanted is None or wanted in name_key or wanted in (email or "") or wanted in _folded(company):
            return True
        if phone and (wanted in phone or (digits and digits in phone)):
            return True
        if not fields or fields == "{}":
            return False
        if fields.isascii() and "\\u" not in fields and wanted not in fields.lower():
            return False  # the JSON text holds it nowhere: no need to read it
        return any(wanted in _folded(str(value)) for value in json.loads(fields).values())

    return matches


def _sort_key(field: str):
    if field == "due":
        return lambda item: (item.next_due is None, item.next_due or date.min, item.id)
    if field in ("step", "attempts"):
        return lambda item: (getattr(item, field) is None, getattr(item, field) or 0, item.id)
    return lambda item: (fold(getattr(item, field) or ""), item.id)
