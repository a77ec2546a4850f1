"""What `cadence sync` and `cadence email --due` print: a line per message that mattered, a summary, a bar."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from cadence.views.daily import console, errors, escape

# Below this many messages a sync is over before a bar would be worth drawing.
PROGRESS_AFTER = 200

_VERBS = {
    "logged": "logged", "snoozed": "snoozed", "reported": "reported", "already-logged": "already logged",
    "not-logged": "not logged", "would-log": "would log", "would-snooze": "would snooze", "unreadable": "unreadable",
}


@contextmanager
def progress(what: str, after: int = PROGRESS_AFTER) -> Iterator[Callable[[int, int], None] | None]:
    """A callback(done, total) drawing a bar on stderr once `total` passes `after`; None when stderr is no terminal."""
    if not errors.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    bar = Progress(TextColumn(escape(what)), BarColumn(), MofNCompleteColumn(), console=errors, transient=True)
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            if total < after:
                return
            bar.start()
            task = bar.add_task("", total=max(total, 1))
        bar.update(task, completed=done, total=max(total, 1))

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()


def sync_summary(summary: Any) -> None:
    for line in summary.lines:
        who = f"#{line.prospect_id} {line.name}" if line.prospect_id is not None else (line.address or line.sender or "?")
        kind = line.kind.replace("-", " ")
        if line.kind == "unreadable":
            console.print(f"  unreadable: {escape(line.detail)}", soft_wrap=True)
            continue
        detail = f" ({line.detail})" if line.detail else ""
        subject = f" \"{line.subject}\"" if line.subject and line.kind == "reply" else ""
        console.print(f"  {kind}: {escape(who)}{escape(subject)}: {_VERBS.get(line.action, line.action)}{escape(detail)}", soft_wrap=True)
    head = "Dry run, nothing changed: " if summary.dry_run else ""
    parts = [
        f"{summary.replies} {'reply' if summary.replies == 1 else 'replies'}",
        f"{summary.bounces} {'bounce' if summary.bounces == 1 else 'bounces'}",
        f"{summary.soft_bounces} soft {'bounce' if summary.soft_bounces == 1 else 'bounces'}",
        f"{summary.out_of_office} out-of-office",
        f"{summary.ignored} ignored",
    ]
    if summary.unreadable:
        parts.append(f"{summary.unreadable} unreadable")
    tail = f" ({summary.already} already logged before)" if summary.already else ""
    console.print(f"{head}read {summary.read} {'message' if summary.read == 1 else 'messages'}: {', '.join(parts)}{tail}.")


def handled(item: Any) -> None:
    """One line of `email --due`: what happened to one due email, and why when it was refused."""
    who = f"#{item.prospect_id} {escape(item.name)}" + (f" <{escape(item.to)}>" if item.to else "")
    step = f" step {item.step}" if item.step else ""
    if item.action == "refused":
        console.print(f"[red]refused[/red] {who}{step}: {escape(item.reason or '')}", soft_wrap=True)
    elif item.action == "sent":
        console.print(f"sent    {who}{step}, logged as sent (Message-ID {escape(item.message_id or '')})", soft_wrap=True)
    elif item.action == "drafted":
        console.print(f"drafted {who}{step}: {escape(item.draft or '')} (not sent, nothing logged)", soft_wrap=True)
    elif item.action == "opened":
        console.print(f"opened  {who}{step} in your mail program (log it with `cadence log {item.prospect_id} sent` once sent)", soft_wrap=True)


def handled_summary(done: list, action: str | None) -> None:
    """The closing line of `email --due`; the refusals counted on stderr too."""
    from cadence.views.text import plural

    if not done:
        console.print("No email due.")
        return
    counts: dict[str, int] = {}
    for item in done:
        counts[item.action] = counts.get(item.action, 0) + 1
    words = [f"{counts[a]} {a}" for a in ("sent", "drafted", "opened", "refused") if counts.get(a)]
    console.print(f"{plural(len(done), 'due email')}: {', '.join(words) or 'shown'}.")
    if counts.get("refused"):
        errors.print(f"error: {counts['refused']} of {plural(len(done), 'due email')} refused (see the lines above); the others were handled")
