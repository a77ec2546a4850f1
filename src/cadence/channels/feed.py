"""The coming days' planned touches as an iCalendar feed.

Each listed prospect's next item goes on its due day (an overdue one on the
first day of the feed); the cadence steps after it follow, each assumed done
on its own due day (engine.due_after), until the last day of the feed. Every
event's UID names the prospect, cadence and step, so importing a newer feed
moves the events instead of duplicating them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from cadence.domain import engine
from cadence.domain.engine import Status
from cadence.errors import CadenceError

MAX_DAYS = 366
PRODID = "-//cadence//planned touches//EN"
# Statuses that can have something planned: the ones `today` lists.
PLANNED_STATUSES = (Status.ACTIVE.value, Status.SNOOZED.value, Status.ENGAGED.value, Status.CONVERTED.value, Status.FIRED.value)
LABEL = {
    "call": "Call",
    "no-message-call": "Call (no message)",
    "email": "Email",
    "fire": "FIRE",
    "callback": "Callback",
    "recycle": "Recycle",
}


@dataclass
class Planned:
    """One planned touch: one calendar event."""

    uid: str
    on: date
    prospect_id: int
    name: str
    company: str
    cadence: str | None
    step: int | None
    steps: int | None
    type: str
    channel: str
    contact: str
    overdue_days: int
    summary: str
    description: str

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["on"] = self.on.isoformat()
        return data


def plan(pipe, first: date, days: int, now: datetime) -> list[Planned]:
    """Planned touches from `first` for `days` days, by day then prospect; refuses days outside 1..366."""
    from cadence.store import insight, queries

    if not 1 <= days <= MAX_DAYS:
        raise CadenceError(f"--days {days} is out of range: give 1 to {MAX_DAYS}")
    last = first + timedelta(days=days - 1)
    with pipe.reading() as session:
        rows = insight.listed_until(session, last, PLANNED_STATUSES, pipe.scope)
        notes = queries.last_notes(session, [r.id for r in rows if r.status != Status.ACTIVE.value])
    out: list[Planned] = []
    for row in rows:
        out.extend(_prospect_events(pipe, row, first, last, now, notes.get(row.id, "")))
    out.sort(key=lambda p: (p.on, p.prospect_id, p.step or 0))
    return out


def _prospect_events(pipe, row, first: date, last: date, now: datetime, note: str) -> list[Planned]:
    item = pipe.item(row, max(first, row.due_on), now, note)
    if item is None:
        return []
    day = max(first, row.due_on)
    events = [_event(row, item.type, item.step, item.steps, day, (first - row.due_on).days, item.script, item.voicemail, item.subject, item.channel, item.attempts)]
    plan = pipe.plan_of(row)
    if item.type in ("callback", "recycle") or plan is None or row.step is None or row.started_on is None:
        return events
    calendar = pipe.calendar_for(plan)
    for number in range(row.step + 1, len(plan.steps) + 1):
        day = engine.due_after(plan, calendar, row.started_on, number, day)
        if day > last:
            break
        step = plan.steps[number - 1]
        texts = pipe.texts(row, plan, step, step.type, "")
        attempts = row.attempts + (number - row.step)
        events.append(
            _event(row, step.type, number, len(plan.steps), day, 0, texts.get("script"), texts.get("voicemail"), texts.get("subject"), step.channel, attempts)
        )
    return events


def _event(row, kind, step, steps, on, overdue_days, script, voicemail, subject, channel, attempts) -> Planned:
    from cadence.domain.contacts import full_name

    name = full_name(row.first_name, row.last_name)
    if kind == "callback":
        uid = f"{row.id}-callback-{(row.callback_on or row.due_on).isoformat()}@cadence"
    elif kind == "recycle":
        uid = f"{row.id}-{row.cadence}-recycle@cadence"
    else:
        uid = f"{row.id}-{row.cadence}-{step}@cadence"
    where = f" ({row.company})" if row.company else ""
    of = f" · step {step}/{steps}" if step and steps and kind not in ("callback", "recycle") else ""
    contact = row.email if channel == "email" else row.phone
    lines = [f"{name}{where}", contact or f"no {'email' if channel == 'email' else 'phone'} on file"]
    if step and steps:
        lines.append(f"Step {step} of {steps} ({kind}) in {row.cadence}; tried {attempts} time{'s' if attempts != 1 else ''} before")
    if overdue_days > 0:
        lines.append(f"Overdue {overdue_days} day{'s' if overdue_days != 1 else ''} (due {row.due_on.isoformat()})")
    if kind == "fire":
        lines.append("Last touch: leave the fire message; then they are off the list.")
    if subject:
        lines += ["", f"Subject: {subject}"]
    if script:
        lines += ["", script]
    if voicemail:
        lines += ["", "If not reached, leave:", voicemail]
    return Planned(
        uid=uid,
        on=on,
        prospect_id=row.id,
        name=name,
        company=row.company,
        cadence=row.cadence,
        step=step if kind not in ("callback",) else None,
        steps=steps,
        type=kind,
        channel=channel,
        contact=contact,
        overdue_days=max(0, overdue_days),
        summary=f"{LABEL.get(kind, kind)}: {name}{where}{of}",
        description="\n".join(lines),
    )


def to_ics(events: list[Planned], now: datetime) -> bytes:
    """An iCalendar file: one all-day, free-time event per planned touch."""
    from icalendar import Calendar, Event

    stamp = now.astimezone(timezone.utc) if now.tzinfo else now.replace(tzinfo=timezone.utc)
    feed = Calendar()
    feed.add("prodid", PRODID)
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", "cadence: planned touches")
    for planned in events:
        event = Event()
        event.add("uid", planned.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", planned.on)
        event.add("dtend", planned.on + timedelta(days=1))
        event.add("summary", planned.summary)
        event.add("description", planned.description)
        event.add("categories", [planned.type])
        event.add("transp", "TRANSPARENT")
        feed.add_component(event)
    return feed.to_ical()
