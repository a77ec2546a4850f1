"""`cadence list` as plain text: one line per prospect, written at once (no rich: 100,000 lines stay quick)."""

from __future__ import annotations

from typing import Any, Sequence

from cadence.views.terminal import visible


def _step(row: Any) -> str:
    return str(row.step) if row.step is not None else "-"


def table_lines(rows: Sequence[Any]) -> str:
    """Columns id, name, company, status, cadence, step, attempts, next due; a last line counting them."""
    if not rows:
        return "No prospect matches.\n"
    cells = [("id", "name", "company", "status", "cadence", "step", "tries", "next due")]
    for r in rows:
        cells.append((f"#{r.id}", visible(r.name), visible(r.company), r.status, r.cadence or "-", _step(r), str(r.attempts), r.next_due.isoformat() if r.next_due else "-"))
    widths = [min(30, max(len(c[i]) for c in cells)) for i in range(len(cells[0]))]
    lines = ["  ".join(c[i][:widths[i]].ljust(widths[i]) for i in range(len(c))).rstrip() for c in cells]
    lines.append(f"{len(rows)} prospect{'s' if len(rows) != 1 else ''}")
    return "\n".join(lines) + "\n"


def brief_lines(rows: Sequence[Any]) -> str:
    """One line per prospect: #id name · status · step N · next due."""
    out = []
    for r in rows:
        step = f" · step {r.step}" if r.step is not None else ""
        due = f" · due {r.next_due.isoformat()}" if r.next_due else ""
        out.append(f"#{r.id} {visible(r.name)} · {r.status}{step}{due}")
    return "\n".join(out) + ("\n" if out else "")
