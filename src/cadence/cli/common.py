"""What every command shares: the pipeline, the clock, dates, JSON."""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import date, datetime, time, timezone
from typing import Any

import typer

from cadence.errors import CadenceError


JSON = typer.Option(False, "--json", help="Print JSON only (nothing else on stdout).")
AT = typer.Option(None, "--at", metavar="DATETIME", help="Act as if it were this time (YYYY-MM-DDTHH:MM; naive = your time zone).")
START = typer.Option(None, "--start", metavar="DATE", help="Day of step 1 (default today).")
EVERYONE = typer.Option(False, "--all", help="Everyone's prospects, not only the current rep's ($CADENCE_USER or profile user).")
OWNER = typer.Option(None, "--owner", metavar="REP", help="This rep's prospects instead of the current rep's.")


def pipeline(ctx: typer.Context, everyone: bool = False, owner: str | None = None):
    """The pipeline on the chosen database, opened once per command.

    `everyone` (--all) or `owner` (--owner REP) choose whose prospects its lists show;
    by default the current rep's, or everyone's when no rep is set.
    """
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if obj.get("pipeline") is None:
        from cadence.pipeline import Pipeline
        from cadence.store.db import open_engine

        notices: list[str] = []
        engine = open_engine(obj.get("db"), notices)
        for line in notices:
            typer.echo(line, err=True)
        root.call_on_close(engine.dispose)  # hand PostgreSQL connections back now, not at exit
        obj["pipeline"] = Pipeline(engine, user=os.environ.get("CADENCE_USER") or None, system_zone=system_zone())
        root.obj = obj
    pipe = obj["pipeline"]
    if everyone and owner is not None:
        raise typer.BadParameter("use --all or --owner, not both", param_hint="--owner")
    if owner is not None:
        if not owner.strip():
            raise typer.BadParameter("give the rep's name", param_hint="--owner")
        pipe.scope = owner.strip()
    elif everyone:
        pipe.scope = None
    return pipe


def parse_owners(text: str | None) -> list[str]:
    """The reps named by --owners a,b,c, in order; refuses an empty name."""
    if text is None:
        return []
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise CadenceError(f"--owners {text!r} has an empty name: give rep names separated by commas, e.g. --owners ana,bob")
    return names


def system_zone():
    """The machine's time zone: $TZ when it is an IANA name, else the local offset."""
    name = os.environ.get("TZ", "")
    if name:
        from cadence.contacts import valid_timezone

        if valid_timezone(name):
            from zoneinfo import ZoneInfo

            return ZoneInfo(name)
    return datetime.now().astimezone().tzinfo or timezone.utc


def now() -> datetime:
    """The real clock: the only place commands read it, when --at is not given."""
    return datetime.now(timezone.utc)


def parse_date(text: str | None, option: str = "--date") -> date | None:
    """An ISO date from an option; refuses anything else, naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CadenceError(f"invalid date {text!r} for {option}: use YYYY-MM-DD, e.g. 2026-11-24") from None


def parse_at(text: str | None) -> datetime | None:
    """An ISO date-time from --at (naive means the salesperson's zone); a bare date means 12:00."""
    if text is None:
        return None
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return datetime.combine(date.fromisoformat(value), time(12, 0))
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CadenceError(
            f"invalid time {text!r} for --at: use YYYY-MM-DDTHH:MM (e.g. 2026-11-24T09:30), optionally with +01:00"
        ) from None


def clock(at: str | None, on: date | None = None) -> datetime:
    """The instant a command acts at: --at, else noon of --date, else now."""
    parsed = parse_at(at)
    if parsed is not None:
        return parsed
    if on is not None:
        return datetime.combine(on, time(12, 0))
    return now()


def print_json(value: Any) -> None:
    """JSON and nothing else on stdout: indented on a terminal; piped, a list has one item per line.

    Indenting makes Python's json take its slow pure-Python path (`today` spent a fifth of its own
    time there); a program reading the pipe has no use for the spaces.
    """
    if isinstance(value, list) and not sys.stdout.isatty():
        items = ",\n".join(json.dumps(item, ensure_ascii=False, default=str) for item in value)
        sys.stdout.write(f"[\n{items}\n]\n" if value else "[]\n")
    else:
        sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
