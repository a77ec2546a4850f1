"""Keeping the pipeline clean: list, edit, merge, remove, forget."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from cadence.cli.common import AT, DATE, JSON, moment, parse_date, pipeline, print_json, scoped
from cadence.errors import CadenceError
from cadence.views.terminal import visible

PROSPECT = typer.Argument(..., help="Id, email, phone or a unique part of the name.")


@scoped
def list_(
    ctx: typer.Context,
    status: Optional[str] = typer.Option(None, "--status", metavar="S,...", help="Only these statuses, e.g. engaged or active,snoozed (engaged lists them with or without a next date)."),
    cadence: Optional[str] = typer.Option(None, "--cadence", metavar="NAME", help="Only prospects on this cadence."),
    search: Optional[str] = typer.Option(None, "--search", metavar="TEXT", help="Name, company, email, phone or a custom field containing TEXT (case never matters, in any alphabet)."),
    tag: Optional[str] = typer.Option(None, "--tag", metavar="TAG", help="Only prospects with this tag."),
    due_before: Optional[str] = typer.Option(None, "--due-before", metavar="DATE", help="Only prospects with something due before DATE: YYYY-MM-DD, friday, in 2 weeks..."),
    sort: str = typer.Option("id", "--sort", metavar="FIELD", help="id, name, company, status, cadence, step, attempts or due."),
    brief: bool = typer.Option(False, "--brief", help="One plain line per prospect: id, name, status, step, next due."),
    json_out: bool = JSON,
) -> None:
    """Your whole pipeline, one line per prospect: id, name, company, status, cadence, step, attempts, next due."""
    from cadence.pipeline.listing import check_sort, listing, parse_statuses
    from cadence.cli.common import clock

    pipe = pipeline(ctx)
    statuses, sort = parse_statuses(status), check_sort(sort)
    before = parse_date(due_before, "--due-before", pipe.profile.local_day(clock(None)))
    rows = listing(pipe, statuses, cadence, search, tag, before, sort)
    if json_out:
        print_json([row.to_json() for row in rows])
        return
    from cadence.views.listing import brief_lines, table_lines

    sys.stdout.write((brief_lines if brief else table_lines)(rows))


def edit(
    ctx: typer.Context,
    prospect: str = PROSPECT,
    first: Optional[str] = typer.Option(None, "--first", help="First name."),
    last: Optional[str] = typer.Option(None, "--last", help="Last name."),
    company: Optional[str] = typer.Option(None, "--company", help="Company."),
    title: Optional[str] = typer.Option(None, "--title", help="Job title."),
    phone: Optional[str] = typer.Option(None, "--phone", help="Phone, read as import reads it (stored as E.164); '' clears it."),
    email: Optional[str] = typer.Option(None, "--email", help="Email address; '' clears it."),
    tz: Optional[str] = typer.Option(None, "--timezone", help="Time zone: America/Chicago, Eastern, PST..."),
    tags: list[str] = typer.Option([], "--tag", metavar="+TAG|-TAG", help="Add (+vip) or remove (-vip) a tag. Repeatable."),
    fields: list[str] = typer.Option([], "--field", metavar="KEY=VALUE", help="Set a custom field (KEY= removes it). Repeatable."),
    owner: Optional[str] = typer.Option(None, "--owner", metavar="REP", help="Hand the prospect to this rep."),
    at: Optional[str] = AT,
    date: Optional[str] = DATE,
    json_out: bool = JSON,
) -> None:
    """Correct a prospect's details; fixing a needs-fix prospect's phone or email puts them back on their step."""
    from cadence.pipeline.cleaning import Edit, edit as change

    pipe = pipeline(ctx)
    asked = Edit(first_name=first, last_name=last, company=company, title=title, phone=phone, email=email, timezone=tz, owner=owner, tags=tags, fields=fields)
    result = change(pipe, prospect, asked, moment(pipe, at, date))
    if json_out:
        print_json(result)
        return
    if not result["changed"]:
        typer.echo(f"Nothing changed for #{result['prospect_id']} {visible(result['name'])}")
        return
    due = f", next due {result['next_due']}" if result["next_due"] else ""
    typer.echo(f"Edited #{result['prospect_id']} {visible(result['name'])}: {visible('; '.join(result['changed']))}; now {result['status']}{due}")


def merge(
    ctx: typer.Context,
    keep: str = typer.Argument(..., help="The record to keep (its cadence state stays)."),
    other: str = typer.Argument(..., help="The duplicate: its touches move to KEEP, it fills KEEP's empty fields, then it goes."),
    at: Optional[str] = AT,
    date: Optional[str] = DATE,
    json_out: bool = JSON,
) -> None:
    """One person entered twice: merge OTHER into KEEP (`cadence undo` takes it back)."""
    from cadence.pipeline.cleaning import merge as join

    pipe = pipeline(ctx)
    result = join(pipe, keep, other, moment(pipe, at, date))
    if json_out:
        print_json(result)
        return
    filled = f"; filled {', '.join(result['filled'])}" if result["filled"] else ""
    typer.echo(f"Merged #{result['merged']} into #{result['prospect_id']} {visible(result['name'])}: {result['touches_moved']} touches moved{filled}")


def remove(
    ctx: typer.Context,
    prospect: str = PROSPECT,
    yes: bool = typer.Option(False, "--yes", help="Remove without asking (needed when standard input is not a terminal)."),
    json_out: bool = JSON,
) -> None:
    """Delete a prospect and their touches (past stats change accordingly)."""
    from cadence.pipeline.cleaning import remove as delete

    pipe = pipeline(ctx)
    if not yes:
        if not sys.stdin.isatty():
            raise CadenceError(f"not removing {prospect!r} without confirmation: add --yes")
        with pipe.reading() as session:
            row = pipe.find(session, prospect)
            label = f"#{row.id} {row.first_name} {row.last_name}".strip()
        if not typer.confirm(f"Remove {visible(label)} and all their touches?", default=False):
            raise CadenceError("not removed")
    result = delete(pipe, prospect)
    if json_out:
        print_json(result)
    else:
        typer.echo(f"Removed #{result['prospect_id']} {visible(result['name'])} and {result['touches']} touches")


def forget(
    ctx: typer.Context,
    contact: str = typer.Argument(..., metavar="EMAIL|PHONE", help="The email or phone of the person who asked to be erased."),
    at: Optional[str] = AT,
    date: Optional[str] = DATE,
    json_out: bool = JSON,
) -> None:
    """Erase a person on request: delete them and their touches, keeping only a one-way hash so no import re-creates them."""
    from cadence.pipeline.cleaning import forget as erase

    pipe = pipeline(ctx)
    result = erase(pipe, contact, moment(pipe, at, date))
    if json_out:
        print_json(result)
        return
    who = ", ".join(f"#{i}" for i in result["removed"]) or "nobody (no prospect has it)"
    typer.echo(
        f"Forgot {visible(contact)}: removed {who} and {result['touches']} touches; "
        "kept only a one-way hash, so a later import will skip them"
    )


def register(app: typer.Typer) -> None:
    app.command("list")(list_)
    app.command()(edit)
    app.command()(merge)
    app.command()(remove)
    app.command()(forget)
