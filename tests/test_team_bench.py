"""bench/team_bench.py's integrity check, on a tiny team database: clean after real logs, and it catches
a doubled touch, a lost touch and a prospect whose state went back (all made by hand)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres_only

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


@pytest.fixture
def worked(database_url, tmp_path):
    """(url, touch counts before, the records of one rep's day worked in-process) on a 40-prospect, 2-rep database."""
    import synth
    import team_bench

    synth.build(40, 300, team_bench.DAY, 12, database_url, 7, (), reps=2)
    before = team_bench.touch_counts(database_url)
    out = tmp_path / "rep01.jsonl"
    team_bench.work("in-process", database_url, "rep01", 60, 1, str(out))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    return database_url, before, records


def execute(url: str, statement: str, *params) -> None:
    import pg_target

    with pg_target.connect(url) as connection:
        connection.execute(statement, params)


def test_the_check_is_clean_after_real_logs(worked):
    import team_bench

    url, before, records = worked
    logs = [r for r in records if r["command"] == "log"]
    assert len(logs) >= 3 and all(r["ok"] for r in logs)
    report = team_bench.check(url, before, records)
    assert report == {"logged": len(logs), "touches_found": len(logs), "lost": [], "doubled": [], "unreported": [],
                      "counts": [], "states": [], "clean": True}


def test_the_check_catches_a_doubled_touch(worked):
    import team_bench

    url, before, records = worked
    first = next(r for r in records if r["command"] == "log")
    execute(url, "INSERT INTO touch (prospect_id, at, \"on\", cadence, step, step_type, outcome, note, attempt, after_fire, "
                 "forced, owner, state_before) SELECT prospect_id, at, \"on\", cadence, step, step_type, outcome, note, attempt, "
                 "after_fire, forced, owner, state_before FROM touch WHERE note = %s", first["note"])
    report = team_bench.check(url, before, records)
    assert (report["doubled"], report["lost"], report["counts"], report["clean"]) == ([first["note"]], [], [first["prospect_id"]], False)
    assert report["touches_found"] == report["logged"] + 1


def test_the_check_catches_a_lost_touch(worked):
    import team_bench

    url, before, records = worked
    last = [r for r in records if r["command"] == "log"][-1]
    execute(url, "DELETE FROM touch WHERE note = %s", last["note"])
    report = team_bench.check(url, before, records)
    assert (report["lost"], report["doubled"], report["counts"], report["clean"]) == ([last["note"]], [], [last["prospect_id"]], False)


def test_the_check_catches_a_state_that_disagrees_with_the_touch_log(worked):
    import team_bench

    url, before, records = worked
    last = [r for r in records if r["command"] == "log"][-1]
    # The touch is there, the prospect is not where that log left it (as a lost update would leave it).
    execute(url, "UPDATE prospect SET status = CASE WHEN status = 'lost' THEN 'active' ELSE 'lost' END WHERE id = %s",
            last["prospect_id"])
    report = team_bench.check(url, before, records)
    assert (report["states"], report["lost"], report["doubled"], report["clean"]) == ([last["prospect_id"]], [], [], False)
