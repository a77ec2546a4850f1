"""The figures `cadence report` draws, in the JSON shapes of `stats --json` and `stats --hours --json`.

Nothing is counted here: each part comes from the function behind the matching
`stats` view, so the report and `stats --json` cannot disagree.
"""

from __future__ import annotations

from datetime import date

from cadence.pipeline.stats import DEFAULT_WINDOW


def figures(pipe, cadence: str | None = None, since: date | None = None, window: int = DEFAULT_WINDOW) -> dict:
    """{"scope", "stats", "hours", "activity", "variants"} for the prospects in scope; refuses what `stats` refuses."""
    from cadence.domain.hours import cells_json
    from cadence.pipeline.activity import over_time
    from cadence.pipeline.hours import grid
    from cadence.pipeline.stats import compute

    return {
        "scope": {"rep": pipe.scope, "cadence": cadence, "since": since.isoformat() if since else None, "window": window},
        "stats": [entry.to_json() for entry in compute(pipe, cadence=cadence, since=since, window=window)],
        "hours": cells_json(grid(pipe, cadence=cadence, since=since)),
        "activity": over_time(pipe, cadence=cadence, since=since),
        "variants": _variant_figures(pipe, cadence, since),
    }


def _variant_figures(pipe, cadence: str | None, since: date | None) -> list[dict]:
    """`stats --variants --json`'s list, or [] where step variants are not built in."""
    try:
        from cadence.pipeline.variants import variant_figures
    except ImportError:  # until step variants land (issue 18.1)
        return []
    return variant_figures(pipe, cadence=cadence, since=since)
