"""The sandbox scripts run in when they need Jinja, and its limits.

A cadence file may come from anyone, so its templates run in Jinja's immutable
sandbox (no private attributes, no changing lists or dicts) with limits on top,
so that rendering any script is bounded in memory and time:

- validation (`structure_problems`, `static_problems`) refuses loops inside
  loops, recursive loops, macros and includes, so a script makes at most one
  pass over a value; expressions nested more than MAX_NESTING deep; and the
  calls, filters and operators below when their arguments are written out and
  already break a bound;
- at render time every value a script builds (through a call, a filter, an
  operator, `~`, slicing or a `{% set %}` block) may hold at most MAX_OUTPUT
  characters, counting what is inside lists; widths and padding (`ljust`,
  `center`, `zfill`, `expandtabs`, `indent`, `wordwrap`, `format`, `%`,
  `str.format`, `slice`, `batch`) are refused past MAX_WIDTH, and `replace`,
  `join`, `*` and `%` are refused before they build too much;
- all that a script builds adds up to at most MAX_WORK characters, and a
  render stops after TIME_LIMIT seconds (checked at every call, filter,
  operator, attribute and loop turn);
- the output stops once it has MAX_OUTPUT characters.

Compiled templates are not kept on disk: loading compiled code from a folder
is running it. Most scripts only put values into text: cadence.cadences.scripts renders
those without Jinja, from the `plain_form` worked out here once.
"""

from __future__ import annotations

import hashlib
import re
import time
from functools import wraps
from string import Formatter
from typing import Any

from jinja2 import FunctionLoader, StrictUndefined, TemplateError, nodes, pass_context
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter, SecurityError

from cadence.errors import CadenceError
from cadence.cadences.limits import MAX_OUTPUT

MAX_DIGITS = 100
MAX_WIDTH = 1_000
MAX_WORK = 2_000_000  # characters a script may build in all, while rendering once
MAX_NESTING = 40  # expressions inside expressions
TIME_LIMIT = 2.0  # seconds per render
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([a-zA-Z%])")
_FORMAT_SPEC = re.compile(r"^(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?")


class ScriptUndefined(StrictUndefined):
    """Strict, except that a missing value is false: `a or "text"` and `{% if a %}` fall through."""

    def __bool__(self) -> bool:
        return False


# ---------------------------------------------------------------- what a render may spend


class _Work:
    __slots__ = ("left", "deadline")

    def __init__(self) -> None:
        self.left = MAX_WORK
        self.deadline = time.monotonic() + TIME_LIMIT


_work: _Work | None = None


def _spend(units: int) -> None:
    """Counts what the running render builds; refuses past MAX_WORK characters or TIME_LIMIT seconds."""
    work = _work
    if work is None:
        return
    work.left -= units
    if work.left < 0:
        raise SecurityError(f"the script builds too much (over {MAX_WORK:,} characters in all)")
    if time.monotonic() > work.deadline:
        raise SecurityError(f"the script ran for over {TIME_LIMIT:g} seconds")


def _size(value: Any, limit: int = MAX_OUTPUT) -> int:
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
                    total += _size(item) + 2
                if total > limit:
                    return total
        return total
    return 10


def _bounded(value: Any, what: str = "a value") -> Any:
    """`value`, when it is at most MAX_OUTPUT characters; a lazy sequence is counted as it is read."""
    if hasattr(value, "__next__") and not isinstance(value, (str, bytes)):
        return _counted(value)
    size = _size(value)
    _spend(size)
    if size > MAX_OUTPUT:
        raise SecurityError(f"{what} of over {MAX_OUTPUT:,} characters is too large")
    return value


def _counted(iterator):
    total = 0
    for item in iterator:
        size = _size(item) + 2
        total += size
        _spend(size)
        if total > MAX_OUTPUT:
            raise SecurityError(f"a sequence of over {MAX_OUTPUT:,} characters is too large")
        yield item


def _check_inputs(values) -> None:
    for value in values:
        if _size(value) > MAX_OUTPUT:
            raise SecurityError(f"a value of over {MAX_OUTPUT:,} characters is too large to work on")


def _check_width(what: str, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_WIDTH:
        raise SecurityError(f"a width of {value} for {what} is too large (limit {MAX_WIDTH})")


def _check_result_size(what: str, size: int) -> None:
    if size > MAX_OUTPUT:
        raise SecurityError(f"{what} would make a text of {size:,} characters (limit {MAX_OUTPUT:,})")


def _replace_size(text: Any, old: Any, new: Any, count: Any = None) -> int:
    if not isinstance(text, str) or not isinstance(old, str):
        return 0
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * max(len(str(new)) - len(old), 0)


def _check_printf(text: str, args: Any = ()) -> None:
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
        _check_result_size("formatting", len(text) + conversions * _size(args))


# ---------------------------------------------------------------- str methods and filters


def _method_check(name: str, text: str, args: tuple, kwargs: dict) -> None:
    """Refuses a call of a str method that would build more than the bounds allow."""
    values = (*args, *kwargs.values())
    if name in ("ljust", "rjust", "center", "zfill"):
        for value in values[:1]:
            _check_width(f"'{name}'", value)
    elif name == "expandtabs":
        size = kwargs.get("tabsize", args[0] if args else 8)
        _check_width("'expandtabs'", size)
        if isinstance(size, int):
            _check_result_size("'expandtabs'", len(text) + text.count("\t") * size)
    elif name == "replace":
        _check_result_size("'replace'", _replace_size(text, *args[:3]))
    elif name == "join" and args:
        items = args[0]
        if isinstance(items, (list, tuple, str, dict, set, frozenset, range)):
            _check_result_size("'join'", _size(items) + len(text) * len(items))


def _filter_check(name: str, value: Any, args: tuple, kwargs: dict) -> None:
    """Refuses a filter call that would build more than the bounds allow, before it runs."""
    if name == "center":
        _check_width("'center'", kwargs.get("width", args[0] if args else 80))
    elif name == "indent":
        width = kwargs.get("width", args[0] if args else 4)
        _check_width("'indent'", width)
        step = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        if isinstance(value, str):
            _check_result_size("'indent'", len(value) + (value.count("\n") + 1) * step)
    elif name == "wordwrap":
        width = kwargs.get("width", args[0] if args else 79)
        _check_width("'wordwrap'", width)
        wrap = kwargs.get("wrapstring", args[2] if len(args) > 2 else "\n")
        if isinstance(value, str) and isinstance(width, int) and width > 0:
            _check_result_size("'wordwrap'", len(value) + (len(value) // width + 1) * len(str(wrap or "\n")))
    elif name in ("slice", "batch"):
        _check_width(f"'{name}'", kwargs.get("slices", kwargs.get("linecount", args[0] if args else 0)))
    elif name == "format" and isinstance(value, str):
        _check_printf(value, args if args else kwargs)
        _check_result_size("'format'", len(value) + _size(args or kwargs))
    elif name == "replace" and len(args) >= 2:
        _check_result_size("'replace'", _replace_size(str(value), *args[:3]))
    elif name == "join":
        separator = kwargs.get("d", args[0] if args else "")
        if isinstance(value, (list, tuple, str, dict, set, frozenset, range)):
            _check_result_size("'join'", _size(value) + len(str(separator)) * len(value))
    elif name == "sum":
        start = kwargs.get("start", args[1] if len(args) > 1 else 0)
        if not isinstance(start, (int, float)):
            raise SecurityError("'sum' adds numbers only")
    elif name in ("truncate", "wordcount", "length", "count", "first", "last", "default", "d"):
        return


def _guarded_filter(name: str, function):
    skip = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

    @wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _spend(1)
        own = args[skip:]
        _check_inputs((*own, *kwargs.values()))
        if own:
            _filter_check(name, own[0], own[1:], kwargs)
        return _bounded(function(*args, **kwargs), f"the result of '{name}'")

    return guarded


class _BoundedFormatter(SandboxedFormatter):
    """str.format in the sandbox, with widths and the total size bounded."""

    def vformat(self, format_string, args, kwargs):
        self._built = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        match = _FORMAT_SPEC.match(format_spec)
        for number in match.groups() if match else ():
            if number and int(number) > MAX_WIDTH:
                raise SecurityError(f"a format width of {number} is too large (limit {MAX_WIDTH})")
        self._built += _size(value)
        _check_result_size("'format'", self._built)
        text = super().format_field(value, format_spec)
        self._built += len(text)
        _spend(len(text))
        _check_result_size("'format'", self._built)
        return text


class _Buffer(list):
    """The output of a {% set %} or {% filter %} block, bounded like the script's output."""

    size = 0

    def append(self, item: Any) -> None:
        self.size += len(item)
        _spend(len(item))
        _check_result_size("a block", self.size)
        super().append(item)

    def extend(self, items) -> None:
        for item in items:
            self.append(item)


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with `~` and block buffers going through the environment's bounds."""

    def buffer(self, frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.script_buffer()")

    def visit_Concat(self, node: nodes.Concat, frame) -> None:
        self.write("environment.script_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class ScriptEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with bounds on what one render may build and how long it may run."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, **options: Any) -> None:
        options.setdefault("optimized", False)  # no constant folding: every operation meets the bounds
        options.setdefault("finalize", _finalize)
        super().__init__(**options)
        for name in ("namespace", "cycler", "joiner", "lipsum"):  # nothing a script needs
            self.globals.pop(name, None)
        self.filters = {name: _guarded_filter(name, function) for name, function in self.filters.items()}
        self.filters["script_loop"] = _loop

    script_buffer = _Buffer

    @staticmethod
    def script_concat(parts: tuple) -> str:
        _check_result_size("'~'", sum(_size(part) for part in parts))
        text = "".join(map(str, parts))
        _spend(len(text))
        return text

    def _generate(self, source, name, filename, defer_init=False):
        problems = structure_problems(source)
        if problems:
            raise SecurityError(problems[0])
        for loop in source.find_all(nodes.For):  # each turn of a loop checks the time and counts
            loop.iter = nodes.Filter(loop.iter, "script_loop", [], [], None, None, lineno=loop.iter.lineno)
        return super()._generate(source, name, filename, defer_init=defer_init)

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        _spend(1)
        if operator == "**" and isinstance(right, int) and abs(right) * _digits(left) > MAX_DIGITS:
            raise SecurityError(f"the power {left!r} ** {right!r} is too large")
        if operator == "*":
            size = _repeat_size(left, right) or _repeat_size(right, left)
            if size > MAX_OUTPUT:
                raise SecurityError(f"repeating a text or list {size:,} long is too much (limit {MAX_OUTPUT:,})")
            if isinstance(left, int) and isinstance(right, int) and _digits(left) + _digits(right) > MAX_DIGITS:
                raise SecurityError("the product is too large")
        if operator == "%" and isinstance(left, str):
            _check_inputs((right,))
            _check_printf(left, right)
            _check_result_size("'%'", len(left) + _size(right))
        if operator == "+":
            _check_result_size("'+'", _size(left) + _size(right))
        return _bounded(super().call_binop(context, operator, left, right), f"the result of '{operator}'")

    def call(__self, __context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - as Jinja's
        _spend(1)
        _check_inputs((*args, *kwargs.values()))
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            _method_check(getattr(__obj, "__name__", ""), owner, args, kwargs)
        return _bounded(super().call(__context, __obj, *args, **kwargs), "the result of a call")

    def getattr(self, obj: Any, attribute: str) -> Any:
        _spend(1)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _spend(1)
        value = super().getitem(obj, argument)
        return _bounded(value, "a slice") if isinstance(argument, slice) else value

    def wrap_str_format(self, value: Any):
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text, is_map = value.__self__, value.__name__ == "format_map"
        formatter = _BoundedFormatter(self)

        @wraps(value)
        def bounded(*args: Any, **kwargs: Any) -> str:
            _spend(1)
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            return formatter.vformat(text, args, kwargs)

        return bounded


@pass_context
def _finalize(context, value: Any) -> Any:
    """Every printed value: refused past MAX_OUTPUT characters before it is turned into text."""
    size = _size(value)
    _spend(size)
    if size > MAX_OUTPUT:
        raise SecurityError(f"a printed value of over {MAX_OUTPUT:,} characters is too large")
    return value


def _loop(items: Any):
    for item in items:
        _spend(1)
        yield item


def _digits(value: Any) -> int:
    return len(str(abs(value))) if isinstance(value, int) and not isinstance(value, bool) else 1


def _repeat_size(sequence: Any, count: Any) -> int:
    if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) and not isinstance(count, bool):
        return _size(sequence) * max(count, 0) if sequence else 0
    return 0


# ---------------------------------------------------------------- the environment

_sources: dict[str, str] = {}  # template name (hash of its source) -> source
_environment: ScriptEnvironment | None = None


def environment() -> ScriptEnvironment:
    """The one script environment: undefined names are errors (a missing one is false in `or`)."""
    global _environment
    if _environment is None:
        _environment = ScriptEnvironment(
            undefined=ScriptUndefined,
            autoescape=False,
            loader=FunctionLoader(_sources.get),
            cache_size=-1,
        )
    return _environment


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


_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join"})


def static_problems(tree: nodes.Template) -> list[str]:
    """What validation can see without rendering: calls, filters and operators whose written-out
    arguments already break a bound ('a'.ljust(10**9), 'x'|center(10**9), 'x' * 10**9, '%*d' % (10**9, 1))."""
    problems: list[str] = []
    for node in tree.find_all((nodes.Call, nodes.Filter, nodes.BinExpr)):
        try:
            if isinstance(node, nodes.Filter) and node.node is not None:
                value, args, kwargs = _const(node.node), [_const(a) for a in node.args], {k.key: _const(k.value) for k in node.kwargs}
                _filter_check(node.name, value if value is not _UNKNOWN else "", tuple(a for a in args if a is not _UNKNOWN), {k: v for k, v in kwargs.items() if v is not _UNKNOWN})
            elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
                owner = _const(node.node.node)
                args = tuple(a for a in map(_const, node.args) if a is not _UNKNOWN)
                if node.node.attr in _WIDTH_METHODS:
                    _method_check(node.node.attr, owner if isinstance(owner, str) else "", args, {})
                elif node.node.attr in ("format", "format_map") and isinstance(owner, str):
                    for _, _, spec, _ in Formatter().parse(owner):
                        match = _FORMAT_SPEC.match(spec or "")
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
                _check_printf(left, ())
            return _UNKNOWN
        return environment().call_binop(None, node.operator, left, right)
    return _UNKNOWN


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


def render(source: str, context: dict[str, Any]) -> str:
    """The script rendered with `context`; refuses what the sandbox refuses, work past MAX_WORK
    or TIME_LIMIT, and output past MAX_OUTPUT."""
    global _work
    try:
        name = hashlib.sha1(source.encode("utf-8")).hexdigest()
        _sources.setdefault(name, source)
        template = environment().get_template(name)
        _work = _Work()
        size = 0
        parts = []
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise CadenceError(f"script output is over {MAX_OUTPUT:,} characters: check its loops")
            _spend(len(chunk))
            parts.append(chunk)
        return "".join(parts).strip()
    except SecurityError as exc:
        raise CadenceError(f"script refused by the sandbox: {exc}") from None
    except RecursionError:
        raise CadenceError(f"script could not be rendered: expressions are nested too deeply (limit {MAX_NESTING})") from None
    except (TemplateError, ArithmeticError, MemoryError, SyntaxError, TypeError, ValueError, LookupError) as exc:
        raise CadenceError(f"script could not be rendered: {exc}") from None
    finally:
        _work = None
