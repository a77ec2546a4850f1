"""`cadence cadences`: list, show and validate cadence files."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from cadence.cli.common import print_json

app = typer.Typer(help="List, show and validate cadences.", no_args_is_help=False)
JSON = typer.Option(False, "--json", help="Print JSON only.")


def _library():
    from cadence.cadences import Library

    return Library()


@app.callback(invoke_without_command=True)
def _default(ctx: typer.Context) -> None:
    """List, show and validate cadences (no subcommand: list)."""
    if ctx.invoked_subcommand is None:
        list_cadences(json_out=False)


@app.command("list")
def list_cadences(json_out: bool = JSON) -> None:
    """Every cadence on the search path: $CADENCE_CADENCES, your config folder, the built-ins."""
    from cadence import output
    from cadence.cadences import Problem

    entries = _library().all()
    if json_out:
        print_json([
            {"name": c.name, "title": c.title, "description": c.description, "days": c.days, "holidays": c.holidays,
             "steps": len(c.steps), "builtin": c.builtin, "path": str(c.path)}
            if not isinstance(c, Problem) else {"name": Path(c.path).stem, "error": str(c), "path": c.path}
            for c in entries
        ])
    else:
        output.cadence_list(entries)


@app.command("show")
def show(name: str = typer.Argument(..., help="Cadence name, e.g. five-touch-fire."), json_out: bool = JSON) -> None:
    """One cadence's steps, day by day, with their scripts."""
    from cadence import output

    cadence = _library().get(name)
    if json_out:
        print_json(cadence_json(cadence))
    else:
        output.cadence_detail(cadence)


def cadence_json(cadence) -> dict:
    """The cadence as the JSON shape of `cadences show`."""
    return {
        "name": cadence.name,
        "title": cadence.title,
        "description": cadence.description,
        "days": cadence.days,
        "holidays": cadence.holidays,
        "recycle_after": cadence.recycle_text,
        "builtin": cadence.builtin,
        "path": str(cadence.path),
        "steps": [
            {
                "step": s.number,
                "day": s.day,
                "type": s.type,
                "channel": s.fire_channel or s.channel,
                "script": s.script,
                "voicemail": s.voicemail,
                "subject": s.subject,
                "body": s.body,
            }
            for s in cadence.steps
        ],
    }


@app.command("validate")
def validate(files: Optional[List[Path]] = typer.Argument(None, help="Cadence files (default: every cadence on the search path).")) -> None:
    """Check cadence files; prints each problem as file:line: message and exits 1 if any."""
    from cadence.cadences import search_path, validate_file, _files

    targets = [(f, False) for f in files] if files else [(f, b) for folder, b in search_path() for f in _files(folder)]
    failed = False
    for path, builtin in targets:
        cadence, problems = validate_file(path, builtin=builtin)
        for problem in problems:
            typer.echo(str(problem), err=True)
        if problems or cadence is None:
            failed = True
        else:
            typer.echo(f"ok: {path} ({cadence.name}, {len(cadence.steps)} steps)")
    if failed:
        raise typer.Exit(1)
