"""The sandbox scripts run in when they need Jinja, its limits, and the compiled-template cache.

A cadence file may come from anyone, so its templates run in Jinja's immutable
sandbox (no private attributes, no changing lists or dicts) with limits on top:

- validation (`structure_problems`) refuses loops inside loops, recursive
  loops, macros and includes, so a script makes at most one pass over a value;
- rendering stops once a script has produced MAX_OUTPUT characters;
- `*`, `**` and `%` refuse results bigger than MAX_OUTPUT characters (or
  numbers with more than MAX_DIGITS digits), and the filters that pad to a
  width (center, indent, wordwrap, format) refuse widths over MAX_WIDTH.

Compiled templates are kept in the user cache folder (Jinja's bytecode cache,
keyed by the template's hash), so a command does not compile the same scripts
again on every run. Most scripts only put values into text: cadence.cadences.scripts
renders those without Jinja, from the `plain_form` worked out here once.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import wraps
from typing import Any

from jinja2 import FileSystemBytecodeCache, FunctionLoader, StrictUndefined, TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from cadence.errors import CadenceError
from cadence.cadences.scripts import MAX_OUTPUT

MAX_DIGITS = 100
MAX_WIDTH = 1_000
_PRINTF_WIDTH = re.compile(r"%[-+ #0]*(\d+)?(?:\.(\d+))?")


class ScriptEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with bounds on what one expression may build."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name in ("namespace", "cycler", "joiner", "lipsum"):  # nothing a script needs
            self.globals.pop(name, None)
        for name in ("center", "indent", "wordwrap"):
            self.filters[name] = _bounded_width(self.filters[name])
        self.filters["format"] = _bounded_format(self.filters["format"])

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) * _digits(left) > MAX_DIGITS:
            raise SecurityError(f"the power {left!r} ** {right!r} is too large")
        if operator == "*":
            size = _repeat_size(left, right) or _repeat_size(right, left)
            if size > MAX_OUTPUT:
                raise SecurityError(f"repeating a text or list {size:,} long is too much (limit {MAX_OUTPUT:,})")
            if isinstance(left, int) and isinstance(right, int) and _digits(left) + _digits(right) > MAX_DIGITS:
                raise SecurityError("the product is too large")
        if operator == "%" and isinstance(left, str):
            _check_printf(left)
        return super().call_binop(context, operator, left, right)


def _digits(value: Any) -> int:
    return len(str(abs(value))) if isinstance(value, int) and not isinstance(value, bool) else 1


def _repeat_size(sequence: Any, count: Any) -> int:
    if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
        return len(sequence) * max(count, 0)
    return 0


def _check_printf(text: str) -> None:
    for match in _PRINTF_WIDTH.finditer(text):
        for number in match.groups():
            if number and int(number) > MAX_WIDTH:
                raise SecurityError(f"a format width of {number} is too large (limit {MAX_WIDTH})")


def _bounded_width(function):
    @wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        for value in (*args[1:], *kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_WIDTH:
                raise SecurityError(f"a width of {value} is too large (limit {MAX_WIDTH})")
        return function(*args, **kwargs)

    return bounded


def _bounded_format(function):
    @wraps(function)
    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            _check_printf(value)
        return function(value, *args, **kwargs)

    return bounded


# ---------------------------------------------------------------- the environment

_sources: dict[str, str] = {}  # template name (hash of its source) -> source
_environment: ScriptEnvironment | None = None


def environment() -> ScriptEnvironment:
    """The one script environment: undefined names are errors; compiled code cached on disk."""
    global _environment
    if _environment is None:
        _environment = ScriptEnvironment(
            undefined=StrictUndefined,
            autoescape=False,
            loader=FunctionLoader(_sources.get),
            bytecode_cache=_bytecode_cache(),
            cache_size=-1,
        )
    return _environment


class QuietBytecodeCache(FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, where a damaged or unwritable entry is only a miss."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> QuietBytecodeCache | None:
    """The compiled-template cache in the user cache folder, or None when that folder cannot be made."""
    from platformdirs import user_cache_dir

    folder = os.path.join(user_cache_dir("cadence"), "templates")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return None
    return QuietBytecodeCache(folder)


def structure_problems(tree: nodes.Template) -> list[str]:
    """What a parsed template does that a script may not: loops in loops, recursion, macros, includes."""
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
    return problems


def plain_form(source: str) -> list | None:
    """The script as text and values when that is all it is.

    ["Hi ", ["prospect", "first_name"], " at ", {"or": [["prospect", "company"], {"const": "yours"}]}]
    for `Hi {{ prospect.first_name }} at {{ prospect.company or "yours" }}`. None when the
    script uses anything else (tags, filters, other operators, private names): Jinja renders it.
    """
    try:
        tree = environment().parse(source)
    except TemplateError:
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


def render(source: str, context: dict[str, Any]) -> str:
    """The script rendered with `context`; refuses what the sandbox refuses and output past MAX_OUTPUT."""
    try:
        name = hashlib.sha1(source.encode("utf-8")).hexdigest()
        _sources.setdefault(name, source)
        template = environment().get_template(name)
        size = 0
        parts = []
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise CadenceError(f"script output is over {MAX_OUTPUT:,} characters: check its loops")
            parts.append(chunk)
        return "".join(parts).strip()
    except SecurityError as exc:
        raise CadenceError(f"script refused by the sandbox: {exc}") from None
    except (TemplateError, OverflowError, MemoryError, RecursionError) as exc:
        raise CadenceError(f"script could not be rendered: {exc}") from None
