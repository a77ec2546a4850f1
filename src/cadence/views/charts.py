"""Inline SVG charts for `cadence report`: plain numbers in, SVG text out (pure: no store, no browser).

Every mark carries its figures twice: as text a reader sees (a `<text>` or a
`<title>` tooltip) and as data-* attributes, which the browser tests read back.
Every stored string (cadence names, variant ids) goes through `escape`.
"""

from __future__ import annotations

from html import escape

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BAR = "#3b6ea8"
PALE = "#c9d9ec"
INK = "#1d2733"
MUTED = "#6b7785"
EMPTY = "#ffffff"
# The heat map runs from LOW (a 0% cell) to HIGH (the best cell of the grid).
LOW = (238, 244, 251)
HIGH = (8, 48, 107)
CELL_W, CELL_H = 40, 34  # a heat map cell, in CSS pixels
HEAT_LEFT, HEAT_TOP = 44, 22  # room for the weekday and hour labels


def attrs(**values: object) -> str:
    """`key="value"` pairs, escaped, for the values that are not None (data_x becomes data-x)."""
    return " ".join(f'{k.rstrip("_").replace("_", "-")}="{escape(str(v), quote=True)}"' for k, v in values.items() if v is not None)


def percent(rate: float | None) -> str:
    """0.0513 -> '5.1%'; None (no denominator) -> '–'."""
    return "–" if rate is None else f"{rate * 100:.1f}%"


def text(x: float, y: float, content: str, **extra: object) -> str:
    return f"<text {attrs(x=_n(x), y=_n(y), **extra)}>{escape(content)}</text>"


def rect(x: float, y: float, width: float, height: float, fill: str, **extra: object) -> str:
    return f"<rect {attrs(x=_n(x), y=_n(y), width=_n(max(width, 0)), height=_n(max(height, 0)), fill=fill, **extra)}/>"


def svg(width: int, height: int, body: list[str], label: str, **extra: object) -> str:
    head = attrs(width=width, height=height, viewBox=f"0 0 {width} {height}", role="img", aria_label=label, **extra)
    return f"<svg {head}><title>{escape(label)}</title>{''.join(body)}</svg>"


def _n(value: float) -> str:
    """A coordinate without a trailing .0."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------- the funnel of one cadence


def step_label(step: dict) -> str:
    kind = {"fire": "FIRE", "no-message-call": "call, no msg"}.get(step["type"], step["type"])
    return f"{step['step']}  {kind}"


def funnel(cadence: str, enrolled: int, steps: list[dict]) -> str:
    """One bar per step: the prospects it reached out of those enrolled, with touches and rates beside it."""
    left, width, row = 130, 520, 28
    body = [text(0, 16, "step", class_="head"), text(left, 16, f"reached (of {enrolled})", class_="head"),
            text(left + width + 60, 16, "touches · connect · reply", class_="head")]
    for n, step in enumerate(steps):
        y = 26 + n * row
        share = step["reached"] / enrolled if enrolled else 0
        bar = min(share, 1) * width
        tip = (f"step {step['step']} ({step['type']}): reached {step['reached']} of {enrolled}, {step['touches']} touches, "
               f"connect {percent(step['connect_rate'])}, reply {percent(step['reply_rate'])}")
        data = attrs(class_="step", data_cadence=cadence, data_step=step["step"], data_reached=step["reached"],
                     data_touches=step["touches"], data_calls=step["calls"], data_connects=step["connects"],
                     data_connect_rate=_rate(step["connect_rate"]), data_replies=step["replies"],
                     data_reply_rate=_rate(step["reply_rate"]))
        body.append(
            f"<g {data}><title>{escape(tip)}</title>"
            + text(0, y + 14, step_label(step))
            + rect(left, y, width, 20, "#eef1f5")
            + rect(left, y, bar, 20, BAR, class_="bar")
            + text(left + bar + 6, y + 15, str(step["reached"]), class_="value")
            + text(left + width + 60, y + 15, f"{step['touches']} · {percent(step['connect_rate'])} · {percent(step['reply_rate'])}")
            + "</g>"
        )
    return svg(1000, 34 + len(steps) * row, body, f"Funnel of {cadence}")


def _rate(rate: float | None) -> str:
    """A rate as a data-* value: the JSON number, or 'null'."""
    return "null" if rate is None else repr(rate)


# ---------------------------------------------------------------- replies after fire, one row per cadence


def replies_after_fire(rows: list[dict]) -> str:
    """For each cadence that fired anyone: a pale bar of the fired, a dark one of those who replied within the window."""
    left, width, row = 200, 400, 30
    most = max((r["fired"] for r in rows), default=0) or 1
    body = []
    for n, entry in enumerate(rows):
        y = 6 + n * row
        fired_w = entry["fired"] / most * width
        replied_w = entry["replies_after_fire"] / most * width
        median = entry["median_days_fire_to_reply"]
        said = (f"{entry['replies_after_fire']} of {entry['fired']} ({percent(entry['replies_after_fire_share'])}) "
                f"within {entry['reply_window_days']} days" + (f"; median {median:g} days" if median is not None else ""))
        data = attrs(class_="fire", data_cadence=entry["cadence"], data_fired=entry["fired"],
                     data_replies=entry["replies_after_fire"], data_share=_rate(entry["replies_after_fire_share"]),
                     data_median_days=_rate(median))
        body.append(
            f"<g {data}><title>{escape(entry['cadence'] + ': ' + said)}</title>"
            + text(0, y + 15, entry["cadence"])
            + rect(left, y, fired_w, 20, PALE)
            + rect(left, y, replied_w, 20, BAR, class_="bar")
            + text(left + max(fired_w, replied_w) + 6, y + 15, said, class_="value")
            + "</g>"
        )
    return svg(1000, 12 + len(rows) * row, body, "Replies after fire by cadence")


# ---------------------------------------------------------------- the hour × weekday heat map


def heat_colour(rate: float | None, best: float) -> str:
    """The fill of a cell: white with no calls, else from LOW (0%) to HIGH (the grid's best rate)."""
    if rate is None:
        return EMPTY
    share = rate / best if best else 0.0
    return "#" + "".join(f"{round(lo + (hi - lo) * share):02x}" for lo, hi in zip(LOW, HIGH))


def heat_map(cells: list[dict]) -> str:
    """Weekdays down, hours 0-23 across; each called cell coloured by its connect rate and showing it and its calls."""
    best = max((c["connect_rate"] or 0 for c in cells), default=0)
    body = [text(HEAT_LEFT + h * CELL_W + CELL_W / 2, 14, f"{h:02d}", class_="axis", text_anchor="middle") for h in range(24)]
    body += [text(0, HEAT_TOP + d * CELL_H + CELL_H / 2 + 4, WEEKDAY_NAMES[d], class_="axis") for d in range(7)]
    found = {(WEEKDAY_KEYS.index(c["weekday"]), c["hour"]): c for c in cells}
    for day in range(7):
        for hour in range(24):
            x, y = HEAT_LEFT + hour * CELL_W, HEAT_TOP + day * CELL_H
            cell = found.get((day, hour))
            if cell is None:
                body.append(rect(x, y, CELL_W - 2, CELL_H - 2, EMPTY, class_="none", stroke="#e4e8ee"))
                continue
            body.append(_heat_cell(cell, x, y, best))
    return svg(HEAT_LEFT + 24 * CELL_W, HEAT_TOP + 7 * CELL_H, body, "Connect rate by local hour and weekday", class_="heat")


def _heat_cell(cell: dict, x: float, y: float, best: float) -> str:
    rate = cell["connect_rate"]
    fill = heat_colour(rate, best)
    ink = "fill: #ffffff" if best and rate / best > 0.5 else None  # a style: the page's CSS would beat a fill attribute
    tip = (f"{cell['weekday'].capitalize()} {cell['hour']:02d}:00: {cell['connects']} connects of {cell['calls']} calls "
           f"({percent(rate)})")
    data = attrs(class_="cell", data_weekday=cell["weekday"], data_hour=cell["hour"], data_calls=cell["calls"],
                 data_connects=cell["connects"], data_rate=_rate(rate), data_fill=fill)
    return (
        f"<g {data}><title>{escape(tip)}</title>"
        + rect(x, y, CELL_W - 2, CELL_H - 2, fill)
        + text(x + CELL_W / 2 - 1, y + 14, f"{rate * 100:.0f}%", style=ink, class_="rate", text_anchor="middle")
        + text(x + CELL_W / 2 - 1, y + 27, str(cell["calls"]), style=ink, class_="calls", text_anchor="middle")
        + "</g>"
    )


def heat_legend(best: float) -> str:
    """A strip from 0% to the best rate, in the heat map's colours."""
    steps = 10
    body = [rect(40 + i * 24, 4, 24, 14, heat_colour(best * i / (steps - 1), best)) for i in range(steps)]
    body += [text(0, 16, "0%", class_="axis"), text(48 + steps * 24, 16, percent(best), class_="axis")]
    return svg(340, 22, body, "Colour scale")


# ---------------------------------------------------------------- activity over time


def activity(kind: str, periods: list[dict], period: str) -> str:
    """Bars of one kind of touch (dials, connects...) per period, with the count above each when there is room."""
    left, width, top, height = 44, 940, 16, 110
    most = max((p[kind] for p in periods), default=0)
    slot = width / max(len(periods), 1)
    labelled = len(periods) <= 62
    every = max(1, -(-len(periods) // 12))  # at most about twelve dates under the axis
    body = [text(0, top + 8, str(most), class_="axis") if most else "", text(0, top + height, "0", class_="axis"),
            rect(left, top + height, width, 1, "#b8c1cc")]
    for n, entry in enumerate(periods):
        value = entry[kind]
        tall = value / most * height if most else 0
        x = left + n * slot
        data = attrs(class_="period", data_kind=kind, data_start=entry["start"], data_value=value)
        mark = rect(x + slot * 0.1, top + height - tall, max(slot * 0.8, 1), tall, BAR, class_="bar")
        shown = text(x + slot / 2, top + height - tall - 3, str(value), class_="value", text_anchor="middle") if labelled and value else ""
        tip = f"{period} of {entry['start']}: {value} {kind}"
        body.append(f"<g {data}><title>{escape(tip)}</title>{mark}{shown}</g>")
        if n % every == 0:
            body.append(text(x + slot / 2, top + height + 16, entry["start"][5:] if period != "month" else entry["start"][:7],
                             class_="axis", text_anchor="middle"))
    return svg(1000, top + height + 22, body, f"{kind.capitalize()} per {period}")


# ---------------------------------------------------------------- variants of one step


def variant_rates(variants: list[dict], measure: str) -> str:
    """For `measure` connect or reply: a bar per variant for its rate, with whiskers for the 95% interval."""
    whole = {"connect": "calls", "reply": "touches"}[measure]
    part = {"connect": "connects", "reply": "replies"}[measure]
    left, width, row = 90, 420, 30
    tops = [v[f"{measure}_interval"][1] for v in variants if v[f"{measure}_interval"]]
    tops += [v[f"{measure}_rate"] for v in variants if v[f"{measure}_rate"] is not None]
    scale = max(0.1, -(-max(tops, default=0) * 10 // 1) / 10)  # up to the next 10%
    body = []
    for n, variant in enumerate(variants):
        y = 6 + n * row
        rate, interval = variant[f"{measure}_rate"], variant[f"{measure}_interval"]
        said = f"{percent(rate)} ({variant[part]} of {variant[whole]} {whole})"
        if interval:
            said += f", 95% interval {percent(interval[0])} to {percent(interval[1])}"
        data = attrs(class_="variant", data_variant=variant["variant"], data_measure=measure, data_rate=_rate(rate),
                     data_low=_rate(interval[0]) if interval else "null", data_high=_rate(interval[1]) if interval else "null",
                     data_part=variant[part], data_whole=variant[whole])
        marks = rect(left, y, (rate or 0) / scale * width, 20, BAR, class_="bar")
        if interval:
            low, high = left + interval[0] / scale * width, left + interval[1] / scale * width
            path = f"M{_n(low)} {y + 10}H{_n(high)}M{_n(low)} {y + 4}V{y + 16}M{_n(high)} {y + 4}V{y + 16}"
            marks += f"<path {attrs(d=path, stroke=INK, stroke_width=1.5, fill='none', class_='whisker')}/>"
        body.append(
            f"<g {data}><title>{escape(variant['variant'] + ': ' + said)}</title>"
            + text(0, y + 15, variant["variant"]) + marks
            + text(left + width + 12, y + 15, said, class_="value") + "</g>"
        )
    return svg(1000, 12 + len(variants) * row, body, f"{measure.capitalize()} rate by variant")
