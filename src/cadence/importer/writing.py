"""Writing leads: duplicates in the file and in the database, the batches inserted, --update's fills, the transaction."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Mapping

from cadence.domain.cells import SafeWriter, unneutralise
from cadence.errors import CadenceError
from cadence.files import PRIVATE
from cadence.importer.normalising import Lead, name_key
from cadence.importer.report import ImportReport

BATCH = 1000


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

class FileIndex:
    """The people of this file so far, by email, phone and (when names identify) name and company."""

    def __init__(self, match_name: bool):
        self.match_name = match_name
        self.emails: dict[str, _Person] = {}
        self.phones: dict[str, _Person] = {}
        self.names: dict[str, _Person] = {}

    def find(self, lead: Lead) -> _Person | None:
        if lead.email_key:
            person = self.emails.get(lead.email_key)
            if person is not None:
                return person
        if lead.phone_key:
            person = self.phones.get(lead.phone_key)
            # Two people with their own emails may share a phone (a company's main line).
            if person is not None and (person.dnc or not person.email_key or not lead.email_key):
                return person
        if lead.name_key and self.by_name(lead):
            return self.names.get(lead.name_key)
        return None

    def by_name(self, lead: Lead) -> bool:
        """Whether name and company identify this lead: asked for, or nothing else does."""
        return self.match_name or not (lead.email_key or lead.phone_key)

    def remember(self, person: _Person, lead: Lead) -> None:
        if lead.email_key:
            self.emails.setdefault(lead.email_key, person)
        if lead.phone_key:
            self.phones.setdefault(lead.phone_key, person)
        if lead.name_key:
            self.names.setdefault(lead.name_key, person)


class Job:
    """The state of one import: the batch waiting to be written, and the people of the file not written.

    Memory does not grow with the file: a row is compared with the batch it joins (in memory) and,
    when the batch is written, with the database, which by then holds every earlier row of the file
    that was added (ids above `floor`). Only the rows that matched someone already stored, and were
    therefore not written, are kept in memory (`kept`), so their later repeats are still found.
    """

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
        self.seen = FileIndex(match_name)  # the batch
        self.kept = FileIndex(match_name)  # rows not written: already stored, or do-not-contact
        self.floor = 0  # the highest prospect id before this import
        self.batch: list[_Person] = []
        self.fills: list[tuple[_Person, dict[str, Any]]] = []
        self.updated: set[int] = set()
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
        self.floor = queries.last_prospect_id(session)

    # -- one lead at a time

    def take(self, lead: Lead) -> bool:
        """Queue a lead, or count it as a duplicate; True when a batch was written."""
        person = self.seen.find(lead) or self.kept.find(lead)
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
        self.seen.remember(person, lead)
        self.batch.append(person)
        if len(self.batch) >= BATCH:
            self.flush()
            return True
        return False

    def _merge(self, person: _Person, lead: Lead) -> None:
        """--update: a later row of the file fills what the earlier one left empty."""
        if person.lead is not None:
            values = person.lead.values
            values.update(fill_values(values, lead.values))
            if not person.email_key and values["email_key"]:
                person.email_key = person.lead.email_key = values["email_key"]
            if not person.lead.phone_key and values["phone_key"]:
                person.lead.phone_key = values["phone_key"]
            self.seen.remember(person, lead)
        elif person.id is not None:
            self.fills.append((person, lead.values))
            self.kept.remember(person, lead)

    # -- a batch at a time

    def flush(self) -> None:
        from cadence.store import cleaning, queries

        batch, self.batch = self.batch, []
        index, self.seen = self.seen, FileIndex(self.match_name)
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
            names: dict[str, tuple[int, str]] = {}
            if self.names_matter:
                from cadence.store.models import name_key as full_name_key

                keys = [full_name_key(l.values["first_name"], l.values["last_name"]) for l in leads if l.name_key]
                for prospect_id, first, last, company, status in queries.names_matching(self.session, keys):
                    names.setdefault(name_key(first, last, company), (prospect_id, status))
            fresh: list[_Person] = []
            erased = cleaning.forgotten(self.session, [l.email_key for l in leads] + [l.phone_key for l in leads])
            for person in batch:
                if erased & {person.lead.email_key, person.lead.phone_key}:  # erased by `cadence forget`: never re-created
                    person.dnc = True
                    self.report.do_not_contact += 1
                else:
                    self._place(person, by_email, by_phone, names, fresh)
                if person.dnc:
                    self.report.do_not_contact += person.repeats
                else:
                    self.report.duplicates_in_file += person.repeats
            if fresh:
                self._insert(fresh)
            for person in batch:
                person.lead = None
            for table in ("emails", "phones", "names"):  # who was not written stays known
                kept = getattr(self.kept, table)
                for key, person in getattr(index, table).items():
                    if person.existing or person.dnc:
                        kept.setdefault(key, person)
        if self.fills:
            self._apply_fills()

    def _insert(self, fresh: list[_Person]) -> None:
        """Write new people: what they share (the import's stamp, owner, cadence state) once, the rest per row."""
        from cadence.store import queries, slots

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
            if not dnc and shared["cadence"] is not None:  # their places in step 1's variant round-robin
                first = slots.take(self.session, shared["cadence"], shared["step"], len(people))
                for offset, person in enumerate(people):
                    person.lead.values["variant_slot"] = first + offset
            ids = queries.insert_prospects(self.session, [p.lead.values for p in people], returning=self.update, shared=shared)
            if ids is not None:
                for person, new_id in zip(people, ids):
                    person.id = new_id
        self.report.added += len(fresh)

    def _place(
        self, person: _Person, by_email: dict[str, Any], by_phone: dict[str, list[Any]], names: dict[str, tuple[int, str]],
        fresh: list[_Person],
    ) -> None:
        """Whether the person is new, already stored, refused (do-not-contact) or an earlier row of this file."""
        lead = person.lead
        phone_rows = by_phone.get(lead.phone_key, []) if lead.phone_key else []
        email_row = by_email.get(lead.email_key) if lead.email_key else None
        named = names.get(lead.name_key) if lead.name_key and self.seen.by_name(lead) else None
        floor = self.floor  # a row above it is this file's: its status is the file's, not a refusal
        if (
            (email_row is not None and email_row.status == "do-not-contact" and email_row.id <= floor)
            or any(r.status == "do-not-contact" and r.id <= floor for r in phone_rows)
            or (named is not None and named[1] == "do-not-contact" and named[0] <= floor)
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
        if match_id > floor:  # an earlier row of this file, written in an earlier batch
            person.id = match_id
            self.report.duplicates_in_file += 1
        else:
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
def transaction(pipeline, dry_run: bool):
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


IMPORT_CACHE_KB = 8192  # SQLite's page cache during an import (its default is 2 MB)


@contextmanager
def page_cache(session):
    """SQLite: a larger page cache for the import, the connection's own restored after.

    Each batch inserts 1,000 rows into the prospect table's indexes (email, phone, name keys, at
    places all over them) and looks 2,000 keys up: with the default 2 MB most of those pages are
    read from the file again. 8 MB costs about 8 MB of memory and saves about 12% of the CPU time.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def rejects_file(path: Path | str | None, headers: list[str]):
    """A writer of rejected rows; the file appears only when the import gets to its end."""
    if path is None:
        yield lambda line, reason, cells: None
        return
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    try:
        handle = os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE), "w", encoding="utf-8-sig", newline="")
        os.fchmod(handle.fileno(), PRIVATE)
    except OSError as exc:
        raise CadenceError(f"cannot write rejects file {target}: {exc.strerror}") from None
    try:
        # Neutralised like an export, so a spreadsheet runs no formula and a re-import reads the cells back as written.
        writer = SafeWriter(handle)
        writer.writerow(["Rejected line", "Rejected reason", *headers])
        yield lambda line, reason, cells: writer.writerow([line, reason, *(unneutralise(c) for c in cells)])
    except BaseException:
        handle.close()
        partial.unlink(missing_ok=True)
        raise
    handle.close()
    os.replace(partial, target)
