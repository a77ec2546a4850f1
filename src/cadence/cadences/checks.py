"""The static checks of a script that validation makes without rendering it.

Calls, filters and operators whose written-out arguments already break a bound of
cadence.cadences.bounds ('a'.ljust(10**9), 'x'|center(10**9), 'x' * 10**9) are reported with the
same message the sandbox would give when the script ran.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import SecurityError

from cadence.cadences.bounds import FORMAT_SPEC, MAX_WIDTH, check_printf, filter_check, method_check
from cadence.cadences.sandbox import environment

_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join"})


def static_problems(tree: nodes.Template) -> list[str]:
    """What validation can see without rendering: calls, filters and operators whose written-out
    arguments already break a bound ('a'.ljust(10**9), 'x'|center(10**9), 'x' * 10**9, '%*d' % (10**9, 1))."""
    problems: list[str] = []
    for node in tree.find_all((nodes.Call, nodes.Filter, nodes.BinExpr)):
        try:
            if isinstance(node, nodes.Filter) and node.node is not None:
                value, args, kwargs = _const(node.node), [_const(a) for a in node.args], {k.key: _const(k.value) for k in node.kwargs}
                filter_check(node.name, value if value is not _UNKNOWN else "", tuple(a for a in args if a is not _UNKNOWN), {k: v for k, v in kwargs.items() if v is not _UNKNOWN})
            elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
                owner = _const(node.node.node)
                args = tuple(a for a in map(_const, node.args) if a is not _UNKNOWN)
                if node.node.attr in _WIDTH_METHODS:
                    method_check(node.node.attr, owner if isinstance(owner, str) else "", args, {})
                elif node.node.attr in ("format", "format_map") and isinstance(owner, str):
                    for _, _, spec, _ in Formatter().parse(owner):
                        match = FORMAT_SPEC.match(spec or "")
                        for number in match.groups() if match else ():
                            if number and int(number) > MAX_WIDTH:
                                raise SecurityError(f"a format width of {number} is too large (limit {MAX_WIDTH})")
            elif isinstance(node, nodes.BinExpr):
                _const(node)
        except SecurityError as exc:
            problems.append(str(exc))
        except (ValueError, TypeError, ArithmeticError):
            continue
    return list(dict.fromkeys(problems))


_UNKNOWN = object()


def _const(node: nodes.Node) -> Any:
    """The value of a written-out constant (numbers, texts, lists of them, and * ** % + of them), checked
    as rendering would check it; _UNKNOWN for anything else."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, (nodes.Tuple, nodes.List)):
        items = [_const(item) for item in node.items]
        if any(item is _UNKNOWN for item in items):
            return _UNKNOWN
        return tuple(items) if isinstance(node, nodes.Tuple) else items
    if isinstance(node, nodes.Neg):
        value = _const(node.node)
        return -value if isinstance(value, (int, float)) else _UNKNOWN
    if isinstance(node, (nodes.Mul, nodes.Pow, nodes.Mod, nodes.Add)):
        left, right = _const(node.left), _const(node.right)
        if left is _UNKNOWN or right is _UNKNOWN:
            if isinstance(node, nodes.Mod) and isinstance(left, str):
                check_printf(left, ())
            return _UNKNOWN
        return environment().call_binop(None, node.operator, left, right)
    return _UNKNOWN
