"""What the salesperson does with their pipeline: add, list today, log, undo, show.

`Pipeline` is the façade the CLI and the channels use; its parts live beside it: the
foundation (base: sessions, profile, finding a prospect), the read side (reading: today,
show) and the write sides (adding: add, enroll, assign, `me set`; outcomes: log, undo).
Library first: the CLI calls these and prints what they return.
"""

from __future__ import annotations

from cadence.pipeline.adding import Adding, NewProspect
from cadence.pipeline.outcomes import Logged, Outcomes, item_channel
from cadence.pipeline.reading import Item, ReadSide

__all__ = ["Item", "Logged", "NewProspect", "Pipeline", "item_channel"]


class Pipeline(ReadSide, Adding, Outcomes):
    """One salesperson's (or the whole team's) prospects in one database."""
