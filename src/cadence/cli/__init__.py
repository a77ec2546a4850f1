"""The typer app: global options, one error handler, and the command groups.

Only typer is imported at start-up; each command imports what it needs.
"""

from __future__ import annotations

from typing import Optional

import typer
from typer.core import TyperGroup

from cadence.errors import CadenceError


class CadenceGroup(TyperGroup):
    """Prints a CadenceError (or a database failure) as one line on stderr and exits 1."""

    def main(self, *args, **kwargs):
        from cadence.cli.plain import use_plain_text

        use_plain_text(self)  # text options without pydantic: see cadence.cli.plain
        return super().main(*args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CadenceError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        except Exception as exc:  # noqa: BLE001 - only database failures are turned into a line
            if not type(exc).__module__.startswith(("sqlalchemy", "sqlite3")):
                raise
            typer.echo(f"error: {_database_failure(exc, ctx)}", err=True)
            raise typer.Exit(1) from None


def _database_failure(exc: Exception, ctx) -> str:
    """One line for a database error met while a command ran (opening the database has its own)."""
    text = str(getattr(exc, "orig", exc)).strip()
    message = text.splitlines()[0] if text else type(exc).__name__
    try:
        from pathlib import Path

        from cadence.store.db import parse_url, resolve_url, sqlite_error

        url = parse_url(resolve_url((ctx.obj or {}).get("db")))
        if url.get_backend_name() == "sqlite" and url.database:
            return str(sqlite_error(message, Path(url.database)))
    except CadenceError:
        pass
    if "lock timeout" in message:  # PostgreSQL: another rep's transaction held the same prospect
        from cadence.store.db import busy_timeout

        return (
            f"another cadence kept the same prospect busy for {busy_timeout():g} s: "
            "try again, or wait longer with CADENCE_BUSY_TIMEOUT=SECONDS"
        )
    if "permission denied" in message:  # a team database whose role may not write
        message += ": ask whoever runs the database for the grants in docs/team.md"
    return f"database: {message}"


app = typer.Typer(
    cls=CadenceGroup,
    help="Who to call today, what to say, and when to fire: a prospect cadence tracker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's help formatter alone takes longer than --help may
)


@app.callback()
def _options(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(
        None,
        "--db",
        metavar="PATH_OR_URL",
        help="Database file or SQLAlchemy URL (default: $CADENCE_DB, else cadence.db in your data folder).",
    ),
) -> None:
    ctx.obj = {"db": db}


from cadence.cli import cadences_cmd, daily, me, working  # noqa: E402  (registers commands)

daily.register(app)
from cadence.cli import insight; insight.register(app)  # noqa: E402,E702
working.register(app)
from cadence.cli import team; team.register(app)  # noqa: E402,E702
app.add_typer(cadences_cmd.app, name="cadences")
app.add_typer(me.app, name="me")


def main() -> None:
    """The console script."""
    app()
