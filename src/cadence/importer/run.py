"""An import from end to end (import_file) and the preview of a file's mapping (preview)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Collection, Iterable, Mapping, Sequence

from cadence.errors import CadenceError
from cadence.importer.mapping import open_mapped, parse_map
from cadence.importer.normalising import Reject, RowReader, check_region
from cadence.importer.reading import ignorable
from cadence.importer.report import Flag, ImportReport, Rejected
from cadence.importer.writing import Job, ProgressCallback, page_cache, rejects_file, transaction

PREVIEW_ROWS = 5


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
        job = Job(pipeline, plan, start, now, report, update, match_name, reader.names_matter)
        job.overwrite = frozenset(overwrite)  # --update --overwrite FIELD,...: these replace filled fields
        job.owners = itertools.cycle(owners) if owners else None
        with rejects_file(rejects, mapping.headers) as write_reject, transaction(pipeline, dry_run) as session, page_cache(session):
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
