"""Words for counts and item types, shared by the rich views and the plain ones (no imports: cheap anywhere)."""

from __future__ import annotations


def plural(count: float, word: str, many: str | None = None) -> str:
    """'1 day', '2 days', '1.5 days', '0 days' ('many' for an irregular plural)."""
    shown = f"{count:g}" if isinstance(count, float) else f"{count}"
    return f"{shown} {word if count == 1 else (many or word + 's')}"


# Statuses whose `callback` item is the follow-up agreed with them (`log connected --on DATE`),
# not a call back they asked for (domain/engine.py FOLLOWING_UP; the views may not import the domain).
FOLLOWING_UP = frozenset({"engaged", "converted"})


def item_word(kind: str | None, status: str | None) -> str | None:
    """The item type as people read it: an engaged or converted prospect's `callback` is a follow-up.

    Only the words shown change; JSON keeps the item types of DESIGN (`callback`).
    """
    return "follow-up" if kind == "callback" and status in FOLLOWING_UP else kind
