"""Activity goals (`me set goal_*`, shown by `today` and `work`) and `stats --by rep`."""

from __future__ import annotations

import json

from tests.test_stats import add
from tests.test_team import rep  # noqa: F401  (the fixture)


def test_goal_keys_are_known_and_checked(cli):
    cli("me", "set", "goal_dials", "60")
    cli("me", "set", "goal_meetings_week", "5")
    bad = cli("me", "set", "goal_dials", "lots", ok=False)
    assert bad.exit_code == 1
    assert "error: 'lots' is not a whole number" in bad.stderr
    unknown = cli("me", "set", "goal_dial", "60", ok=False)
    assert unknown.exit_code == 1
    assert "unknown profile key 'goal_dial': did you mean goal_dials?" in unknown.stderr


def test_today_shows_progress_against_the_goals_and_keeps_its_json_an_array(cli):
    one, two, three = add(cli, "Ann"), add(cli, "Ben"), add(cli, "Cy")
    cli("log", one, "vm", "--at", "2026-11-23T10:00")  # Monday: a dial
    cli("log", two, "connected", "--at", "2026-11-23T11:00")  # Monday: a dial, a connect
    cli("log", three, "meeting", "--at", "2026-11-24T09:00")  # Tuesday: a dial, a connect, a meeting
    cli("log", one, "replied", "--at", "2026-11-24T09:30")  # not a dial
    plain = cli("today", "--at", "2026-11-24T12:00")
    assert "Goals" not in plain.stderr + plain.stdout  # no goal set: no line
    cli("me", "set", "goal_dials", "3")
    cli("me", "set", "goal_connects", "1")
    cli("me", "set", "goal_meetings_week", "2")
    cli("me", "set", "goal_dials_week", "0")  # 0: no goal
    result = cli("today", "--at", "2026-11-24T12:00", "--json")
    assert isinstance(json.loads(result.stdout), list)
    assert result.stderr.strip().splitlines()[-1] == "Goals today: dials 1/3 · connects 1/1 ✓; this week: meetings 1/2"
    monday = cli("today", "--at", "2026-11-23T18:00")
    assert "Goals today: dials 2/3 · connects 1/1 ✓; this week: meetings 0/2" in monday.stderr
    next_week = cli("today", "--at", "2026-11-30T09:00", "--brief")
    assert "Goals today: dials 0/3 · connects 0/1; this week: meetings 0/2" in next_week.stderr


def test_the_end_of_a_work_session_shows_the_goals(cli):
    add(cli, "Ann")
    cli("me", "set", "goal_dials", "10")
    result = cli("work", "--at", "2026-11-23T10:00", input="vm\n\nquit\n")
    assert "Goals today: dials 1/10" in result.stderr


def test_stats_by_rep_counts_what_each_rep_logged(cli, rep):
    rep("ana")
    megan, mia = add(cli, "Megan"), add(cli, "Mia")
    cli("log", megan, "vm", "--at", "2026-11-23T10:00")
    cli("log", mia, "connected", "--at", "2026-11-23T10:05")
    rep("bob")
    tom = add(cli, "Tom")
    cli("log", tom, "na", "--at", "2026-11-23T10:00")
    cli("log", tom, "meeting", "--at", "2026-11-24T10:00")
    rows = cli.json("stats", "--by", "rep", "--all")
    by = {r["rep"]: r for r in rows}
    assert set(by) == {"ana", "bob"}
    assert (by["ana"]["dials"], by["ana"]["connects"], by["ana"]["meetings"], by["ana"]["prospects"]) == (2, 1, 0, 2)
    assert by["ana"]["connect_rate"] == 0.5
    assert (by["bob"]["dials"], by["bob"]["connects"], by["bob"]["meetings"], by["bob"]["prospects"]) == (2, 1, 1, 1)
    assert by["bob"]["statuses"] == {"converted": 1}
    # the current rep alone, without --all
    assert [r["rep"] for r in cli.json("stats", "--by", "rep")] == ["bob"]
    shown = cli("stats", "--by", "rep", "--all").stdout
    assert "ana" in shown and "50.0%" in shown
    bad = cli("stats", "--by", "team", ok=False)
    assert bad.exit_code == 1 and "error: --by 'team' is not known: use --by rep" in bad.stderr
