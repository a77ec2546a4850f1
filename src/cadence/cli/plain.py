"""Text and flag parameters read without pydantic, so light commands start fast.

Typer converts every parameter value through a pydantic TypeAdapter, built the
first time the parameter is read, even when it was not given (`--help` too).
Importing pydantic for that costs about 90 ms: more than all of `cadence
cadences list`. Text needs no conversion and a flag is already True or False,
so text and flag parameters get a converter of their own; parameters of any
other type keep Typer's, built only once a value is given (`Deferred`). With a
Typer that does not use pydantic this does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

try:
    from typer._coercion import RuntimeParam
except ImportError:  # a Typer without per-parameter converters
    RuntimeParam = None


TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSE = frozenset({"0", "false", "f", "no", "n", "off"})

if RuntimeParam is not None:

    @dataclass(frozen=True)
    class Plain(RuntimeParam):
        """Text as typed, or a flag's True/False: what Typer's own adapters return, without building one."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            if self.annotation is str:
                return value if isinstance(value, str) else str(value)
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in TRUE or text in FALSE:
                return text in TRUE
            from typer import BadParameter

            raise BadParameter(f"{value!r} is not a valid boolean", ctx=ctx, param=param)

    @dataclass(frozen=True)
    class Deferred(RuntimeParam):
        """Typer's own converter, built only when a value is there to convert: an option left out
        (None, as `today` leaves --max-calls) is answered by RuntimeParam.coerce without it, so
        pydantic is not imported for it. A value given is converted, and refused, exactly as Typer does."""

        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            from typer._coercion import build_runtime_param

            return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)


HELP_NAMES = ["-h", "--help"]  # every command's help option (the context settings of the app)
# Metavars for options Typer would show as <str>, <int>, <float>.
METAVARS = {str: "TEXT", int: "N", float: "NUMBER"}


def use_plain_text(command: Any) -> None:
    """Give every text and flag parameter of `command` and its subcommands the plain converter and a plain metavar."""
    for param in _parameters(command):
        _plain_metavar(param)
    if RuntimeParam is None:
        for sub in getattr(command, "commands", {}).values():
            use_plain_text(sub)
        return
    for param in _parameters(command):
        descriptor = getattr(param, "type_descriptor", None)
        if (
            descriptor is not None
            and getattr(param, "_runtime_param", False) is None
            and descriptor.annotation in (str, bool)
            and descriptor.parameter_info.parser is None
            and descriptor.file_annotation is None
            and not descriptor.is_path
            and param.nargs == 1
            and not param.multiple
        ):
            param._runtime_param = Plain(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
        elif descriptor is not None and getattr(param, "_runtime_param", False) is None and descriptor.file_annotation is None:
            param._runtime_param = Deferred(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation, descriptor=descriptor)
    for sub in getattr(command, "commands", {}).values():
        use_plain_text(sub)


def _plain_metavar(param: Any) -> None:
    """PROSPECT for an argument, TEXT or N for an option's value: not Typer's {prospect} and <str>."""
    if getattr(param, "param_type_name", "") == "argument":
        name = param.metavar or (param.name or "value").upper()
        param.metavar = name
        shown = name if param.required else f"[{name}]"
        shown += "..." if param.nargs != 1 else ""
        param._usage_display_name = lambda: shown  # instead of {name}
        param.display_type_rich = lambda ctx: None  # instead of <str> after the name
        return
    if param.metavar is None and not getattr(param, "is_flag", False) and not getattr(param, "count", False):
        descriptor = getattr(param, "type_descriptor", None)
        annotation = getattr(descriptor, "annotation", None)
        if getattr(descriptor, "is_path", False):
            param.metavar = "PATH"
        elif annotation in METAVARS and not getattr(descriptor, "is_choice", False):
            param.metavar = METAVARS[annotation]


def _parameters(command: Any) -> list[Any]:
    """The command's parameters with its --help option, which Typer otherwise makes while parsing."""
    params = list(getattr(command, "params", ()))
    try:
        from typer import Context

        help_option = command.get_help_option(Context(command, help_option_names=HELP_NAMES))
    except Exception:  # noqa: BLE001 - only a speed-up: a Typer that works otherwise keeps its own
        help_option = None
    return params + [help_option] if help_option is not None else params
