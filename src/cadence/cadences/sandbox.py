"""The sandbox scripts run in when they need Jinja, and its limits.

A cadence file may come from anyone, so its templates run in Jinja's immutable
sandbox (no private attributes, no changing lists or dicts) with limits on top,
so that rendering any script is bounded in memory and time:

- validation (`structure_problems` in cadence.cadences.bounds, `static_problems` in
  cadence.cadences.checks) refuses loops inside loops, recursive loops, macros and
  includes, so a script makes at most one pass over a value; expressions nested more
  than MAX_NESTING deep; and the calls, filters and operators below when their
  arguments are written out and already break a bound; this environment refuses the
  same structure again when it compiles a template;
- at render time every value a script builds (through a call, a filter, an
  operator, `~`, slicing or a `{% set %}` block) may hold at most MAX_OUTPUT
  characters, counting what is inside lists; widths and padding (`ljust`,
  `center`, `zfill`, `expandtabs`, `indent`, `wordwrap`, `format`, `%`,
  `str.format`, `slice`, `batch`) are refused past MAX_WIDTH, and `replace`,
  `join`, `*` and `%` are refused before they build too much (the checks are in
  cadence.cadences.bounds; here is where every call, filter and operator meets them);
- all that a script builds adds up to at most MAX_WORK characters, and a
  render stops after TIME_LIMIT seconds (checked at every call, filter,
  operator, attribute and loop turn);
- the output stops once it has MAX_OUTPUT characters.

Compiled templates are not kept on disk: loading compiled code from a folder
is running it. Most scripts only put values into text: cadence.cadences.scripts renders
those without Jinja, from the plain form of cadence.cadences.plainform.
"""

from __future__ import annotations

import hashlib
import time
from functools import wraps
from typing import Any

from jinja2 import FunctionLoader, StrictUndefined, TemplateError, nodes, pass_context
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter, SecurityError

from cadence.errors import CadenceError
from cadence.cadences.bounds import (
    FORMAT_SPEC,
    MAX_DIGITS,
    MAX_NESTING,
    MAX_WIDTH,
    MAX_WORK,
    TIME_LIMIT,
    check_inputs,
    check_printf,
    check_result_size,
    filter_check,
    method_check,
    structure_problems,
    text_size,
)
from cadence.cadences.limits import MAX_OUTPUT


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


def _bounded(value: Any, what: str = "a value") -> Any:
    """`value`, when it is at most MAX_OUTPUT characters; a lazy sequence is counted as it is read."""
    if hasattr(value, "__next__") and not isinstance(value, (str, bytes)):
        return _counted(value)
    size = text_size(value)
    _spend(size)
    if size > MAX_OUTPUT:
        raise SecurityError(f"{what} of over {MAX_OUTPUT:,} characters is too large")
    return value


def _counted(iterator):
    total = 0
    for item in iterator:
        size = text_size(item) + 2
        total += size
        _spend(size)
        if total > MAX_OUTPUT:
            raise SecurityError(f"a sequence of over {MAX_OUTPUT:,} characters is too large")
        yield item


def _guarded_filter(name: str, function):
    skip = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

    @wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _spend(1)
        own = args[skip:]
        check_inputs((*own, *kwargs.values()))
        if own:
            filter_check(name, own[0], own[1:], kwargs)
        return _bounded(function(*args, **kwargs), f"the result of '{name}'")

    return guarded


class _BoundedFormatter(SandboxedFormatter):
    """str.format in the sandbox, with widths and the total size bounded."""

    def vformat(self, format_string, args, kwargs):
        self._built = len(format_string)
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        match = FORMAT_SPEC.match(format_spec)
        for number in match.groups() if match else ():
            if number and int(number) > MAX_WIDTH:
                raise SecurityError(f"a format width of {number} is too large (limit {MAX_WIDTH})")
        self._built += text_size(value)
        check_result_size("'format'", self._built)
        text = super().format_field(value, format_spec)
        self._built += len(text)
        _spend(len(text))
        check_result_size("'format'", self._built)
        return text


class _Buffer(list):
    """The output of a {% set %} or {% filter %} block, bounded like the script's output."""

    size = 0

    def append(self, item: Any) -> None:
        self.size += len(item)
        _spend(len(item))
        check_result_size("a block", self.size)
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
        check_result_size("'~'", sum(text_size(part) for part in parts))
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
            check_inputs((right,))
            check_printf(left, right)
            check_result_size("'%'", len(left) + text_size(right))
        if operator == "+":
            check_result_size("'+'", text_size(left) + text_size(right))
        return _bounded(super().call_binop(context, operator, left, right), f"the result of '{operator}'")

    def call(__self, __context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - as Jinja's
        _spend(1)
        check_inputs((*args, *kwargs.values()))
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            method_check(getattr(__obj, "__name__", ""), owner, args, kwargs)
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
    size = text_size(value)
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
        return text_size(sequence) * max(count, 0) if sequence else 0
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
