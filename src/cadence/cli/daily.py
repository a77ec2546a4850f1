"""The daily loop: add, import, today, log, undo, show."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cadence.cli.common import AT, DATE, JSON, Start, clock, moment, parse_date, parse_owners, pipeline, print_json, scoped, starting, the_day
from cadence.views.terminal import visible


@starting
def add(
    ctx: typer.Context,
    first: str = typer.Option("", "--first", help="First name."),
    last: str = typer.Option("", "--last", help="Last name."),
    company: str = typer.Option("", "--company", help="Company."),
    title: str = typer.Option("", "--title", help="Job title."),
    phone: str = typer.Option("", "--phone", help="Phone; stored as E.164 when it can be read."),
    email: str = typer.Option("", "--email", help="Email address."),
    tz: str = typer.Option("", "--timezone", help="IANA time zone, e.g. America/Chicago."),
    cadence: Optional[str] = typer.Option(None, "--cadence", help="Cadence to enroll in (default: profile default_cadence, else five-touch-fire)."),
    no_enroll: bool = typer.Option(False, "--no-enroll", help="Add without a cadence."),
    json_out: bool = JSON,
    when: Start = None,
) -> None:
    """Add one prospect and enroll them; prints the new id."""
    from cadence.pipeline.core import NewProspect

    pipe = pipeline(ctx)
    person = NewProspect(first_name=first, last_name=last, company=company, title=title, phone=phone, email=email, timezone=tz)
    row = pipe.add(person, when.instant, cadence=cadence, start=when.day, enroll=not no_enroll)
    if json_out:
        print_json({"id": row.id, "status": row.status, "cadence": row.cadence, "next_due": row.due_on.isoformat() if row.due_on else None})
    else:
        typer.echo(row.id)


def import_leads(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV file exported from a CRM or a spreadsheet."),
    cadence: Optional[str] = typer.Option(None, "--cadence", help="Cadence for new people (default: profile default_cadence, else five-touch-fire)."),
    start: Optional[str] = typer.Option(None, "--start", metavar="DATE", help="Day of step 1 for new people (default today)."),
    enroll: bool = typer.Option(True, "--enroll/--no-enroll", help="Enroll new people in the cadence."),
    maps: list[str] = typer.Option([], "--map", metavar="'HEADER=FIELD'", help="Read column HEADER as FIELD: first_name, last_name, name, email, phone, company, title, timezone, owner, source, tags, do_not_contact, fields.NAME or ignore. Repeatable."),
    show_mapping: bool = typer.Option(False, "--show-mapping", help="Print how each column is read and the first rows as they would be stored; write nothing."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="The file's encoding, e.g. cp1252 (default: detected among UTF-8, UTF-16, Windows-1252)."),
    delimiter: Optional[str] = typer.Option(None, "--delimiter", help="Cell separator: ',', ';', '|' or 'tab' (default: detected)."),
    region: Optional[str] = typer.Option(None, "--region", metavar="CC", help="Country of phone numbers written without +code (default: profile region, else US)."),
    update: bool = typer.Option(False, "--update", help="Fill the empty fields of people already present (never their cadence)."),
    overwrite: Optional[str] = typer.Option(None, "--overwrite", metavar="FIELD,...", help="With --update: replace these fields even when filled: first_name, last_name, title, company, phone, email, timezone, source, tags, owner, fields."),
    match_name: bool = typer.Option(False, "--match-name", help="Also take the same name at the same company as the same person."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", metavar="FILE", help="Write the rejected rows to this CSV, with their line and reason."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do everything but write to the database; report what would happen."),
    owners: Optional[str] = typer.Option(None, "--owners", metavar="REP,REP,...", help="Deal new people round-robin to these reps (over the file's Owner column); default: you."),
    at: Optional[str] = AT,
    date: Optional[str] = DATE,
    json_out: bool = JSON,
) -> None:
    """Import leads from CSV: one transaction; duplicates skipped, bad rows reported by line."""
    from cadence.views import daily as output
    from cadence.importer import import_file, preview

    pipe = pipeline(ctx)
    dealt = parse_owners(owners)
    replaced = _overwritten(overwrite, update)
    instant = moment(pipe, at, date)
    if show_mapping:
        shown = preview(file, region or pipe.profile.region, maps, encoding=encoding, delimiter=delimiter)
        if json_out:
            print_json(shown.to_json())
        else:
            output.import_preview(shown)
        return
    with output.import_progress(file.name) as progress:
        report = import_file(
            pipe, file, instant, cadence=cadence, start=parse_date(start, "--start"), enroll=enroll,
            overrides=maps, encoding=encoding, delimiter=delimiter, region=region, update=update,
            match_name=match_name, rejects=rejects, dry_run=dry_run, progress=progress, owners=dealt,
            overwrite=replaced,
        )
    if json_out:
        print_json(report.to_json())
    else:
        output.import_summary(report, str(file), str(rejects) if rejects else None)


def _overwritten(text: str | None, update: bool) -> list[str]:
    """The fields --overwrite names; refuses it without --update, and an unknown field (listing the valid ones)."""
    from cadence.errors import CadenceError
    from cadence.importer import FILLABLE

    if text is None:
        return []
    if not update:
        raise CadenceError("--overwrite replaces fields of people already present: use it with --update")
    valid = (*FILLABLE, "fields")
    names = [name.strip().lower() for name in text.split(",")]
    for name in names:
        if name not in valid:
            raise CadenceError(f"unknown field {name!r} for --overwrite: use one or more of {', '.join(valid)} (comma-separated)")
    return names


@scoped
def today(
    ctx: typer.Context,
    date: Optional[str] = typer.Option(None, "--date", metavar="DATE", help="The day to list (default today): YYYY-MM-DD, yesterday, monday, in 2 days..."),
    at: Optional[str] = AT,
    max_calls: Optional[int] = typer.Option(None, "--max-calls", min=0, help="Keep the day to N calls (fire steps, callbacks and the most overdue first); the rest wait. Default: profile max_calls, else no cap."),
    brief: bool = typer.Option(False, "--brief", help="One line per item: name, step, channel, attempts, local time, phone or email."),
    order: str = typer.Option("due", "--order", help="due (overdue first, then east to west) or best (calls with the best connect chance in the coming hours first, from your own calls)."),
    json_out: bool = JSON,
) -> None:
    """Who to call or email today: overdue first, then east to west, with step, attempts and script."""
    order = order.strip().lower()
    if order not in ("due", "best"):
        from cadence.errors import CadenceError

        raise CadenceError(f"--order {order!r} is not known: use due or best")
    pipe = pipeline(ctx)
    day = the_day(pipe, date, at)
    instant = clock(at, day)
    shown_day = day or pipe.profile.local_day(instant)
    capped = pipe.today_capped(instant, day, max_calls, texts=not brief or json_out)  # --brief shows no script
    if order == "best":
        from cadence.domain.hours import MIN_HISTORY
        from cadence.pipeline.hours import best_first

        capped.items, enough = best_first(pipe, capped.items, instant)
        if not enough:
            typer.echo(f"Fewer than {MIN_HISTORY} calls logged: too little history to rank by connect chance, so today's order is kept.", err=True)
    for notice in pipe.versions.notices.values():
        typer.echo(notice, err=True)
    if capped.deferred:
        from cadence.views.text import plural

        most = max_calls if max_calls is not None else pipe.profile.max_calls
        typer.echo(f"{plural(len(capped.deferred), 'call')} deferred to {capped.deferred_to.isoformat()} (max {plural(most, 'call')} a day)", err=True)
    show_goals(pipe, instant, shown_day)
    if json_out:
        print_json([item.to_json() for item in capped.items])
    elif brief:
        import sys

        from cadence.views.brief import lines  # plain text: no rich

        sys.stdout.write(lines(capped.items, shown_day))
    else:
        from cadence.views.today import today as view  # plain writes, no rich Console: see the module

        view(capped.items, shown_day)


def show_goals(pipe, instant, day) -> None:
    """Progress against the profile's activity goals, one line on stderr (so `--json` stays an array)."""
    if not any(key.startswith("goal_") for key in pipe.profile.values):
        return  # no goal set: no query, no import
    from cadence.domain.activity import progress_line
    from cadence.pipeline.activity import goal_progress

    line = progress_line(goal_progress(pipe, instant, day))
    if line:
        typer.echo(line, err=True)


def log(
    ctx: typer.Context,
    prospect: str = typer.Argument(..., help="Id, email, phone or a unique part of the name."),
    outcome: str = typer.Argument(..., help="no-answer, voicemail, gatekeeper, sent, connected, meeting, callback, replied, not-interested, disqualified, bad-number, bounced, do-not-contact, done, skipped (aliases: na, vm, gk, conn, mtg, cb, ni, dq, dnc)."),
    at: Optional[str] = AT,
    date: Optional[str] = DATE,
    note: str = typer.Option("", "--note", help="A note kept with the touch."),
    on: Optional[str] = typer.Option(None, "--on", metavar="DATE", help="Callback date (callback) or next date (connected, replied, meeting, or a follow-up tried again): YYYY-MM-DD, tomorrow, friday, next tuesday, in 3 days, in 2 weeks, in a month; a phrase lands on a working day."),
    force: bool = typer.Option(False, "--force", help="Log even when no step is due, the prospect was fired, or the outcome does not fit the step's channel or their contacts."),
    json_out: bool = JSON,
) -> None:
    """Record what happened with a prospect and move them along the cadence."""
    from cadence.domain.engine import parse_outcome

    pipe = pipeline(ctx)
    kind = parse_outcome(outcome)
    result = pipe.log(prospect, kind, moment(pipe, at, date), note=note, callback_on=on, force=force)
    if json_out:
        print_json(result.to_json())
    else:
        from cadence.views import daily as output

        output.logged(result)


def undo(
    ctx: typer.Context,
    prospect: Optional[str] = typer.Argument(None, help="Undo this prospect's last touch (default: the last touch logged)."),
    json_out: bool = JSON,
) -> None:
    """Remove the last touch and restore the state before it."""
    pipe = pipeline(ctx)
    result = pipe.undo(prospect)
    if json_out:
        print_json(result)
    else:
        removed = result["removed"]
        step = f" (step {removed['step']})" if removed["step"] else ""
        typer.echo(f"Removed {removed['outcome']}{step} of {removed['on']} for {visible(result['name'])}: now {result['status']}" + (f", next due {result['next_due']}" if result["next_due"] else ""))


def show(
    ctx: typer.Context,
    prospect: str = typer.Argument(..., help="Id, email, phone or a unique part of the name."),
    json_out: bool = JSON,
) -> None:
    """A prospect's status, next step and timeline of touches."""
    view = pipeline(ctx).show(prospect)
    if json_out:
        print_json(view)
    else:
        from cadence.views.show import prospect  # plain writes; rich only for a timeline that must wrap

        prospect(view)


def register(app: typer.Typer) -> None:
    app.command()(add)
    app.command("import")(import_leads)
    app.command()(today)
    app.command()(log)
    app.command()(undo)
    app.command()(show)
