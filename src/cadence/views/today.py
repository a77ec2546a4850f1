"""`cadence today` on a terminal or into a pipe, written without rich's Console.

Rich's `Console.print` cost about 1.8 ms an item (markup parsing, measuring and
wrapping every script through its render pipeline): two thirds of `today` at
300 items. Here each item is a few lines of spans (text, style) built by
`item_lines`; a line wider than the terminal is wrapped the way rich wraps it
(rich's own `divide_line`, imported only then), styles become SGR codes only on
a terminal, and the whole day is written with one `write`. The output is the
same as rich's, character for character, into a pipe (tests/test_daily_cli.py
holds it to a golden copy).

A span's third field is a link target (`tel:...`, `mailto:...`) or None: a view
that draws hyperlinks wraps that span's text in OSC 8 where `Screen.links` is on.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from typing import Any, Iterable, NamedTuple, Sequence, TextIO

from cadence.views.terminal import visible
from cadence.views.text import item_word, plural

TYPE_LABEL = {
    "call": "call, leave a voicemail",
    "no-message-call": "call, no message",
    "email": "email",
    "fire": "FIRE",
    "task": "task",
    "callback": "callback",
    "recycle": "recycle: start again",
}

# Rich's names for the styles used here, as SGR parameters: (with colour, without colour).
SGR = {
    "bold": ("1", "1"),
    "red": ("31", ""),
    "yellow": ("33", ""),
    "magenta": ("35", ""),
    "bold red": ("1;31", "1"),
    "bold green": ("1;32", "1"),
    "fire": ("1;37;41", "1;7"),
    "rule": ("92", ""),  # rich's rule.line
}


class Span(NamedTuple):
    text: str
    style: str = ""
    link: str | None = None


Line = list  # of Span


class Screen:
    """Where the view goes: its width, whether it takes escape codes and colours (rich's rules, in short)."""

    def __init__(self, stream: TextIO | None = None, width: int | None = None, styled: bool | None = None):
        self.stream = stream or sys.stdout
        env = os.environ
        try:
            terminal = self.stream.isatty()
        except (AttributeError, ValueError):
            terminal = False
        dumb = env.get("TERM", "").lower() in ("dumb", "unknown")
        force = env.get("FORCE_COLOR", "") != ""
        self.styled = (force or (terminal and not dumb)) if styled is None else styled
        self.colour = self.styled and not env.get("NO_COLOR")
        self.links = terminal and not dumb  # OSC 8 hyperlinks: only on a terminal, never into a pipe or a file
        self.width = width or _width(env, dumb and terminal)
        encoding = (getattr(self.stream, "encoding", None) or "utf-8").lower()
        self.rule_char = "─" if encoding.startswith("utf") else "-"

    def paint(self, span: Span) -> str:
        text = span.text
        if self.styled and span.style:
            code = SGR[span.style][0 if self.colour else 1]
            text = f"\x1b[{code}m{text}\x1b[0m" if code else text
        if self.links and span.link:
            text = f"\x1b]8;;{span.link}\x1b\\{text}\x1b]8;;\x1b\\"
        return text

    def render(self, lines: Iterable[Line]) -> str:
        """Every line wrapped to the width and painted, each ending in a newline."""
        out = []
        for line in lines:
            for piece in wrap(line, self.width):
                out.append("".join(self.paint(span) for span in piece))
        return "\n".join(out) + "\n" if out else ""

    def write(self, lines: Iterable[Line]) -> None:
        self.stream.write(self.render(lines))
        self.stream.flush()


def _width(env: os._Environ | dict, dumb: bool) -> int:
    """COLUMNS when set, else the size of whichever standard stream is a terminal, else 80 (as rich)."""
    if dumb:
        return 80
    width = None
    for fd in (0, 1, 2):
        try:
            width = os.get_terminal_size(fd).columns
            break
        except (AttributeError, ValueError, OSError):
            pass
    columns = env.get("COLUMNS", "")
    if columns.isdigit():
        width = int(columns)
    return width or 80


def cells(text: str) -> int:
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def wrap(line: Line, width: int) -> list[Line]:
    """`line` cut into lines of at most `width` cells where rich would cut it (words kept whole, long words folded)."""
    text = "".join(span.text for span in line)
    if "\t" in text:
        line = [span._replace(text=span.text.expandtabs(8)) for span in line]
        text = "".join(span.text for span in line)
    if cells(text) <= width:
        return [line]
    from rich._wrap import divide_line

    cuts = [0, *divide_line(text, width, fold=True), len(text)]
    pieces: list[Line] = []
    for start, end in zip(cuts, cuts[1:]):
        piece: Line = []
        at = 0
        for span in line:
            low, high = max(start, at), min(end, at + len(span.text))
            if low < high:
                piece.append(span._replace(text=span.text[low - at: high - at]))
            at += len(span.text)
        while piece and cells("".join(s.text for s in piece)) > width and piece[-1].text != piece[-1].text.rstrip():
            last = piece[-1]  # whitespace past the width goes, as rich's rstrip_end does
            excess = cells("".join(s.text for s in piece)) - width
            kept = last.text[: max(len(last.text.rstrip()), len(last.text) - excess)]
            piece[-1] = last._replace(text=kept)
        pieces.append(piece)
    return pieces


def rule(title: str, screen: Screen) -> Line:
    """rich's `Console.rule(title, align="left")`: the title, a space, then the line to the width."""
    fill = screen.width - cells(title) - 1
    return [Span(title, "bold"), Span(" "), Span(screen.rule_char * fill, "rule")] if fill > 0 else [Span(title, "bold")]


def item_lines(item: Any, show_owner: bool = False) -> list[Line]:
    """One item of the day: a blank line, then who, what, how to reach them, and the texts to say or send."""
    fire = item.type == "fire"
    who = ", ".join(visible(x) for x in (item.title, item.company) if x)
    head: Line = [Span(" FIRE ", "fire"), Span(" ")] if fire else []
    head.append(Span(f"#{item.prospect_id} {visible(item.name)}", "bold"))
    if who:
        head.append(Span(f"  {who}"))
    lines: list[Line] = [[], head]
    step = f"step {item.step} of {item.steps}" if item.step and item.steps else "no step"
    kind = item_word(item.type, getattr(item, "status", None))
    facts = [step, TYPE_LABEL.get(kind, kind), f"tried {plural(item.attempts, 'time')}"]
    if getattr(item, "variant", None):
        facts.insert(2, f"variant {visible(item.variant)}")  # an A/B step: which text this prospect gets
    if show_owner:
        facts.append(f"owner {visible(item.owner)}" if item.owner else "no owner")
    lines.append([Span("  " + " · ".join(facts))])
    where = f" · {item.local_time} their time ({item.timezone})" if item.local_time else ""
    if item.missing:
        lines.append([Span(f"  no {item.missing} on file: find one or skip", "yellow"), Span(where)])
    else:
        lines.append([Span("  "), *contact_spans(item), Span(where)])
    if item.overdue_days > 0:
        lines.append([Span(f"  overdue {plural(item.overdue_days, 'day')} (due {item.due.isoformat()})", "red")])
    if item.type == "callback" and item.callback_on:
        lines.append([Span(f"  callback asked for {item.callback_on.isoformat()}")])
    if getattr(item, "outside_hours", False):
        lines.append([Span(f"  outside their calling hours right now ({item.local_time} local)", "yellow")])
    if getattr(item, "lingering", False):
        lines.append([Span(
            f"  lingering: postponed {plural(item.postponements, 'time')}. Ask whether there is a real "
            "possibility of doing business soon; if not, qualify them out (log disqualified).", "magenta")])
    if fire:
        lines.append([Span("  Last touch: leave the fire message, then they are off your list.", "bold red")])
    if getattr(item, "step_title", None) and item.channel == "task":
        lines.append([Span("  "), Span("Task:", "bold"), Span(f" {visible(item.step_title)}")])
    if item.subject:
        lines.append([Span("  "), Span("Subject:", "bold"), Span(f" {visible(item.subject)}")])
    if item.script:
        label = "Fire message" if fire else {"email": "Email", "task": "How"}.get(item.channel, "Say")
        lines.append([Span("  "), Span(f"{label}:", "bold")])
        lines.extend(indented(item.script))
    if item.voicemail:
        lines.append([Span("  "), Span("If not reached, leave:", "bold")])
        lines.extend(indented(item.voicemail))
    return lines


def contact_spans(item: Any) -> Line:
    """The phone or email the step needs (both for a task), each its own span with its link target."""
    if item.channel == "task":
        found = [(x, link) for x, link in ((item.phone, "tel:"), (item.email, "mailto:")) if x]
    elif item.channel == "phone":
        found = [(item.phone, "tel:")]
    else:
        found = [(item.email, "mailto:")]
    from cadence.domain.contacts import mailto_uri, tel_uri

    spans: Line = []
    for n, (text, scheme) in enumerate(found):
        if n:
            spans.append(Span(" · "))
        # The link is built from the stored, normalised value (E.164, a plain address), never raw text.
        link = (tel_uri(text, parse=False) if scheme == "tel:" else mailto_uri(text, check=False)) if text else None
        spans.append(Span(visible(text), "", link))
    return spans


def indented(text: str) -> list[Line]:
    return [[Span("    " + visible(line))] for line in text.splitlines()]


def day_lines(items: Sequence[Any], day: date, screen: Screen) -> list[Line]:
    """The day's list: the heading, then calls, emails and tasks; overdue first; fire steps stand out."""
    overdue = sum(1 for i in items if i.overdue_days > 0)
    head: Line = [Span(day.strftime("%A %d %B %Y"), "bold"), Span(f": {plural(len(items), 'item')} due")]
    if overdue:
        head += [Span(", "), Span(f"{overdue} overdue", "red")]
    lines: list[Line] = [head]
    if not items:
        lines.append([Span("Nothing due. Import leads with `cadence import FILE.csv` or add one with `cadence add`.")])
        return lines
    mixed = len({i.owner for i in items}) > 1  # `today --all`: say whose each one is
    for title, channel in (("CALLS", "phone"), ("EMAILS", "email"), ("TASKS", "task")):
        group = [i for i in items if i.channel == channel]
        if group:
            lines.append([])
            lines.append(rule(f"{title} ({len(group)})", screen))
            for item in group:
                lines.extend(item_lines(item, show_owner=mixed))
    return lines


def today(items: Sequence[Any], day: date, screen: Screen | None = None) -> None:
    """Write the day's list in one go."""
    screen = screen or Screen()
    screen.write(day_lines(items, day, screen))
