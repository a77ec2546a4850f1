"""The typer app: global options, one error handler, and the command groups.

Only typer is imported at start-up; each command imports what it needs. A run
builds only the command it runs (Typer reads the signature of every command
it is given, which for all of them costs more than some whole commands); `app`
and `--help` have them all.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Optional, Sequence

import typer
from typer.core import TyperGroup

from cadence.cli.plain import HELP_NAMES
from cadence.errors import CadenceError
from cadence.views.terminal import visible


class CadenceGroup(TyperGroup):
    """Prints a CadenceError (or a database failure) as one line on stderr and exits 1."""

    def main(self, *args, **kwargs):
        from cadence.cli.plain import use_plain_text

        use_plain_text(self)  # text options without pydantic: see cadence.cli.plain
        return super().main(*args, **kwargs)

    def format_commands(self, ctx, formatter) -> None:
        """Each command with the whole first sentence of its help, wrapped: never cut off with '...'."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CadenceError as exc:
            typer.echo(f"error: {visible(_without_secrets(str(exc), ctx))}", err=True)
            raise typer.Exit(1) from None
        except Exception as exc:  # noqa: BLE001 - only database failures are turned into a line
            if not type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
                raise
            typer.echo(f"error: {_without_secrets(_database_failure(exc, ctx), ctx)}", err=True)
            raise typer.Exit(1) from None


def _without_secrets(message: str, ctx) -> str:
    """The message with any password of the database URL (--db or CADENCE_DB) taken out."""
    import os

    from cadence.store.address import hide_secrets

    option = (ctx.obj or {}).get("db") if isinstance(ctx.obj, dict) else None
    for raw in (option, os.environ.get("CADENCE_DB")):
        if raw:
            message = hide_secrets(message, raw)
    return message


def _database_failure(exc: Exception, ctx) -> str:
    """One line for a database error met while a command ran (opening the database has its own)."""
    text = str(getattr(exc, "orig", exc)).strip()
    message = text.splitlines()[0] if text else type(exc).__name__
    try:
        from pathlib import Path

        from cadence.store.address import parse_url, resolve_url, sqlite_error

        url = parse_url(resolve_url((ctx.obj or {}).get("db")))
        if url.get_backend_name() == "sqlite" and url.database:
            return str(sqlite_error(message, Path(url.database)))
    except CadenceError:
        pass
    if "lock timeout" in message:  # PostgreSQL: another rep's transaction held the same prospect
        from cadence.store.address import busy_timeout

        return (
            f"another cadence kept the same prospect busy for {busy_timeout():g} s: "
            "try again, or wait longer with CADENCE_BUSY_TIMEOUT=SECONDS"
        )
    if "permission denied" in message:  # a team database whose role may not write
        message += ": ask whoever runs the database for the grants in docs/team.md"
    return f"database: {message}"


# The module of each top-level command, so `cadence log ...` builds `log` alone.
# A test checks this against the commands the modules register.
COMMANDS = {
    "add": "daily", "import": "daily", "today": "daily", "log": "daily", "undo": "daily", "show": "daily",
    "stats": "insight", "report": "insight", "export": "insight", "email": "insight", "calendar": "insight",
    "work": "working", "pause": "working", "resume": "working", "snooze": "working", "enroll": "working",
    "away": "working", "lingering": "working",
    "assign": "team",
    "sync": "inbox",
    "list": "cleaning", "edit": "cleaning", "merge": "cleaning", "remove": "cleaning", "forget": "cleaning",
    "cadences": "cadences_cmd",
    "me": "me",
}
GROUPS = {"cadences_cmd": "cadences", "me": "me"}  # modules with a Typer group of their own, and its name
MODULES = tuple(dict.fromkeys(COMMANDS.values()))  # in the order --help lists them


def version() -> str:
    """`cadence X.Y.Z`, from the installed distribution's metadata."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return f"cadence {installed('prospect-cadence')}"
    except PackageNotFoundError:  # run from a source tree that was never installed
        from cadence import __version__

        return f"cadence {__version__}"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version())
        raise typer.Exit()


def _options(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(
        None,
        "--db",
        metavar="PATH_OR_URL",
        help="Database file or SQLAlchemy URL (default: $CADENCE_DB, else cadence.db in your data folder).",
    ),
    show_version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = {"db": db}


def build(modules: Sequence[str] = MODULES) -> typer.Typer:
    """The app with the commands of these modules of cadence.cli."""
    built = typer.Typer(
        cls=CadenceGroup,
        help="Who to call today, what to say, and when to fire: a prospect cadence tracker.",
        no_args_is_help=True,
        context_settings={"help_option_names": HELP_NAMES},
        # --install-completion / --show-completion; a completing shell runs `cadence` with
        # _CADENCE_COMPLETE set and no command, which builds every command, as --help does.
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain help: rich's help formatter alone takes longer than --help may
    )
    built.callback()(_options)
    for name in modules:
        module = import_module(f"cadence.cli.{name}")
        if name in GROUPS:
            built.add_typer(module.app, name=GROUPS[name])
        else:
            module.register(built)
    return built


def command_of(args: Sequence[str]) -> str | None:
    """The top-level command these arguments run, or None (help, no command, an unknown one)."""
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word == "--db":
            rest = rest[1:]
        elif word.startswith("--db="):
            continue
        elif word.startswith("-"):
            return None
        else:
            return word if word in COMMANDS else None
    return None


def __getattr__(name: str):
    if name == "app":  # the whole app, built on first use (tests, documentation)
        globals()["app"] = build()
        return globals()["app"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The console script."""
    if sys.argv[1:] == ["--version"]:  # answered before any command is built
        typer.echo(version())
        return
    command = command_of(sys.argv[1:])
    # Named `cadence` however it was started (python -m cadence too): usage lines and the
    # completion variable (_CADENCE_COMPLETE) the shell scripts use.
    build([COMMANDS[command]] if command else MODULES)(prog_name="cadence")
