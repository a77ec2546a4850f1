"""Words for counts, shared by the rich views and the plain ones (no imports: cheap anywhere)."""

from __future__ import annotations


def plural(count: float, word: str, many: str | None = None) -> str:
    """'1 day', '2 days', '1.5 days', '0 days' ('many' for an irregular plural)."""
    shown = f"{count:g}" if isinstance(count, float) else f"{count}"
    return f"{shown} {word if count == 1 else (many or word + 's')}"
