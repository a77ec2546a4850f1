"""What an import tells its user: rows read, added, skipped, rejected and flagged."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
        """Every field, in this order; rejected and flagged rows as {"line", "reason"} and {"line", "message"}."""
        return asdict(self)
