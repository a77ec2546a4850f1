"""Keeping the pipeline clean: edit, merge, remove and forget prospects (docs/guide.md, "Keeping the pipeline clean").

Each works in one transaction: a refusal leaves nothing half-written. Changes to touches or
owners run inside `tally.watching`, so `stats` stays equal to `stats --recount`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from cadence.domain import engine
from cadence.domain.contacts import clean_text, full_name, normalise_email, normalise_phone, tidy_name
from cadence.domain.engine import Status
from cadence.errors import CadenceError
from cadence.store import cleaning, queries, tally
from cadence.store.models import Prospect

# What `edit` may change, in the order its history line names them.
EDITABLE = ("first_name", "last_name", "company", "title", "phone", "email", "timezone", "tags", "owner")
# The outcome that put a prospect in needs-fix, and the field that fixes it.
FIXED_BY = {"bad-number": "phone", "bounced": "email"}


@dataclass
class Edit:
    """What `cadence edit` was asked to change; None leaves a field as it is."""

    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    timezone: str | None = None
    owner: str | None = None
    tags: list[str] = field(default_factory=list)  # +TAG adds, -TAG removes
    fields: list[str] = field(default_factory=list)  # KEY=VALUE sets, KEY= removes


def parse_fields(specs: list[str]) -> dict[str, str]:
    """--field KEY=VALUE options as a dict; refuses one without '=' or without a key."""
    out: dict[str, str] = {}
    for spec in specs:
        key, eq, value = spec.partition("=")
        if not eq or not key.strip():
            raise CadenceError(f"--field {spec!r} needs KEY=VALUE, e.g. --field industry=Retail (KEY= removes the field)")
        out[key.strip()] = value.strip()
    return out


def change_tags(tags: str, specs: list[str]) -> str:
    """The tags ('a, b') with +TAG added and -TAG removed; refuses a spec without + or -."""
    current = [t.strip() for t in tags.split(",") if t.strip()]
    for spec in specs:
        sign, name = spec[:1], clean_text(spec[1:])
        if sign not in "+-" or not sign or not name:
            raise CadenceError(f"--tag {spec!r} needs +TAG to add or -TAG to remove, e.g. --tag +vip")
        folded = [t.casefold() for t in current]
        if sign == "+" and name.casefold() not in folded:
            current.append(name)
        elif sign == "-" and name.casefold() in folded:
            current.pop(folded.index(name.casefold()))
    return ", ".join(current)


def normalised(pipe, row: Prospect, asked: Edit) -> dict[str, Any]:
    """The new values, normalised as `cadence import` does; refuses an invalid phone, email or time zone."""
    from cadence.domain.fields import tidy_tags, timezone_from

    values: dict[str, Any] = {}
    for name in ("first_name", "last_name"):
        if getattr(asked, name) is not None:
            values[name] = tidy_name(getattr(asked, name))
    for name in ("company", "title"):
        if getattr(asked, name) is not None:
            values[name] = clean_text(getattr(asked, name))
    if asked.phone is not None:
        phone = normalise_phone(asked.phone, pipe.profile.region)
        if asked.phone.strip() and not phone.valid:
            raise CadenceError(phone.problem or (
                f"phone {asked.phone!r} is not a valid number (region {pipe.profile.region}): "
                "write it with its country code, e.g. +1 212 555 0199"
            ))
        values.update(phone=phone.text, phone_key=phone.key)
        if asked.timezone is None and phone.zone and not row.timezone:
            values["timezone"] = phone.zone
    if asked.email is not None:
        email = normalise_email(asked.email)
        if asked.email.strip() and not email.valid:
            raise CadenceError(f"email {asked.email!r} is not a valid address")
        values.update(email=email.text, email_key=email.key)
    if asked.timezone is not None:
        zone = timezone_from(asked.timezone) if asked.timezone.strip() else ""
        if asked.timezone.strip() and not zone:
            raise CadenceError(f"time zone {asked.timezone!r} is not one cadence knows: use an IANA name such as America/Chicago")
        values["timezone"] = zone
    if asked.tags:
        values["tags"] = tidy_tags(change_tags(row.tags, asked.tags))
    if asked.owner is not None:
        if not asked.owner.strip():
            raise CadenceError("--owner needs the rep's name")
        values["owner"] = asked.owner.strip()
    if not (values.get("first_name", row.first_name) or values.get("last_name", row.last_name)):
        raise CadenceError("a prospect needs a name: give --first and/or --last (with a visible character)")
    return values


def edit(pipe, ref: str, asked: Edit, now: datetime) -> dict[str, Any]:
    """Change a prospect's contacts, tags, custom fields or owner; a needs-fix prospect whose phone (or email)
    is fixed is due again on the step it stopped at, the next working day. Do-not-contact stays."""
    extra = parse_fields(asked.fields)
    stamp = pipe.profile.aware(now).astimezone(timezone.utc)
    day = pipe.profile.local_day(now)
    with pipe.writing() as session:
        row = pipe.find(session, ref)
        values = normalised(pipe, row, asked)
        _refuse_taken(session, row, values)
        changed = [name for name in EDITABLE if name in values and values[name] != getattr(row, name)]
        said = [_said(name, getattr(row, name), values[name]) for name in changed]
        fields = dict(row.fields or {})
        for key, value in extra.items():
            if fields.get(key, "") != value:
                said.append(_said(f"fields.{key}", fields.get(key, ""), value))
                fields[key] = value
                if not value:
                    del fields[key]
        resumed = False
        with tally.watching(session, [row.id]):
            for name, value in values.items():
                setattr(row, name, value)
            row.fields = fields
            if row.status == Status.NEEDS_FIX.value and _fixed(session, row, changed):
                plan = pipe.plan_of(row)
                queries.put_state(row, engine.resume_after_fix(plan, queries.state_of(row), pipe.calendar_for(plan).add(day, 1)))
                resumed = True
                said.append(f"resumed at step {row.step}" if row.status == Status.ACTIVE.value else "needs-fix cleared")
        if said:
            row.updated_at = stamp
            cleaning.add_change(session, row.id, stamp, "edited " + "; ".join(said))
        return {
            "prospect_id": row.id,
            "name": full_name(row.first_name, row.last_name),
            "changed": said,
            "resumed": resumed,
            "status": row.status,
            "next_step": row.step if row.status == Status.ACTIVE.value else None,
            "next_due": row.due_on.isoformat() if row.due_on else None,
        }


def _said(name: str, before: Any, after: Any) -> str:
    return f"{name} {before or '(empty)'!s} -> {after or '(empty)'!s}"


def _fixed(session, row: Prospect, changed: list[str]) -> bool:
    """Whether this edit fixes the reason the prospect is in needs-fix: a new phone after bad-number,
    a new email after bounced (either, when the reason is not on record)."""
    last = queries.last_touch(session, row.id, None)
    needed = FIXED_BY.get(last.outcome) if last is not None else None
    return any(name in changed and getattr(row, name) for name in ([needed] if needed else ["phone", "email"]))


def _refuse_taken(session, row: Prospect, values: dict[str, Any]) -> None:
    """Refuses a phone or email that another prospect has, naming them."""
    email, phone = values.get("email_key", ""), values.get("phone_key", "")
    for other in queries.matching_contacts(session, [email] if email else [], [phone] if phone else []):
        if other.id != row.id:
            what = "email" if email and other.email_key == email else "phone"
            raise CadenceError(
                f"that {what} belongs to #{other.id} {full_name(other.first_name, other.last_name)}: "
                f"if they are the same person, `cadence merge {row.id} {other.id}`"
            )


def remove(pipe, ref: str) -> dict[str, Any]:
    """Delete a prospect and their touches (the stats of past periods change accordingly)."""
    with pipe.writing() as session:
        row = pipe.find(session, ref)
        result = {"prospect_id": row.id, "name": full_name(row.first_name, row.last_name)}
        with tally.watching(session, [row.id]):
            result["touches"] = cleaning.delete_prospect(session, row.id)
        return result


def forget(pipe, contact: str, now: datetime) -> dict[str, Any]:
    """A data-protection erasure: delete whoever has this email or phone, with their touches, and keep
    only a one-way hash of the email and phone so that no later import re-creates them."""
    contact = contact.strip()
    if "@" in contact:
        email = normalise_email(contact)
        emails, phones = [email.key], []
    else:
        phone = normalise_phone(contact, pipe.profile.region)
        if not phone.key:
            raise CadenceError(f"{contact!r} is neither an email nor a phone number: give the one to forget")
        emails, phones = [], [phone.key]
    stamp = pipe.profile.aware(now).astimezone(timezone.utc)
    with pipe.writing() as session:
        rows = queries.matching_contacts(session, emails, phones)
        ids = [r.id for r in rows]
        keys = emails + phones + [k for r in rows for k in (r.email_key, r.phone_key)]
        touches = 0
        with tally.watching(session, ids):
            for prospect_id in ids:
                touches += cleaning.delete_prospect(session, prospect_id)
        cleaning.keep_forgotten(session, keys, stamp)
        return {"removed": ids, "touches": touches, "hashes_kept": len(set(k for k in keys if k))}


# What a merge fills on KEEP from OTHER when KEEP's is empty.
FILLED_BY_MERGE = ("first_name", "last_name", "title", "company", "phone", "email", "phone_key", "email_key", "timezone", "source", "tags")


def merge(pipe, keep_ref: str, other_ref: str, now: datetime) -> dict[str, Any]:
    """One person entered twice: KEEP keeps its cadence state, gains OTHER's touches and fills its empty
    fields from OTHER's; OTHER is removed. `cadence undo` takes it back. Do-not-contact on either side stays."""
    stamp = pipe.profile.aware(now).astimezone(timezone.utc)
    with pipe.writing() as session:
        keep, other = pipe.find(session, keep_ref), pipe.find(session, other_ref)
        if keep.id == other.id:
            raise CadenceError(f"{keep_ref!r} and {other_ref!r} are the same prospect (#{keep.id}): name the two records of the person")
        filled = {name: getattr(other, name) for name in FILLED_BY_MERGE if not getattr(keep, name) and getattr(other, name)}
        fields = {k: v for k, v in (other.fields or {}).items() if k not in (keep.fields or {})}
        touches = [t.id for t in queries.touches(session, other.id)]
        record = {
            "kind": "merge",
            "other": cleaning.row_data(other),
            "touches": touches,
            "keep": {name: getattr(keep, name) for name in filled} | {"fields": dict(keep.fields or {})},
            "state": queries.snapshot(queries.state_of(keep)),
        }
        other_name = full_name(other.first_name, other.last_name)
        with tally.watching(session, [keep.id, other.id]):
            cleaning.move_touches(session, touches, keep.id)
            record["changes"] = cleaning.move_changes(session, other.id, keep.id)
            session.delete(other)
            session.flush()
            for name, value in filled.items():
                setattr(keep, name, value)
            keep.fields = dict(keep.fields or {}) | fields
            if other.status == Status.DO_NOT_CONTACT.value:
                queries.put_state(keep, replace(queries.state_of(keep), status=Status.DO_NOT_CONTACT, due_on=None))
            keep.updated_at = stamp
        said = [name for name in filled if not name.endswith("_key")] + [f"fields.{k}" for k in fields]
        text = f"merged #{other.id} {other_name}: {len(touches)} touches moved" + (f"; filled {', '.join(said)}" if said else "")
        cleaning.add_change(session, keep.id, stamp, text, undo=record)
        return {"prospect_id": keep.id, "name": full_name(keep.first_name, keep.last_name), "merged": other.id,
                "touches_moved": len(touches), "filled": said, "status": keep.status}


def undo_merge(session, change) -> dict[str, Any]:
    """Take back the merge `change` recorded: OTHER back with its id, touches and history; KEEP as it was."""
    record = change.undo
    keep = session.get(Prospect, change.prospect_id)
    other = cleaning.restore_row(record["other"])
    with tally.watching(session, [keep.id, other.id]):
        session.add(other)
        session.flush()
        cleaning.move_touches(session, record["touches"], other.id)
        cleaning.move_changes_back(session, record["changes"], other.id)
        for name, value in record["keep"].items():
            setattr(keep, name, value)
        queries.put_state(keep, queries.restore(record["state"]))
    session.delete(change)
    return {
        "prospect_id": keep.id,
        "name": full_name(keep.first_name, keep.last_name),
        "removed": {"outcome": "merge", "step": None, "on": change.at.date().isoformat()},
        "restored": other.id,
        "status": keep.status,
        "next_step": keep.step if keep.status == Status.ACTIVE.value else None,
        "next_due": keep.due_on.isoformat() if keep.due_on else None,
    }
