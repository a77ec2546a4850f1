"""Crash safety on SQLite: processes killed with SIGKILL halfway through a write, and two writers at once.

A killed import leaves the database exactly as it was; a killed `log` loses at
most its own touch; the file always passes `PRAGMA integrity_check`.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import closing
from datetime import date, datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only

DAY = date(2026, 11, 23)


def cadence(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cadence", *map(str, args)],
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **options,
    )


def dump(path: str) -> list[str]:
    """The whole database as SQL, as SQLite itself sees it (recovering a hot WAL first)."""
    with closing(sqlite3.connect(path)) as connection:
        return list(connection.iterdump())


def integrity(path: str) -> str:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def leads_csv(path: Path, rows: int) -> Path:
    with path.open("w") as handle:
        handle.write("First Name,Last Name,Email,Phone,Company,Title\n")
        for n in range(rows):
            handle.write(f"Ann{n},Lee{n},ann{n}@corp{n % 997}.example,+1 212 555 {n % 10000:04d},Corp {n % 997},VP\n")
    return path


@pytest.mark.parametrize("written", [256 * 1024, 4 * 1024 * 1024])
def test_an_import_killed_halfway_leaves_the_database_as_it_was(tmp_path, pipeline, prospect_factory, database_url, written):
    from cadence.domain.engine import Outcome

    prospect_factory(first_name="Megan", start=DAY)
    pipeline.log("Megan", Outcome.VOICEMAIL, datetime(2026, 11, 23, 10))
    pipeline.engine.dispose()
    before = dump(database_url)
    leads = leads_csv(tmp_path / "leads.csv", 200_000)

    run = cadence("import", leads, "--start", DAY.isoformat())
    wal = Path(database_url + "-wal")
    deadline = time.monotonic() + 300
    while not (wal.exists() and wal.stat().st_size >= written):  # the import is writing its rows
        assert run.poll() is None, f"the import ended ({run.returncode}) before it was killed: {run.stderr.read()!r}"
        assert time.monotonic() < deadline, "the import wrote nothing in 5 minutes"
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    assert run.wait(timeout=60) == -signal.SIGKILL
    run.stderr.close()

    assert integrity(database_url) == "ok"
    assert dump(database_url) == before
    again = subprocess.run([sys.executable, "-m", "cadence", "show", "Megan", "--json"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr


def prospect_state(path: str, prospect_id: int) -> tuple:
    with closing(sqlite3.connect(path)) as connection:
        row = connection.execute("SELECT status, step, due_on, attempts FROM prospect WHERE id = ?", (prospect_id,)).fetchone()
        touches = connection.execute("SELECT count(*) FROM touch WHERE prospect_id = ?", (prospect_id,)).fetchone()[0]
    return tuple(row), touches


def test_a_log_killed_at_any_moment_loses_at_most_its_own_touch(pipeline, prospect_factory, database_url):
    ids = [prospect_factory(start=DAY).id for _ in range(12)]
    pipeline.engine.dispose()
    at = f"{DAY.isoformat()}T10:00"

    started = time.perf_counter()
    full = cadence("log", ids[0], "vm", "--at", at)
    assert full.wait(timeout=120) == 0, full.stderr.read()
    full.stderr.close()
    lifetime = time.perf_counter() - started
    untouched = prospect_state(database_url, ids[1])
    logged = prospect_state(database_url, ids[0])
    assert untouched == (("active", 1, "2026-11-23", 0), 0)
    assert logged == (("active", 2, "2026-11-24", 1), 1)

    killed = 0
    rest = ids[1:]
    for n, prospect_id in enumerate(rest):
        # From early start-up to past the usual end, where the write happens.
        delay = lifetime * (0.4 + 0.7 * n / (len(rest) - 1))
        run = cadence("log", prospect_id, "vm", "--at", at)
        time.sleep(delay)
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
            killed += 1
        code = run.wait(timeout=120)
        run.stderr.close()
        assert integrity(database_url) == "ok"
        state = prospect_state(database_url, prospect_id)
        assert state in (untouched, logged), f"run {n} (exit {code}) left {state}"
        if code == 0:
            assert state == logged
    assert killed > 0
    with closing(sqlite3.connect(database_url)) as connection:
        touches = connection.execute("SELECT count(*) FROM touch").fetchone()[0]
        advanced = connection.execute("SELECT count(*) FROM prospect WHERE step = 2").fetchone()[0]
    assert touches == advanced  # every touch kept has its state, every state its touch
    with closing(sqlite3.connect(database_url)) as connection:  # and its running total for `stats`
        counted = connection.execute("SELECT sum(n) FROM stat_tally WHERE kind = 'touches'").fetchone()[0]
    assert counted == touches


WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime, timezone
    from pathlib import Path
    from cadence.domain.engine import Outcome
    from cadence.pipeline.core import Pipeline
    from cadence.store.db import open_engine

    url, go, shared, *ids = sys.argv[1:]
    pipe = Pipeline(open_engine(url), system_zone=timezone.utc)
    while not Path(go).exists():
        time.sleep(0.001)
    for n, prospect_id in enumerate(ids):
        at = datetime(2026, 11, 23, 10, n, tzinfo=timezone.utc)
        pipe.log(prospect_id, Outcome.VOICEMAIL, at)
        pipe.log(shared, Outcome.REPLIED, at, note=f"{prospect_id}")
    """
)


def test_two_processes_writing_at_once_lose_no_touch(tmp_path, pipeline, prospect_factory, database_url):
    shared = prospect_factory(first_name="Shared", start=DAY).id
    mine = [[prospect_factory(start=DAY).id for _ in range(15)] for _ in range(2)]
    pipeline.engine.dispose()
    go = tmp_path / "go"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, database_url, str(go), str(shared), *map(str, ids)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for ids in mine
    ]
    time.sleep(1)  # both have opened the database
    go.touch()
    results = [(writer.wait(timeout=300), writer.communicate()[1]) for writer in writers]
    assert results == [(0, ""), (0, "")]

    assert integrity(database_url) == "ok"
    with closing(sqlite3.connect(database_url)) as connection:
        notes = sorted(int(n) for (n,) in connection.execute("SELECT note FROM touch WHERE prospect_id = ?", (shared,)))
        stepped = connection.execute("SELECT id FROM prospect WHERE step = 2 AND attempts = 1 ORDER BY id").fetchall()
    assert notes == sorted(mine[0] + mine[1])  # every reply from both writers is there
    assert [row[0] for row in stepped] == sorted(mine[0] + mine[1])
    with closing(sqlite3.connect(database_url)) as connection:  # both writers' touches reached the totals
        counted = dict(connection.execute("SELECT outcome, sum(n) FROM stat_tally WHERE kind = 'touches' GROUP BY outcome"))
        logged = dict(connection.execute("SELECT outcome, count(*) FROM touch WHERE step IS NOT NULL GROUP BY outcome"))
    # 30 voicemails; the first reply came while step 1 was due, the others once engaged (on no step).
    assert counted == logged == {"voicemail": 30, "replied": 1}
