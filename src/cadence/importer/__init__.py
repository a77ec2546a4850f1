"""CSV import: reading (files, encodings, rows), mapping (headers, aliases), normalising (rows to leads), writing (duplicates, batches), run (import_file, preview).
May import the domain, the store and the pipeline's versions; never views or the CLI. The names below are the public API."""

from cadence.importer.mapping import ALIASES, ColumnMap, field_name, header_key, map_headers, parse_map
from cadence.domain.fields import tidy_tags, timezone_from
from cadence.importer.normalising import Lead, Reject, RowReader, name_key
from cadence.importer.reading import Source, check_delimiter, check_encoding, open_source
from cadence.importer.report import Flag, ImportReport, Rejected
from cadence.importer.run import Preview, import_file, preview
from cadence.importer.writing import FILLABLE, fill_values

__all__ = [
    "ALIASES", "ColumnMap", "FILLABLE", "Flag", "ImportReport", "Lead", "Preview", "Reject", "Rejected", "RowReader", "Source",
    "check_delimiter", "check_encoding", "field_name", "fill_values", "header_key", "import_file", "map_headers",
    "name_key", "open_source", "parse_map", "preview", "tidy_tags", "timezone_from",
]
