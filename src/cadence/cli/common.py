"""What every command shares: the pipeline, the clock, dates, JSON."""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import sys
from datetime import date, datetime, time, timezone
from typing import Any, Callable, NamedTuple, Optional

import typer

from cadence.errors import CadenceError


JSON = typer.Option(False, "--json", help="Print JSON only (nothing else on stdout).")
AT = typer.Option(None, "--at", metavar="DATETIME", help="Act as if it were this time (YYYY-MM-DDTHH:MM; naive = your time zone).")
DATE = typer.Option(None, "--date", metavar="DATE", help="Act as if it were this day, at noon: YYYY-MM-DD, yesterday, monday, last friday... (instead of --at).")
START = typer.Option(None, "--start", metavar="DATE", help="Day of step 1 (default today).")
EVERYONE = typer.Option(False, "--all", help="Everyone's prospects, not only the current rep's ($CADENCE_USER or profile user).")
OWNER = typer.Option(None, "--owner", metavar="REP", help="This rep's prospects instead of the current rep's.")


def _adding_options(func: Callable, extra: list[inspect.Parameter], prepare: Callable[[typer.Context, dict], dict], gives: tuple[str, ...] = ()) -> Callable:
    """`func` as a command with the options `extra` too (before --json), handed to `prepare`
    (with the context) instead of to `func`; `prepare` returns the arguments `gives` of `func`."""
    signature = inspect.signature(func, eval_str=True)
    given = set(gives)
    own = [p for p in signature.parameters.values() if p.name not in given]
    cut = next((i for i, p in enumerate(own) if p.name == "json_out"), len(own))
    params = own[:cut] + extra + own[cut:]

    @functools.wraps(func)
    def command(*args, **kwargs):
        taken = {p.name: kwargs.pop(p.name) for p in extra}
        kwargs.update(prepare(kwargs["ctx"], taken))
        return func(*args, **kwargs)

    command.__signature__ = signature.replace(parameters=params)
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


def _option(name: str, annotation, default) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=annotation)


def scoped(func: Callable) -> Callable:
    """A command with --all and --owner REP: whose prospects its pipeline's lists show."""

    def prepare(ctx: typer.Context, taken: dict) -> dict:
        pipeline(ctx, taken["everyone"], taken["owner"])
        return {}

    extra = [_option("everyone", bool, EVERYONE), _option("owner", Optional[str], OWNER)]
    return _adding_options(func, extra, prepare)


class Start(NamedTuple):
    """When a command that enrolls acts (--at/--date) and the day of step 1 it was given (--start)."""

    instant: datetime
    day: date | None

    def first_day(self, pipe) -> date:
        """--start, else the salesperson's day of the instant."""
        return self.day or pipe.profile.local_day(self.instant)


def starting(func: Callable) -> Callable:
    """A command that enrolls (add, enroll): --start, --at and --date, received as `when: Start`."""

    def prepare(ctx: typer.Context, taken: dict) -> dict:
        pipe = pipeline(ctx)
        return {"when": Start(moment(pipe, taken["at"], taken["date"]), parse_date(taken["start"], "--start"))}

    extra = [_option("start", Optional[str], START), _option("at", Optional[str], AT), _option("date", Optional[str], DATE)]
    return _adding_options(func, extra, prepare, gives=("when",))


def pipeline(ctx: typer.Context, everyone: bool = False, owner: str | None = None):
    """The pipeline on the chosen database, opened once per command.

    `everyone` (--all) or `owner` (--owner REP) choose whose prospects its lists show;
    by default the current rep's, or everyone's when no rep is set. Refuses a $TZ that cannot
    be read when the profile sets no time zone of its own.
    """
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if obj.get("pipeline") is None:
        from cadence.pipeline.core import Pipeline
        from cadence.store.db import open_engine

        try:
            zone, unreadable = system_zone(), None
        except CadenceError as exc:
            zone, unreadable = timezone.utc, exc
        engine = open_engine(obj.get("db"), notice=lambda text: typer.echo(text, err=True))
        root.call_on_close(engine.dispose)  # hand PostgreSQL connections back now, not at exit
        pipe = Pipeline(engine, user=os.environ.get("CADENCE_USER") or None, system_zone=zone)
        if unreadable is not None and not pipe.profile.values.get("timezone"):
            raise unreadable  # said once, never silently taken as UTC
        obj["pipeline"] = pipe
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


# A POSIX TZ rule such as EST5EDT, UTC-3 or <+0530>-5:30,M3.2.0,M11.1.0 (hours 0 to 24).
_NAME = r"(?:[A-Za-z]{3,}|<[A-Za-z0-9+\-]{3,}>)"
_OFFSET = r"[+-]?(?:[01]?\d|2[0-4])(?::[0-5]\d(?::[0-5]\d)?)?"
_POSIX_TZ = re.compile(rf"{_NAME}{_OFFSET}(?:{_NAME}(?:{_OFFSET})?(?:,[A-Za-z0-9.,/:+\-]+)?)?")


def system_zone():
    """The machine's time zone: $TZ when it is an IANA name, else the local offset.

    Refuses a $TZ that names no zone and is no POSIX rule the C library can read (TZ=UTC+99,
    TZ=Mars/Base): the C library would silently take it as UTC.
    """
    name = os.environ.get("TZ", "")
    if name:
        from cadence.domain.contacts import valid_timezone

        iana = name.removeprefix(":")
        if valid_timezone(iana):
            from zoneinfo import ZoneInfo

            return ZoneInfo(iana)
        readable = _POSIX_TZ.fullmatch(name) or (iana.startswith("/") and os.path.isfile(iana))
        if not readable:
            raise CadenceError(
                f"TZ={name!r} is not a time zone cadence can read: set TZ to an IANA name such as "
                "Europe/Paris (or unset it), or set yours with `cadence me set timezone Europe/Paris`"
            )
    try:
        return datetime.now().astimezone().tzinfo or timezone.utc
    except (ValueError, OverflowError):
        raise CadenceError(f"TZ={name!r} is not a time zone cadence can read: set TZ to an IANA name such as Europe/Paris") from None


def now() -> datetime:
    """The real clock: the only place commands read it, when --at is not given."""
    return datetime.now(timezone.utc)


def parse_date(text: str | None, option: str = "--date", today: date | None = None) -> date | None:
    """The day an option names: YYYY-MM-DD, or with `today` also a phrase (yesterday, monday, in 2 weeks...)
    counted from it; refuses anything else and days out of range, naming the option."""
    from cadence.domain.dates import check_day, parse_day

    if text is None:
        return None
    if today is not None:
        return parse_day(text, today, option)
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise CadenceError(f"invalid date {text!r} for {option}: use YYYY-MM-DD, e.g. 2026-11-24") from None
    return check_day(day, option)


def parse_at(text: str | None) -> datetime | None:
    """An ISO date-time from --at (naive means the salesperson's zone); a bare date means 12:00.

    Refuses a time outside the dates cadence handles (see cadence.domain.dates).
    """
    from cadence.domain.dates import check_instant

    if text is None:
        return None
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            parsed = datetime.combine(date.fromisoformat(value), time(12, 0))
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CadenceError(
            f"invalid time {text!r} for --at: use YYYY-MM-DDTHH:MM (e.g. 2026-11-24T09:30), optionally with +01:00"
        ) from None
    return check_instant(parsed)


def clock(at: str | None, on: date | None = None) -> datetime:
    """The instant a command acts at: --at, else noon of --date, else now."""
    parsed = parse_at(at)
    if parsed is not None:
        return parsed
    if on is not None:
        return datetime.combine(on, time(12, 0))
    return now()


def the_day(pipe, text: str | None, at: str | None = None) -> date | None:
    """The day --date names (phrases counted from the day of --at, else from today); None when not given."""
    if text is None:
        return None
    return parse_date(text, "--date", pipe.profile.local_day(clock(at)))


def moment(pipe, at: str | None, day_text: str | None) -> datetime:
    """The instant a command acts at, from --at or --date (noon of that day); refuses both at once."""
    if at is not None and day_text is not None:
        raise CadenceError("use --at or --date, not both: --at DATETIME gives the time too, --date DAY acts at noon")
    return clock(at, the_day(pipe, day_text))


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
