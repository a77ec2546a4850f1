"""Working as a team on one database: who owns which prospect."""

from __future__ import annotations

from typing import Optional

import typer

from cadence.cli.common import AT, DATE, JSON, moment, pipeline, print_json
from cadence.views.terminal import visible


def assign(
    ctx: typer.Context,
    prospect: str = typer.Argument(..., help="Id, email, phone or a unique part of the name."),
    rep: str = typer.Argument(..., help="The rep who takes the prospect over (their CADENCE_USER name)."),
    at: Optional[str] = AT,
    date: Optional[str] = DATE,
    json_out: bool = JSON,
) -> None:
    """Give a prospect to another rep: it leaves your list and joins theirs, history and step unchanged."""
    pipe = pipeline(ctx)
    result = pipe.assign(prospect, rep, moment(pipe, at, date))
    if json_out:
        print_json(result)
    else:
        before = f" (was {result['previous_owner']})" if result["previous_owner"] else ""
        typer.echo(f"#{result['prospect_id']} {visible(result['name'])} now belongs to {visible(result['owner'])}{before}.")


def register(app: typer.Typer) -> None:
    app.command()(assign)
