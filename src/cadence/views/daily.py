"""Terminal views shared by the commands (rich). JSON output lives in the commands."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import Any, Callable, Iterable, Iterator

from rich.console import Console
from rich.markup import escape as _markup_escape
from rich.table import Table

from cadence.views.text import item_word, plural  # also the views' word for counts (output_insight imports it from here)

console = Console(highlight=False)


def escape(text: str) -> str:
    """Stored text ready for rich: markup escaped and control characters made visible (see cadence.views.terminal)."""
    from cadence.views.terminal import visible

    return _markup_escape(visible(text))


errors = Console(stderr=True, highlight=False)

TYPE_LABEL = {
    "call": "call, leave a voicemail",
    "no-message-call": "call, no message",
    "email": "email",
    "fire": "FIRE",
    "task": "task",
    "callback": "callback",
    "recycle": "recycle: start again",
}


def today(items: list, day: date) -> None:
    """The day's list: calls, then emails; overdue first; fire steps stand out."""
    overdue = sum(1 for i in items if i.overdue_days > 0)
    head = f"[bold]{day.strftime('%A %d %B %Y')}[/bold]: {plural(len(items), 'item')} due"
    console.print(head + (f", [red]{overdue} overdue[/red]" if overdue else ""))
    if not items:
        console.print("Nothing due. Import leads with `cadence import FILE.csv` or add one with `cadence add`.")
        return
    mixed = len({i.owner for i in items}) > 1  # `today --all`: say whose each one is
    for title, channel in (("CALLS", "phone"), ("EMAILS", "email"), ("TASKS", "task")):
        group = [i for i in items if i.channel == channel]
        if group:
            console.print()
            console.rule(f"[bold]{title} ({len(group)})[/bold]", align="left")
            for item in group:
                _item(item, show_owner=mixed)


def _item(item: Any, show_owner: bool = False) -> None:
    fire = item.type == "fire"
    name = escape(item.name)
    who = ", ".join(escape(x) for x in (item.title, item.company) if x)
    marker = "[bold white on red] FIRE [/bold white on red] " if fire else ""
    console.print()
    console.print(f"{marker}[bold]#{item.prospect_id} {name}[/bold]" + (f"  {who}" if who else ""))
    step = f"step {item.step} of {item.steps}" if item.step and item.steps else "no step"
    kind = item_word(item.type, getattr(item, "status", None))
    facts = [step, TYPE_LABEL.get(kind, kind), f"tried {plural(item.attempts, 'time')}"]
    if getattr(item, "variant", None):
        facts.insert(2, f"variant {escape(item.variant)}")  # an A/B step: which text this prospect gets
    if show_owner:
        facts.append(f"owner {escape(item.owner)}" if item.owner else "no owner")
    console.print("  " + " · ".join(facts))
    contact = item.phone if item.channel == "phone" else item.email
    if item.channel == "task":
        contact = " · ".join(x for x in (item.phone, item.email) if x)
    where = f" · {item.local_time} their time ({item.timezone})" if item.local_time else ""
    if item.missing:
        console.print(f"  [yellow]no {item.missing} on file: find one or skip[/yellow]{where}")
    else:
        console.print(f"  {_linked(item, contact)}{where}")
    if item.overdue_days > 0:
        console.print(f"  [red]overdue {plural(item.overdue_days, 'day')} (due {item.due.isoformat()})[/red]")
    if item.type == "callback" and item.callback_on:
        console.print(f"  callback asked for {item.callback_on.isoformat()}")
    if getattr(item, "outside_hours", False):
        console.print(f"  [yellow]outside their calling hours right now ({item.local_time} local)[/yellow]")
    if getattr(item, "lingering", False):
        console.print(
            f"  [magenta]lingering: postponed {plural(item.postponements, 'time')}. Ask whether there is a real "
            "possibility of doing business soon; if not, qualify them out (log disqualified).[/magenta]"
        )
    if fire:
        console.print("  [bold red]Last touch: leave the fire message, then they are off your list.[/bold red]")
    if getattr(item, "step_title", None) and item.channel == "task":
        console.print(f"  [bold]Task:[/bold] {escape(item.step_title)}")
    if item.subject:
        console.print(f"  [bold]Subject:[/bold] {escape(item.subject)}")
    if item.script:
        label = "Fire message" if fire else {"email": "Email", "task": "How"}.get(item.channel, "Say")
        console.print(f"  [bold]{label}:[/bold]")
        console.print(_indent(item.script))
    if item.voicemail:
        console.print("  [bold]If not reached, leave:[/bold]")
        console.print(_indent(item.voicemail))


def _linked(item: Any, contact: str) -> str:
    """The item's phone and email as terminal hyperlinks (OSC 8: tel:, mailto:) when stdout is a terminal;
    the links are built from the stored, normalised values, the text shown stays escaped."""
    if not console.is_terminal or not contact:
        return escape(contact)
    from cadence.domain.contacts import mailto_uri, tel_uri

    links = {item.phone: tel_uri(item.phone, parse=False), item.email: mailto_uri(item.email, check=False)}
    parts = contact.split(" · ") if item.channel == "task" else [contact]
    return " · ".join(f"[link={links[p]}]{escape(p)}[/link]" if links.get(p) else escape(p) for p in parts)


def _indent(text: str) -> str:
    return "\n".join("    " + escape(line) for line in text.splitlines())


def logged(result: Any) -> None:
    step = f" on step {result.step}" if result.step else ""
    forced = " (forced)" if result.forced else ""
    understood = ""
    if getattr(result, "on", None):
        what = "callback" if result.outcome == "callback" else "follow-up"
        understood = f": {what} on {result.on.strftime('%a')} {result.on.isoformat()}"
    console.print(f"Logged {result.outcome}{step} for #{result.prospect_id} {escape(result.name)}{forced}{understood}.")
    if result.fired:
        console.print("[bold red]Fired:[/bold red] off the list. If they call back, log `replied`.")
    elif result.after_fire:
        console.print("[bold green]A reply after fire![/bold green] Now engaged: suggest a next step and set a meeting.")
    elif result.next_step and result.next_due:
        console.print(f"Next: step {result.next_step}, due {result.next_due.isoformat()}.")
    elif result.next_due:
        console.print(f"Now {result.status}; back on the list {result.next_due.isoformat()}.")
    else:
        console.print(f"Now {result.status}.")


def import_summary(report: Any, name: str, rejects: str | None = None) -> None:
    """The import's counts as a table; rejected and flagged rows by line on stderr (the first 20 of each)."""
    heading = f"Dry run of the import of {escape(name)}: nothing written" if report.dry_run else f"Import of {escape(name)}"
    console.print(heading, soft_wrap=True)
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("rows read", report.read),
        ("added", report.added),
        ("updated", report.updated),
        ("duplicates in file", report.duplicates_in_file),
        ("already present", report.already_present),
        ("do-not-contact skipped", report.do_not_contact),
        ("rejected", len(report.rejected)),
    ):
        table.add_row(label, str(value))
    if report.flagged:
        table.add_row("imported with a flag", str(len(report.flagged)))
    console.print(table)
    if rejects is not None:
        console.print(f"Rejected rows, with their line and reason: {escape(rejects)}", soft_wrap=True)
    for what, items in (("rejected", [(r.line, r.reason) for r in report.rejected]), ("flagged", [(f.line, f.message) for f in report.flagged])):
        for line, text in items[:20]:
            errors.print(f"line {line}: {escape(text)}")
        if len(items) > 20:
            errors.print(f"... and {len(items) - 20} more {what} {'row' if len(items) - 20 == 1 else 'rows'}")


def import_preview(preview: Any) -> None:
    """What `import --show-mapping` prints: each column's use, then the first rows as they would be stored."""
    delimiter = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(preview.delimiter, repr(preview.delimiter))
    console.print(f"[bold]{escape(preview.file)}[/bold]: {preview.encoding}, {delimiter}-separated", soft_wrap=True)
    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("column")
    table.add_column("goes to")
    for header, target in preview.mapping:
        table.add_row(escape(header), escape(target))
    console.print(table)
    console.print()
    console.print(f"First {plural(len(preview.rows), 'row')} as they would be stored (nothing is written):")
    for row in preview.rows:
        if "rejected" in row:
            console.print(f"  line {row['line']}: [red]rejected[/red]: {escape(row['rejected'])}")
            continue
        name = " ".join(x for x in (row["first_name"], row["last_name"]) if x)
        who = ", ".join(x for x in (row["title"], row["company"]) if x)
        console.print(f"  line {row['line']}: [bold]{escape(name)}[/bold]" + (f"  {escape(who)}" if who else ""))
        facts = [x for x in (row["phone"], row["email"], row["timezone"], row.get("owner", "")) if x]
        if row["tags"]:
            facts.append(f"tags: {row['tags']}")
        if facts:
            console.print("    " + escape(" · ".join(facts)))
        if row["fields"]:
            console.print("    " + escape(", ".join(f"{k}: {v}" for k, v in row["fields"].items())))
        for flag in row["flags"]:
            console.print(f"    [yellow]{escape(flag)}[/yellow]")


# Below this many rows an import is over before a bar would be worth drawing.
PROGRESS_AFTER_ROWS = 3000


@contextmanager
def import_progress(name: str) -> Iterator[Callable[[int, int, int], None] | None]:
    """A progress callback for the importer that draws a bar on stderr once a file passes a few
    thousand rows; None (no bar) when stderr is not a terminal."""
    if not errors.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                   TimeRemainingColumn(), console=errors, transient=True)
    task = None

    def update(done: int, total: int, rows: int) -> None:
        nonlocal task
        if task is None:
            if rows < PROGRESS_AFTER_ROWS:
                return
            bar.start()
            task = bar.add_task("", total=max(total, 1))
        bar.update(task, completed=done, description=f"Importing {escape(name)}: {rows:,} {'row' if rows == 1 else 'rows'}")

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()


def prospect(view: dict) -> None:
    console.print(f"[bold]#{view['id']} {escape(view['name'])}[/bold]  " + escape(", ".join(x for x in (view["title"], view["company"]) if x)))
    contact = " · ".join(x for x in (view["phone"], view["email"], view["timezone"]) if x)
    if contact:
        console.print("  " + escape(contact))
    status = view["status"]
    line = f"  status: [bold]{status}[/bold]"
    if view["cadence"]:
        line += f" · cadence {view['cadence']}"
    line += f" · tried {plural(view['attempts'], 'time')}"
    console.print(line)
    if view["next_step"] and view["next_due"]:
        variant = f", variant {escape(view['next_variant'])}" if view.get("next_variant") else ""
        console.print(f"  next: step {view['next_step']} of {view['steps']} ({item_word(view['next_type'], view['status'])}{variant}) due {view['next_due']}")
    elif view["next_due"]:
        console.print(f"  next: {item_word(view['next_type'], view['status'])} due {view['next_due']}")
    if view["fired_on"]:
        console.print(f"  fired on {view['fired_on']}")
    if view["fields"]:
        console.print("  " + escape(", ".join(f"{k}: {v}" for k, v in view["fields"].items())))
    for change in view.get("changes", []):
        console.print(f"  {change['at'][:10]} " + escape(change["text"]))
    if not view["touches"]:
        console.print("  no touches yet")
        return
    table = Table(show_edge=False, pad_edge=False)
    for column in ("day", "step", "type", "outcome", "note"):
        table.add_column(column)
    for t in view["touches"]:
        outcome = t["outcome"] + (" (after fire)" if t["after_fire"] else "") + (" (forced)" if t["forced"] else "")
        table.add_row(t["on"], str(t["step"] or ""), t["type"] or "", outcome, escape(t["note"]))
    console.print(table)


def cadence_list(entries: Iterable[Any]) -> None:
    table = Table(show_edge=False)
    for column in ("name", "steps", "days", "title", "from"):
        table.add_column(column)
    for entry in entries:
        if hasattr(entry, "steps"):
            table.add_row(entry.name, str(len(entry.steps)), entry.days, escape(entry.title), "built-in" if entry.builtin else escape(str(entry.path)))
        else:
            table.add_row("[red]error[/red]", "", "", escape(str(entry)), escape(entry.path))
    console.print(table)


def cadence_detail(cadence: Any) -> None:
    console.print(f"[bold]{cadence.name}[/bold]: {escape(cadence.title)}")
    if cadence.description:
        console.print(escape(cadence.description))
    extra = f", holidays {cadence.holidays}" if cadence.holidays else ""
    if not cadence.public_holidays:
        extra = ", no public holidays"
    if cadence.holiday_dates:
        extra += f", also off {', '.join(d.isoformat() for d in cadence.holiday_dates)}"
    if cadence.days == "business" and cadence.weekdays != (1, 2, 3, 4, 5):
        names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        extra += f", working days {' '.join(names[d - 1] for d in cadence.weekdays)}"
    recycle = f"; fired prospects come back after {cadence.recycle_text}" if cadence.recycle_text else ""
    console.print(f"days: {cadence.days}{extra}{recycle}")
    for step in cadence.steps:
        console.print()
        channel = f" by {step.fire_channel}" if step.fire_channel else ""
        console.print(f"[bold]Step {step.number} of {len(cadence.steps)}: day {step.day}, {TYPE_LABEL.get(step.type, step.type)}{channel}[/bold]")
        if step.title:
            console.print(f"  title: {escape(step.title)}" + (f" (id {step.id})" if step.id else ""))
        for key in ("subject", "script", "body", "voicemail", "instructions"):
            text = getattr(step, key)
            if text:
                console.print(f"  {key}:")
                console.print(_indent(text.strip()))


def work_item(item: Any, position: int, total: int) -> None:
    """One item of the guided session."""
    console.print()
    console.rule(f"[bold]{position} of {total}[/bold]", align="left")
    _item(item)


def work_summary(summary: dict) -> None:
    console.print()
    console.print(
        f"Session: {plural(summary['calls'], 'call')}, {plural(summary['voicemails'], 'voicemail')}, "
        f"{plural(summary['connects'], 'connect')}, {plural(summary['meetings'], 'meeting')}, "
        f"{plural(summary['emails'], 'email')} sent, {summary['fired']} fired, {summary['skipped']} skipped."
    )


def lingering(rows: list[dict]) -> None:
    if not rows:
        console.print("No lingering prospects.")
        return
    table = Table(show_edge=False, title="Lingering: ask if there is a real possibility; if not, qualify them out")
    for column in ("id", "name", "company", "postponed", "status", "next due"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["prospect_id"]), escape(row["name"]), escape(row["company"]), str(row["postponements"]), row["status"], row["next_due"] or "")
    console.print(table)
