"""The terminal view of `stats --variants`: a table per A/B step and a line on whether the variants differ."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from cadence.views.daily import console, escape

NONE_YET = (
    "No cadence step has variants yet. To A/B test a step, give it `variants:` in its cadence file, "
    "two or more each with an id and its own script (or subject and body); see docs/cadence-format.md."
)


def variants(figures: list[dict[str, Any]]) -> None:
    """Print each step's variants with their rates and 95% intervals, then the test's verdict."""
    if not figures:
        console.print(NONE_YET)
        return
    for entry in figures:
        console.print()
        console.print(f"[bold]{escape(entry['cadence'])}[/bold] · step {entry['step']} ({escape(entry['type'])})")
        phone = entry["channel"] == "phone"
        table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0))
        table.add_column("variant")
        table.add_column("touches", justify="right")
        if phone:
            table.add_column("connects (95% interval)", justify="right")
        table.add_column("replies (95% interval)", justify="right")
        for arm in entry["variants"]:
            cells = [escape(arm["variant"]), str(arm["touches"])]
            if phone:
                cells.append(share(arm["connects"], arm["calls"], arm["connect_rate"], arm["connect_interval"]))
            cells.append(share(arm["replies"], arm["touches"], arm["reply_rate"], arm["reply_interval"]))
            table.add_row(*cells)
        console.print(table)
        verdicts = ([("connects", entry["connect"])] if phone else []) + [("replies", entry["reply"])]
        for what, found in verdicts:
            console.print(f"  {verdict(what, found)}")


def share(part: int, whole: int, rate: float | None, interval: list[float] | None) -> str:
    """'6/40 15.0% (7.1-29.1%)', or '0/0' when there is nothing to divide."""
    if rate is None or interval is None:
        return f"{part}/{whole}"
    return f"{part}/{whole} {rate:.1%} ({interval[0]:.1%}-{interval[1]:.1%})"


def verdict(what: str, found: dict[str, Any]) -> str:
    """One line on one figure: the p value of Fisher's exact test and what it means."""
    if found["p_value"] is None:
        return f"{what}: nothing to compare yet (Fisher's exact test needs two variants with touches)"
    if found["significant"]:
        return f"{what}: Fisher's exact p = {found['p_value']:.3g}, significant (< 0.05): {escape(found['best'])} does better"
    return f"{what}: Fisher's exact p = {found['p_value']:.3g}, no significant difference (needs < 0.05)"
