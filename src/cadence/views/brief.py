"""`today --brief`: the day's list one line per item, as plain text (no rich), for fifty at a glance.

A line: id, name, step, channel, attempts, the prospect's local time, then the phone or
email the step needs. Columns are as wide as their widest value (names cut at NAME_WIDTH);
the whole list is one string, written at once.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any, Sequence

from cadence.views.text import plural

NAME_WIDTH = 24
CHANNEL = {"phone": "call", "email": "email", "task": "task"}




def _printable(text: str) -> str:
    """Stored text without control characters (a name imported from a CSV could hold escapes)."""
    return "".join(c if unicodedata.category(c)[0] != "C" else "?" for c in text)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _step(item: Any) -> str:
    step = f"{item.step}/{item.steps}" if item.step and item.steps else "-"
    return f"{step} FIRE" if item.type == "fire" else step


def _contact(item: Any) -> str:
    if item.missing:
        return f"no {item.missing} on file"
    if item.channel == "task":
        return " · ".join(x for x in (item.phone, item.email) if x)
    return item.phone if item.channel == "phone" else item.email


def lines(items: Sequence[Any], day: date) -> str:
    """The heading and one line per item, ending in a newline."""
    overdue = sum(1 for i in items if i.overdue_days > 0)
    head = f"{day.strftime('%A %d %B %Y')}: {plural(len(items), 'item')} due" + (f", {overdue} overdue" if overdue else "")
    if not items:
        return head + "\nNothing due. Import leads with `cadence import FILE.csv` or add one with `cadence add`.\n"
    rows = [
        (
            f"#{item.prospect_id}",
            _cut(_printable(item.name), NAME_WIDTH),
            _step(item),
            CHANNEL.get(item.channel, item.channel) + ("!" if item.overdue_days > 0 else ""),
            f"tried {item.attempts}",
            item.local_time or "--:--",
            _printable(_contact(item)),
        )
        for item in items
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(6)]
    out = [head]
    for row in rows:
        cells = [row[0].rjust(widths[0])] + [cell.ljust(width) for cell, width in zip(row[1:6], widths[1:])]
        out.append("  ".join(cells + [row[6]]).rstrip())
    if overdue:
        out.append("! overdue")
    return "\n".join(out) + "\n"
