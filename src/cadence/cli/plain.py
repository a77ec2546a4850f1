"""Text and flag parameters read without pydantic, so light commands start fast.

Typer converts every parameter value through a pydantic TypeAdapter, built the
first time the parameter is read, even when it was not given (`--help` too).
Importing pydantic for that costs about 90 ms: more than all of `cadence
cadences list`. Text needs no conversion and a flag is already True or False,
so text and flag parameters get a converter of their own; parameters of any
other type keep Typer's. With a Typer that does not use pydantic this does nothing.
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


def use_plain_text(command: Any) -> None:
    """Give every text and flag parameter of `command` and its subcommands the plain converter."""
    if RuntimeParam is None:
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
    for sub in getattr(command, "commands", {}).values():
        use_plain_text(sub)


def _parameters(command: Any) -> list[Any]:
    """The command's parameters with its --help option, which Typer otherwise makes while parsing."""
    params = list(getattr(command, "params", ()))
    try:
        from typer import Context

        help_option = command.get_help_option(Context(command))
    except Exception:  # noqa: BLE001 - only a speed-up: a Typer that works otherwise keeps its own
        help_option = None
    return params + [help_option] if help_option is not None else params
