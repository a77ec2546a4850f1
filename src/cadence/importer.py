"""The one CSV importer: read, map columns, normalise, find duplicates, insert in one transaction."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

from cadence.contacts import normalise_email, normalise_phone, split_name, tidy_name, valid_timezone
from cadence.errors import CadenceError

# Our fields and the headers that mean them, compared after `header_key`.
# Kept as data: one place to teach the importer a new export.
ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "first name", "firstname", "given name", "first"),
    "last_name": ("last_name", "last name", "lastname", "surname", "family name", "last"),
    "name": ("name", "full name", "fullname", "contact name", "contact"),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "work email"),
    "phone": ("phone", "phone number", "telephone", "tel", "work phone", "business phone", "direct dial", "direct phone", "mobile", "mobile phone", "cell"),
    "company": ("company", "company name", "account name", "account", "organization", "organisation", "organization name"),
    "title": ("title", "job title", "position", "role", "designation"),
    "timezone": ("timezone", "time zone", "tz"),
    "owner": ("owner", "contact owner", "lead owner"),
    "source": ("source", "lead source"),
    "tags": ("tags", "tag", "labels"),
}
BATCH = 1000
MAX_CELL = 64 * 1024


def header_key(text: str) -> str:
    """A header reduced to lower-case letters and digits, for matching."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def field_name(header: str) -> str:
    """The name a custom column is reached by in scripts: prospect.fields.<name>."""
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_") or "column"


_LOOKUP = {header_key(alias): name for name, aliases in ALIASES.items() for alias in aliases}


@dataclass
class Rejected:
    line: int
    reason: str
    row: list[str]


@dataclass
class ImportReport:
    read: int = 0
    added: int = 0
    duplicates_in_file: int = 0
    already_present: int = 0
    do_not_contact: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "read": self.read,
            "added": self.added,
            "duplicates_in_file": self.duplicates_in_file,
            "already_present": self.already_present,
            "do_not_contact": self.do_not_contact,
            "rejected": [{"line": r.line, "reason": r.reason} for r in self.rejected],
            "mapping": self.mapping,
        }


def map_headers(headers: list[str]) -> dict[int, str]:
    """Column index -> our field, or 'fields.<name>' for a custom column."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        ours = _LOOKUP.get(header_key(header))
        if ours and ours not in taken:
            mapping[index] = ours
            taken.add(ours)
        elif header.strip():
            mapping[index] = "fields." + field_name(header)
    return mapping


def _check_file(path: Path) -> bytes:
    try:
        head = path.open("rb").read(4096)
    except FileNotFoundError:
        raise CadenceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CadenceError(f"{path}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise CadenceError(f"{path}: cannot read ({exc.strerror})") from None
    if head.startswith(b"PK\x03\x04"):
        raise CadenceError(f"{path}: this is an Excel or zip file, not CSV: save it as CSV (UTF-8) and import that")
    if b"\x00" in head:
        raise CadenceError(f"{path}: this is a binary file, not CSV text")
    return head


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for each record; the header is the first."""
    head = _check_file(path)
    try:
        head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            raise CadenceError(f"{path}: not UTF-8 text; save the file as CSV UTF-8") from None
    delimiter = _sniff(head.decode("utf-8-sig", errors="ignore"))
    handle = path.open("r", encoding="utf-8-sig", newline="")
    with handle:
        reader = csv.reader(handle, delimiter=delimiter)
        line = 1
        try:
            for cells in reader:
                yield line, cells
                line = reader.line_num + 1
        except UnicodeDecodeError:
            raise CadenceError(f"{path}:{line}: not UTF-8 text; save the file as CSV UTF-8") from None
        except csv.Error as exc:
            raise CadenceError(f"{path}:{line}: not readable as CSV ({exc})") from None


def _sniff(sample: str) -> str:
    first = sample.splitlines()[0] if sample else ""
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


@dataclass
class Lead:
    line: int
    cells: list[str]
    values: dict
    email_key: str
    phone_key: str


def read_leads(path: Path, region: str, report: ImportReport) -> Iterator[Lead]:
    """Each usable row as prospect values; bad rows go into report.rejected with their line."""
    rows = _rows(path)
    header = None
    for line, cells in rows:
        if any(c.strip() for c in cells):
            header = (line, cells)
            break
    if header is None:
        raise CadenceError(f"{path}: the file is empty: a CSV with a header row is needed")
    _, headers = header
    mapping = map_headers(headers)
    targets = set(mapping.values())
    if not ({"email", "phone"} & targets) or not ({"first_name", "last_name", "name"} & targets):
        found = ", ".join(h for h in headers if h.strip()) or "none"
        raise CadenceError(
            f"{path}:{header[0]}: no usable header: need a name column and an email or phone column "
            f"(found: {found})"
        )
    report.mapping = {headers[i]: target for i, target in mapping.items()}
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        report.read += 1
        lead = _lead(line, cells, headers, mapping, region, report)
        if lead is not None:
            yield lead


def _lead(line: int, cells: list[str], headers: list[str], mapping: dict[int, str], region: str, report: ImportReport) -> Lead | None:
    if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
        report.rejected.append(Rejected(line, f"{len(cells)} cells but the header has {len(headers)}", cells))
        return None
    raw: dict[str, str] = {}
    custom: dict[str, str] = {}
    for index, target in mapping.items():
        value = cells[index].strip() if index < len(cells) else ""
        if len(value) > MAX_CELL:
            report.rejected.append(Rejected(line, f"cell in column {headers[index]!r} is over 64 KB", cells))
            return None
        if target.startswith("fields."):
            if value:
                custom[target[7:]] = value
        else:
            raw[target] = value
    first, last = tidy_name(raw.get("first_name", "")), tidy_name(raw.get("last_name", ""))
    if not (first or last) and raw.get("name"):
        first, last = split_name(raw["name"])
    if not (first or last):
        report.rejected.append(Rejected(line, "no name", cells))
        return None
    if not (raw.get("email") or raw.get("phone")):
        report.rejected.append(Rejected(line, "neither phone nor email", cells))
        return None
    email = normalise_email(raw.get("email", ""))
    if raw.get("email") and not email.valid:
        if not raw.get("phone"):
            report.rejected.append(Rejected(line, f"email {raw['email']!r} is not valid and there is no phone", cells))
            return None
        custom["invalid_email"] = raw["email"]
        email = normalise_email("")
    phone = normalise_phone(raw.get("phone", ""), region)
    zone = raw.get("timezone", "")
    if zone and not valid_timezone(zone):
        custom["timezone_as_written"] = zone
        zone = ""
    values = {
        "first_name": first,
        "last_name": last,
        "title": raw.get("title", ""),
        "company": raw.get("company", ""),
        "phone": phone.text,
        "email": email.text,
        "phone_key": phone.key,
        "email_key": email.key,
        "timezone": zone,
        "source": raw.get("source", ""),
        "tags": raw.get("tags", ""),
        "fields": custom,
    }
    if raw.get("owner"):
        values["owner"] = raw["owner"]
    return Lead(line, cells, values, email.key, phone.key)


def import_file(pipeline, path: Path, now: datetime, cadence: str | None = None, start: date | None = None, enroll: bool = True) -> ImportReport:
    """Import every new person in `path` in one transaction; refuses a file it cannot read as CSV."""
    from sqlalchemy import insert

    from cadence import engine
    from cadence.engine import Status
    from cadence.store import queries
    from cadence.store.models import Prospect

    plan = pipeline.cadence(cadence or pipeline.profile.default_cadence) if enroll else None
    day = start or pipeline.profile.local_day(now)
    state = engine.enroll(plan, pipeline.calendar_for(plan), day) if plan is not None else None
    stamp = now.astimezone(timezone.utc)
    report = ImportReport()
    seen_email: set[str] = set()
    seen_phone: set[str] = set()
    base = {"owner": pipeline.user, "created_at": stamp, "updated_at": stamp}
    if state is not None:
        base.update({k: (v.value if isinstance(v, Status) else v) for k, v in asdict(state).items()})
    else:
        base["status"] = Status.PAUSED.value
    with pipeline.writing() as session:
        if plan is not None:
            from cadence import versions

            base["cadence_version"] = versions.record(session, plan, stamp)
        batch: list[Lead] = []

        def flush() -> None:
            fresh = _without_duplicates(session, batch, report)
            if fresh:
                session.execute(insert(Prospect), [{**base, **lead.values} for lead in fresh])
                report.added += len(fresh)
            batch.clear()

        for lead in read_leads(Path(path), pipeline.profile.region, report):
            if (lead.email_key and lead.email_key in seen_email) or (lead.phone_key and lead.phone_key in seen_phone):
                report.duplicates_in_file += 1
                continue
            seen_email.add(lead.email_key)
            seen_phone.add(lead.phone_key)
            batch.append(lead)
            if len(batch) >= BATCH:
                flush()
        flush()
    return report


def _without_duplicates(session, batch: list[Lead], report: ImportReport) -> list[Lead]:
    from cadence.store import queries

    existing = queries.matching_contacts(session, [l.email_key for l in batch], [l.phone_key for l in batch])
    emails = {p.email_key: p.status for p in existing if p.email_key}
    phones = {p.phone_key: p.status for p in existing if p.phone_key}
    fresh = []
    for lead in batch:
        status = emails.get(lead.email_key) if lead.email_key else None
        status = status or (phones.get(lead.phone_key) if lead.phone_key else None)
        if status == "do-not-contact":
            report.do_not_contact += 1
        elif status is not None:
            report.already_present += 1
        else:
            fresh.append(lead)
    return fresh
