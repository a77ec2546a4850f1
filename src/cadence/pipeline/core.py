"""What the salesperson does with their pipeline: add, list today, log, undo, show.

`Pipeline` is the façade the CLI and the channels use; its parts live beside it: the
foundation (base: sessions, profile, finding a prospect), the read side (reading: today,
show) and the write sides (adding: add, enroll, assign, `me set`; outcomes: log, undo).
Library first: the CLI calls these and prints what they return.
"""

from __future__ import annotations

from typing import Any

from cadence.pipeline.adding import Adding
from cadence.pipeline.outcomes import Logged, Outcomes, item_channel
from cadence.pipeline.reading import Item, ReadSide

__all__ = ["Item", "Logged", "NewProspect", "Pipeline", "item_channel"]


def __getattr__(name: str) -> Any:
    # NewProspect is a SQLModel class: loaded when asked for, so `today` and `show` never import SQLModel.
    if name == "NewProspect":
        from cadence.store.models import NewProspect

        return NewProspect
    raise AttributeError(name)


class Pipeline(ReadSide, Adding, Outcomes):
    """One salesperson's (or the whole team's) prospects in one database."""
