"""The `variants:` of a cadence step (A/B tests): reading them from the parsed YAML, with file:line problems.

The loader hands over its parsed nodes (value, line, key_lines); which variant a
prospect gets is decided by the pipeline (cadence.pipeline.variants).
"""

from __future__ import annotations

from typing import Callable

from cadence.cadences.model import STEP_ID_PATTERN, Step, Variant

# The texts each variant of an A/B step carries, by type (and channel for fire); a task has no variants.
VARIANT_TEXTS = {
    "call": ("script",),
    "no-message-call": ("script",),
    "email": ("subject", "body"),
    ("fire", "voicemail"): ("script",),
    ("fire", "email"): ("subject", "body"),
}


def read_variants(number: int, step_type: str, uses: tuple[str, ...] | None, node, texts: dict, lines: dict, problem) -> tuple[Variant, ...]:
    """The `variants:` of step `number`: two or more mappings, each with a unique id and the step type's texts."""
    if uses is None:
        problem(lines["variants"], f"step {number}: a {step_type} step cannot have variants (calls and emails can)")
        return ()
    for key in uses:
        if texts.get(key) is not None:
            problem(lines[key], f"step {number}: {key!r} goes inside each variant when the step has variants")
    if not isinstance(node.value, list) or len(node.value) < 2:
        problem(lines["variants"], f"step {number}: variants must be a list of two or more, each with an id and {' and '.join(uses)}")
        return ()
    variants: list[Variant] = []
    seen: dict[str, int] = {}
    for item in node.value:
        variant = _variant(number, uses, item, problem)
        if variant is None:
            continue
        if variant.id in seen:
            problem(variant.lines["id"], f"step {number}: variant id {variant.id!r} is used twice; give each variant its own id")
            continue
        seen[variant.id] = variant.line
        variants.append(variant)
    return tuple(variants) if len(variants) >= 2 else ()


def _variant(number: int, uses: tuple[str, ...], item, problem) -> Variant | None:
    """One variant mapping (a parsed node: value, line, key_lines), or None after reporting its problems."""
    if not isinstance(item.value, dict):
        problem(item.line, f"step {number}: each variant is a mapping with id and {' and '.join(uses)}")
        return None
    fields, lines = item.value, item.key_lines
    known = ("id", *uses)
    for key in fields:
        if key not in known:
            problem(lines[key], f"step {number}: unknown key {key!r} in a variant (known: {', '.join(known)})")
    id_node = fields.get("id")
    variant_id = str(id_node.value) if id_node is not None and isinstance(id_node.value, (str, int)) and not isinstance(id_node.value, bool) else ""
    if not STEP_ID_PATTERN.match(variant_id):
        where = id_node.line if id_node is not None else item.line
        problem(where, f"step {number}: a variant needs an id of letters, digits, '-' or '_' (e.g. a, b, short-intro)")
        return None
    values: dict[str, str] = {}
    for key in uses:
        node = fields.get(key)
        if node is None or not isinstance(node.value, str) or not node.value.strip():
            problem(node.line if node is not None else item.line, f"step {number}: variant {variant_id!r} needs {key!r} (text)")
            return None
        values[key] = node.value
    return Variant(id=variant_id, line=item.line, lines=dict(lines), **values)


def check_variants(step: Step, check: Callable[[str], list[str]], problem) -> None:
    """Report the template problems `check` finds in each variant's texts, on the line of the text."""
    for variant in step.variants:
        for key in ("script", "subject", "body"):
            source = getattr(variant, key)
            if source is not None:
                for message in check(source):
                    problem(variant.lines.get(key, variant.line), f"step {step.number} variant {variant.id!r} {key}: {message}")
