"""Several reps logging the same prospects at the same moment, on the suite's database.

Each worker is a separate process with its own connection, as two terminals or two
laptops would be. Afterwards every touch is there exactly once and every prospect's
step matches its touches.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

WORKERS = 6
PROSPECTS = 8
FIRST_DAY = date(2026, 11, 23)
DAYS = [FIRST_DAY + timedelta(days=n) for n in range(21)]  # enough for all five steps, Thanksgiving included


def log_every_day(url: str, prospect_ids: list[int], seed: int, start) -> tuple[list[tuple[int, int]], int, str | None]:
    """One rep: every day, try to log each prospect's due step. Returns (logged, refused, crash)."""
    from cadence.domain.engine import Outcome
    from cadence.errors import CadenceError
    from cadence.pipeline.core import Pipeline
    from cadence.store.db import open_engine

    engine = open_engine(url)
    pipe = Pipeline(engine, system_zone=timezone.utc)
    order = list(prospect_ids)
    logged: list[tuple[int, int]] = []
    refused = 0
    start.wait()  # everyone starts at the same moment
    try:
        for day in DAYS:
            random.Random(seed * 1000 + day.toordinal()).shuffle(order)
            for prospect_id in order:
                at = datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc)
                try:
                    try:
                        result = pipe.log(str(prospect_id), Outcome.NO_ANSWER, at)
                    except CadenceError as exc:
                        if "does not fit" not in str(exc):
                            raise
                        result = pipe.log(str(prospect_id), Outcome.SENT, at)  # step 3 is an email
                except CadenceError:
                    refused += 1  # not due yet, or already fired: someone else took this step
                else:
                    logged.append((prospect_id, result.step))
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
        return logged, refused, repr(exc)
    finally:
        engine.dispose()
    return logged, refused, None


def test_workers_logging_the_same_prospects_record_each_step_once(prospect_factory, pipeline, database_url):
    ids = [prospect_factory(start=FIRST_DAY).id for _ in range(PROSPECTS)]
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager:
        start = manager.Barrier(WORKERS)
        with spawn.Pool(WORKERS) as pool:
            outcomes = pool.starmap(log_every_day, [(database_url, ids, seed, start) for seed in range(WORKERS)])

    assert [crash for _, _, crash in outcomes] == [None] * WORKERS
    logged = sorted(entry for done, _, _ in outcomes for entry in done)
    everything = sorted((prospect_id, step) for prospect_id in ids for step in range(1, 6))
    assert logged == everything  # each step taken by exactly one worker
    assert sum(refused for _, refused, _ in outcomes) == WORKERS * PROSPECTS * len(DAYS) - len(everything)

    with pipeline.engine.connect() as connection:
        touches = connection.execute(sa.text("SELECT prospect_id, step FROM touch ORDER BY prospect_id, step")).all()
        prospects = connection.execute(sa.text("SELECT id, status, attempts, step FROM prospect ORDER BY id")).all()
    assert [tuple(t) for t in touches] == everything  # nothing lost, nothing twice
    assert [tuple(p) for p in prospects] == [(prospect_id, "fired", 5, None) for prospect_id in ids]
    # Each step's variant round-robin counted each prospect once: their places there are 0..7, none shared.
    with pipeline.engine.connect() as connection:
        counters = connection.execute(sa.text("SELECT step, taken FROM variant_counter ORDER BY step")).all()
        slots = connection.execute(sa.text("SELECT variant_slot FROM prospect ORDER BY variant_slot")).scalars().all()
    assert [tuple(c) for c in counters] == [(n, PROSPECTS) for n in range(1, 6)]
    assert slots == list(range(PROSPECTS))  # the places they took on step 5, their last
    # The running totals of `stats` took every one of those touches, once.
    from cadence.pipeline.stats import compute

    five = {e.cadence: e for e in compute(pipeline)}["five-touch-fire"]
    assert [(s.step, s.touches) for s in five.steps] == [(n, PROSPECTS) for n in range(1, 6)]
    assert five.fired == PROSPECTS


def test_four_terminals_logging_one_step_record_it_once(prospect_factory, database_url):
    """`cadence log` run four times at once for the same due step: one logs it, three are told it is done."""
    prospect_factory(first_name="Megan", start=FIRST_DAY)
    command = [sys.executable, "-m", "cadence", "log", "Megan", "vm", "--at", "2026-11-23T10:00", "--json"]
    env = {**os.environ, "CADENCE_DB": database_url}
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL) for _ in range(4)]
    results = sorted((run.wait(timeout=120), run.stderr.read()) for run in runs)
    for run in runs:
        run.stdout.close()
        run.stderr.close()
    assert results == [(0, "")] + [(1, "error: step 2 for Megan Example is not due until 2026-11-24; use --force to log it early\n")] * 3


def import_at_once(url: str, leads: str, start) -> tuple[int, int]:
    """One rep importing `leads` the moment everyone is ready: (added, already present)."""
    from cadence.importer import import_file
    from cadence.pipeline.core import Pipeline
    from cadence.store.db import open_engine

    engine = open_engine(url)
    try:
        pipe = Pipeline(engine, system_zone=timezone.utc)
        start.wait()
        # Without a cadence: enrolling would also queue them, on the stored cadence version.
        report = import_file(pipe, leads, datetime(2026, 11, 23, 9, tzinfo=timezone.utc), enroll=False)
        return report.added, report.already_present
    finally:
        engine.dispose()


def test_four_imports_of_the_same_list_at_once_add_each_person_once(pipeline, database_url, tmp_path):
    leads = tmp_path / "leads.csv"
    people = 2000  # enough rows that the imports overlap
    leads.write_text("First Name,Last Name,Email\n" + "".join(f"Pat,Number{n},pat{n}@example.com\n" for n in range(people)))
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager:
        start = manager.Barrier(4)
        with spawn.Pool(4) as pool:
            counts = pool.starmap(import_at_once, [(database_url, str(leads), start)] * 4)
    assert sorted(counts) == [(0, people)] * 3 + [(people, 0)]
    with pipeline.engine.connect() as connection:
        assert tuple(connection.execute(sa.text("SELECT count(*), count(DISTINCT email_key) FROM prospect")).one()) == (people, people)


@pytest.mark.postgres_only
def test_a_prospect_held_past_the_busy_timeout_is_refused_in_time(cli, prospect_factory, database_url, monkeypatch):
    """The PostgreSQL side of test_hostile's busy SQLite file: another transaction keeps the row locked."""
    import time

    row = prospect_factory(first_name="Megan", start=FIRST_DAY)
    monkeypatch.setenv("CADENCE_BUSY_TIMEOUT", "0.5")
    holder = sa.create_engine(database_url)
    with holder.connect() as connection, connection.begin():
        connection.execute(sa.text("SELECT id FROM prospect WHERE id = :id FOR UPDATE"), {"id": row.id})
        began = time.monotonic()
        result = cli("log", "Megan", "vm", "--at", "2026-11-23T10:00", ok=False)
        waited = time.monotonic() - began
    holder.dispose()
    assert (result.exit_code, result.stderr) == (
        1, "error: another cadence kept the same prospect busy for 0.5 s: try again, or wait longer with CADENCE_BUSY_TIMEOUT=SECONDS\n")
    assert 0.5 <= waited < 10
    assert cli.json("log", "Megan", "vm", "--at", "2026-11-23T10:00")["step"] == 1  # free again: logged once


@pytest.mark.postgres_only
def test_an_import_killed_while_inserting_leaves_nothing_behind(database_url, tmp_path, pipeline):
    """The PostgreSQL side of test_crash's killed import: the server rolls the whole import back."""
    import signal
    import time

    leads = tmp_path / "leads.csv"
    people = 20000
    leads.write_text("First Name,Last Name,Email\n" + "".join(f"Pat,Number{n},pat{n}@example.com\n" for n in range(people)))
    env = {**os.environ, "CADENCE_DB": database_url}
    run = subprocess.Popen([sys.executable, "-m", "cadence", "import", str(leads), "--no-enroll"], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watching = """SELECT count(*) FROM pg_stat_activity
                  WHERE datname = current_database() AND application_name = 'cadence' AND query LIKE 'INSERT INTO prospect%'"""
    with pipeline.engine.connect() as connection:
        deadline = time.monotonic() + 60
        while not connection.execute(sa.text(watching)).scalar() and run.poll() is None and time.monotonic() < deadline:
            connection.rollback()
            time.sleep(0.01)
    assert run.poll() is None, "the import finished before it could be killed: give it more rows"
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=60)
    with pipeline.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM prospect")).scalar() == 0
    again = subprocess.run([sys.executable, "-m", "cadence", "import", str(leads), "--no-enroll", "--json"], env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert json.loads(again.stdout)["added"] == people
