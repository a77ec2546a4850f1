"""`cadence list`: the whole pipeline, filtered, searched and sorted (not only what is due today)."""

from __future__ import annotations

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
    """The prospects in scope matching every filter given, sorted by `sort` (then id)."""
    from cadence.store.listing import listed

    sort = check_sort(sort)
    with pipe.reading() as session:
        rows = listed(session, statuses or [], cadence, pipe.scope, due_before)
    wanted = fold(search.strip()) if search and search.strip() else None
    tagged = fold(tag.strip()) if tag and tag.strip() else None
    out = []
    for r in rows:
        if tagged is not None and tagged not in {fold(t.strip()) for t in (r.tags or "").split(",")}:
            continue
        if wanted is not None and not _matches(r, wanted):
            continue
        out.append(Listed(r.id, full_name(r.first_name, r.last_name), r.company, r.status, r.cadence, r.step, r.attempts, r.due_on, r.owner, r.email, r.phone, r.tags))
    if sort != "id":
        out.sort(key=_sort_key(sort))
    return out


def _matches(row, wanted: str) -> bool:
    """--search: the name, company, email, phone or a custom field's value contains the text (folded)."""
    if wanted in row.name_key or wanted in fold(row.company) or wanted in row.email or wanted in fold(row.phone):
        return True
    digits = "".join(ch for ch in wanted if ch.isdigit())
    if digits and len(digits) >= 4 and digits == wanted.replace(" ", "").replace("-", "").lstrip("+") and digits in row.phone:
        return True
    return any(wanted in fold(str(value)) for value in (row.fields or {}).values())


def _sort_key(field: str):
    if field == "due":
        return lambda item: (item.next_due is None, item.next_due or date.min, item.id)
    if field in ("step", "attempts"):
        return lambda item: (getattr(item, field) is None, getattr(item, field) or 0, item.id)
    return lambda item: (fold(getattr(item, field) or ""), item.id)
