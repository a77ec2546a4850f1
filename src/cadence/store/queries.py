"""All SQL the domain needs, as small functions over a session."""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from datetime import date
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.engine import Connection

from cadence.domain.engine import State, Status
from cadence.store.address import dialect_name
from cadence.store.tables import name_key
from cadence.store.tables import prospect as P
from cadence.store.tables import setting as S
from cadence.store.tables import touch as T

if TYPE_CHECKING:
    from sqlalchemy.orm import ORMExecuteState
    from sqlmodel import Session

    from cadence.store.models import Prospect, Touch

# Statuses that can have something on the day's list.
LISTED = (
    Status.ACTIVE.value,
    Status.SNOOZED.value,
    Status.ENGAGED.value,
    Status.CONVERTED.value,
    Status.FIRED.value,
)
STATE_FIELDS = tuple(f.name for f in fields(State))
ADDING_LOCK = 0x6361_6464  # a fixed PostgreSQL advisory lock key: "adding prospects"


def _select(session: Session | Connection, table):
    """A select of `table`'s rows: on an ORM session of its mapped objects (which a write may
    change), on a bare Connection of plain rows with the same attributes (which reads need no
    ORM, SQLModel or pydantic for: see docs/performance.md)."""
    if isinstance(session, Connection):
        # A Core write transaction (Base.committing) locks what it reads, as lock_prospects does for the ORM.
        return select(table).with_for_update(of=table) if session.info.get("locking") else select(table)
    from cadence.store import models

    return select({P: models.Prospect, T: models.Touch}[table])


def _all(session: Session | Connection, query) -> list:
    """The rows of a `_select`: objects on an ORM session, rows on a Connection."""
    result = session.execute(query)
    return list(result if isinstance(session, Connection) else result.scalars())


def lock_prospects(state: ORMExecuteState) -> None:
    """Session hook for write transactions: every prospect row they read is read FOR UPDATE.

    On PostgreSQL that locks the row until commit, so a second writer on the same prospect waits
    and then sees the first one's result; SQLite ignores it (BEGIN IMMEDIATE already locks).
    """
    from cadence.store.models import Prospect

    if state.is_select and any(column.get("type") is Prospect for column in state.statement.column_descriptions):
        state.statement = state.statement.with_for_update(of=Prospect)


def lock_adding(session: Session) -> None:
    """Before looking for duplicates of people about to be added: one such transaction at a time.

    On PostgreSQL an advisory lock held until commit, so two imports (or adds) cannot both add
    the same person; SQLite's BEGIN IMMEDIATE already serialises them.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADDING_LOCK})


def state_of(row: Prospect) -> State:
    """The engine's view of a prospect row."""
    values = {name: getattr(row, name) for name in STATE_FIELDS}
    values["status"] = Status(values["status"])
    return State(**values)


DRAW = "draw"  # put_state: a prospect who reaches a new step takes the next slot of its round-robin


def reaches_new_step(row: Prospect, state: State) -> bool:
    """Whether moving `row` to `state` puts them on another cadence step (which takes a variant slot)."""
    return state.step is not None and (state.cadence, state.step) != (row.cadence, row.step)


def _state_values(state: State) -> dict:
    """The state as column values of the prospect row."""
    return {name: value.value if isinstance(value, Status) else value for name, value in asdict(state).items()}


def put_state(row: Prospect, state: State, session: Session | None = None, slot: int | None | str = DRAW) -> None:
    """Copy a state onto the prospect row; on reaching a new step, take its next variant slot (cadence.store.slots).

    `slot` given (undo) puts that slot back instead. A row in no session yet gets none.
    """
    from sqlalchemy.orm import object_session

    reached = reaches_new_step(row, state)
    for name, value in _state_values(state).items():
        setattr(row, name, value)
    if slot != DRAW:
        row.variant_slot = slot
    elif reached:
        from cadence.store import slots

        session = session or object_session(row)
        row.variant_slot = slots.take(session, state.cadence, state.step) if session is not None else None


def write_state(connection: Connection, row, state: State, at) -> None:
    """Write a state onto the stored prospect `row` (a Core write: `log`); on reaching a new step,
    take its next variant slot, as put_state does."""
    values = _state_values(state)
    if reaches_new_step(row, state):
        from cadence.store import slots

        values["variant_slot"] = slots.take(connection, state.cadence, state.step)
    connection.execute(P.update().where(P.c.id == row.id).values(**values, updated_at=at))


def add_touch(connection: Connection, **values) -> None:
    """Insert one touch row (a Core write: `log`); columns left out take their defaults."""
    connection.execute(T.insert().values(**values))


def snapshot(state: State) -> dict:
    """The state as JSON-safe values, stored with each touch for undo."""
    out = {}
    for name, value in asdict(state).items():
        out[name] = value.isoformat() if isinstance(value, date) else (value.value if isinstance(value, Status) else value)
    return out


def restore(data: dict) -> State:
    """The state saved by `snapshot`."""
    values = {}
    for name in STATE_FIELDS:
        value = data.get(name)
        if name.endswith("_on") and value:
            value = date.fromisoformat(value)
        values[name] = value
    values["status"] = Status(values["status"])
    values["postponements"] = values["postponements"] or 0
    values["attempts"] = values["attempts"] or 0
    return State(**values)


# ---------------------------------------------------------------- profile


def profile(session: Session, owner: str) -> dict[str, str]:
    """The profile settings of `owner`, over the shared ('') ones."""
    result = session.execute(select(S.c.owner, S.c.key, S.c.value).where(S.c.owner.in_(["", owner])))
    merged: dict[str, str] = {}
    for _owner, key, value in sorted(result, key=lambda r: r[0] != ""):
        merged[key] = value
    return merged


def set_setting(session: Session, owner: str, key: str, value: str | None) -> None:
    """Store one profile value; None removes it."""
    from cadence.store.models import Setting

    row = session.get(Setting, (owner, key))
    if value is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(Setting(owner=owner, key=key, value=value))
    else:
        row.value = value


# ---------------------------------------------------------------- prospects


def by_reference(session: Session, ref: str, phone_key: Callable[[], str], owner: str | None) -> list[Prospect]:
    """Prospects matching an id, an email, a phone or the name (best matches only): the full name,
    else whole words of it (a first or a last name), else a part of it. Never a company name; case
    never matters, in any alphabet (see name_key).

    `phone_key` gives the ref's phone key; it is called only when the ref looks like a phone
    number, because reading one loads the phone-number library.
    """
    ref = ref.strip()
    scoped = _select(session, P)
    if owner:
        scoped = scoped.where(P.c.owner == owner)

    def rows(query) -> list:
        return _all(session, query)

    if ref.isdigit():
        found = rows(scoped.where(P.c.id == int(ref)))
        if found:
            return found[:1]
    if "@" in ref:
        return rows(scoped.where(P.c.email_key == ref.lower()))
    if re.fullmatch(r"[\d\s()+.\-;=ext]+", ref, re.I) and (key := phone_key()):
        found = rows(scoped.where(P.c.phone_key == key))
        if found:
            return found
    key = name_key(ref, "")
    if not key:
        return []
    exact = rows(scoped.where(P.c.name_key == key).order_by(P.c.id).limit(20))
    if exact:  # an index lookup (ix_prospect_name_key)
        return exact
    part = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    column = P.c.name_key
    words = or_(*(column.like(p, escape="\\") for p in (f"{part} %", f"% {part}", f"% {part} %")))
    for condition in (words, column.like(f"%{part}%", escape="\\")):
        found = rows(scoped.where(condition).order_by(P.c.id).limit(20))
        if found:
            return found
    return []


def _listed():
    """The condition 'status is one that can be on the list', written so the due index is used."""
    # NOT IN the complement, not IN LISTED: SQLite's planner prefers equality on
    # ix_prospect_status for an IN list, which scans every fired prospect; NOT IN
    # leaves it the due_on range of ix_prospect_due, whose status column filters.
    return P.c.status.not_in(tuple(s.value for s in Status if s.value not in LISTED))


def due(session: Session, on: date, owner: str | None) -> Sequence[Prospect]:
    """Prospects with something due on or before `on`, oldest first (an indexed range scan)."""
    query = _select(session, P).where(P.c.due_on <= on, _listed())
    if owner:
        query = query.where(P.c.owner == owner)
    return _all(session, query.order_by(P.c.due_on, P.c.id))


def due_between(session: Session, first: date, last: date, owner: str | None) -> Sequence[Prospect]:
    """Listed prospects whose next item is due from `first` to `last`."""
    query = _select(session, P).where(P.c.due_on >= first, P.c.due_on <= last, _listed())
    if owner:
        query = query.where(P.c.owner == owner)
    return _all(session, query.order_by(P.c.due_on, P.c.id))


def lingering(session: Session, linger_after: int, owner: str | None) -> Sequence[Prospect]:
    """Prospects still in play who postponed `linger_after` times or more."""
    query = _select(session, P).where(
        P.c.postponements >= max(1, linger_after),
        P.c.status.in_(LISTED + (Status.PAUSED.value,)),
    )
    if owner:
        query = query.where(P.c.owner == owner)
    return _all(session, query.order_by(P.c.postponements.desc(), P.c.id))


def matching_contacts(session: Session, emails: Iterable[str], phones: Iterable[str]) -> list[Prospect]:
    """Prospects whose email or phone key is among those given (callers add whoever is not found)."""
    lock_adding(session)
    emails, phones = [e for e in emails if e], [p for p in phones if p]
    found: list[Prospect] = []
    for column, values in ((P.c.email_key, emails), (P.c.phone_key, phones)):
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            found.extend(_all(session, _select(session, P).where(column.in_(chunk))))
    return found


# ---------------------------------------------------------------- touches


def touches(session: Session, prospect_id: int) -> Sequence[Touch]:
    """The prospect's touches in the order they were logged."""
    return _all(session, _select(session, T).where(T.c.prospect_id == prospect_id).order_by(T.c.id))


def last_touch(session: Session, prospect_id: int | None, owner: str | None) -> Touch | None:
    """The most recent touch of one prospect, or of anyone (of this owner) when None."""
    query = _select(session, T)
    if prospect_id is not None:
        query = query.where(T.c.prospect_id == prospect_id)
    elif owner:
        query = query.where(T.c.owner == owner)
    return next(iter(_all(session, query.order_by(T.c.id.desc()).limit(1))), None)


def last_notes(session: Session, prospect_ids: Sequence[int]) -> dict[int, str]:
    """The latest non-empty note of each prospect."""
    if not prospect_ids:
        return {}
    newest = (
        select(T.c.prospect_id, func.max(T.c.id).label("id"))
        .where(T.c.prospect_id.in_(prospect_ids), T.c.note != "")
        .group_by(T.c.prospect_id)
        .subquery()
    )
    rows = session.execute(select(T.c.prospect_id, T.c.note).join(newest, T.c.id == newest.c.id))
    return {pid: note for pid, note in rows}


def changes(session: Session | Connection, prospect_id: int) -> Sequence:
    """A prospect's edits (at, text, undo) in order, as rows."""
    from cadence.store.tables import prospect_change as C

    return session.execute(select(C).where(C.c.prospect_id == prospect_id).order_by(C.c.at, C.c.id)).all()


def delete_touch(session: Session, touch_id: int) -> None:
    session.execute(delete(T).where(T.c.id == touch_id))


# ---------------------------------------------------------------- cadence versions


def save_version(session: Session, hash_: str, name: str, content: dict, at) -> None:
    """Store a copy of one cadence version; a copy already stored is left as it is."""
    from cadence.store.tables import cadence_version as CadenceVersion

    values = {"hash": hash_, "name": name, "content": content, "created_at": at}
    dialect = dialect_name(session)
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        # Two reps enrolling into the same new version at once both insert it.
        session.execute(insert(CadenceVersion).values(**values).on_conflict_do_nothing(index_elements=["hash"]))
    elif stored_version(session, hash_) is None:
        session.execute(CadenceVersion.insert().values(**values))


def stored_version(session: Session, hash_: str):
    """The stored copy with this hash (its `content`), or None."""
    from cadence.store.tables import cadence_version

    return session.execute(select(cadence_version).where(cadence_version.c.hash == hash_)).first()


def in_cadence(session: Session, name: str, owner: str | None) -> Sequence[Prospect]:
    """Every prospect whose cadence is `name`, in id order."""
    query = _select(session, P).where(P.c.cadence == name)
    if owner:
        query = query.where(P.c.owner == owner)
    return _all(session, query.order_by(P.c.id))


def following(session: Session, statuses: Sequence[str], owner: str | None) -> list[tuple[str, str | None, int]]:
    """(cadence, version, count) of prospects in these statuses, per cadence and recorded version."""
    query = (
        select(P.c.cadence, P.c.cadence_version, func.count())
        .where(P.c.cadence.is_not(None), P.c.status.in_(list(statuses)))
        .group_by(P.c.cadence, P.c.cadence_version)
        .order_by(P.c.cadence)
    )
    if owner:
        query = query.where(P.c.owner == owner)
    return [(name, version, count) for name, version, count in session.execute(query)]


# ---------------------------------------------------------------- importing

# What an import needs to know of a person already stored: who, whether reachable, what is filled.
CONTACT_FIELDS = (
    "id", "status", "first_name", "last_name", "title", "company", "phone", "email", "phone_key", "email_key",
    "timezone", "source", "tags", "owner", "fields",
)


def contacts_matching(session: Session, emails: Iterable[str], phones: Iterable[str]) -> list:
    """(id, status, email_key, phone_key) of prospects whose email or phone key is among those given, by id."""
    lock_adding(session)
    table = P
    columns = (table.c.id, table.c.status, table.c.email_key, table.c.phone_key)
    connection = session.connection()
    plain = connection.dialect.name == "sqlite"  # an import asks this for every batch: straight to the driver
    found: list = []
    for column, values in ((table.c.email_key, sorted({e for e in emails if e})), (table.c.phone_key, sorted({p for p in phones if p}))):
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            if plain:
                marks = ", ".join("?" * len(chunk))
                query = f"SELECT id, status, email_key, phone_key FROM prospect WHERE {column.name} IN ({marks})"
                found.extend(connection.exec_driver_sql(query, tuple(chunk)))
            else:
                found.extend(session.execute(select(*columns).where(column.in_(chunk))))
    return sorted(found, key=lambda row: row.id)


def contacts_by_id(session: Session, ids: Iterable[int]) -> list[dict]:
    """The contact fields (CONTACT_FIELDS) of these prospects, as dicts."""
    table = P
    ids = sorted(set(ids))
    rows: list[dict] = []
    for start in range(0, len(ids), 500):
        query = select(*(table.c[name] for name in CONTACT_FIELDS)).where(table.c.id.in_(ids[start : start + 500]))
        rows.extend(dict(row._mapping) for row in session.execute(query))
    return rows


def names_and_companies(session: Session) -> list[tuple[int, str, str, str, str]]:
    """(id, first_name, last_name, company, status) of every prospect with a company, by id."""
    table = P
    query = select(table.c.id, table.c.first_name, table.c.last_name, table.c.company, table.c.status)
    return [tuple(row) for row in session.execute(query.where(table.c.company != "").order_by(table.c.id))]


def last_prospect_id(session: Session) -> int:
    """The highest prospect id so far (0 for none): an import's own rows are those above it."""
    lock_adding(session)
    table = P
    return session.execute(select(func.max(table.c.id))).scalar() or 0


def names_matching(session: Session, keys: Iterable[str]) -> list[tuple[int, str, str, str, str]]:
    """(id, first_name, last_name, company, status) of prospects with a company whose full name
    (name_key) is among `keys`, by id."""
    table = P
    keys = sorted({k for k in keys if k})
    found: list[tuple[int, str, str, str, str]] = []
    for start in range(0, len(keys), 500):
        query = select(table.c.id, table.c.first_name, table.c.last_name, table.c.company, table.c.status)
        query = query.where(table.c.name_key.in_(keys[start : start + 500]), table.c.company != "")
        found.extend(tuple(row) for row in session.execute(query))
    return sorted(found)


def insert_prospects(session: Session, rows: list[dict], returning: bool = False, shared: dict | None = None) -> list[int] | None:
    """Insert prospect rows (all with the same keys), each with the `shared` values too, in one
    executemany; their ids, in order, when asked."""
    table = P
    if "name_key" not in rows[0]:  # what the ORM's hook (models._keep_name_key) does for one row
        for row in rows:
            row["name_key"] = name_key(row.get("first_name", ""), row.get("last_name", ""))
    shared = {k: v for k, v in (shared or {}).items() if k not in rows[0]}
    connection = session.connection()
    if not returning and connection.dialect.name == "sqlite":
        _insert_plain(connection, table, rows, shared)
        return None
    full = [{**shared, **row} for row in rows]
    if not returning:
        session.execute(table.insert(), full)
        return None
    result = session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), full)
    return [row.id for row in result]


def _insert_plain(connection, table, rows: list[dict], shared: dict) -> None:
    """The same INSERT straight to the SQLite driver, each value converted by its column type
    (shared values once), without SQLAlchemy's per-row statement machinery: a 100,000-row import
    would spend seconds there."""
    from operator import itemgetter

    dialect = connection.dialect

    def converter(name: str):
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    constant = tuple(v if (c := converter(k)) is None else c(v) for k, v in shared.items())
    plain = [name for name in rows[0] if converter(name) is None]
    converted = [(name, converter(name)) for name in rows[0] if converter(name) is not None]
    if len(plain) > 1:
        take = itemgetter(*plain)
    else:  # itemgetter of one name returns the value itself, not a tuple
        take = (lambda row: (row[plain[0]],)) if plain else (lambda row: ())
    params = [(*constant, *take(row), *[convert(row[name]) for name, convert in converted]) for row in rows]
    names = [*shared, *plain, *(name for name, _ in converted)]
    columns = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    marks = ", ".join("?" for _ in names)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", params)


def fill_prospects(session: Session, changes: dict[int, dict], at) -> None:
    """Write the given contact fields of each prospect; never its cadence state."""
    from cadence.store import tally

    table = P
    new_owners = [prospect_id for prospect_id, values in changes.items() if "owner" in values]
    with tally.watching(session, new_owners):  # stats by owner follow the prospect
        for prospect_id, values in changes.items():
            assert not set(values) & set(STATE_FIELDS), "an import never changes cadence state"
            session.execute(table.update().where(table.c.id == prospect_id).values(**values, updated_at=at))
    renamed = sorted(prospect_id for prospect_id, values in changes.items() if {"first_name", "last_name"} & set(values))
    for start in range(0, len(renamed), 500):
        query = select(table.c.id, table.c.first_name, table.c.last_name).where(table.c.id.in_(renamed[start : start + 500]))
        for row in session.execute(query).all():
            session.execute(table.update().where(table.c.id == row.id).values(name_key=name_key(row.first_name, row.last_name)))
