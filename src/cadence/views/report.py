"""The page of `cadence report`: one self-contained HTML file (inline CSS and SVG, no script, no link out).

Takes the figures of cadence.pipeline.report (the JSON of `stats --json`,
`stats --hours --json`, the activity over time and the variant results) and
returns the page as a string. Every stored string is escaped.
"""

from __future__ import annotations

from html import escape

from cadence.views import charts

# Nothing may be fetched: the page is readable offline, and a browser refuses any link out.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
KINDS = ("dials", "connects", "emails", "meetings", "replies")
STYLE = """
body { font: 14px/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1d2733; background: #fff; margin: 0; }
main { width: 1040px; margin: 0 auto; padding: 24px 16px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #d5dbe3; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 4px; }
p { margin: 4px 0; }
.scope, .note { color: #6b7785; }
svg { display: block; margin: 6px 0; }
svg text { font: 12px "DejaVu Sans", Arial, sans-serif; fill: #1d2733; }
svg text.head, svg text.axis { fill: #6b7785; }
svg g.cell text { font-size: 11px; }
svg g.cell text.calls { font-size: 10px; }
"""


def page(figures: dict, generated: str) -> str:
    """The whole report: header, funnel, replies after fire, variants, best hours, activity over time."""
    sections = [
        _funnel(figures["stats"]),
        _replies_after_fire(figures["stats"]),
        variants_section(figures["variants"]),
        _hours(figures["hours"]),
        _activity(figures["activity"]),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>cadence report</title><style>{STYLE}</style></head>\n<body><main>\n"
        f"<h1>Cadence report</h1>\n<p class=\"scope\">{escape(_scope_line(figures['scope'], generated))}</p>\n"
        + "\n".join(sections)
        + "\n</main></body></html>\n"
    )


def _scope_line(scope: dict, generated: str) -> str:
    parts = [f"{scope['rep']}'s prospects" if scope.get("rep") else "Everyone's prospects"]
    parts.append(f"cadence {scope['cadence']}" if scope.get("cadence") else "every cadence")
    if scope.get("since"):
        parts.append(f"prospects who started on or after {scope['since']}, touches from that day")
    parts.append(f"generated {generated}")
    return " · ".join(parts)


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>\n{body}</section>'


def _in_use(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e["enrolled"] or any(s["touches"] for s in e["steps"])]


def _funnel(entries: list[dict]) -> str:
    shown = _in_use(entries)
    parts = []
    for entry in shown:
        title = f"{entry['cadence']} — {entry['title']}" if entry["title"] else entry["cadence"]
        counts = " · ".join(f"{count} {status}" for status, count in entry["statuses"].items() if count)
        per_100 = entry["meetings_per_100"]
        first = entry["avg_touches_to_first_connect"]
        line = f"{entry['enrolled']} enrolled" + (f": {counts}" if counts else "") + f" · {entry['fired']} fired by this cadence"
        line += f" · meetings per 100 prospects: {per_100:g}" if per_100 is not None else ""
        line += f" · touches to first connect: {first:g}" if first is not None else ""
        parts.append(f'<div class="cadence" data-cadence="{escape(entry["cadence"])}"><h3>{escape(title)}</h3>'
                     f"<p>{escape(line)}</p>{charts.funnel(entry['cadence'], entry['enrolled'], entry['steps'])}</div>")
    idle = [e["cadence"] for e in entries if e not in shown]
    if idle:
        parts.append(f'<p class="note">No prospects yet in: {escape(", ".join(idle))}</p>')
    if not shown:
        parts.insert(0, "<p>No prospect has been enrolled in a cadence yet.</p>")
    about = ('<p class="note">Each bar is how many prospects the step reached, out of those enrolled; beside it, the '
             "touches logged on the step, its connect rate (connects / calls) and reply rate (replies / reached). "
             "– means there is nothing to divide by.</p>")
    return _section("funnel", "Funnel per cadence", about + "".join(parts))


def _replies_after_fire(entries: list[dict]) -> str:
    fired = [e for e in entries if e["fired"]]
    if not fired:
        return _section("replies-after-fire", "Replies after fire", "<p>No prospect has been fired yet.</p>")
    window = fired[0]["reply_window_days"]
    about = (f'<p class="note">Prospects each cadence fired (pale bar) and those of them who replied within {window} days '
             "of the fire (dark bar).</p>")
    return _section("replies-after-fire", "Replies after fire", about + charts.replies_after_fire(fired))


def variants_section(results: list[dict]) -> str:
    """The variant results, from the list of `stats --variants --json`: per step, rates with 95% intervals and the test."""
    if not results:
        return _section("variants", "Variant results", "<p>No step has variants.</p>")
    about = ('<p class="note">Each bar is a variant\'s rate, the whiskers its 95% interval (Wilson). '
             "A difference is called significant when the test gives p &lt; 0.05.</p>")
    blocks = []
    for result in results:
        head = f"{result['cadence']} · step {result['step']} ({result['type']}, {result['channel']})"
        body = []
        for measure, noun in (("connect", "Connect rate"), ("reply", "Reply rate")):
            if not any(v[f"{measure}_rate"] is not None for v in result["variants"]):
                continue
            body.append(f"<p>{noun}: {escape(_verdict(result.get(measure) or {}, result.get('test')))}</p>")
            body.append(charts.variant_rates(result["variants"], measure))
        data = f'data-cadence="{escape(result["cadence"])}" data-step="{int(result["step"])}"'
        blocks.append(f'<div class="variants" {data}><h3>{escape(head)}</h3>{"".join(body) or "<p>Nothing logged yet.</p>"}</div>')
    return _section("variants", "Variant results", about + "".join(blocks))


def _verdict(test: dict, name: str | None) -> str:
    p_value = test.get("p_value")
    if p_value is None:
        return "nothing to compare yet"
    said = f"p = {p_value:.3g}" + (f" ({name})" if name else "")
    if test.get("significant") and test.get("best") is not None:
        return f"{said}: variant {test['best']} does better (significant)"
    return f"{said}: no significant difference"


def _hours(cells: list[dict]) -> str:
    if not cells:
        return _section("hours", "Best time to call", "<p>No call has been logged yet.</p>")
    best = max(c["connect_rate"] or 0 for c in cells)
    calls = sum(c["calls"] for c in cells)
    about = (f'<p class="note">Connect rate by the prospect\'s local hour (across) and weekday (down), from {calls} calls: '
             "each cell shows its rate and, below it, its calls. The darker, the better; white: no calls. "
             "Fewer than 10 calls in a cell is too few to trust.</p>")
    return _section("hours", "Best time to call", about + charts.heat_map(cells) + charts.heat_legend(best))


def _activity(found: dict) -> str:
    periods, period = found["periods"], found["period"]
    if not periods:
        return _section("activity", "Activity over time", "<p>No touch has been logged yet.</p>")
    first, last = periods[0]["start"], periods[-1]["start"]
    about = (f'<p class="note">Touches logged per {period}, {first} to {last} ({period}s starting on the date shown): '
             "dials are calls made, connects the calls answered (connected or meeting), emails those sent, "
             "meetings those booked, replies those received.</p>")
    if found.get("earlier"):
        before = found["earlier"]
        about += (f'<p class="note">Before {first}, not drawn: {before["touches"]} touches ({before["dials"]} dials, '
                  f'{before["connects"]} connects, {before["emails"]} emails, {before["meetings"]} meetings, '
                  f'{before["replies"]} replies).</p>')
    charts_by_kind = "".join(f"<h3>{kind.capitalize()} per {period}</h3>{charts.activity(kind, periods, period)}" for kind in KINDS)
    return _section("activity", "Activity over time", about + charts_by_kind)
