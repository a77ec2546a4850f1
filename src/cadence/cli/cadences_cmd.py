"""`cadence cadences`: list, show, validate, preview, migrate, import, export and start cadence files."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from cadence.cli.common import JSON, clock, parse_date, pipeline, print_json
from cadence.errors import CadenceError
from cadence.views.text import plural

app = typer.Typer(help="List, show, validate, preview and convert cadences.", no_args_is_help=False, rich_markup_mode=None)


def _library():
    from cadence.cadences.library import Library

    return Library()


@app.callback(invoke_without_command=True)
def _default(ctx: typer.Context) -> None:
    """List, show and validate cadences (no subcommand: list)."""
    if ctx.invoked_subcommand is None:
        list_cadences(json_out=False)


@app.command("list")
def list_cadences(json_out: bool = JSON) -> None:
    """Every cadence on the search path: $CADENCE_CADENCES, your config folder, the built-ins."""
    from cadence.cadences.model import Problem

    entries = _library().all()
    if json_out:
        print_json([
            {"name": c.name, "title": c.title, "description": c.description, "days": c.days, "holidays": c.holidays,
             "steps": len(c.steps), "builtin": c.builtin, "path": str(c.path)}
            if not isinstance(c, Problem) else {"name": Path(c.path).stem, "error": str(c), "path": c.path}
            for c in entries
        ])
    else:
        from cadence.views import daily as output  # rich, only for people

        output.cadence_list(entries)


@app.command("show")
def show(name: str = typer.Argument(..., help="Cadence name, e.g. five-touch-fire."), json_out: bool = JSON) -> None:
    """One cadence's steps, day by day, with their scripts."""
    from cadence.views import daily as output

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
        "holiday_dates": [d.isoformat() for d in cadence.holiday_dates],
        "weekdays": list(cadence.weekdays),
        "recycle_after": cadence.recycle_text,
        "builtin": cadence.builtin,
        "path": str(cadence.path),
        "steps": [
            {
                "step": s.number,
                "day": s.day,
                "type": s.type,
                "channel": s.fire_channel or s.channel,
                "id": s.id,
                "title": s.title,
                "script": s.script,
                "voicemail": s.voicemail,
                "subject": s.subject,
                "body": s.body,
                "instructions": s.instructions,
                **({"variants": [v.to_json() for v in s.variants]} if s.variants else {}),
            }
            for s in cadence.steps
        ],
    }


@app.command("validate")
def validate(
    ctx: typer.Context,
    files: Optional[List[Path]] = typer.Argument(None, help="Cadence files (default: every cadence on the search path)."),
) -> None:
    """Check cadence files; prints each problem as file:line: message and exits 1 if any.

    With no files, also warns about cadences that prospects follow but whose file is gone.
    """
    from cadence.cadences.library import cadence_files, search_path, validate_file

    targets = [(f, False) for f in files] if files else [(f, b) for folder, b in search_path() for f in cadence_files(folder)]
    failed = False
    for path, builtin in targets:
        cadence, problems = validate_file(path, builtin=builtin)
        for problem in problems:
            typer.echo(str(problem), err=True)
        if problems or cadence is None:
            failed = True
        else:
            typer.echo(f"ok: {path} ({cadence.name}, {plural(len(cadence.steps), 'step')})")
    if not files:
        _warn_orphans(ctx)
    if failed:
        raise typer.Exit(1)


def _warn_orphans(ctx: typer.Context) -> None:
    """Warn (on stderr) about cadences with prospects in play but no file; skipped when there is no database yet."""
    from cadence.store.address import resolve_url
    from cadence.pipeline.versions import orphans

    root = ctx.find_root()
    url = resolve_url((root.obj or {}).get("db") if isinstance(root.obj, dict) else None)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return
    try:
        missing = orphans(pipeline(ctx))
    except CadenceError as exc:
        typer.echo(f"warning: could not check which cadences your prospects follow: {exc}", err=True)
        return
    for name, count, stored in missing:
        people = f"{count} prospect{'s' if count != 1 else ''}"
        if stored == count:
            fate = "they follow the copy stored when they were enrolled"
        else:
            fate = f"{count - stored} of them have no stored copy and are left off the list"
        typer.echo(
            f"warning: cadence {name!r} has no file on the search path but {people} in it: {fate}; "
            f"put {name}.yaml back, or move them with `cadence enroll ID --cadence OTHER --force`",
            err=True,
        )


# ---------------------------------------------------------------- preview


@app.command("preview")
def preview(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Cadence name, e.g. five-touch-fire."),
    start: Optional[str] = typer.Option(None, "--start", metavar="DATE", help="Day of step 1 (YYYY-MM-DD; default today)."),
    prospect: Optional[str] = typer.Option(None, "--prospect", metavar="PROSPECT", help="Render the scripts for this prospect (id, email, phone or name) instead of a sample one."),
    outcomes: Optional[str] = typer.Option(None, "--outcomes", metavar="LIST", help="Simulate a run: one outcome per step, comma-separated (e.g. vm,na,sent,conn)."),
    json_out: bool = JSON,
) -> None:
    """The dates a cadence produces from a start day (weekends, holidays and days off skipped), with each script."""
    from cadence.pipeline import preview as previews

    pipe = pipeline(ctx)
    given = previews.parse_outcomes(outcomes) if outcomes is not None else None
    first = parse_date(start, "--start") or pipe.profile.local_day(clock(None))
    result = previews.preview(pipe, name, first, prospect=prospect, outcomes=given)
    ending = f"ends: {result.ending()}"
    if result.unused_outcomes:
        typer.echo(f"warning: {result.unused_outcomes} of the outcomes were not used: the run ended before them", err=True)
    if json_out:
        print_json([step.to_json() for step in result.steps])
        typer.echo(ending, err=True)
        return
    _print_preview(result, pipe.calendar_for(result.cadence))
    typer.echo(ending[0].upper() + ending[1:] + ".")


def _print_preview(result, calendar) -> None:
    from cadence.views.daily import TYPE_LABEL
    from cadence.pipeline.preview import weekday

    cadence = result.cadence
    if calendar.business:
        days = "working days " + ", ".join(weekday(_monday_plus(d)) for d in sorted(calendar.weekdays))
        days += f"; public holidays of {calendar.country}" if calendar.country else "; no public holidays"
        days += f"; {plural(len(calendar.days_off), 'day')} off" if calendar.days_off else ""
    else:
        days = "calendar days"
    who = f"{result.prospect} (a sample prospect)" if result.sample else result.prospect
    typer.echo(f"{cadence.name}: {cadence.title}")
    typer.echo(f"Starting {weekday(result.start)} {result.start.isoformat()} for {who}; {days}.")
    for step in result.steps:
        typer.echo("")
        label = TYPE_LABEL.get(step.type, step.type) + (f" by {step.channel}" if step.type == "fire" else "")
        line = f"Step {step.step} of {len(cadence.steps)} · {weekday(step.date)} {step.date.isoformat()} · day {step.day} · {label}"
        if step.outcome:
            line += f" · logged {step.outcome}: {step.status_after}"
        typer.echo(line)
        for heading, text in (("Task", step.title if step.type == "task" else None), ("Subject", None if step.variants else step.subject)):
            if text:
                typer.echo(f"  {heading}: {text}")
        label = "Fire message" if step.type == "fire" else {"email": "Email", "task": "How"}.get(step.channel, "Say")
        for variant in step.variants or ():
            typer.echo(f"  Variant {variant['id']}:" + (f" subject: {variant['subject']}" if variant.get("subject") else ""))
            typer.echo(_indent(variant.get("script") or ""))
        if step.script and not step.variants:
            typer.echo(f"  {label}:")
            typer.echo(_indent(step.script))
        if step.voicemail:
            typer.echo("  If not reached, leave:")
            typer.echo(_indent(step.voicemail))
    typer.echo("")


def _monday_plus(days: int):
    from datetime import date, timedelta

    return date(2024, 1, 1) + timedelta(days=days)  # 2024-01-01 was a Monday


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


# ---------------------------------------------------------------- versions


@app.command("migrate")
def migrate(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Cadence whose prospects move to its file as it is now."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show each move without making it."),
    force: bool = typer.Option(False, "--force", help="Also move prospects who would repeat steps they have done."),
    json_out: bool = JSON,
) -> None:
    """Move prospects from the version of a cadence they started on to its current file.

    Steps are matched by `id`, else by day and type, else by position (see
    docs/cadence-format.md). A move that would repeat steps already done is
    refused (nothing is moved) unless --force.
    """
    from cadence.pipeline.versions import migrate as run

    result = run(pipeline(ctx), name, clock(None), dry_run=dry_run, force=force)
    if json_out:
        print_json([move.to_json() for move in result.moves])
    else:
        for move in result.moves:
            typer.echo(_move_line(move, force))
        if not result.moves:
            typer.echo(f"Everyone in {name} already follows its current file.")
        elif dry_run:
            typer.echo(f"Dry run: {len(result.moves)} to move, nothing changed.")
        elif result.applied:
            typer.echo(f"Moved {len(result.moves)} to the current {name} (version {result.version}).")
    if result.refused and not dry_run and not force:
        count = len(result.refused)
        raise CadenceError(
            f"{count} prospect{'s' if count != 1 else ''} would repeat steps already done "
            f"(#{', #'.join(str(m.prospect_id) for m in result.refused)}), so nothing was moved: "
            "give the steps ids that match, or add --force to move them anyway"
        )


def _move_line(move, force: bool) -> str:
    def where(step, steps, kind):
        return f"step {step} of {steps} ({kind})" if step else "no step"

    line = (
        f"#{move.prospect_id} {move.name} ({move.status}): {where(move.step_now, move.steps_now, move.type_now)}"
        f" -> {where(move.step_after, move.steps_after, move.type_after)}"
    )
    if move.due_now != move.due_after:
        line += f", due {move.due_now.isoformat() if move.due_now else '-'} -> {move.due_after.isoformat() if move.due_after else '-'}"
    if move.skips:
        line += f"; skips new step{'s' if len(move.skips) > 1 else ''} {', '.join(map(str, move.skips))}"
    if move.refused:
        line += f"; {'forced' if force else 'REFUSED'}: {move.refused}"
    return line


# ---------------------------------------------------------------- files


@app.command("new")
def new(
    name: str = typer.Argument(..., help="Name of the new cadence (lower case, digits, - or _)."),
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR", help="Folder to write into (default: your cadence folder)."),
) -> None:
    """Write a commented starter cadence file into your cadence folder; never overwrites."""
    from cadence.cadences.library import Library, user_folder
    from cadence.cadences.starter import write_new

    shadowed = Library().locate().get(name)
    target = write_new(name, out or user_folder())
    typer.echo(f"wrote {target}")
    _after_writing([(name, target)], shadowed={name: shadowed} if shadowed else {})


def _after_writing(written: list, shadowed: dict) -> None:
    """Say where a written cadence stands on the search path (stderr)."""
    from cadence.cadences.library import Library

    located = Library().locate()
    for name, target in written:
        found = located.get(name)
        if found is None or found[0].resolve() != target.resolve():
            typer.echo(
                f"note: {target.parent} is not searched before other cadence files named {name!r}; "
                "add it to CADENCE_CADENCES to use this file by name",
                err=True,
            )
        elif name in shadowed and shadowed[name][0].resolve() != target.resolve():
            what = "the built-in" if shadowed[name][1] else str(shadowed[name][0])
            typer.echo(f"note: {name} now takes the place of {what}", err=True)


@app.command("import")
def import_cadenceml(
    file: Path = typer.Argument(..., help="A CadenceML file (.yml): cadence names with eligible_days, holiday_region and cadence."),
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR", help="Folder to write into (default: your cadence folder)."),
    force: bool = typer.Option(False, "--force", help="Overwrite cadence files of the same names."),
    json_out: bool = JSON,
) -> None:
    """Convert a CadenceML file into cadence files, one per cadence; prints what could not be mapped."""
    from cadence.cadences.cadenceml import import_file
    from cadence.cadences.library import Library, user_folder

    before = Library().locate()
    written, not_mapped = import_file(file, out or user_folder(), force=force)
    if json_out:
        print_json({
            "cadences": [{"name": c.name, "from": c.source_name, "path": str(path), "steps": c.steps} for c, path in written],
            "not_mapped": not_mapped,
        })
    else:
        for converted, path in written:
            origin = f" (from {converted.source_name!r})" if converted.source_name != converted.name else ""
            typer.echo(f"wrote {path}: {converted.name}{origin}, {plural(converted.steps, 'step')}")
        if not_mapped:
            typer.echo("Not mapped:")
            for line in not_mapped:
                typer.echo(f"  {line}")
    _after_writing([(c.name, path) for c, path in written], {k: v for k, v in before.items() if k in {c.name for c, _ in written}})


@app.command("export")
def export(
    name: str = typer.Argument(..., help="Cadence name, e.g. five-touch-fire."),
    format: str = typer.Option("cadenceml", "--format", help="cadenceml, or native (the cadence file itself)."),
    out: Optional[Path] = typer.Option(None, "--out", metavar="FILE", help="Write to this file instead of printing."),
    force: bool = typer.Option(False, "--force", help="Overwrite --out if it exists."),
) -> None:
    """Print a cadence as CadenceML (or as its own file); what CadenceML cannot hold is listed on stderr."""
    from cadence.cadences.cadenceml import export as to_cadenceml

    cadence = _library().get(name)
    if format == "cadenceml":
        text, not_mapped = to_cadenceml(cadence)
    elif format == "native":
        text, not_mapped = cadence.path.read_text(encoding="utf-8"), []
    else:
        raise CadenceError(f"unknown --format {format!r}: use cadenceml or native")
    for line in not_mapped:
        typer.echo(f"not exported: {line}", err=True)
    if out is None:
        typer.echo(text, nl=False)
        return
    if out.exists() and not force:
        raise CadenceError(f"{out} already exists: choose another --out file or add --force")
    from cadence.files import write_private

    try:
        write_private(out, text, exclusive=False)
    except OSError as exc:
        raise CadenceError(f"cannot write {out}: {exc.strerror}") from None
    typer.echo(f"wrote {out}", err=True)
