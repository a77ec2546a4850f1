"""Working the list: the guided session, pause/resume/snooze/enroll, time away, lingering prospects."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from cadence.cli.common import AT, DATE, JSON, Start, clock, moment, now, parse_at, parse_date, pipeline, print_json, scoped, starting, the_day
from cadence.views.terminal import visible


@scoped
def work(
    ctx: typer.Context,
    date: Optional[str] = typer.Option(None, "--date", metavar="DATE", help="Work the list of this day (default today): YYYY-MM-DD, yesterday, monday..."),
    at: Optional[str] = AT,
    max_calls: Optional[int] = typer.Option(None, "--max-calls", min=0, help="Cap the calls as `today --max-calls` does."),
    draft: Optional[Path] = typer.Option(None, "--draft", metavar="DIR", help="Where the draft key writes emails (default: profile `drafts`)."),
) -> None:
    """Walk today's list one prospect at a time and log each outcome with a keystroke.

    Offers only the outcomes that fit each item (its channel, the prospect's contacts).
    Before the outcome, an email step can be drafted (a=draft, into --draft DIR or
    the profile's `drafts` folder), opened in your mail program (w=open) or sent
    over SMTP (y=send, logged as sent once the server accepted it), and a call
    dialled in the system's phone handler (l=dial, a tel: link; $CADENCE_OPENER
    names another command). When standard input is not a terminal, reads one
    answer per line: an outcome (key, name or alias), draft, open, send, dial,
    skip, undo or quit; after an outcome a note line (empty for none) and, for
    callback, connected, replied and meeting, a date line (required for a
    callback, empty for none otherwise).
    """
    from cadence.views import daily as output
    from cadence.domain.worklist import WorkSession

    pipe = pipeline(ctx)
    day = the_day(pipe, date, at)
    fixed = parse_at(at) if at else (clock(None, day) if day else None)
    instant = fixed or now()
    capped = pipe.today_capped(instant, day, max_calls)
    session = WorkSession(pipe, capped.items, clock=lambda: fixed or now())
    answers = _Answers()
    folder = draft if draft is not None else (Path(pipe.profile.values["drafts"]).expanduser() if pipe.profile.values.get("drafts", "").strip() else None)
    offered = {"open", "dial"} | ({"draft"} if folder is not None else set()) | ({"send"} if pipe.profile.values.get("smtp_host", "").strip() else set())
    try:
        _walk(session, answers, pipe, output, offered=offered, folder=folder)
    except KeyboardInterrupt:
        output.work_summary(session.summary())
        raise typer.Exit(130) from None
    output.work_summary(session.summary())
    from cadence.cli.daily import show_goals  # issue 18: progress against the activity goals

    show_goals(pipe, fixed or now(), day)


def _walk(session, answers, pipe, output, offered: set[str] = frozenset(), folder: Path | None = None, opener=None) -> None:
    from cadence.domain.dates import parse_day
    from cadence.domain.engine import Outcome
    from cadence.errors import CadenceError
    from cadence.domain.worklist import ACTIONS, DATED, actions, fits, legend, read_answer

    if session.current() is None:
        output.console.print("Nothing due to work through.")
        return
    shown = None
    while (item := session.current()) is not None:
        if shown is not session.index:
            output.work_item(item, session.index + 1, len(session.items))
            output.console.print(legend(item, offered))
            shown = session.index
        raw = answers.key("outcome")
        if raw is None:
            return  # end of input: everything logged so far is kept
        answer = read_answer(raw)
        if answer is None:
            _complain(f"{raw.strip()!r} is not in the legend; try again")
            continue
        if answer == "quit":
            return
        if answer == "skip":
            session.skip()
            continue
        if answer in ACTIONS:
            if answer not in actions(item, offered):
                _complain(f"{raw.strip()!r} ({answer}) {_unoffered(answer, item, offered)}; use a key of the legend")
                continue
            try:
                _act(answer, item, session, pipe, output, folder, opener)
            except CadenceError as exc:
                _complain(f"error: {exc}")
            continue
        if isinstance(answer, Outcome) and not fits(answer, item):
            _complain(f"{raw.strip()!r} ({answer.value}) does not fit this {_what(item)}; use a key of the legend")
            continue
        if answer == "undo":
            try:
                undone = session.undo()
                output.console.print(f"Undid {undone.outcome} for {output.escape(undone.name)}.")
                shown = None
            except CadenceError as exc:
                _complain(f"error: {exc}")
            continue
        note = answers.line("note (Enter for none)")
        if note is None:
            return
        on_day = None
        while answer in DATED and on_day is None:
            required = answer == Outcome.CALLBACK
            prompt = "callback date" if required else "next date, Enter for none"
            text = answers.line(f"{prompt} (e.g. 2026-12-07, friday, in 2 weeks)")
            if text is None:
                return
            if not text.strip() and not required:
                break
            try:
                parse_day(text, pipe.profile.local_day(session.clock()))  # asked again until it reads
                on_day = text
            except CadenceError as exc:
                _complain(f"error: {exc}")
        try:
            result = session.log(answer, note=note.strip(), on=on_day)
        except CadenceError as exc:
            _complain(f"error: {exc}")
            session.skip()
            continue
        output.logged(result)


def _act(action: str, item, session, pipe, output, folder: Path | None, opener=None) -> None:
    """Draft, open or send the current item's email, or dial its call; only `send` logs (and moves on)."""
    from cadence.channels.opener import open_link

    opener = opener or open_link
    if action == "dial":
        from cadence.domain.contacts import tel_uri

        link = tel_uri(item.phone, pipe.profile.region)
        if link is None:
            _complain(f"error: {item.phone} cannot be dialled: it is not a phone number that reads; fix it with `cadence edit`")
        elif opener(link):
            output.console.print(f"Dialling {output.escape(link[4:])} ({link}); then the outcome key.")
        else:
            _complain(f"No phone program could be opened for {link}: dial {link[4:]} yourself, then the outcome key.")
        return
    from cadence.channels import mail

    at = pipe.profile.aware(session.clock())
    email = mail.due_email(pipe, str(item.prospect_id), at)
    if action == "draft":
        path = mail.write_draft(email, folder, at)
        mail.remember_draft(pipe, email, at)
        output.console.print(f"Draft written to {output.escape(str(path))} (not sent, nothing logged); e=sent once you sent it.")
    elif action == "open":
        if opener(email.mailto()):
            output.console.print(f"Opened the email to {output.escape(email.to)} in your mail program; e=sent once you sent it.")
        else:
            _complain("No mail program could be opened: use a=draft, y=send, or copy the email from above.")
    else:
        server, secret = mail.connection(pipe)
        logged, _ = mail.send_with(pipe, email, at, server, secret)
        session.record(logged)
        output.console.print(f"Sent to {output.escape(email.to)} via {server.where}.")
        output.logged(logged)


def _complain(text: str) -> None:
    """A refusal or error of the session as every command prints its `error:` line: one plain line on
    stderr, no markup (`[your phone]` stays as written), no wrapping, control characters made visible."""
    typer.echo(visible(text), err=True)


def _unoffered(action: str, item, offered) -> str:
    """Why an action is not in the legend for this item."""
    if action == "send" and "send" not in offered and item.channel == "email":
        return "needs an SMTP server: `cadence me set smtp_host ...`"
    if action == "draft" and "draft" not in offered and item.channel == "email":
        return "needs a folder: `work --draft DIR` or `cadence me set drafts DIR`"
    return f"does not fit this {_what(item)}"


def _what(item) -> str:
    if item.type == "callback":
        return "follow-up"
    return {"phone": "call", "email": "email", "task": "task"}.get(item.channel, "item")


class _Answers:
    """Keystrokes from a terminal, or one answer per line from a pipe."""

    def __init__(self):
        self.interactive = sys.stdin.isatty()

    def key(self, prompt: str) -> str | None:
        if self.interactive:
            import click

            try:
                char = click.getchar()
            except EOFError:
                return None
            if char in ("\x03",):
                raise KeyboardInterrupt
            if char in ("\x04",):
                return None
            return char
        return self._readline()

    def line(self, prompt: str) -> str | None:
        if self.interactive:
            try:
                return input(f"{prompt}: ")
            except EOFError:
                return None
        return self._readline()

    @staticmethod
    def _readline() -> str | None:
        line = sys.stdin.readline()
        return None if line == "" else line.rstrip("\r\n")


def _day_at(pipe, at: str | None, date: str | None = None):
    return pipe.profile.local_day(moment(pipe, at, date))


def pause(ctx: typer.Context, prospect: str = typer.Argument(..., help="Id, email, phone or part of the name."), at: Optional[str] = AT, date: Optional[str] = DATE, json_out: bool = JSON) -> None:
    """Take a prospect off the list until `cadence resume`."""
    from cadence.pipeline import planning

    pipe = pipeline(ctx)
    _report(planning.pause(pipe, prospect, _day_at(pipe, at, date)), json_out, "Paused")


def resume(ctx: typer.Context, prospect: str = typer.Argument(..., help="Id, email, phone or part of the name."), at: Optional[str] = AT, date: Optional[str] = DATE, json_out: bool = JSON) -> None:
    """Put a paused prospect back on the list; their due dates move on by the days paused."""
    from cadence.pipeline import planning

    pipe = pipeline(ctx)
    _report(planning.resume(pipe, prospect, _day_at(pipe, at, date)), json_out, "Resumed")


def snooze(
    ctx: typer.Context,
    prospect: str = typer.Argument(..., help="Id, email, phone or part of the name."),
    until: str = typer.Option(..., "--until", metavar="DATE", help="Back on the list this day: YYYY-MM-DD, monday, in 2 weeks, next month..."),
    at: Optional[str] = AT,
    date: Optional[str] = DATE,
    json_out: bool = JSON,
) -> None:
    """Put a prospect off until a day you choose (not counted as their postponement)."""
    from cadence.pipeline import planning
    from cadence.domain.dates import parse_day

    pipe = pipeline(ctx)
    day = _day_at(pipe, at, date)
    _report(planning.snooze(pipe, prospect, parse_day(until, day, "--until"), day), json_out, "Snoozed")


@starting
def enroll(
    ctx: typer.Context,
    prospect: str = typer.Argument(..., help="Id, email, phone or part of the name."),
    cadence: str = typer.Option(..., "--cadence", help="The cadence to start."),
    force: bool = typer.Option(False, "--force", help="Move a prospect out of another cadence, or re-enroll a fired one."),
    json_out: bool = JSON,
    when: Start = None,
) -> None:
    """Start a prospect on a cadence (never silently moves or revives one)."""
    from cadence.pipeline import planning

    pipe = pipeline(ctx)
    _report(planning.enroll(pipe, prospect, cadence, when.first_day(pipe), force), json_out, "Enrolled")


def away(
    ctx: typer.Context,
    first: str = typer.Option(..., "--from", metavar="DATE", help="First day away."),
    last: str = typer.Option(..., "--to", metavar="DATE", help="Last day away."),
    json_out: bool = JSON,
) -> None:
    """Time away: move every step due in the range to after it, keeping spacing."""
    from cadence.pipeline import planning

    result = planning.away(pipeline(ctx), parse_date(first, "--from"), parse_date(last, "--to"))
    if json_out:
        print_json(result)
    else:
        typer.echo(f"Moved {result['moved']} due items out of {result['from']}..{result['to']}; those days are now days off.")


def lingering(ctx: typer.Context, json_out: bool = JSON) -> None:
    """Prospects who keep postponing: ask whether there is a real possibility, or qualify them out."""
    from cadence.views import daily as output
    from cadence.pipeline import planning

    rows = planning.lingering(pipeline(ctx))
    if json_out:
        print_json(rows)
    else:
        output.lingering(rows)


def _report(result: dict, json_out: bool, verb: str) -> None:
    if json_out:
        print_json(result)
        return
    due = f", next due {result['next_due']}" if result["next_due"] else ""
    typer.echo(f"{verb} #{result['prospect_id']} {visible(result['name'])}: now {result['status']}{due}")


def register(app: typer.Typer) -> None:
    app.command()(work)
    app.command()(pause)
    app.command()(resume)
    app.command()(snooze)
    app.command()(enroll)
    app.command()(away)
    app.command()(lingering)
