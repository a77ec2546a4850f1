"""Checking the scripts of a cadence file before they run: syntax, and only variables that will exist.

Rendering goes through cadence.cadences.scripts (plain forms) and its Jinja sandbox.
"""

from __future__ import annotations

from typing import Any, Iterable

PROSPECT_FIELDS = frozenset(
    {
        "id", "first_name", "last_name", "name", "title", "company", "phone", "email",
        "timezone", "source", "tags", "owner", "status", "fields",
    }
)
ME_KEYS = frozenset({"name", "company", "phone", "email", "title", "website", "timezone"})
TEMPLATE_NAMES = frozenset({"prospect", "me", "step", "steps", "attempts"})
STEP_VARS = frozenset({"number", "day", "type", "channel", "title"})


def environment():
    """The one sandboxed Jinja2 environment (see cadence.cadences.sandbox): undefined names are errors."""
    from cadence.cadences import sandbox

    return sandbox.environment()


def check_template(source: str, declared: tuple[str, ...] | None, me_keys: Iterable[str]) -> list[str]:
    """Problems in one template: syntax errors and variables that would not exist."""
    from jinja2 import TemplateSyntaxError, nodes

    from cadence.cadences.bounds import MAX_NESTING, structure_problems
    from cadence.cadences.checks import static_problems

    try:
        tree = environment().parse(source)
    except TemplateSyntaxError as exc:
        return [f"template error: {exc.message}"]
    except RecursionError:
        return [f"template error: expressions are nested too deeply (limit {MAX_NESTING})"]
    problems: list[str] = structure_problems(tree)
    if any(problem.startswith("expressions are nested") for problem in problems):
        return problems  # walking a tree that deep is not worth it
    problems += static_problems(tree)
    me_keys = set(me_keys)
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if isinstance(node, nodes.Name):
            if node.ctx == "load" and node.name not in TEMPLATE_NAMES | assigned:
                problems.append(f"unknown variable {node.name!r} (known: {', '.join(sorted(TEMPLATE_NAMES))})")
            continue
        attr = _attribute(node)
        if attr is None:
            continue
        if attr.startswith("_"):
            problems.append(f"private attribute {attr!r} is not allowed")
            continue
        base = node.node
        if isinstance(base, nodes.Name) and base.name not in assigned:
            problems.extend(_check_attr(base.name, attr, me_keys))
        elif (
            isinstance(base, (nodes.Getattr, nodes.Getitem))
            and isinstance(base.node, nodes.Name)
            and base.node.name == "prospect"
            and _attribute(base) == "fields"
            and declared is not None
            and attr not in declared
        ):
            problems.append(f"unknown custom field 'prospect.fields.{attr}' (declared: {', '.join(declared) or 'none'})")
    return problems


def _attribute(node) -> str | None:
    from jinja2 import nodes

    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def _check_attr(name: str, attr: str, me_keys: set[str]) -> list[str]:
    if name == "prospect" and attr not in PROSPECT_FIELDS:
        return [f"unknown variable 'prospect.{attr}' (custom CSV columns are prospect.fields.{attr})"]
    if name == "me" and attr not in me_keys:
        return [f"unknown variable 'me.{attr}': set it with `cadence me set {attr} VALUE` or fix the name"]
    if name == "step" and attr not in STEP_VARS:
        return [f"unknown variable 'step.{attr}' (known: {', '.join(sorted(STEP_VARS))})"]
    return []


def render(source: str, context: dict[str, Any]) -> str:
    """The template rendered with `context` in the script sandbox; a render failure raises CadenceError."""
    from cadence.cadences import scripts

    return scripts.render(source, context)
