"""The read side of the pipeline: the day's list, a prospect's scripts, `show`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from cadence.cadences.model import Cadence
from cadence.cadences.templates import render
from cadence.domain import engine, worklist
from cadence.domain.contacts import full_name
from cadence.domain.engine import Status
from cadence.errors import CadenceError
from cadence.pipeline.base import Base, given_variant
from cadence.store import queries

if TYPE_CHECKING:
    from cadence.store.models import Prospect


@dataclass
class Item:
    """One line of the day's list."""

    prospect_id: int
    name: str
    company: str
    title: str
    phone: str
    email: str
    timezone: str
    local_time: str | None
    status: str
    cadence: str | None
    step: int | None
    steps: int | None
    type: str
    channel: str
    due: date
    overdue_days: int
    attempts: int
    postponements: int
    script: str
    voicemail: str | None = None
    subject: str | None = None
    missing: str | None = None
    callback_on: date | None = None
    lingering: bool = False
    outside_hours: bool = False
    step_title: str | None = None  # a task step's title (what to do)
    owner: str = ""  # the rep whose prospect this is ('' when nobody's)
    variant: str | None = None  # the id of the step's variant they get, when the step has variants

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        if self.variant is None:
            del data["variant"]  # only items of A/B steps carry the key
        data["due"] = self.due.isoformat()
        data["callback_on"] = self.callback_on.isoformat() if self.callback_on else None
        return data




class ReadSide(Base):
    """What the pipeline shows: nothing here writes."""

    def today(self, now: datetime, on: date | None = None, texts: bool = True) -> list[Item]:
        """Everything due on `on` (default: the salesperson's day at `now`), overdue first.

        `texts=False` leaves scripts, subjects and voicemails unrendered (empty), for views that never show them.
        """
        day = on or self.profile.local_day(now)
        with self.peeking() as session:
            rows = queries.due(session, day, self.scope)
            callbacks = [r.id for r in rows if r.status != Status.ACTIVE.value]
            notes = queries.last_notes(session, callbacks)
        items = [self.item(row, day, now, notes.get(row.id, ""), texts) for row in rows]
        return worklist.order([item for item in items if item is not None], self.profile.aware(now))

    def today_capped(self, now: datetime, on: date | None = None, max_calls: int | None = None,
                     texts: bool = True) -> worklist.Capped:
        """The day's list with calls capped at `max_calls` (default: the profile's max_calls)."""
        day = on or self.profile.local_day(now)
        limit = max_calls if max_calls is not None else self.profile.max_calls
        return worklist.cap_calls(self.today(now, on=day, texts=texts), limit, self.calendar_for(None).add(day, 1))

    def item(self, row: Prospect, day: date, now: datetime, note: str, texts: bool = True) -> Item | None:
        plan = self.plan_of(row)
        state = queries.state_of(row)
        kind = engine.item_type(plan, state)
        if kind is None:
            return None
        step = None
        if plan is not None and kind == "recycle":
            step = plan.steps[0]
        elif plan is not None and row.step is not None and row.step <= len(plan.steps):
            step = plan.steps[row.step - 1]  # the step due, or the one a callback interrupted
        variant = given_variant(plan, step.number, row) if step is not None else None
        step = step.with_variant(variant) if step is not None else None
        channel = step.channel if step is not None and kind != "callback" else "phone"
        rendered = self.texts(row, plan, step, kind, note) if texts else {"script": ""}
        local_time = self.local_time(row, now)
        missing = None
        if channel == "phone" and not row.phone:
            missing = "phone"
        elif channel == "email" and not row.email:
            missing = "email"
        return Item(
            prospect_id=row.id,
            name=full_name(row.first_name, row.last_name),
            company=row.company,
            title=row.title,
            phone=row.phone,
            email=row.email,
            timezone=row.timezone or self.profile.zone_name,
            local_time=local_time,
            status=row.status,
            cadence=row.cadence,
            step=step.number if step is not None else None,
            steps=len(plan.steps) if plan else None,
            type=kind,
            channel=channel,
            due=row.due_on,
            overdue_days=(day - row.due_on).days,
            attempts=row.attempts,
            postponements=row.postponements,
            missing=missing,
            callback_on=row.callback_on,
            owner=row.owner,
            lingering=engine.lingering(state, self.profile.linger_after),
            outside_hours=channel == "phone" and not worklist.in_window(local_time, self.profile.calling_hours),
            variant=variant.id if variant is not None else None,
            **rendered,
        )

    def local_time(self, row: Prospect, now: datetime) -> str | None:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(row.timezone) if row.timezone else self.profile.zone
        return self.profile.aware(now).astimezone(zone).strftime("%H:%M")

    def context(self, row: Prospect, plan: Cadence | None, step) -> dict[str, Any]:
        """What a script template sees."""
        prospect = {
            "id": row.id,
            "first_name": row.first_name or full_name(row.first_name, row.last_name),  # never "Hi ,"
            "last_name": row.last_name,
            "name": full_name(row.first_name, row.last_name),
            "title": row.title,
            "company": row.company,
            "phone": row.phone,
            "email": row.email,
            "timezone": row.timezone,
            "source": row.source,
            "tags": row.tags,
            "owner": row.owner,
            "status": row.status,
            "fields": dict(row.fields or {}),
        }
        step_vars = {}
        if step is not None:
            step_vars = {"number": step.number, "day": step.day, "type": step.type, "channel": step.channel, "title": step.title or ""}
        return {
            "prospect": prospect,
            "me": self.profile.me(),
            "step": step_vars,
            "steps": len(plan.steps) if plan else 0,
            "attempts": row.attempts,
        }

    def texts(self, row: Prospect, plan: Cadence | None, step, kind: str, note: str) -> dict[str, str | None]:
        context = self.context(row, plan, step)

        def text(source: str | None) -> str | None:
            if source is None:
                return None
            try:
                return render(source, context)
            except CadenceError as exc:
                where = f"step {step.number} of " if step is not None else ""
                return f"[{exc}: fix {where}the cadence file {plan.path if plan else ''}]"

        lead = ""
        if kind == "callback":
            asked = f"They asked to be called back on {row.callback_on.isoformat()}." if row.callback_on else "The follow-up you agreed with them."
            lead = f"{asked} {('Last note: ' + note) if note else ''}".strip() + "\n"
        elif kind == "recycle":
            lead = f"Fired on {row.fired_on.isoformat() if row.fired_on else '?'}; their recycle date has come: start the cadence again.\n"
        if step is None or (kind == "callback" and step.channel != "phone"):
            return {"script": lead.strip()}
        if step.variants:  # a step they have not reached: which variant is decided when they do
            ids = ", ".join(v.id for v in step.variants)
            return {"script": lead + f"(A/B step: one of the variants {ids}, given when they reach it)"}
        if step.type == "task":
            return {"script": lead + (text(step.instructions) or ""), "step_title": step.title}
        if step.type == "email" or step.fire_channel == "email":
            return {"script": lead + (text(step.body) or ""), "subject": text(step.subject)}
        return {"script": lead + (text(step.script) or ""), "voicemail": text(step.voicemail)}

    def show(self, ref: str) -> dict[str, Any]:
        """The prospect, where they stand, and their touches in order."""
        with self.peeking() as session:
            row = self.find(session, ref)
            history = queries.touches(session, row.id)
            changes = queries.changes(session, row.id)
            plan = self.plan_of(row, session)
        active = row.status == Status.ACTIVE.value
        next_type = engine.item_type(plan, queries.state_of(row))
        upcoming = given_variant(plan, row.step, row) if active or row.status == Status.SNOOZED.value else None
        return {
            "id": row.id,
            "name": full_name(row.first_name, row.last_name),
            "first_name": row.first_name,
            "last_name": row.last_name,
            "company": row.company,
            "title": row.title,
            "phone": row.phone,
            "email": row.email,
            "timezone": row.timezone,
            "owner": row.owner,
            "status": row.status,
            "cadence": row.cadence,
            "steps": len(plan.steps) if plan else None,
            "started_on": _iso(row.started_on),
            "next_step": row.step if active or row.status == Status.SNOOZED.value else None,
            "next_type": next_type,
            "next_due": _iso(row.due_on),
            **({"next_variant": upcoming.id} if upcoming is not None else {}),
            "callback_on": _iso(row.callback_on),
            "fired_on": _iso(row.fired_on),
            "attempts": row.attempts,
            "postponements": row.postponements,
            "lingering": engine.lingering(queries.state_of(row), self.profile.linger_after),
            "fields": dict(row.fields or {}),
            "touches": [
                {
                    "at": t.at.astimezone(timezone.utc).isoformat(),
                    "on": t.on.isoformat(),
                    "step": t.step,
                    "type": t.step_type,
                    "outcome": t.outcome,
                    "note": t.note,
                    "after_fire": t.after_fire,
                    "forced": t.forced,
                    **({"variant": t.variant} if t.variant else {}),
                }
                for t in history
            ],
            "changes": [{"at": _utc(c.at).isoformat(), "text": c.text} for c in changes],
        }



def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
