"""The plain form of a script: its text and value paths, when that is all it is.

cadence.cadences.scripts renders such a script without Jinja, from the plain form worked out here once
(and kept in its cache); any other script goes to the Jinja sandbox.
"""

from __future__ import annotations

from jinja2 import TemplateError, nodes

from cadence.cadences.sandbox import environment


def plain_form(source: str) -> list | None:
    """The script as text and values when that is all it is.

    ["Hi ", ["prospect", "first_name"], " at ", {"or": [["prospect", "company"], {"const": "yours"}]}]
    for `Hi {{ prospect.first_name }} at {{ prospect.company or "yours" }}`. None when the
    script uses anything else (tags, filters, other operators, private names): Jinja renders it.
    """
    try:
        tree = environment().parse(source)
    except (TemplateError, RecursionError):
        return None
    parts: list = []
    for node in tree.body:
        if not isinstance(node, nodes.Output):
            return None
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                parts.append(child.data)
                continue
            part = _path(child) if not isinstance(child, nodes.Or) else _choice(child)
            if part is None:
                return None
            parts.append(part)
    return parts


def _choice(node: nodes.Or) -> dict | None:
    """{"or": [...]} for `a or b or "text"`: values and constants, the first true one wins."""
    operands: list = []
    for side in (node.left, node.right):
        if isinstance(side, nodes.Or):
            inner = _choice(side)
            if inner is None:
                return None
            operands.extend(inner["or"])
        elif isinstance(side, nodes.Const) and isinstance(side.value, (str, int, float)) and not isinstance(side.value, bool):
            operands.append({"const": side.value})
        else:
            path = _path(side)
            if path is None:
                return None
            operands.append(path)
    return {"or": operands}


def _path(node) -> list[str] | None:
    """["prospect", "fields", "industry"] for prospect.fields.industry or prospect['fields']['industry']."""
    names: list[str] = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            names.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            names.append(node.arg.value)
        else:
            return None
        node = node.node
    if not isinstance(node, nodes.Name) or node.ctx != "load":
        return None
    names.append(node.name)
    names.reverse()
    return None if any(name.startswith("_") for name in names) else names
