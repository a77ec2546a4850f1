"""The one CSV importer: read, map columns, normalise, find duplicates, insert in one transaction.

A file is streamed: rows are read one at a time, checked, and inserted in
batches, so memory does not grow with the file. Everything happens in one
transaction: a failure or Ctrl-C leaves the database as it was.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping, Sequence

from cadence.domain.contacts import (
    clean_text,
    is_courtesy_title,
    normalise_email,
    normalise_phone,
    split_name,
    tidy_name,
    valid_timezone,
)
from cadence.errors import CadenceError

# ---------------------------------------------------------------- the table of aliases (data)
#
# Our fields and the headers that mean them, in order of preference: when two
# columns of a file mean the same field, the one earlier in its list wins and
# the other is kept as a custom field. Headers are compared after `header_key`
# (case, spacing and punctuation ignored). Phones and emails come in kinds:
# each row takes the first non-empty one in the order of PHONE_KINDS /
# EMAIL_KINDS, and keeps the others as custom fields.
ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": (
        "first_name", "first name", "firstname", "given name", "first", "forename", "person - first name",
        "vorname", "prénom", "nombre", "nome",
    ),
    "last_name": (
        "last_name", "last name", "lastname", "surname", "family name", "last", "person - last name",
        "nachname", "familienname", "nom", "apellido", "apellidos", "cognome",
    ),
    # A name in one column: split into first and last when those columns are absent or empty.
    "name": ("name", "full name", "fullname", "contact name", "contact", "person - name", "lead name", "display name"),
    "company": (
        # "Company" itself first: it beats look-alikes such as Apollo's "Company Name for Emails".
        "company", "company name", "company / account", "account name", "account", "organization",
        "organisation", "organization name", "organization 1 - name", "person - organization", "employer",
        "company name for emails", "firma", "unternehmen", "société", "entreprise", "empresa", "azienda",
    ),
    "title": (
        # "Job Title" before "Title": in an Outlook export "Title" is Mr./Ms. and the job is "Job Title".
        "job title", "title", "position", "job position", "role", "designation", "job", "organization title",
        "organization 1 - title", "person - job title", "funktion", "fonction", "poste", "cargo", "ruolo",
    ),
    "timezone": ("timezone", "time zone", "tz", "time zone name", "iana time zone"),
    "owner": (
        "owner", "contact owner", "lead owner", "record owner", "account owner", "owner id", "ownerid",
        "person - owner", "sales rep", "assigned to",
    ),
    "source": ("source", "lead source", "leadsource", "original source", "contact source"),
    "tags": ("tags", "tag", "labels", "label", "person - label", "categories", "group membership"),
    # A LinkedIn profile: kept as a custom field under its header's name, and enough to reach
    # someone when a row has neither phone nor email (Sales Navigator exports often have neither).
    "linkedin": (
        "linkedin url", "linkedin", "linkedin profile", "linkedin profile url", "person linkedin url",
        "profile url", "profileurl", "sales navigator url",
    ),
    "do_not_contact": ("do not contact", "do not call", "donotcall", "dnc"),
    "phone:direct": ("direct dial", "direct phone", "work direct phone", "direct line", "direct number", "direct"),
    "phone:mobile": (
        "mobile", "mobile phone", "mobile phone number", "mobilephone", "mobile number", "cell", "cell phone",
        "cellphone", "cellular", "phone - mobile", "person - phone - mobile", "handy", "mobil", "mobiltelefon",
        "portable", "móvil", "cellulare",
    ),
    "phone:work": (
        "phone", "phone number", "work phone", "business phone", "telephone", "telephone number", "tel",
        "office phone", "company phone", "corporate phone", "main phone", "company main phone", "primary phone",
        "first phone", "phone - work", "person - phone - work", "person - phone", "telefon", "téléphone",
        "teléfono", "telefono",
    ),
    "phone:other": (
        "other phone", "home phone", "home phone 2", "phone 2", "business phone 2", "secondary phone",
        "alternate phone", "alternative phone", "personal phone", "private phone", "phone - home",
        "phone - other", "person - phone - home", "person - phone - other",
    ),
    "email:work": (
        "email", "e-mail", "email address", "e-mail address", "mail", "work email", "business email",
        "primary email", "email - work", "person - email - work", "person - email", "courriel", "correo",
        "correo electrónico", "e-mail-adresse",
    ),
    "email:other": (
        "personal email", "home email", "other email", "secondary email", "email 2", "e-mail 2",
        "e-mail 2 address", "e-mail 3 address", "private email", "email - home", "email - other",
        "person - email - home", "person - email - other",
    ),
    # Columns of a rejects file written by `import --rejects`, so a fixed one imports cleanly.
    "ignore": ("rejected line", "rejected reason"),
}
PHONE_KINDS = ("direct", "mobile", "work", "other")
EMAIL_KINDS = ("work", "other")
# Google Contacts puts each phone and email in a pair of columns ("Phone 1 - Label",
# "Phone 1 - Value"); the label cell of the row says which kind the value is.
LABEL_KINDS: dict[str, str] = {
    "direct": "direct", "mobile": "mobile", "cell": "mobile", "iphone": "mobile", "work": "work",
    "business": "work", "office": "work", "main": "work", "company": "work", "home": "other", "other": "other",
    "personal": "other", "private": "other",
}
# Words some CRMs put before every column ("Person - Name"); tried when the whole header is unknown.
PREFIXES = ("person", "contact", "lead", "prospect")
# A file written by `cadence export`: its state columns describe this database, not the person.
OWN_EXPORT_STATE = (
    "id", "cadence", "cadence_version", "started_on", "step", "due_on", "last_done_on", "callback_on",
    "postponements", "attempts", "fired_on", "paused_on", "created_at", "updated_at",
)
# Time zones as people write them in a "Time Zone" column, after "time", "standard",
# "daylight", "(GMT-05:00)" and "(US & Canada)" are taken out.
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
SINGLE_FIELDS = (
    "first_name", "last_name", "name", "company", "title", "timezone", "owner", "source", "tags", "do_not_contact", "linkedin",
)
# A column that lost to a better one, kept under a clearer name than its header's:
# Outlook's "Title" (beaten by "Job Title") holds Mr./Ms.
LOSER_NAMES = {"title": "courtesy_title"}
# Lines a report export adds after its rows (Salesforce): one cell, skipped.
FOOTERS = ("confidential information - do not distribute", "copyright (c)", "copyright ©", "generated by:")
MAP_FIELDS = (*SINGLE_FIELDS, "email", "phone")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "x", "t", "do-not-contact", "dnc"})

BATCH = 1000
MAX_CELL = 64 * 1024
SNIFF_BYTES = 64 * 1024
PREVIEW_ROWS = 5


def header_key(text: str) -> str:
    """A header reduced to lower-case letters and digits, for matching."""
    return "".join(c for c in text.casefold() if c.isalnum())


def field_name(header: str) -> str:
    """The name a custom column is reached by in scripts: prospect.fields.<name>."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_") or "column"


def _lookup_table() -> dict[str, tuple[str, int]]:
    table: dict[str, tuple[str, int]] = {}
    for target, aliases in ALIASES.items():
        for rank, alias in enumerate(aliases):
            table.setdefault(header_key(alias), (target, rank))
    return table


_LOOKUP = _lookup_table()
_PAIR = re.compile(r"(email|phone)(\d+)(value|label|type)")


# ---------------------------------------------------------------- report


@dataclass
class Rejected:
    line: int
    reason: str


@dataclass
class Flag:
    """A row imported with something worth checking (an invalid phone kept as written, ...)."""

    line: int
    message: str


@dataclass
class ImportReport:
    file: str = ""
    encoding: str = ""
    delimiter: str = ""
    read: int = 0
    added: int = 0
    updated: int = 0
    duplicates_in_file: int = 0
    already_present: int = 0
    do_not_contact: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    flagged: list[Flag] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "read": self.read,
            "added": self.added,
            "updated": self.updated,
            "duplicates_in_file": self.duplicates_in_file,
            "already_present": self.already_present,
            "do_not_contact": self.do_not_contact,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
            "flagged": [{"line": f.line, "message": f.message} for f in self.flagged],
            "mapping": self.mapping,
            "dry_run": self.dry_run,
        }


# ---------------------------------------------------------------- reading the file

# What a file is, from its first bytes, when it is not text.
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "an Excel or zip file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or other Office file"),
    (b"%PDF", "a PDF document"),
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"{\\rtf", "an RTF document"),
)
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "|": "|", "tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


class MalformedRow(list):
    """A record the CSV reader could not split (a stray quote); the import rejects it with `reason`."""

    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason


@dataclass
class Source:
    """A CSV file opened for reading: its encoding, its delimiter, and its records as (line, cells)."""

    path: Path
    encoding: str
    delimiter: str
    size: int
    _handle: Any = None

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(first line number, cells) of each record, blank lines included (as [])."""
        limit = csv.field_size_limit()
        csv.field_size_limit(16 * 1024 * 1024)  # bigger cells than MAX_CELL are rejected rows, not a crash
        handle = self.path.open("r", encoding=self.encoding, newline="")
        self._handle = handle
        line = 1
        try:
            # strict: a quote that is never closed is an error, not a cell that swallows the rest of the file.
            reader = csv.reader(handle, delimiter=self.delimiter, strict=True)
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    if "unexpected end of data" in str(exc):
                        raise CadenceError(
                            f"{self.path}:{line}: a quote opened on this line is never closed, so the rest of the "
                            "file would be one cell: close it and import again"
                        ) from None
                    if "field limit" in str(exc):
                        raise  # the reader cannot find the next row after a cell this big
                    cells = MalformedRow(f"badly quoted cell ({exc})")
                yield line, cells
                line = reader.line_num + 1
        except UnicodeDecodeError:
            raise CadenceError(
                f"{self.path}:{line}: not valid {self.encoding} text: give the file's encoding with --encoding (e.g. cp1252)"
            ) from None
        except csv.Error as exc:
            raise CadenceError(f"{self.path}:{line}: not readable as CSV ({exc}); is a quote left open?") from None
        finally:
            csv.field_size_limit(limit)
            handle.close()
            self._handle = None

    def position(self) -> int:
        """Bytes read so far (for a progress bar)."""
        handle = self._handle
        try:
            return handle.buffer.tell() if handle is not None else self.size
        except (OSError, ValueError):
            return 0


def open_source(path: Path | str, encoding: str | None = None, delimiter: str | None = None) -> Source:
    """The file ready to read, its encoding and delimiter detected unless given; refuses what is not CSV text."""
    path = Path(path)
    head = _head(path)
    if not head.strip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n"):
        raise CadenceError(f"{path}: the file is empty: a CSV file with a header row is needed")
    if encoding:
        encoding = check_encoding(encoding)
        if not encoding.startswith(("utf-16", "utf-32")):
            _scan(path)  # refuses NUL bytes
    else:
        encoding = _detect_encoding(path, head)
    sample = head.decode(encoding, errors="replace").lstrip("\ufeff")
    chosen = check_delimiter(delimiter) if delimiter else _sniff(sample)
    return Source(path, encoding, chosen, path.stat().st_size)


def check_region(code: str) -> str:
    """A phone region such as US or GB; refuses an unknown one."""
    from cadence.domain.profile import check_setting

    return check_setting("region", code)


def check_encoding(name: str) -> str:
    """A codec name Python knows; refuses others."""
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise CadenceError(f"unknown encoding {name!r} for --encoding: try utf-8, cp1252, latin-1 or utf-16") from None


def check_delimiter(text: str) -> str:
    """One delimiter character (',' ';' tab '|' or any single character); refuses longer text."""
    if text in DELIMITERS or text.lower() in DELIMITERS:
        return DELIMITERS.get(text, DELIMITERS.get(text.lower(), text))
    if len(text) == 1 and text not in "\"\r\n":
        return text
    raise CadenceError(f"invalid --delimiter {text!r}: give one character such as ',', ';', '|' or 'tab'")


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise CadenceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CadenceError(f"{path}: is a folder, not a CSV file") from None
    except PermissionError:
        raise CadenceError(f"{path}: permission denied: cannot read the file") from None
    except OSError as exc:
        raise CadenceError(f"{path}: cannot read ({exc.strerror})") from None
    for magic, what in MAGIC:
        if head.startswith(magic):
            raise CadenceError(f"{path}: this is {what}, not CSV: save it as CSV (UTF-8) and import that")
    return head


def _detect_encoding(path: Path, head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head and not head.startswith(codecs.BOM_UTF8):
        # UTF-16 without a byte-order mark: every other byte of ASCII text is zero.
        sample = head[: len(head) // 2 * 2]
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        if odd > len(sample) // 4 and even < odd // 8:
            return "utf-16-le"
        if even > len(sample) // 4 and odd < even // 8:
            return "utf-16-be"
    if b"\x00" in head:
        raise CadenceError(f"{path}: this is a binary file, not CSV text")
    utf8, latin1_only = _scan(path)
    if utf8:
        return "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    return "latin-1" if latin1_only else "cp1252"


# Bytes Windows-1252 leaves undefined: a file with them can only be Latin-1.
_NOT_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")


def _scan(path: Path) -> tuple[bool, bool]:
    """One pass over the bytes: (whole file is UTF-8, has bytes Windows-1252 lacks); refuses NUL bytes."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, latin1_only, lines = True, False, 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            nul = chunk.find(b"\x00")
            if nul >= 0:
                line = lines + chunk.count(b"\n", 0, nul) + 1
                raise CadenceError(f"{path}:{line}: this is a binary file, not CSV text (a NUL byte)")
            lines += chunk.count(b"\n")
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            latin1_only = latin1_only or any(b in chunk for b in _NOT_CP1252)
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return utf8, latin1_only


def _sniff(sample: str) -> str:
    """The delimiter that splits the first records into the most, and most consistent, columns."""
    if "\n" in sample.rstrip("\r\n"):
        sample = sample[: sample.rstrip("\r\n").rfind("\n") + 1] or sample
    lines = [line for line in sample.splitlines(keepends=True) if line.strip()][:20]
    text = "".join(lines)
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t", "|"):
        try:
            rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(1 for row in rows[1:] if len(row) == width)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# ---------------------------------------------------------------- mapping headers to fields


@dataclass
class ColumnMap:
    """How each column of a file is used. Built once per file by `map_headers`."""

    headers: list[str]
    single: dict[str, int]  # field -> column
    phones: list[tuple[int, int | None, int]]  # (column, label column or None, rank) in preference order
    emails: list[tuple[int, int | None, int]]
    custom: list[tuple[int, str]]  # (column, custom field name)
    names: dict[int, str]  # column -> custom field name, for phones and emails not picked
    described: list[tuple[str, str]]  # (header, what it maps to), in file order
    width: int  # cells a row must have: up to the last named column

    @property
    def usable(self) -> bool:
        has_name = any(f in self.single for f in ("first_name", "last_name", "name"))
        return has_name and bool(self.phones or self.emails or "linkedin" in self.single)


def parse_map(specs: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """'Header=field' options as {header: field}; refuses an unknown field or a spec without '='."""
    if not specs:
        return {}
    pairs = specs.items() if isinstance(specs, Mapping) else (_split_spec(s) for s in specs)
    out: dict[str, str] = {}
    for header, target in pairs:
        out[header.strip()] = _map_target(target, f"{header}={target}")
    return out


def _split_spec(spec: str) -> tuple[str, str]:
    header, equals, target = spec.rpartition("=")
    if not equals or not header.strip():
        raise CadenceError(f"--map {spec!r}: write it as 'Header=field', e.g. --map 'Direct Dial=phone'")
    return header, target


def _map_target(target: str, spec: str) -> str:
    text = target.strip()
    lowered = text.lower()
    for prefix in ("fields.", "field.", "custom:", "custom."):
        if lowered.startswith(prefix) and text[len(prefix):].strip():
            return "fields." + field_name(text[len(prefix):])
    key = header_key(text)
    if key in ("ignore", "skip", "none"):
        return "ignore"
    for name in MAP_FIELDS:
        if key == header_key(name):
            return name
    raise CadenceError(
        f"--map {spec!r}: unknown field {text!r}; use one of {', '.join(MAP_FIELDS)}, fields.<name> or ignore"
    )


def map_headers(headers: list[str], overrides: Mapping[str, str] | None = None, where: str = "") -> ColumnMap:
    """How each column is used: our fields by the alias table, --map overrides, the rest custom fields.

    Refuses a header that names the same column twice and a --map header the file does not have.
    """
    headers = [h.strip().lstrip("\ufeff").strip() for h in headers]
    _check_duplicates(headers, where)
    forced = _resolve_overrides(headers, overrides or {}, where)
    keys = [header_key(h) for h in headers]
    own_export = "cadenceversion" in keys and "dueon" in keys
    # Every claim: (target, preference, column). Lower preference wins.
    claims: list[tuple[str, int, int]] = []
    labels: dict[tuple[str, str], int] = {}
    pairs: list[tuple[str, str, int]] = []
    ignored: set[int] = set()
    custom_named: dict[int, str] = {}
    for index, (header, key) in enumerate(zip(headers, keys)):
        if index in forced:
            target = forced[index]
            if target == "ignore":
                ignored.add(index)
            elif target.startswith("fields."):
                custom_named[index] = target[7:]
            else:
                claims.append((target if target not in ("phone", "email") else target + ":mapped", -1, index))
            continue
        if not key:
            continue
        if own_export and header in OWN_EXPORT_STATE:
            ignored.add(index)
            continue
        if own_export and header == "status":
            claims.append(("do_not_contact", -1, index))  # the value "do-not-contact" is kept; others ignored
            continue
        if own_export and header.startswith("field_"):
            custom_named[index] = field_name(header[6:])
            continue
        pair = _PAIR.fullmatch(key)
        if pair:
            what, number, part = pair.groups()
            if part == "value":
                pairs.append((what, number, index))
            else:
                labels[(what, number)] = index
            continue
        found = _LOOKUP.get(key)
        if found is None:
            for prefix in PREFIXES:
                if key.startswith(prefix) and key != prefix:
                    found = _LOOKUP.get(key[len(prefix):])
                    if found is not None:
                        break
        if found is not None:
            target, rank = found
            if target == "ignore":
                ignored.add(index)
            else:
                claims.append((target, rank, index))

    single: dict[str, int] = {}
    phones: list[tuple[int, int | None, int]] = []
    emails: list[tuple[int, int | None, int]] = []
    for target, preference, index in sorted(claims, key=lambda c: (c[1], c[2])):
        if ":" in target:
            what, kind = target.split(":")
            rank = -1 if kind == "mapped" else (PHONE_KINDS if what == "phone" else EMAIL_KINDS).index(kind)
            (phones if what == "phone" else emails).append((index, None, rank))
        elif target not in single:
            single[target] = index
    for what, number, index in pairs:
        (phones if what == "phone" else emails).append((index, labels.get((what, number)), 0))
    phones.sort(key=lambda c: (c[2], c[0]))
    emails.sort(key=lambda c: (c[2], c[0]))

    # Custom field names, unique within the file ("industry", "industry_2").
    taken: set[str] = set()

    def unique(name: str) -> str:
        candidate, n = name, 2
        while candidate in taken:
            candidate, n = f"{name}_{n}", n + 1
        taken.add(candidate)
        return candidate

    contacts = {c[0] for c in phones + emails}
    label_columns = {c[1] for c in phones + emails if c[1] is not None}
    winners = set(single.values()) - {single.get("linkedin")}
    names: dict[int, str] = {}
    custom: list[tuple[int, str]] = []
    for index, header in enumerate(headers):
        if index in custom_named:
            custom.append((index, unique(custom_named[index])))
        elif index in contacts:
            base = field_name(header)
            names[index] = unique(base[: -len("_value")] if _PAIR.fullmatch(keys[index]) else base)
        elif index in ignored or index in label_columns or index in winners:
            continue
        else:  # unknown, or a look-alike that lost to a better column
            name = field_name(header) if header else f"column_{index + 1}"
            lost = _LOOKUP.get(keys[index], ("", 0))[0]
            if lost in single and name in LOSER_NAMES:
                name = LOSER_NAMES[name]
            custom.append((index, unique(name)))
    width = max((i + 1 for i, h in enumerate(headers) if h), default=0)
    mapping = ColumnMap(headers, single, phones, emails, custom, names, [], width)
    mapping.described = _describe(mapping, ignored, labels)
    return mapping


def _check_duplicates(headers: list[str], where: str) -> None:
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        folded = header.casefold()
        if folded in seen:
            raise CadenceError(
                f"{where}: the header has {header!r} twice (columns {seen[folded] + 1} and {index + 1}): "
                "rename one so each column has its own name"
            )
        seen[folded] = index


def _resolve_overrides(headers: list[str], overrides: Mapping[str, str], where: str) -> dict[int, str]:
    forced: dict[int, str] = {}
    for wanted, target in overrides.items():
        index = next((i for i, h in enumerate(headers) if h == wanted), None)
        if index is None:
            key = header_key(wanted)
            index = next((i for i, h in enumerate(headers) if key and header_key(h) == key), None)
        if index is None:
            found = ", ".join(h for h in headers if h)
            raise CadenceError(f"{where}: --map names a column {wanted!r} the file does not have (found: {found})")
        forced[index] = target
    return forced


def _describe(mapping: ColumnMap, ignored: set[int], labels: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    what: dict[int, str] = {}
    for name, index in mapping.single.items():
        what[index] = name if name != "name" else "name (split into first and last)"
    for group, kinds, label in (("phone", PHONE_KINDS, "phone"), ("email", EMAIL_KINDS, "email")):
        candidates = mapping.phones if group == "phone" else mapping.emails
        for index, label_index, rank in candidates:
            if len(candidates) == 1:
                what[index] = label
            elif label_index is not None:
                what[index] = f"{label} (kind from {mapping.headers[label_index]!r})"
            else:
                what[index] = f"{label} ({'chosen by --map' if rank < 0 else kinds[rank]})"
    for index, name in mapping.custom:
        what[index] = "fields." + name
    for index in ignored:
        what[index] = "ignored"
    for index in labels.values():
        what.setdefault(index, "ignored (label of the column after it)")
    return [(mapping.headers[i], what[i]) for i in sorted(what) if mapping.headers[i]]


# ---------------------------------------------------------------- rows to leads


@dataclass
class Lead:
    line: int
    values: dict[str, Any]
    email_key: str
    phone_key: str
    name_key: str = ""


class Reject(Exception):
    """A row that cannot be imported; the message is the reason."""


class RowReader:
    """Turns the cells of one row into prospect values, per the file's mapping."""

    def __init__(self, mapping: ColumnMap, region: str, match_name: bool = False):
        self.mapping = mapping
        self.region = region
        self.match_name = match_name
        self.count = len(mapping.headers)
        get = mapping.single.get
        self.first, self.last, self.name = get("first_name"), get("last_name"), get("name")
        self.company, self.title, self.zone = get("company"), get("title"), get("timezone")
        self.owner, self.source, self.tags, self.dnc = get("owner"), get("source"), get("tags"), get("do_not_contact")
        self.linkedin = get("linkedin")
        # Names are compared when asked (--match-name) or when a row may have no phone and no email.
        self.names_matter = match_name or self.linkedin is not None
        self.labelled = any(c[1] is not None for c in mapping.phones + mapping.emails)
        # Without label columns the order of preference is the same on every row.
        self.phone_order = [index for index, _label, _rank in mapping.phones]
        self.email_order = [index for index, _label, _rank in mapping.emails]

    def lead(self, line: int, cells: list[str], flags: list[Flag]) -> Lead:
        """The row as a Lead; raises Reject with the reason for a row that cannot be imported."""
        if type(cells) is MalformedRow:
            raise Reject(cells.reason)
        m = self.mapping
        n = len(cells)
        if n < m.width or (n > self.count and any(c.strip() for c in cells[self.count :])):
            hint = " (a quote left open swallows the lines after it)" if any("\n" in c for c in cells) else ""
            raise Reject(f"{n} cells but the header has {m.width if n < m.width else self.count}{hint}")
        if n and max(map(len, cells)) > MAX_CELL:
            column = next(i for i, c in enumerate(cells) if len(c) > MAX_CELL)
            header = m.headers[column] if column < self.count else f"column {column + 1}"
            raise Reject(f"the cell in column {header!r} is over 64 KB")
        if n < self.count:
            cells = cells + [""] * (self.count - n)
        custom: dict[str, str] = {}
        first = tidy_name(cells[self.first]) if self.first is not None else ""
        last = tidy_name(cells[self.last]) if self.last is not None else ""
        if not (first or last) and self.name is not None:
            first, last = split_name(cells[self.name])
        if not (first or last):
            raise Reject("no name")
        phone_raw = self._pick(m.phones, self.phone_order, PHONE_KINDS, cells, custom)
        email_raw = self._pick(m.emails, self.email_order, EMAIL_KINDS, cells, custom)
        linkedin = cells[self.linkedin].strip() if self.linkedin is not None else ""
        if not (phone_raw or email_raw or linkedin):
            raise Reject("neither phone nor email")
        email = normalise_email(email_raw)
        if email_raw and not email.valid:
            if not phone_raw:
                raise Reject(f"email {email_raw!r} is not a valid address and there is no phone")
            custom["invalid_email"] = email_raw
            flags.append(Flag(line, f"email {email_raw!r} is not a valid address: kept as fields.invalid_email"))
            email = normalise_email("")
        phone = normalise_phone(phone_raw, self.region)
        if phone_raw and not phone.valid:
            custom["invalid_phone"] = phone_raw
            why = phone.problem or f"phone {phone_raw!r} is not a valid number (region {self.region})"
            flags.append(Flag(line, f"{why}: kept as written"))
        written = cells[self.zone].strip() if self.zone is not None else ""
        zone = timezone_from(written) if written else ""
        if written and not zone:
            custom["timezone_as_written"] = written
            flags.append(Flag(line, f"time zone {written!r} is not one cadence knows: kept as fields.timezone_as_written"))
        if not zone:
            zone = phone.zone
        title = clean_text(cells[self.title]) if self.title is not None else ""
        if title and is_courtesy_title(title):
            custom["courtesy_title"] = title
            title = ""
        for index, name in m.custom:
            value = cells[index].strip()
            if value:
                custom[name] = value
        company = clean_text(cells[self.company]) if self.company is not None else ""
        values: dict[str, Any] = {
            "first_name": first,
            "last_name": last,
            "title": title,
            "company": company,
            "phone": phone.text,
            "email": email.text,
            "phone_key": phone.key,
            "email_key": email.key,
            "timezone": zone,
            "source": cells[self.source].strip() if self.source is not None else "",
            "tags": tidy_tags(cells[self.tags]) if self.tags is not None else "",
            "fields": custom,
        }
        if self.owner is not None and cells[self.owner].strip():
            values["owner"] = cells[self.owner].strip()
        if self.dnc is not None and cells[self.dnc].strip().lower() in TRUE_WORDS:
            values["status"] = "do-not-contact"
        same_name = name_key(first, last, company) if self.names_matter and company else ""
        return Lead(line, values, email.key, phone.key, same_name)

    def _pick(
        self, candidates: list[tuple[int, int | None, int]], order: list[int], kinds: tuple[str, ...], cells: list[str],
        custom: dict[str, str],
    ) -> str:
        """The first non-empty value in order of preference; the others go to custom fields."""
        if not candidates:
            return ""
        if self.labelled:
            ranked = []
            for index, label, rank in candidates:
                if label is not None:
                    kind = LABEL_KINDS.get(cells[label].replace("*", "").strip().lower(), "other")
                    rank = kinds.index(kind) if kind in kinds else len(kinds) - 1
                ranked.append((rank, index))
            order = [index for _rank, index in sorted(ranked)]
        chosen = ""
        for index in order:
            # A leading apostrophe is how some exports (Apollo) stop spreadsheets reading "+1..." as a formula.
            value = cells[index].strip().lstrip("'")
            if not value or value == chosen:
                continue
            if ":::" in value:  # Google Contacts: several values in one cell
                parts = [p.strip() for p in value.split(":::") if p.strip()]
                if not chosen and parts:
                    chosen, value = parts[0], " ::: ".join(parts[1:])
                if not value:
                    continue
            if not chosen:
                chosen = value
            else:
                custom[self.mapping.names[index]] = value
        return chosen


def name_key(first: str, last: str, company: str) -> str:
    """What --match-name compares: the full name and the company, case and spacing folded."""
    return " ".join(f"{first} {last} | {company}".split()).casefold()


def tidy_tags(text: str) -> str:
    """Tags as 'a, b': Google's ' ::: ' separators and its '* myContacts' group tidied away."""
    text = text.strip()
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
    common = ZONE_WORDS.get(header_key(words))
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


def ignorable(cells: list[str]) -> bool:
    """A blank row, or a line a report export adds after the rows: neither is a person nor an error."""
    if type(cells) is MalformedRow:
        return False
    filled = [c.strip() for c in cells if c.strip()]
    return not filled or (len(filled) == 1 and filled[0].casefold().startswith(FOOTERS))


def read_header(source: Source, records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The first non-blank record; refuses a file without one."""
    for line, cells in records:
        if any(c.strip() for c in cells):
            return line, cells
    raise CadenceError(f"{source.path}: the file is empty: a CSV file with a header row is needed")


def check_usable(mapping: ColumnMap, source: Source, line: int) -> None:
    """Refuses a header without a name column and an email or phone column, listing what it found."""
    if mapping.usable:
        return
    found = [h if len(h) <= 60 else h[:57] + "..." for h in mapping.headers if h]  # a 10 MB "header" stays one short line
    shown = ", ".join(found[:25]) + (f" and {len(found) - 25} more" if len(found) > 25 else "")
    example = found[0] if found else "Header"
    raise CadenceError(
        f"{source.path}:{line}: no usable header: need a name column and an email or phone column "
        f"(found: {shown or 'none'}); say which is which with --map, e.g. --map '{example}=email'"
    )


def open_mapped(
    path: Path | str, forced: Mapping[str, str], encoding: str | None, delimiter: str | None
) -> tuple[Source, Iterator[tuple[int, list[str]]], int, ColumnMap]:
    """The file opened, its header read and mapped: (source, the rows after the header, header line, mapping).

    Refuses a file that is not CSV text, has no header, or whose header is not usable.
    """
    source = open_source(path, encoding, delimiter)
    records = source.records()
    try:
        line, headers = read_header(source, records)
        mapping = map_headers(headers, forced, f"{source.path}:{line}")
        check_usable(mapping, source, line)
    except BaseException:
        records.close()
        raise
    return source, records, line, mapping


# ---------------------------------------------------------------- preview (--show-mapping)


@dataclass
class Preview:
    file: str
    encoding: str
    delimiter: str
    mapping: list[tuple[str, str]]
    rows: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "mapping": [{"header": h, "field": f} for h, f in self.mapping],
            "rows": self.rows,
        }


def preview(
    path: Path | str,
    region: str,
    overrides: Iterable[str] | Mapping[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    rows: int = PREVIEW_ROWS,
) -> Preview:
    """The mapping a file would get and its first rows as they would be stored; writes nothing."""
    forced = parse_map(overrides)
    region = check_region(region)
    source, records, _line, mapping = open_mapped(path, forced, encoding, delimiter)
    try:
        reader = RowReader(mapping, region)
        shown: list[dict[str, Any]] = []
        for line, cells in records:
            if len(shown) >= rows:
                break
            flags: list[Flag] = []
            try:
                lead = reader.lead(line, cells, flags)
            except Reject as exc:
                if not ignorable(cells):
                    shown.append({"line": line, "rejected": str(exc)})
                continue
            values = {k: v for k, v in lead.values.items() if k not in ("phone_key", "email_key")}
            shown.append({"line": line, **values, "flags": [f.message for f in flags]})
    finally:
        records.close()
    return Preview(str(source.path), source.encoding, source.delimiter, mapping.described, shown)


# ---------------------------------------------------------------- importing


class _Person:
    """One person of this file: pending in a batch (lead), or stored (id)."""

    __slots__ = ("lead", "id", "existing", "dnc", "email_key", "repeats")

    def __init__(self, lead: Lead):
        self.lead: Lead | None = lead
        self.id: int | None = None
        self.existing = False
        self.dnc = False
        self.email_key = lead.email_key
        self.repeats = 0  # later rows of the file that are this person, counted once we know who they are


# Columns an --update may fill when they are empty. The cadence state is never among them.
FILLABLE = ("first_name", "last_name", "title", "company", "phone", "email", "timezone", "source", "tags", "owner")


def fill_values(current: Mapping[str, Any], values: Mapping[str, Any], overwrite: Collection[str] = ()) -> dict[str, Any]:
    """What `values` adds to a person: the fields they have empty (or named in `overwrite`), and custom fields they lack."""
    out: dict[str, Any] = {}
    for name in FILLABLE:
        if (not current.get(name) or name in overwrite) and values.get(name) and values[name] != current.get(name):
            out[name] = values[name]
            if name in ("phone", "email"):
                out[name + "_key"] = values[name + "_key"]
    extra = {k: v for k, v in (values.get("fields") or {}).items() if k not in (current.get("fields") or {}) or "fields" in overwrite}
    if extra:
        out["fields"] = {**(current.get("fields") or {}), **extra}
    return out


ProgressCallback = Callable[[int, int, int], None]


def import_file(
    pipeline,
    path: Path | str,
    now: datetime,
    cadence: str | None = None,
    start: date | None = None,
    enroll: bool = True,
    *,
    overrides: Iterable[str] | Mapping[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    region: str | None = None,
    update: bool = False,
    match_name: bool = False,
    rejects: Path | str | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    owners: Sequence[str] = (),
    overwrite: Collection[str] = (),
) -> ImportReport:
    """Import every new person in `path` in one transaction and say what happened.

    Refuses (CadenceError, nothing written) a file it cannot read as CSV, a header
    without a name and a contact column, an unknown --map field or cadence.
    Rows it cannot use are rejected with their line; the rest is committed.
    """
    forced = parse_map(overrides)
    region = check_region(region) if region else pipeline.profile.region
    plan = pipeline.cadence(cadence or pipeline.profile.default_cadence) if enroll else None
    source, records, header_line, mapping = open_mapped(path, forced, encoding, delimiter)
    try:
        report = ImportReport(
            file=str(source.path),
            encoding=source.encoding,
            delimiter=source.delimiter,
            mapping=dict(mapping.described),
            dry_run=dry_run,
        )
        reader = RowReader(mapping, region, match_name)
        job = _Job(pipeline, plan, start, now, report, update, match_name, reader.names_matter)
        job.overwrite = frozenset(overwrite)  # --update --overwrite FIELD,...: these replace filled fields
        job.owners = itertools.cycle(owners) if owners else None
        with _rejects_file(rejects, mapping.headers) as write_reject, _transaction(pipeline, dry_run) as session:
            job.begin(session)
            for line, cells in records:
                try:
                    lead = reader.lead(line, cells, report.flagged)
                except Reject as exc:
                    if not ignorable(cells):
                        report.read += 1
                        report.rejected.append(Rejected(line, str(exc)))
                        write_reject(line, str(exc), cells)
                    continue
                report.read += 1
                if job.take(lead) and progress is not None:
                    progress(source.position(), source.size, report.read)
            if report.read == 0:
                raise CadenceError(f"{source.path}: no rows under the header (line {header_line}): nothing to import")
            job.flush()
            if progress is not None:
                progress(source.size, source.size, report.read)
    finally:
        records.close()
    return report


class _Job:
    """The state of one import: who this file has seen, the batch waiting to be written."""

    overwrite: frozenset[str] = frozenset()  # fields an --update replaces even when filled

    def __init__(
        self, pipeline, plan, start: date | None, now: datetime, report: ImportReport, update: bool, match_name: bool, names_matter: bool
    ):
        from cadence.domain import engine

        self.report = report
        self.update = update
        self.match_name = match_name
        self.names_matter = names_matter
        self.session = None
        self.emails: dict[str, _Person] = {}
        self.phones: dict[str, _Person] = {}
        self.names: dict[str, _Person] = {}
        self.batch: list[_Person] = []
        self.fills: list[tuple[_Person, dict[str, Any]]] = []
        self.updated: set[int] = set()
        self.stored_names: dict[str, tuple[int, str]] = {}
        self.plan = plan
        self.owners: Iterator[str] | None = None  # --owners: new people dealt round-robin, over the file's Owner column
        self.stamp = stamp = now.astimezone(timezone.utc)
        base: dict[str, Any] = {"owner": pipeline.user, "created_at": stamp, "updated_at": stamp}
        idle = {"status": "paused", "cadence": None, "cadence_version": None, "started_on": None, "step": None,
                "due_on": None, "last_done_on": None, "callback_on": None, "postponements": 0, "attempts": 0,
                "fired_on": None, "paused_on": None}
        if plan is not None:
            state = engine.enroll(plan, pipeline.calendar_for(plan), start or pipeline.profile.local_day(now))
            enrolled = {name: getattr(state, name, None) for name in idle}
            enrolled["status"] = str(enrolled["status"])
            enrolled["postponements"] = enrolled["postponements"] or 0
            enrolled["attempts"] = enrolled["attempts"] or 0
            self.base = {**base, **idle, **enrolled}
        else:
            self.base = {**base, **idle}
        self.base_dnc = {**base, **idle, "status": "do-not-contact"}

    def begin(self, session) -> None:
        from cadence.store import queries

        self.session = session
        if self.plan is not None:
            from cadence.pipeline import versions

            # New people follow this version of the cadence, as `add` records it.
            self.base["cadence_version"] = versions.record(session, self.plan, self.stamp)
        if self.names_matter:
            for prospect_id, first, last, company, status in queries.names_and_companies(session):
                self.stored_names.setdefault(name_key(first, last, company), (prospect_id, status))

    # -- one lead at a time

    def take(self, lead: Lead) -> bool:
        """Queue a lead, or count it as a duplicate; True when a batch was written."""
        person = self._seen(lead)
        if person is not None:
            if person.lead is not None:
                person.repeats += 1  # still waiting in the batch: counted when it is placed
            elif person.dnc:
                self.report.do_not_contact += 1
            else:
                self.report.duplicates_in_file += 1
            if self.update and not person.dnc:
                self._merge(person, lead)
            return False
        person = _Person(lead)
        self._remember(person, lead)
        self.batch.append(person)
        if len(self.batch) >= BATCH:
            self.flush()
            return True
        return False

    def _seen(self, lead: Lead) -> _Person | None:
        if lead.email_key:
            person = self.emails.get(lead.email_key)
            if person is not None:
                return person
        if lead.phone_key:
            person = self.phones.get(lead.phone_key)
            # Two people with their own emails may share a phone (a company's main line).
            if person is not None and (person.dnc or not person.email_key or not lead.email_key):
                return person
        if lead.name_key and self._by_name(lead):
            return self.names.get(lead.name_key)
        return None

    def _by_name(self, lead: Lead) -> bool:
        """Whether name and company identify this lead: asked for, or nothing else does."""
        return self.match_name or not (lead.email_key or lead.phone_key)

    def _remember(self, person: _Person, lead: Lead) -> None:
        if lead.email_key:
            self.emails.setdefault(lead.email_key, person)
        if lead.phone_key:
            self.phones.setdefault(lead.phone_key, person)
        if lead.name_key:
            self.names.setdefault(lead.name_key, person)

    def _merge(self, person: _Person, lead: Lead) -> None:
        """--update: a later row of the file fills what the earlier one left empty."""
        if person.lead is not None:
            values = person.lead.values
            values.update(fill_values(values, lead.values))
            if not person.email_key and values["email_key"]:
                person.email_key = person.lead.email_key = values["email_key"]
            if not person.lead.phone_key and values["phone_key"]:
                person.lead.phone_key = values["phone_key"]
            self._remember(person, lead)
        elif person.id is not None:
            self.fills.append((person, lead.values))
            self._remember(person, lead)

    # -- a batch at a time

    def flush(self) -> None:
        from cadence.store import cleaning, queries

        batch, self.batch = self.batch, []
        if batch:
            leads = [p.lead for p in batch]
            stored = queries.contacts_matching(self.session, [l.email_key for l in leads], [l.phone_key for l in leads])
            by_email: dict[str, Any] = {}
            by_phone: dict[str, list[Any]] = {}
            for row in stored:
                if row.email_key:
                    by_email.setdefault(row.email_key, row)
                if row.phone_key:
                    by_phone.setdefault(row.phone_key, []).append(row)
            fresh: list[_Person] = []
            erased = cleaning.forgotten(self.session, [l.email_key for l in leads] + [l.phone_key for l in leads])
            for person in batch:
                if erased & {person.lead.email_key, person.lead.phone_key}:  # erased by `cadence forget`: never re-created
                    person.dnc = True
                    self.report.do_not_contact += 1
                else:
                    self._place(person, by_email, by_phone, fresh)
                if person.dnc:
                    self.report.do_not_contact += person.repeats
                else:
                    self.report.duplicates_in_file += person.repeats
            if fresh:
                self._insert(fresh)
            for person in batch:
                person.lead = None
        if self.fills:
            self._apply_fills()

    def _insert(self, fresh: list[_Person]) -> None:
        """Write new people: what they share (the import's stamp, owner, cadence state) once, the rest per row."""
        from cadence.store import queries

        owner = self.base["owner"]
        runs: list[tuple[bool, list[_Person]]] = []  # in file order, so ids follow the file
        for person in fresh:
            values = person.lead.values
            values.setdefault("owner", owner)
            if self.owners is not None:
                values["owner"] = next(self.owners)
            dnc = values.pop("status", None) == "do-not-contact"
            if not runs or runs[-1][0] != dnc:
                runs.append((dnc, []))
            runs[-1][1].append(person)
        for dnc, people in runs:
            shared = self.base_dnc if dnc else self.base
            ids = queries.insert_prospects(self.session, [p.lead.values for p in people], returning=self.update, shared=shared)
            if ids is not None:
                for person, new_id in zip(people, ids):
                    person.id = new_id
        self.report.added += len(fresh)

    def _place(self, person: _Person, by_email: dict[str, Any], by_phone: dict[str, list[Any]], fresh: list[_Person]) -> None:
        lead = person.lead
        phone_rows = by_phone.get(lead.phone_key, []) if lead.phone_key else []
        email_row = by_email.get(lead.email_key) if lead.email_key else None
        named = self.stored_names.get(lead.name_key) if lead.name_key and self._by_name(lead) else None
        if (
            (email_row is not None and email_row.status == "do-not-contact")
            or any(r.status == "do-not-contact" for r in phone_rows)
            or (named is not None and named[1] == "do-not-contact")
        ):
            person.dnc = True
            self.report.do_not_contact += 1
            return
        match = email_row
        if match is None:
            match = next((r for r in phone_rows if not r.email_key or not lead.email_key), None)
        match_id = match.id if match is not None else (named[0] if named is not None else None)
        if match_id is None:
            fresh.append(person)
            return
        person.id, person.existing = match_id, True
        self.report.already_present += 1
        if self.update:
            self.fills.append((person, lead.values))

    def _apply_fills(self) -> None:
        from cadence.store import queries

        fills, self.fills = self.fills, []
        current = {row["id"]: row for row in queries.contacts_by_id(self.session, {p.id for p, _ in fills})}
        changes: dict[int, dict[str, Any]] = {}
        for person, values in fills:
            row = current.get(person.id)
            if row is None:
                continue
            delta = fill_values(row, values, self.overwrite)
            if delta:
                row.update(delta)
                changes.setdefault(person.id, {}).update(delta)
                if person.existing:
                    self.updated.add(person.id)
        if changes:
            queries.fill_prospects(self.session, changes, self.base["updated_at"])
        self.report.updated = len(self.updated)


@contextmanager
def _transaction(pipeline, dry_run: bool):
    """The import's one transaction; a dry run rolls it back instead of committing."""
    if not dry_run:
        with pipeline.writing() as session:
            yield session
        return
    with pipeline.reading() as session:
        transaction = session.begin()
        try:
            yield session
        finally:
            transaction.rollback()


@contextmanager
def _rejects_file(path: Path | str | None, headers: list[str]):
    """A writer of rejected rows; the file appears only when the import gets to its end."""
    if path is None:
        yield lambda line, reason, cells: None
        return
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    try:
        handle = partial.open("w", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CadenceError(f"cannot write rejects file {target}: {exc.strerror}") from None
    try:
        writer = csv.writer(handle)
        writer.writerow(["Rejected line", "Rejected reason", *headers])
        yield lambda line, reason, cells: writer.writerow([line, reason, *cells])
    except BaseException:
        handle.close()
        partial.unlink(missing_ok=True)
        raise
    handle.close()
    os.replace(partial, target)
