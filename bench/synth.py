"""Build a synthetic cadence database through cadence's own code, for bench/run.py.

    python bench/synth.py --prospects 10000 --touches 100000 --day 2026-11-24 --out bench/.cache/p10000.db
    python bench/synth.py --prospects 100000 --touches 1000000 --day 2026-11-24 --reps 20 \
        --out postgresql+psycopg://user:password@127.0.0.1:5432/cadence_team_base

Every prospect's history is played through the scheduling engine (engine.enroll,
engine.log, pausing.reenroll) with the built-in cadences, exactly as `cadence log`
would play it; rows are built with Pipeline.new_row, queries.put_state and
queries.snapshot and written with bulk inserts. Histories are placed in time so
that about --due prospects are due on or before --day (two thirds of them on the
day itself) and the rest are either finished or due later, with every touch
before the day. The business calendar has no public holidays here, so moving a
whole history by whole weeks keeps every rule.

Prints a JSON summary on stdout (also kept next to the database as PATH.json);
an existing database built by the same generator for the same schema is reused.

--out may also be a PostgreSQL URL: the database is (re)created on that server
(through its `postgres` database), migrated by cadence's own open_engine and
loaded with COPY; the summary is kept as the database's comment. --reps N deals
the prospects round-robin to N reps (rep01, rep02, ...: their CADENCE_USER),
each touch logged by its prospect's owner.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

GENERATOR = 8  # bump when the data changes shape, so cached databases are rebuilt
BASE_START = date(2020, 1, 6)  # a Monday; histories are simulated from here, then moved
CADENCES = (("five-touch-fire", 40), ("stop-chasing", 20), ("three-voicemails", 20), ("long-haul-breakup", 20))
FIRST = ("Ana", "Ben", "Chloé", "Dmitri", "Eve", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kofi", "Lena", "Mateo",
         "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Xavier", "Yara", "Zoe")
LAST = ("Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "García", "Hughes", "Ivanova", "Jensen", "Kim",
        "López", "Müller", "Nakamura", "O'Brien", "Patel", "Quispe", "Rossi", "Smith", "Tanaka", "Ueda", "Varga",
        "Weber", "Xu", "Young", "Zhang")
COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne",
             "Soylent", "Aperture", "Vandelay", "Pied Piper", "Dunder Mifflin", "Gringotts", "Monarch", "Oscorp")
TITLES = ("VP Sales", "Head of Operations", "CFO", "IT Director", "Office Manager", "Founder", "COO")
AREA_CODES = ("212", "312", "415", "617", "713", "303", "206", "305", "602", "404", "215", "503")
SYLLABLES = ("ka", "vo", "ren", "mi", "sa", "tel", "dor", "lin", "ba", "quo", "zen", "ria", "pol", "han", "se", "ti")
NOTES = ("", "", "", "asked for pricing", "in a meeting, try later", "spoke to assistant", "sent deck")


def pick(rng: random.Random, weighted) -> str:
    values, weights = zip(*weighted)
    return rng.choices(values, weights)[0]


@dataclass
class Played:
    """One prospect's history: the touches (with the state before each) and where it ended."""

    start: date
    state: object
    touches: list  # (engine.Touch, State before, cadence name, note)


class Simulator:
    """Plays histories through the engine with the salesperson's usual mix of outcomes."""

    def __init__(self, pipe):
        from cadence.domain import engine

        self.engine = engine
        self.plans = {name: pipe.cadence(name) for name, _ in CADENCES}
        self.calendars = {name: pipe.calendar_for(plan) for name, plan in self.plans.items()}
        self.lead = pipe.profile.callback_lead

    def outcome(self, rng: random.Random, kind: str):
        O = self.engine.Outcome
        if kind == "email" or kind == "fire-email":
            return pick(rng, ((O.SENT, 93), (O.REPLIED, 3), (O.BOUNCED, 1), (O.NOT_INTERESTED, 2), (O.MEETING, 1)))
        if kind == "callback":
            return pick(rng, ((O.CONNECTED, 35), (O.NO_ANSWER, 30), (O.MEETING, 15), (O.NOT_INTERESTED, 12), (O.CALLBACK, 8)))
        if kind == "recycle":
            return O.NO_ANSWER
        return pick(rng, ((O.NO_ANSWER, 50), (O.VOICEMAIL, 28), (O.GATEKEEPER, 8), (O.CONNECTED, 4), (O.CALLBACK, 4),
                          (O.MEETING, 1.5), (O.NOT_INTERESTED, 2.5), (O.BAD_NUMBER, 0.6), (O.DISQUALIFIED, 0.6),
                          (O.DO_NOT_CONTACT, 0.3)))

    def play(self, rng: random.Random, start: date, target: int, stubborn: bool = False) -> Played:
        """A history of about `target` touches from `start`, the salesperson working each item on time or late.

        `stubborn`: a long-haul prospect, recycled and re-enrolled for years until `target` touches
        (never do-not-contact nor a bad number, never dropped).
        """
        from cadence.domain import pausing

        e, O, S = self.engine, self.engine.Outcome, self.engine.Status
        name = pick(rng, CADENCES)
        plan, calendar = self.plans[name], self.calendars[name]
        state = e.enroll(plan, calendar, start)
        touches = []
        while len(touches) < target:
            kind = e.item_type(plan, state)
            last = state.last_done_on or state.started_on
            if kind is None:
                if state.status == S.FIRED and rng.random() < 0.35:
                    on = calendar.roll_forward(last + timedelta(days=rng.randint(3, 120)))
                    outcome, kind = O.REPLIED, "reply"
                elif state.status in (S.DO_NOT_CONTACT, S.NEEDS_FIX) or (rng.random() < 0.1 and not stubborn):
                    break
                else:  # someone picks the file up again months later, perhaps with another cadence
                    name = pick(rng, CADENCES)
                    plan, calendar = self.plans[name], self.calendars[name]
                    on = calendar.roll_forward(last + timedelta(days=rng.randint(60, 300)))
                    state = pausing.reenroll(plan, calendar, state, on, force=True)
                    continue
            else:
                delay = 0 if rng.random() < 0.75 else rng.choice((1, 1, 2, 3, 5))
                on = calendar.roll_forward(state.due_on + timedelta(days=delay))
                channel = plan.steps[state.step - 1].channel if kind not in ("callback", "recycle") and state.step else "phone"
                outcome = self.outcome(rng, "email" if channel == "email" else kind)
                while stubborn and outcome in (O.DO_NOT_CONTACT, O.BAD_NUMBER, O.BOUNCED):
                    outcome = self.outcome(rng, "email" if channel == "email" else kind)
            callback_on = None
            if outcome == O.CALLBACK:
                callback_on = on + timedelta(days=rng.randint(5, 45))
            elif outcome in (O.CONNECTED, O.REPLIED, O.MEETING) and rng.random() < 0.5:
                callback_on = on + timedelta(days=rng.randint(5, 30))
            before = state
            result = e.log(plan, calendar, state, outcome, on, callback_on=callback_on,
                           next_on=callback_on if outcome != O.CALLBACK else None, callback_lead=self.lead)
            touches.append((result.touch, before, before.cadence, rng.choice(NOTES)))
            state = result.state
        return Played(start, state, touches)


def moved(played: Played, weeks: int) -> Played:
    """The same history `weeks` weeks later (weekdays, and so every business-day rule, unchanged)."""
    from dataclasses import fields, replace

    shift = timedelta(weeks=weeks)

    def move(value):
        if isinstance(value, date):
            return value + shift
        return value

    def move_all(obj):
        return replace(obj, **{f.name: move(getattr(obj, f.name)) for f in fields(obj)})

    return Played(
        played.start + shift,
        move_all(played.state),
        [(move_all(touch), move_all(before), cadence, note) for touch, before, cadence, note in played.touches],
    )


def place(played: Played, day: date, rng: random.Random, want: str) -> Played | None:
    """Move the history so it is `want` ('due', 'future', 'closed') on `day`; None when it cannot be."""
    state = played.state
    last = played.touches[-1][0].on if played.touches else None
    due = state.due_on
    if want == "closed":
        target = day - timedelta(days=rng.randint(1, 730))
        return moved(played, (target - (last or played.start)).days // 7)
    if due is None:
        return None
    if want == "due":
        return moved(played, (day - due).days // 7)  # due in the week ending on `day`
    # future: due after `day`, every touch before it (a fresh enrollment may start later)
    low = (day - due).days // 7 + 1  # the smallest shift with due > day
    if last is None:
        return moved(played, rng.randint(low, low + 8))
    high = ((day - last).days - 1) // 7  # the largest shift with the last touch before day
    if low > high:
        return None
    return moved(played, rng.randint(low, min(high, low + 8)))


def rep_names(reps: int) -> list[str]:
    """The reps' names (their CADENCE_USER): rep01, rep02, ..."""
    return [f"rep{n:02d}" for n in range(1, reps + 1)]


def is_url(out) -> bool:
    return str(out).startswith(("postgresql", "postgres:", "postgres+"))


def build(prospects: int, touches: int, day: date, due_target: int, out, seed: int, long_haul: tuple[int, ...] = (),
          reps: int = 0) -> dict:
    from sqlalchemy import text

    from cadence.pipeline import versions
    from cadence.domain.engine import Status
    from cadence.pipeline.core import NewProspect, Pipeline
    from cadence.store import queries
    from cadence.store.db import open_engine
    from cadence.store.models import Prospect, Touch, name_key

    on_postgres = is_url(out)
    if on_postgres:
        import pg_target

        pg_target.recreate(str(out))
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(str(out) + suffix).unlink(missing_ok=True)
    engine_ = open_engine(str(out))
    owners = rep_names(reps) or [""]
    pipe = Pipeline(engine_, system_zone=timezone.utc)
    sim = Simulator(pipe)
    ratio = touches / prospects
    made_touches = 0
    wanted = {"today": round(due_target * 2 / 3), "overdue": due_target - round(due_target * 2 / 3)}
    open_seen = 0
    prospect_rows: list[dict] = []
    touch_rows: list[dict] = []
    due_today: list[tuple[int, str]] = []
    names: Counter[str] = Counter()
    long_ids: list[tuple[int, int]] = []
    columns = [c.name for c in Prospect.__table__.columns if c.name != "id"]

    with pipe.writing() as session:
        pinned = {name: versions.record(session, plan, datetime(2020, 1, 1, tzinfo=timezone.utc))
                  for name, plan in sim.plans.items()}
    with engine_.begin() as connection:
        for i in range(prospects):
            rng = random.Random(seed * 1_000_003 + i)
            left = prospects - i
            stubborn = i < len(long_haul)  # the first prospects are the long-haul ones
            target = long_haul[i] if stubborn else max(0, round((touches - made_touches) / left + rng.uniform(-ratio, ratio) * 0.9))
            played = sim.play(rng, BASE_START + timedelta(weeks=rng.randint(0, 100)), target, stubborn)
            placed = None
            if played.state.due_on is not None:
                open_seen += 1
                expected_open = open_seen / (i + 1) * left
                today_match = played.state.due_on.weekday() == day.weekday()
                need = wanted["today"] if today_match else wanted["overdue"]
                share = (5 if today_match else 5 / 4) * need / max(1.0, expected_open)
                if need > 0 and rng.random() < share:
                    placed = place(played, day, rng, "due")
                    wanted["today" if today_match else "overdue"] -= 1
                for _ in range(20):
                    if placed is not None:
                        break
                    placed = place(played, day, rng, "future")
                    if placed is None:  # the gap is too short to straddle the day: play another history
                        played = sim.play(rng, BASE_START + timedelta(weeks=rng.randint(0, 100)), target, stubborn)
                        if played.state.due_on is None:
                            placed = place(played, day, rng, "closed")
                if placed is None:
                    placed = place(played, day, rng, "due")
            else:
                placed = place(played, day, rng, "closed")
            prospect_id = i + 1
            first = rng.choice(FIRST)
            last = rng.choice(LAST) if rng.random() < 0.5 else "".join(rng.choices(SYLLABLES, k=3)).title()
            names[f"{first} {last}"] += 1
            company = rng.choice(COMPANIES)
            person = NewProspect(
                first_name=first,
                last_name=last,
                title=rng.choice(TITLES),
                company=company,
                phone=f"+1 {rng.choice(AREA_CODES)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}" if rng.random() < 0.95 else "",
                email=f"{first.lower()}.{prospect_id}@{company.lower().replace(' ', '')}.example",
                source=rng.choice(("webinar", "list", "referral", "event")),
                fields={"industry": rng.choice(("saas", "retail", "logistics", "health")), "employees": str(rng.randint(5, 5000))},
            )
            first_day = placed.touches[0][0].on if placed.touches else placed.start
            created = datetime.combine(min(first_day, placed.start) - timedelta(days=rng.randint(0, 20)), time(8), timezone.utc)
            row = pipe.new_row(person, created)
            row.owner = owners[i % len(owners)]
            queries.put_state(row, placed.state)
            row.cadence_version = pinned.get(row.cadence) if row.cadence else None
            stamps = []
            for touch, before, cadence, note in placed.touches:
                at = datetime.combine(touch.on, time(rng.randint(8, 17), rng.randint(0, 59)), timezone.utc)
                stamps.append(at)
                touch_rows.append({
                    "prospect_id": prospect_id, "at": at, "on": touch.on, "cadence": cadence, "step": touch.step,
                    "step_type": touch.step_type, "outcome": touch.outcome.value, "note": note,
                    "attempt": touch.attempt, "after_fire": touch.after_fire, "forced": touch.forced, "owner": row.owner,
                    "state_before": queries.snapshot(before),
                })
            row.updated_at = stamps[-1] if stamps else created
            values = {name: getattr(row, name) for name in columns}
            values["id"] = prospect_id
            values["name_key"] = name_key(row.first_name, row.last_name)  # the bulk insert bypasses the ORM hook that keeps it
            prospect_rows.append(values)
            made_touches += len(placed.touches)
            if stubborn:
                long_ids.append((prospect_id, len(placed.touches)))
            state = placed.state
            if state.due_on == day and state.status == Status.ACTIVE and row.phone:
                due_today.append((prospect_id, f"{first} {last}"))
            if len(touch_rows) >= 20000 or i == prospects - 1:
                write_rows(connection, Prospect.__table__, prospect_rows)  # touches need their prospects first
                write_rows(connection, Touch.__table__, touch_rows)
                prospect_rows.clear()
                touch_rows.clear()
        if on_postgres:  # the ids were given: the next `add` must not take one of them
            connection.execute(text("SELECT setval(pg_get_serial_sequence('prospect', 'id'), (SELECT max(id) FROM prospect))"))
        from cadence.store import tally

        tally.rebuild(connection)  # the bulk inserts above bypass the running totals that `log` keeps
    with engine_.connect() as connection:
        status = dict(connection.execute(text("SELECT status, count(*) FROM prospect GROUP BY status")).all())
        listed = connection.execute(
            text("SELECT count(*), sum(CASE WHEN due_on = :day THEN 1 ELSE 0 END) FROM prospect WHERE due_on <= :day "
                 "AND status IN ('active','snoozed','engaged','converted','fired')"),
            {"day": day if on_postgres else day.isoformat()}).one()
        counted = connection.execute(text("SELECT count(*) FROM touch")).scalar_one()
        if on_postgres:
            connection.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would leave them
            connection.commit()
    engine_.dispose()
    if not on_postgres:
        with closing(sqlite3.connect(out)) as raw:  # fold the WAL in, so copies of the file are whole
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    from cadence.store.db import HEAD

    return {
        "generator": GENERATOR,
        "schema": HEAD,
        "seed": seed,
        "path": str(out) if not on_postgres else pg_target.shown_url(str(out)),
        "day": day.isoformat(),
        "prospects": prospects,
        "reps": reps,
        "touches": counted,
        "due": listed[0],
        "due_today": int(listed[1] or 0),
        "status": status,
        "log_ids": [pid for pid, _ in due_today[:50]],
        "log_names": [name for _, name in due_today if names[name] == 1][:20],
        "long_haul": [{"id": pid, "touches": count} for pid, count in long_ids],
    }


def write_rows(connection, table, rows: list[dict]) -> None:
    """Bulk-insert rows (all with the same keys): COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        import pg_target

        pg_target.copy_rows(connection, table, rows)
    else:
        connection.execute(table.insert(), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prospects", type=int, required=True)
    parser.add_argument("--touches", type=int, required=True)
    parser.add_argument("--day", type=date.fromisoformat, required=True, help="the day whose list is benchmarked")
    parser.add_argument("--due", type=int, default=300, help="about how many items are due on or before the day")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", required=True, help="a SQLite file, or a PostgreSQL URL (the database is recreated)")
    parser.add_argument("--reps", type=int, default=0, help="deal the prospects to this many reps (rep01, rep02, ...)")
    parser.add_argument("--rebuild", action="store_true", help="build even when a cached database fits")
    parser.add_argument("--long-haul", default="500,3000", metavar="N,N,...",
                        help="touch counts of long-haul prospects (ids 1, 2, ...): recycled and re-enrolled for years")
    args = parser.parse_args()
    from cadence.store.db import HEAD

    long_haul = tuple(int(n) for n in args.long_haul.split(",") if n.strip())
    key = {"generator": GENERATOR, "schema": HEAD, "seed": args.seed, "day": args.day.isoformat(), "prospects": args.prospects,
           "long_haul_wanted": list(long_haul)}
    if args.reps:
        key.update(reps=args.reps, touches_wanted=args.touches, due_wanted=args.due)
    summary = ensure(args.out, key, args.rebuild,
                     lambda: build(args.prospects, args.touches, args.day, args.due, args.out, args.seed, long_haul, args.reps))
    print(json.dumps(summary))


def ensure(out: str, key: dict, rebuild: bool, make) -> dict:
    """The summary of the database at `out`: the cached one when its key matches, else `make()`'s after building."""
    if is_url(out):
        import pg_target

        summary = None if rebuild else pg_target.read_summary(out)
    else:
        summary_path = Path(out + ".json")
        summary = json.loads(summary_path.read_text()) if not rebuild and Path(out).exists() and summary_path.exists() else None
    if summary is not None and all(summary.get(k) == v for k, v in key.items()):
        return summary
    if not is_url(out):
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    started = datetime.now()
    summary = make()
    summary.update(key)
    summary["build_seconds"] = round((datetime.now() - started).total_seconds(), 1)
    if is_url(out):
        pg_target.write_summary(out, summary)
    else:
        Path(out + ".json").write_text(json.dumps(summary, indent=2))
    return summary


if __name__ == "__main__":
    sys.exit(main())
