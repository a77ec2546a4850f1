"""The mailbox: `sync` reads replies, bounces and out-of-office mail; `email --due` handles today's emails."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cadence.cli.common import AT, DATE, JSON, moment, parse_date, pipeline, print_json
from cadence.errors import CadenceError


def sync(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Only messages dated on or after DATE (YYYY-MM-DD)."),
    maildir: Optional[Path] = typer.Option(None, "--maildir", metavar="DIR", help="Read this local Maildir instead of the IMAP server."),
    mbox: Optional[Path] = typer.Option(None, "--mbox", metavar="FILE", help="Read this local mbox file instead of the IMAP server."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be logged and snoozed; change nothing."),
    at: Optional[str] = AT,
    date: Optional[str] = DATE,
    json_out: bool = JSON,
) -> None:
    """Read new mail and log what it says: replies, bounces, out-of-office (see docs/inbox.md).

    A reply from a prospect (matched by thread to an email cadence sent or drafted,
    else by the From address) logs `replied` at its date with its subject as note; a
    hard bounce logs `bounced`; a soft bounce (4.x.x) is only reported; an automatic
    reply snoozes the prospect until the return date it gives, else is reported; mail
    from nobody known changes nothing. The IMAP server comes from the profile
    (imap_host, imap_port, imap_tls, imap_user, imap_folders) and the password from
    $CADENCE_IMAP_PASSWORD or the system keyring. A second run reads only new mail.
    """
    from cadence.channels import sync as syncing
    from cadence.views import inbox as output

    if maildir is not None and mbox is not None:
        raise CadenceError("choose one of --maildir and --mbox")
    day = parse_date(since, "--since")
    pipe = pipeline(ctx)
    instant = moment(pipe, at, date)
    with output.progress("Reading mail") as bar:
        syncer = syncing.Syncer(pipe, instant, dry_run=dry_run, progress=bar)
        if maildir is not None:
            summary = syncer.run_local(maildir, "maildir", day)
        elif mbox is not None:
            summary = syncer.run_local(mbox, "mbox", day)
        else:
            from cadence.channels.imap import Account

            summary = syncer.run_imap(Account.from_profile(pipe.profile.values), day)
    if json_out:
        print_json(summary.to_json())
    else:
        output.sync_summary(summary)


def register(app: typer.Typer) -> None:
    app.command()(sync)
