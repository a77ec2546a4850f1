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


def pipeline(ctx: typer.Context):
    """The pipeline on the chosen database, opened once per command."""
    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if obj.get("pipeline") is None:
        from cadence.pipeline import Pipeline
        from cadence.store.db import open_engine

        engine = open_engine(obj.get("db"))
        obj["pipeline"] = Pipeline(engine, user=os.environ.get("CADENCE_USER") or None, system_zone=system_zone())
        root.obj = obj
    return obj["pipeline"]


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
    """JSON and nothing else on stdout."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")
