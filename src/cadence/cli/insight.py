"""Insight and channels: stats, export, email, calendar."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from cadence.cli.common import AT, DATE, JSON, clock, moment, now, parse_date, pipeline, print_json, scoped, the_day
from cadence.errors import CadenceError


@scoped
def stats(
    ctx: typer.Context,
    cadence: Optional[str] = typer.Option(None, "--cadence", help="Only this cadence."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Only prospects who started their cadence on or after DATE (and touches from DATE)."),
    window: int = typer.Option(30, "--window", metavar="DAYS", help="A reply counts as a reply after fire within this many days of the fire."),
    recount: bool = typer.Option(False, "--recount", help="Count from every logged touch instead of the running totals (the same figures, slower)."),
    hours: bool = typer.Option(False, "--hours", help="Connect rate by the prospect's local hour and weekday, with the number of calls in each cell."),
    by: Optional[str] = typer.Option(None, "--by", metavar="rep", help="rep: each rep's activity (dials, connects, meetings, emails, replies they logged) and the prospects they own."),
    variants: bool = typer.Option(False, "--variants", help="A/B steps: per variant the touches, connect and reply rates with 95% Wilson intervals, and whether they differ (Fisher's exact test)."),
    json_out: bool = JSON,
) -> None:
    """What your cadences achieve: statuses, a funnel by step, connect and reply rates, replies after fire."""
    if variants:
        from cadence.pipeline.variants import variant_figures

        figures = variant_figures(pipeline(ctx), cadence=cadence, since=parse_date(since, "--since"))
        if json_out:
            print_json({"variants": figures})
        else:
            from cadence.views.variants import variants as show_variants

            show_variants(figures)
        return
    if by is not None:
        if by.strip().lower() != "rep":
            raise CadenceError(f"--by {by!r} is not known: use --by rep")
        from cadence.pipeline.activity import by_rep

        rows = by_rep(pipeline(ctx), cadence=cadence, since=parse_date(since, "--since"))
        if json_out:
            print_json(rows)
        else:
            from cadence.views import insight as output_insight

            output_insight.reps(rows)
        return
    if hours:
        from cadence.domain.hours import cells_json
        from cadence.pipeline.hours import grid

        cells = grid(pipeline(ctx), cadence=cadence, since=parse_date(since, "--since"))
        if json_out:
            print_json(cells_json(cells))
        else:
            from cadence.views import insight as output_insight

            output_insight.hours(cells)
        return
    from cadence.pipeline.stats import compute

    entries = compute(
        pipeline(ctx), cadence=cadence, since=parse_date(since, "--since"), window=window, recount=recount
    )
    if json_out:
        print_json([e.to_json() for e in entries])
    else:
        from cadence.views import insight as output_insight

        output_insight.stats(entries)


@scoped
def report(
    ctx: typer.Context,
    out: Path = typer.Option(Path("report.html"), "-o", "--output", metavar="FILE", show_default=False, help="The HTML file to write (default: report.html in the current folder); replaced whole if it exists."),
    cadence: Optional[str] = typer.Option(None, "--cadence", help="Only this cadence."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Only prospects who started their cadence on or after DATE (and touches from DATE)."),
    window: int = typer.Option(30, "--window", metavar="DAYS", help="A reply counts as a reply after fire within this many days of the fire."),
) -> None:
    """One HTML file of charts: the funnel per cadence, replies after fire, variant results, best hours to call, activity over time.

    The file is self-contained (styles and charts inside it, no script, no
    link out): open it in any browser, offline, or send it on. The figures
    are those of `stats --json`, `stats --hours --json` and
    `stats --variants --json` for the same scope.
    """
    from cadence.channels.export import write_file
    from cadence.pipeline.report import figures
    from cadence.views.report import page

    pipe = pipeline(ctx)
    found = figures(pipe, cadence=cadence, since=parse_date(since, "--since"), window=window)
    generated = now().astimezone(pipe.profile.zone).strftime("%Y-%m-%d %H:%M %Z")
    write_file(out, page(found, generated).encode("utf-8"))
    typer.echo(f"Wrote the report to {out.resolve()}: open it in a browser.")


@scoped
def export(
    ctx: typer.Context,
    what: str = typer.Option("prospects", "--what", help="prospects or touches."),
    format: str = typer.Option("csv", "--format", help="csv or json."),
    out: Optional[Path] = typer.Option(None, "-o", "--output", help="File to write (default: standard output)."),
    contacts_only: bool = typer.Option(False, "--contacts-only", help="Prospects without id and cadence state: only the columns `cadence import` reads back."),
) -> None:
    """Export every prospect (custom fields as columns) or every touch, as CSV or JSON."""
    from cadence.channels.export import export as write, export_to_file

    pipe = pipeline(ctx)
    what, format = what.strip().lower(), format.strip().lower()
    if out is None or str(out) == "-":
        write(pipe, sys.stdout, what, format, contacts_only)
        return
    count = export_to_file(pipe, out, what, format, contacts_only)
    noun = what if count != 1 else what.rstrip("s")
    typer.echo(f"Wrote {count} {noun} to {out}", err=True)


@scoped
def email(
    ctx: typer.Context,
    prospect: Optional[str] = typer.Argument(None, help="Id, email, phone or a unique part of the name (or --due for everyone's due today)."),
    due: bool = typer.Option(False, "--due", help="Every email step due today (the emails `today` lists; --all/--owner, --date/--at as for today), in one go."),
    draft: Optional[Path] = typer.Option(None, "--draft", metavar="DIR", help="Write the email as an .eml draft into DIR."),
    open_: bool = typer.Option(False, "--open", help="Open it in your mail program (a mailto: link)."),
    send: bool = typer.Option(False, "--send", help="Send it over SMTP (profile smtp_* settings) and log the step as sent."),
    at: Optional[str] = AT,
    date: Optional[str] = DATE,
    json_out: bool = JSON,
) -> None:
    """The prospect's due email step, rendered: printed, saved as a draft, opened, or sent.

    With --due, every email step due today: a line per email (sent, drafted,
    opened, or refused and why); one refusal does not stop the others. Exit
    code 0 when every due email was handled, 1 when any was refused. --json
    prints an array with one object per email.
    """
    from cadence.channels import mail

    if sum((draft is not None, open_, send)) > 1:
        raise CadenceError("choose one of --draft, --open and --send")
    if due and prospect is not None:
        raise CadenceError(f"give a prospect or --due, not both (--due handles every email due today, {prospect!r} among them if due)")
    if not due and prospect is None:
        raise CadenceError("name a prospect (id, email, phone or part of the name), or use --due for every email due today")
    pipe = pipeline(ctx)
    if due:
        _email_due(pipe, "send" if send else "draft" if draft is not None else "open" if open_ else None, draft, at, date, json_out)
        return
    instant = pipe.profile.aware(moment(pipe, at, date))
    message = mail.due_email(pipe, prospect, instant)
    result = message.to_json()
    if draft is not None:
        result["draft"] = str(mail.write_draft(message, draft, instant))
        mail.remember_draft(pipe, message, instant)  # so `cadence sync` matches a reply to it by thread
        result["message_id"] = message.message_id
    elif open_:
        from cadence.channels.opener import open_link

        result["opened"] = bool(open_link(message.mailto()))
    elif send:
        result["sent"] = mail.send(pipe, message, instant)
    if json_out:
        print_json(result)
        return
    from cadence.views import insight as output_insight

    if draft is not None:
        typer.echo(f"Draft written to {result['draft']} (not sent, nothing logged).")
    elif open_:
        typer.echo(message.mailto())
        if not result["opened"]:
            typer.echo("No mail program could be opened: copy the link above.", err=True)
    elif send:
        sent = result["sent"]
        typer.echo(f"Sent to {message.to} via {sent['server']}; logged step {sent['step']} as sent.")
    else:
        output_insight.email(message)


def _email_due(pipe, action: str | None, folder: Optional[Path], at: Optional[str], date: Optional[str], json_out: bool) -> None:
    """`email --due`: today's email steps handled one by one; exit 1 when any was refused."""
    from cadence.channels import mail
    from cadence.views import inbox as output_inbox

    if at is not None and date is not None:
        raise CadenceError("use --at or --date, not both: --at DATETIME gives the time too, --date DAY acts at noon")
    day = the_day(pipe, date, at)
    instant = clock(at, day)
    items = mail.due_items(pipe.today(instant, on=day))
    with output_inbox.progress("Emails", after=2) as bar:
        def step(handled) -> None:
            if bar is not None:
                bar(len(done) + 1, len(items))
            done.append(handled)
            if not json_out:
                output_inbox.handled(handled)
                if handled.action == "shown":
                    from cadence.views import insight as output_insight

                    output_insight.email(handled.email)
                    typer.echo()

        done: list = []
        mail.handle_due(pipe, items, instant, action, folder, progress=step)
    if json_out:
        print_json([h.to_json() for h in done])
    else:
        output_inbox.handled_summary(done, action)
    if any(h.action == "refused" for h in done):
        raise typer.Exit(1)


@scoped
def calendar(
    ctx: typer.Context,
    days: int = typer.Option(7, "--days", help="How many days, from --date."),
    date: Optional[str] = typer.Option(None, "--date", metavar="DATE", help="First day (default today): YYYY-MM-DD, monday, next week..."),
    out: Optional[Path] = typer.Option(None, "-o", "--output", help="The .ics file to write (default: standard output)."),
    at: Optional[str] = AT,
    json_out: bool = JSON,
) -> None:
    """Planned touches for the coming days as an iCalendar (.ics) file: one event per prospect step."""
    from cadence.channels import feed

    pipe = pipeline(ctx)
    first = the_day(pipe, date, at)
    instant = clock(at, first)
    events = feed.plan(pipe, first or pipe.profile.local_day(instant), days, instant)
    content = feed.to_ics(events, pipe.profile.aware(instant))
    to_file = out is not None and str(out) != "-"
    if to_file:
        from cadence.channels.export import write_file

        write_file(out, content)
    if json_out:
        print_json([e.to_json() for e in events])
    elif to_file:
        from cadence.views import insight as output_insight

        output_insight.planned(events, str(out))
    else:
        sys.stdout.write(content.decode("utf-8"))


def register(app: typer.Typer) -> None:
    app.command()(stats)
    app.command()(report)
    app.command()(export)
    app.command()(email)
    app.command()(calendar)
