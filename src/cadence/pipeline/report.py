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
    from cadence.pipeline.variants import variant_figures

    return {
        "scope": {"rep": pipe.scope, "cadence": cadence, "since": since.isoformat() if since else None, "window": window},
        "stats": [entry.to_json() for entry in compute(pipe, cadence=cadence, since=since, window=window)],
        "hours": cells_json(grid(pipe, cadence=cadence, since=since)),
        "activity": over_time(pipe, cadence=cadence, since=since),
        "variants": variant_figures(pipe, cadence=cadence, since=since),
    }


