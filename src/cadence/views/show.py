"""`cadence show` on a terminal or into a pipe, without rich's Console for the common case.

Rich's table cost about 0.5 ms a touch (measuring and laying out every cell):
0.25 s for a prospect with 500 touches. Here the timeline is laid out as rich
lays out `Table(show_edge=False, pad_edge=False)` when it fits the width: each
column as wide as its widest cell, `│` between columns, a heavy rule under the
header. When it does not fit (long notes, which rich would wrap inside their
column), or a cell holds a line break or a tab, or the terminal cannot show
the box characters, the rich view draws it instead.
"""

from __future__ import annotations

from cadence.views.terminal import visible
from cadence.views.text import item_word, plural
from cadence.views.today import Screen, Span, cells

COLUMNS = ("day", "step", "type", "outcome", "note")


def rows(view: dict) -> list[tuple[str, ...]]:
    out = []
    for t in view["touches"]:
        outcome = t["outcome"] + (" (after fire)" if t["after_fire"] else "") + (" (forced)" if t["forced"] else "")
        step = str(t["step"] or "") + (f" ({visible(t['variant'])})" if t.get("variant") else "")
        out.append((t["on"], step, t["type"] or "", outcome, visible(t["note"])))
    return out


def table(body: list[tuple[str, ...]], screen: Screen) -> list[list[Span]] | None:
    """The timeline as rich draws it, or None when rich would lay it out otherwise."""
    if screen.rule_char != "─":
        return None
    widths = [cells(c) for c in COLUMNS]
    for row in body:
        for n, cell in enumerate(row):
            if "\n" in cell or "\t" in cell:
                return None
            size = cells(cell)
            if size > widths[n]:
                widths[n] = size
    if sum(widths) + 3 * (len(widths) - 1) > screen.width:
        return None

    def line(values, bar: str, style: str = "") -> list[Span]:
        spans: list[Span] = []
        for n, (value, width) in enumerate(zip(values, widths)):
            if n:
                spans.append(Span(f" {bar} "))
            spans.append(Span(value + " " * (width - cells(value)), style))
        return spans

    rule = "╇".join("━" * (w + (1 if n in (0, len(widths) - 1) else 2)) for n, w in enumerate(widths))
    return [line(COLUMNS, "┃", "bold"), [Span(rule)], *(line(row, "│") for row in body)]


def prospect(view: dict, screen: Screen | None = None) -> None:
    screen = screen or Screen()
    timeline = table(rows(view), screen) if view["touches"] else []
    if timeline is None:
        from cadence.views import daily  # rich lays out what does not fit

        daily.prospect(view)
        return
    who = ", ".join(x for x in (view["title"], view["company"]) if x)
    lines: list[list[Span]] = [[Span(f"#{view['id']} {visible(view['name'])}", "bold"), Span("  " + visible(who))]]
    contact = " · ".join(x for x in (view["phone"], view["email"], view["timezone"]) if x)
    if contact:
        lines.append([Span("  " + visible(contact))])
    facts: list[Span] = [Span("  status: "), Span(view["status"], "bold")]
    tail = f" · cadence {view['cadence']}" if view["cadence"] else ""
    facts.append(Span(tail + f" · tried {plural(view['attempts'], 'time')}"))
    lines.append(facts)
    if view["next_step"] and view["next_due"]:
        variant = f", variant {visible(view['next_variant'])}" if view.get("next_variant") else ""
        lines.append([Span(f"  next: step {view['next_step']} of {view['steps']} ({item_word(view['next_type'], view['status'])}{variant}) due {view['next_due']}")])
    elif view["next_due"]:
        lines.append([Span(f"  next: {item_word(view['next_type'], view['status'])} due {view['next_due']}")])
    if view["fired_on"]:
        lines.append([Span(f"  fired on {view['fired_on']}")])
    if view["fields"]:
        lines.append([Span("  " + visible(", ".join(f"{k}: {v}" for k, v in view["fields"].items())))])
    for change in view.get("changes", []):
        lines.append([Span(f"  {change['at'][:10]} " + visible(change["text"]))])
    if not view["touches"]:
        lines.append([Span("  no touches yet")])
    screen.write(lines + timeline)
