"""The bounds a script's Jinja rendering keeps, and the checks of one call, filter or format against them.

Shared by the sandbox (cadence.cadences.sandbox, at render time) and the static checks of validation
(cadence.cadences.checks), so that neither imports the other for them: what a parsed template may not
contain (`structure_problems`: loops in loops, recursion, macros, includes, nesting past MAX_NESTING),
how large a value is as text (`text_size`), and whether a str method, a filter or a %-format with given
arguments would build past MAX_WIDTH or MAX_OUTPUT (`method_check`, `filter_check`, `check_printf`).
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import SecurityError

from cadence.cadences.limits import MAX_OUTPUT

MAX_DIGITS = 100
MAX_WIDTH = 1_000
MAX_WORK = 2_000_000  # characters a script may build in all, while rendering once
MAX_NESTING = 40  # expressions inside expressions
TIME_LIMIT = 2.0  # seconds per render
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
FORMAT_SPEC = re.compile(r"^(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?")


def text_size(value: Any, limit: int = MAX_OUTPUT) -> int:
    """About how many characters `value` is as text, counting what is inside lists; stops past `limit`."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (bool, float, type(None))):
        return 5
    if isinstance(value, int):
        return value.bit_length() // 3 + 1
    if isinstance(value, range):
        return len(value) * 2
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        total = 2
        stack = [value]
        while stack:
            current = stack.pop()
            items = list(current.items()) if isinstance(current, dict) else current
            for item in items:
                if isinstance(item, str):
                    total += len(item) + 2
                elif isinstance(item, (list, tuple, set, frozenset, dict)):
                    total += 2
                    stack.append(item)
                else:
                    total += text_size(item) + 2
                if total > limit:
                    return total
        return total
    return 10

def check_inputs(values) -> None:
    for value in values:
        if text_size(value) > MAX_OUTPUT:
            raise SecurityError(f"a value of over {MAX_OUTPUT:,} characters is too large to work on")


def check_width(what: str, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_WIDTH:
        raise SecurityError(f"a width of {value} for {what} is too large (limit {MAX_WIDTH})")


def check_result_size(what: str, size: int) -> None:
    if size > MAX_OUTPUT:
        raise SecurityError(f"{what} would make a text of {size:,} characters (limit {MAX_OUTPUT:,})")


def replace_size(text: Any, old: Any, new: Any, count: Any = None) -> int:
    if not isinstance(text, str) or not isinstance(old, str):
        return 0
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * max(len(str(new)) - len(old), 0)


def check_printf(text: str, args: Any = ()) -> None:
    """Refuses a %-format whose widths or precisions (written or given by `*`) are over MAX_WIDTH,
    or that would repeat its values into more than MAX_OUTPUT characters."""
    star_args = list(args) if isinstance(args, tuple) else [args]
    conversions = 0
    for match in _PRINTF.finditer(text):
        if match.group(3) == "%":
            continue
        conversions += 1
        for number in match.group(1, 2):
            if number == "*":
                value = star_args.pop(0) if star_args else 0
                if isinstance(value, int) and abs(value) > MAX_WIDTH:
                    raise SecurityError(f"a format width of {value} is too large (limit {MAX_WIDTH})")
            elif number and int(number) > MAX_WIDTH:
                raise SecurityError(f"a format width of {number} is too large (limit {MAX_WIDTH})")
    if isinstance(args, dict):  # %(name)s may name the same value many times
        check_result_size("formatting", len(text) + conversions * text_size(args))


# ---------------------------------------------------------------- str methods and filters


def method_check(name: str, text: str, args: tuple, kwargs: dict) -> None:
    """Refuses a call of a str method that would build more than the bounds allow."""
    values = (*args, *kwargs.values())
    if name in ("ljust", "rjust", "center", "zfill"):
        for value in values[:1]:
            check_width(f"'{name}'", value)
    elif name == "expandtabs":
        size = kwargs.get("tabsize", args[0] if args else 8)
        check_width("'expandtabs'", size)
        if isinstance(size, int):
            check_result_size("'expandtabs'", len(text) + text.count("\t") * size)
    elif name == "replace":
        check_result_size("'replace'", replace_size(text, *args[:3]))
    elif name == "join" and args:
        items = args[0]
        if isinstance(items, (list, tuple, str, dict, set, frozenset, range)):
            check_result_size("'join'", text_size(items) + len(text) * len(items))


def filter_check(name: str, value: Any, args: tuple, kwargs: dict) -> None:
    """Refuses a filter call that would build more than the bounds allow, before it runs."""
    if name == "center":
        check_width("'center'", kwargs.get("width", args[0] if args else 80))
    elif name == "indent":
        width = kwargs.get("width", args[0] if args else 4)
        check_width("'indent'", width)
        step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        if isinstance(value, str):
            check_result_size("'indent'", len(value) + (value.count("\n") + 1) * step)
    elif name == "wordwrap":
        width = kwargs.get("width", args[0] if args else 79)
        check_width("'wordwrap'", width)
        wrap = kwargs.get("wrapstring", args[2] if len(args) > 2 else "\n")
        if isinstance(value, str) and isinstance(width, int) and width > 0:
            check_result_size("'wordwrap'", len(value) + (len(value) // width + 1) * len(str(wrap or "\n")))
    elif name in ("slice", "batch"):
        check_width(f"'{name}'", kwargs.get("slices", kwargs.get("linecount", args[0] if args else 0)))
    elif name == "format" and isinstance(value, str):
        check_printf(value, args if args else kwargs)
        check_result_size("'format'", len(value) + text_size(args or kwargs))
    elif name == "replace" and len(args) >= 2:
        check_result_size("'replace'", replace_size(str(value), *args[:3]))
    elif name == "join":
        separator = kwargs.get("d", args[0] if args else "")
        if isinstance(value, (list, tuple, str, dict, set, frozenset, range)):
            check_result_size("'join'", text_size(value) + len(str(separator)) * len(value))
    elif name == "sum":
        start = kwargs.get("start", args[1] if len(args) > 1 else 0)
        if not isinstance(start, (int, float)):
            raise SecurityError("'sum' adds numbers only")
    elif name in ("truncate", "wordcount", "length", "count", "first", "last", "default", "d"):
        return


def structure_problems(tree: nodes.Template) -> list[str]:
    """What a parsed template does that a script may not: loops in loops, recursion, macros, includes, deep nesting."""
    problems: list[str] = []
    if any(True for _ in tree.find_all((nodes.Macro, nodes.CallBlock))):
        problems.append("macros are not allowed in scripts")
    if any(True for _ in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends))):
        problems.append("a script cannot include, import or extend other templates")
    for loop in tree.find_all(nodes.For):
        if loop.recursive:
            problems.append("recursive loops are not allowed in scripts")
            break
        if any(True for _ in loop.find_all(nodes.For)):
            problems.append("a loop inside a loop is not allowed in scripts (it could run for a very long time)")
            break
    depth = nesting(tree)
    if depth > MAX_NESTING:
        problems.append(f"expressions are nested {depth} deep (limit {MAX_NESTING})")
    return problems


def nesting(tree: nodes.Node) -> int:
    """How deep the expressions of `tree` go inside one another (counted without recursion)."""
    deepest = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        depth += isinstance(node, nodes.Expr)
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in node.iter_child_nodes())
    return deepest
