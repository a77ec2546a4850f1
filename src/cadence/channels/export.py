"""Export prospects or touches as CSV (safe to open in a spreadsheet) or JSON.

The prospect columns start with the names `cadence import` maps back to the
same fields (first_name ... tags), then every custom field by its own name,
then the cadence state, so an exported file imports as the same people.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from cadence.domain.contacts import full_name
from cadence.errors import CadenceError
from cadence.domain.cells import SafeWriter, plain
from cadence.files import PRIVATE

# The importer reads these back into the same fields (see importer.mapping.ALIASES).
CONTACT_COLUMNS = ("first_name", "last_name", "company", "title", "phone", "email", "timezone", "owner", "source", "tags")
# Derived from phone and email on every write: not worth a column.
INTERNAL = ("phone_key", "email_key", "name_key", "fields")


@lru_cache(maxsize=1)
def state_columns() -> tuple[str, ...]:
    """The prospect's other columns (id, status and the cadence state), as the table has them."""
    from cadence.store.models import Prospect

    skip = set(CONTACT_COLUMNS) | set(INTERNAL)
    return tuple(c.name for c in Prospect.__table__.columns if c.name not in skip)


@lru_cache(maxsize=1)
def touch_columns() -> tuple[str, ...]:
    """Every column of the touch table, with the prospect's name and email after prospect_id."""
    from cadence.store.models import Touch

    names = [c.name for c in Touch.__table__.columns]
    at = names.index("prospect_id") + 1
    return tuple(names[:at] + ["prospect", "prospect_email"] + names[at:])


WHATS = ("prospects", "touches")
FORMATS = ("csv", "json")
def prospect_columns(custom: list[str], state: tuple[str, ...]) -> list[str]:
    """The CSV header: contact columns, custom fields (as `field_<name>` if they clash), state."""
    return [*CONTACT_COLUMNS, *(_custom_column(name, state) for name in custom), *state]


def _custom_column(name: str, state: tuple[str, ...]) -> str:
    return f"field_{name}" if name in CONTACT_COLUMNS or name in state or name in ("name", "fields") else name


def _prospect(row, state: tuple[str, ...]) -> dict[str, Any]:
    """A prospect as JSON shows it: id, name, contact columns, custom fields under `fields`, state."""
    values: dict[str, Any] = {"id": row["id"], "name": full_name(row["first_name"], row["last_name"])} if state else {}
    values.update({name: row[name] for name in CONTACT_COLUMNS})
    values["fields"] = dict(row["fields"] or {})
    values.update({name: row[name] for name in state})
    return values


def _flat(prospect: dict[str, Any], state: tuple[str, ...]) -> dict[str, Any]:
    """A prospect as one CSV row: each custom field in its own column."""
    row = dict(prospect)
    for name, value in row.pop("fields").items():
        row[_custom_column(name, state)] = value
    return row


def _touch(row) -> dict[str, Any]:
    """A touch with its prospect's name and email."""
    values = dict(row)
    values["prospect"] = full_name(row["first_name"], row["last_name"])
    values["prospect_email"] = row["email"]
    return values


def write_csv(out: IO[str], columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """Rows as CSV with every cell neutralised; returns how many rows were written."""
    writer = SafeWriter(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([row.get(c) for c in columns])
        count += 1
    return count


def write_json(out: IO[str], rows: Iterable[dict[str, Any]]) -> int:
    """Rows as a JSON array, one object a line; returns how many were written."""
    out.write("[")
    count = 0
    for row in rows:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps({k: plain(v) for k, v in row.items()}, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def export(pipe, out: IO[str], what: str = "prospects", format: str = "csv", contacts_only: bool = False) -> int:
    """Write every prospect (or touch) in the pipeline's scope (the current rep's, or everyone's) to `out`, streamed; returns the count.

    `contacts_only` leaves out the prospects' id and cadence state: only what
    `cadence import` reads back. Refuses an unknown `what` or `format`.
    """
    from cadence.store import insight

    if what not in WHATS:
        raise CadenceError(f"cannot export {what!r}: choose prospects or touches")
    if format not in FORMATS:
        raise CadenceError(f"unknown export format {format!r}: choose csv or json")
    owner = pipe.scope
    with pipe.reading() as session:
        if what == "touches":
            rows = (_touch(found) for found in insight.touch_rows(session, owner))
            return write_csv(out, list(touch_columns()), rows) if format == "csv" else write_json(out, rows)
        state = () if contacts_only else state_columns()
        prospects = (_prospect(row, state) for row in insight.prospect_rows(session, owner))
        if format == "json":
            return write_json(out, prospects)
        columns = prospect_columns(insight.custom_field_names(session, owner), state)
        return write_csv(out, columns, (_flat(p, state) for p in prospects))


def export_to_file(pipe, path: Path, what: str = "prospects", format: str = "csv", contacts_only: bool = False) -> int:
    """Export into `path`, replacing it whole or not at all; refuses a path it cannot write."""
    with replacing(path) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        count = export(pipe, text, what, format, contacts_only)
        text.flush()
        text.detach()
    return count


def write_file(path: Path, content: bytes) -> None:
    """Write `content` to `path`, replacing it whole or not at all; refuses a path it cannot write."""
    with replacing(path) as out:
        out.write(content)


@contextmanager
def replacing(path: Path) -> Iterator[IO[bytes]]:
    """A binary handle on a temporary file beside `path` that replaces it when the block succeeds.

    Refuses a folder, a missing folder or one that cannot be written, naming the path.
    """
    path = Path(path)
    if path.is_dir():
        raise CadenceError(f"cannot write {path}: it is a folder; give a file name")
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise CadenceError(f"cannot write {path}: {folder} is not a folder")
    if not folder.is_dir():
        raise CadenceError(f"cannot write {path}: folder {folder} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _unwritable(path, exc) from None
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
        os.chmod(temporary, PRIVATE)  # people's names and numbers: the owner's alone, whatever the umask
        os.replace(temporary, path)
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _unwritable(path, exc) from None
        raise


def _unwritable(path: Path, exc: OSError) -> CadenceError:
    return CadenceError(f"cannot write {path}: {exc.strerror or exc}; choose another place with -o")

