"""Terminal views of `stats`, `email` and `calendar` (rich), kept readable at 80 columns."""

from __future__ import annotations

from typing import Any, Iterable

from rich.table import Table

from cadence.views.daily import console, escape, plural

BAR_WIDTH = 20
EIGHTHS = " ▏▎▍▌▋▊▉"
SHORT_TYPE = {"no-message-call": "call, no msg", "fire": "FIRE"}
STATUS_ORDER = ("active", "snoozed", "paused", "engaged", "converted", "fired", "lost", "disqualified",
                "needs-fix", "do-not-contact")


def bar(value: int, most: int, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of `value` out of `most`, in eighths of a character."""
    if most <= 0 or value <= 0:
        return ""
    eighths = max(1, round(8 * width * value / most))
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def wrap_items(items: list[str], lead: str, width: int) -> str:
    """Items joined by commas, wrapped between items (never inside one) under a hanging indent."""
    lines, line = [], lead
    for index, item in enumerate(items):
        piece = item + ("," if index < len(items) - 1 else "")
        if line.strip() and len(line) + 1 + len(piece) > width and line != lead:
            lines.append(line)
            line = " " * len(lead) + piece
        else:
            line = line + (" " if line != lead else "") + piece
    lines.append(line)
    return "\n".join(lines)


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{100 * rate:.1f}%"


def number(value: float | None, suffix: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:.1f}".removesuffix(".0")
    return text + suffix


def stats(entries: list[Any]) -> None:
    """Each cadence with prospects or touches: counts, a funnel by step, outcomes; the idle ones in one line."""
    busy = [e for e in entries if e.enrolled or any(s.touches for s in e.steps) or e.fired]
    idle = [e.cadence for e in entries if e not in busy]
    if not busy:
        console.print("No prospects enrolled and no touches logged yet: nothing to measure.")
        console.print("Every figure is zero. Import leads with `cadence import FILE.csv`, then log touches.")
    for index, entry in enumerate(busy):
        if index:
            console.print()
        _cadence(entry)
    if idle and busy:
        console.print()
        console.print(f"[dim]No prospects yet in: {escape(', '.join(idle))}[/dim]")


def _cadence(entry: Any) -> None:
    title = f" — {escape(entry.title)}" if entry.title else ""
    console.rule(f"[bold]{escape(entry.cadence)}[/bold]{title}", align="left")
    # Where the enrolled are now: every status, so the counts add up to the enrolled total.
    def now(statuses) -> str:
        return " · ".join(f"{entry.count(s)} {s}" for s in statuses if entry.count(s) or s == "active")

    lead = f"{entry.enrolled} enrolled: "
    console.print(lead + now(STATUS_ORDER[:5]))  # still in play
    ended = now(STATUS_ORDER[5:])
    if ended:
        console.print(" " * len(lead) + ended)
    # Fired ever is another count: it keeps those who replied, met or were recycled since.
    console.print(f"Fired by this cadence: {entry.fired}" + (
        f" ({entry.count('fired')} still fired)" if entry.fired != entry.count("fired") else ""
    ))
    if entry.fired:
        median = entry.median_days_fire_to_reply
        after = f"; median {plural(median, 'day')}" if median is not None else ""
        console.print(
            f"[bold]Replies after fire:[/bold] {entry.replies_after_fire} of {entry.fired} "
            f"({percent(entry.replies_after_fire_share)}) within {plural(entry.window, 'day')}{after}"
        )
    else:
        console.print("[bold]Replies after fire:[/bold] no prospect fired yet")
    console.print(
        f"Meetings per 100 prospects: {number(entry.meetings_per_100)} · "
        f"touches to first connect: {number(entry.avg_touches_to_first_connect)} · "
        f"lingering: {entry.lingering}"
    )
    if entry.steps:
        _funnel(entry)


def _funnel(entry: Any) -> None:
    most = max([entry.enrolled] + [s.reached for s in entry.steps])
    table = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 1))
    table.add_column("step", justify="right")
    table.add_column("type")
    table.add_column(f"reached (of {entry.enrolled})", min_width=BAR_WIDTH + 5, no_wrap=True)
    table.add_column("touches", justify="right")
    table.add_column("connect", justify="right")
    table.add_column("reply", justify="right")
    for step in entry.steps:
        kind = SHORT_TYPE.get(step.type, step.type)
        reached = f"{bar(step.reached, most)} {step.reached}".strip() if step.reached else "0"
        table.add_row(str(step.step), kind, reached, str(step.touches), percent(step.connect_rate), percent(step.reply_rate))
    console.print()
    console.print(table)
    shown = [s for s in entry.steps if s.outcomes]
    if shown:
        console.print()
        console.print("[bold]Outcomes by step[/bold]")
        for step in shown:
            pairs = [f"{k} {v}" for k, v in step.to_json()["outcomes"].items()]
            console.print(escape(wrap_items(pairs, f"{step.step:>4}: ", max(40, console.width))), soft_wrap=True)


def email(draft: Any) -> None:
    """The rendered email, ready to copy."""
    console.print(f"[bold]To:[/bold] {escape(draft.to_header)}")
    if draft.sender:
        console.print(f"[bold]From:[/bold] {escape(draft.sender_header)}")
    console.print(f"[bold]Subject:[/bold] {escape(draft.subject)}")
    console.print()
    console.print(escape(draft.body))


def planned(events: Iterable[Any], path: str | None) -> None:
    """One line per planned touch written to the calendar file."""
    events = list(events)
    where = f" to {escape(path)}" if path else ""
    console.print(f"Wrote {plural(len(events), 'event')}{where}.")
    for event in events:
        console.print(f"  {event.on.isoformat()}  {escape(event.summary)}")


def hours(cells: dict) -> None:
    """Connect rate by local hour (rows) and weekday (columns), each cell `rate calls`; thin cells dimmed."""
    from cadence.domain.hours import MIN_CELL, WEEKDAYS

    if not cells:
        console.print("No calls logged yet: nothing to measure. Log calls with `cadence log`, then look again.")
        return
    calls = sum(c.calls for c in cells.values())
    connects = sum(c.connects for c in cells.values())
    console.print(f"Connect rate by the prospect's local hour and weekday: {plural(calls, 'call')}, "
                  f"{plural(connects, 'connect')} ({percent(connects / calls)}).")
    table = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 1))
    table.add_column("hour", justify="right")
    days = sorted({day for day, _ in cells})
    for day in days:
        table.add_column(WEEKDAYS[day].capitalize(), justify="right", min_width=9)
    for hour in sorted({hour for _, hour in cells}):
        row = [f"{hour:02d}:00"]
        for day in days:
            cell = cells.get((day, hour))
            if cell is None:
                row.append("")
                continue
            text = f"{percent(cell.connect_rate).replace('.0%', '%')} {cell.calls}"
            row.append(text if cell.calls >= MIN_CELL else f"[dim]{text}[/dim]")
        table.add_row(*row)
    console.print()
    console.print(table)
    console.print()
    console.print(f"[dim]Each cell: connect rate, then calls. Dimmed: fewer than {MIN_CELL} calls, too few to trust.[/dim]")


def reps(rows: list[dict]) -> None:
    """One row per rep: what they logged and what they own."""
    if not rows:
        console.print("No prospects and no touches yet: nothing to measure.")
        return
    table = Table(show_edge=False, pad_edge=False, box=None, padding=(0, 1))
    for name, justify in (("rep", "left"), ("prospects", "right"), ("dials", "right"), ("connects", "right"),
                          ("connect", "right"), ("meetings", "right"), ("emails", "right"), ("replies", "right")):
        table.add_column(name, justify=justify)
    for row in rows:
        table.add_row(escape(row["rep"] or "(no owner)"), str(row["prospects"]), str(row["dials"]), str(row["connects"]),
                      percent(row["connect_rate"]), str(row["meetings"]), str(row["emails"]), str(row["replies"]))
    console.print(table)
