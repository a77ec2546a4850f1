"""CadenceML in and out: `cadences import FILE.yml` and `cadences export NAME --format cadenceml`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cadence.cadences.library import Library, builtin_folder, load_file

CML = Path(__file__).parent / "fixtures" / "cadenceml"


@pytest.fixture
def mine(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    return folder


def plan(cadence):
    return [(s.day, s.type, s.fire_channel, s.title) for s in cadence.steps]


# ---------------------------------------------------------------- import


def test_import_writes_a_native_file_found_by_name(cli, mine):
    result = cli("cadences", "import", CML / "seven-touch.yml")
    assert result.stdout == (
        f"wrote {mine}/seven-touch.yaml: seven-touch, 6 steps\n"
        "Not mapped:\n"
        f"  {CML}/seven-touch.yml:20: seven-touch day 3: channel 'social' became a task step (cadence has no social channel)\n"
    )
    assert result.stderr == ""
    cadence = Library().get("seven-touch")
    assert cadence.path == mine / "seven-touch.yaml"
    assert plan(cadence) == [
        (1, "email", None, "Intro email"),
        (1, "call", None, "Intro call"),
        (2, "no-message-call", None, "Second call"),
        (3, "task", None, "LinkedIn connect"),
        (5, "email", None, "Follow-up email"),
        (7, "fire", "email", "Breakup email"),
    ]
    assert (cadence.days, cadence.weekdays, cadence.holidays) == ("business", (2, 3, 4, 5), "US")
    assert [d.isoformat() for d in cadence.holiday_dates] == ["2026-12-01"]
    email, call, quiet, task, _, fire = cadence.steps
    assert (email.subject, email.body) == ("Intro email", "Two lines, ask who owns the decision")
    assert (call.script, call.voicemail) == ("Leave a voicemail if there is no answer",) * 2
    assert (task.title, task.instructions) == ("LinkedIn connect", "Short note, no pitch")
    assert (fire.subject, fire.body) == ("Breakup email", "Last one, promise")
    assert [s.id for s in cadence.steps] == ["intro-email", "intro-call", "second-call", "linkedin-connect", "follow-up-email", "breakup-email"]


def test_imported_day_numbers_count_eligible_days(cli, mine):
    cli("cadences", "import", CML / "seven-touch.yml")
    steps = cli.json("cadences", "preview", "seven-touch", "--start", "2026-11-23")
    # Day 1 is the first eligible day on or after Monday 23 November: Tuesday. Thanksgiving
    # (Thu 26), Mondays and the offsite day (Tue 1 December) are not eligible.
    assert [(s["date"], s["type"]) for s in steps] == [
        ("2026-11-24", "email"), ("2026-11-24", "call"), ("2026-11-25", "no-message-call"),
        ("2026-11-27", "task"), ("2026-12-03", "email"), ("2026-12-08", "fire"),
    ]


def test_channels_breakups_and_regions_with_what_was_not_mapped(cli, mine):
    out = cli.json("cadences", "import", CML / "mixed.yml")
    assert out["cadences"] == [
        {"name": "quarter-plan", "from": "Quarter Plan", "path": f"{mine}/quarter-plan.yaml", "steps": 6},
        {"name": "calendar-week", "from": "calendar-week", "path": f"{mine}/calendar-week.yaml", "steps": 2},
    ]
    source = CML / "mixed.yml"
    assert out["not_mapped"] == [
        f"{source}:25: Quarter Plan: key 'colour' is not part of CadenceML; left out",
        f"{source}:2: Quarter Plan: holiday_region 'us_ca' is narrower than a country; the public holidays of all of US are used",
        f"{source}:8: Quarter Plan day 1: key 'owner' of a touch is not kept",
        f"{source}:10: Quarter Plan day 2: channel 'meeting' became a task step (cadence has no meeting channel)",
        f"{source}:12: Quarter Plan day 2: channel 'deadline' became a task step (cadence has no deadline channel)",
        f"{source}:19: Quarter Plan day 6: break-up touch 'The break-up email' stays an email step: only the last touch can be the fire step",
        f"{source}:33: calendar-week day 3: channel 'social' became a task step (cadence has no social channel)",
        f"{source}:33: calendar-week day 3: break-up touch 'Comment on a post' stays a task step: only a call or an email can fire",
    ]
    quarter = Library().get("quarter-plan")
    assert plan(quarter) == [
        (1, "call", None, "Opening call"),
        (2, "task", None, "Book a demo slot"),
        (2, "task", None, "Proposal due"),
        (4, "task", None, "Handwritten card"),
        (6, "email", None, "The break-up email"),
        (6, "fire", "voicemail", "Break-up call"),
    ]
    # Notes that look like a template stay plain text.
    assert quarter.steps[0].script == "{% raw %}Ask about {{ their }} priorities{% endraw %}"
    weekly = Library().get("calendar-week")
    assert (weekly.weekdays, weekly.public_holidays, weekly.holidays) == ((1, 2, 3, 4, 5, 6, 7), False, None)


def test_import_refuses_to_overwrite(cli, mine):
    cli("cadences", "import", CML / "seven-touch.yml")
    before = (mine / "seven-touch.yaml").read_text()
    result = cli("cadences", "import", CML / "seven-touch.yml", ok=False)
    assert (result.exit_code, result.stderr) == (
        1, f"error: {mine}/seven-touch.yaml already exists: remove it, choose another --out folder, or add --force\n",
    )
    assert (mine / "seven-touch.yaml").read_text() == before
    cli("cadences", "import", CML / "seven-touch.yml", "--force")


def test_import_into_another_folder(cli, tmp_path, mine):
    elsewhere = tmp_path / "elsewhere"
    result = cli("cadences", "import", CML / "seven-touch.yml", "--out", elsewhere)
    assert (elsewhere / "seven-touch.yaml").is_file()
    assert result.stderr == (
        f"note: {elsewhere} is not searched before other cadence files named 'seven-touch'; "
        "add it to CADENCE_CADENCES to use this file by name\n"
    )


def test_without_cadence_cadences_it_writes_into_the_config_folder(cli, isolated):
    cli("cadences", "import", CML / "seven-touch.yml")
    assert (isolated / "config" / "cadence" / "cadences" / "seven-touch.yaml").is_file()
    assert cli.json("cadences", "show", "seven-touch")["steps"][3]["type"] == "task"


# ---------------------------------------------------------------- bad input


def test_an_unknown_channel_names_its_line(cli, mine):
    result = cli("cadences", "import", CML / "bad-channel.yml", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {CML}/bad-channel.yml:7: day 2: channel 'fax' is not a CadenceML channel "
        "(use call, email, social, task, meeting, deadline)\n"
    )
    assert not mine.exists()


def test_a_day_that_is_not_a_number_names_its_line(cli, mine):
    result = cli("cadences", "import", CML / "bad-day.yml", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {CML}/bad-day.yml:6: day 'two' is not a whole number from 1 (days count eligible days; day 1 is the start)\n"
    )
    assert not mine.exists()


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "x.yml:1: the file is empty; a CadenceML file maps cadence names to their touches"),
        ("- a\n- b\n", "x.yml:1: a CadenceML file is a mapping of cadence names, each with a 'cadence:' of days"),
        ("c:\n  cadence:\n    0:\n      - {channel: call}\n", "x.yml:3: day '0' is not a whole number from 1 (days count eligible days; day 1 is the start)"),
        ("c:\n  eligible_days: [1, 9]\n  cadence:\n    1:\n      - {channel: call}\n", "x.yml:2: eligible day 9 is not a weekday number from 1 (Monday) to 7 (Sunday)"),
        ("c:\n  holidays: [someday]\n  cadence:\n    1:\n      - {channel: call}\n", "x.yml:2: holiday 'someday' is not a date (write it like \"Dec 24, 2026\" or 2026-12-24)"),
        ("c:\n  cadence:\n    1:\n      - {title: no channel}\n", "x.yml:4: day 1: channel missing is not a CadenceML channel (use call, email, social, task, meeting, deadline)"),
        ("c:\n  eligible_days: [1]\n", "x.yml:1: cadence 'c' needs 'cadence:', a mapping of day numbers to touches"),
    ],
)
def test_malformed_files(cli, tmp_path, mine, text, message):
    path = tmp_path / "x.yml"
    path.write_text(text)
    result = cli("cadences", "import", path, ok=False)
    assert result.stderr == f"error: {tmp_path}/{message}\n"


def test_a_missing_file(cli, tmp_path):
    result = cli("cadences", "import", tmp_path / "nope.yml", ok=False)
    assert result.stderr == f"error: {tmp_path}/nope.yml: no such file\n"


# ---------------------------------------------------------------- export


def test_export_five_touch_fire(cli):
    result = cli("cadences", "export", "five-touch-fire", "--format", "cadenceml")
    assert result.stderr == "not exported: the description has no CadenceML equivalent\n"
    document = yaml.safe_load(result.stdout)
    assert list(document) == ["five-touch-fire"]
    spec = document["five-touch-fire"]
    assert list(spec) == ["cadence"]  # Monday to Friday and no holiday region: the defaults
    touches = [(day, t["channel"], t["title"]) for day, items in spec["cadence"].items() for t in items]
    assert touches == [
        (1, "call", "Call"),
        (2, "call", "Call"),
        (3, "email", "{{ prospect.company or prospect.first_name }}: a short question"),
        (5, "call", "Call"),
        (6, "call", "Breakup call"),
    ]
    assert spec["cadence"][2][0]["notes"].startswith("Don't leave a voicemail.\n\nHi {{ prospect.first_name }}")
    assert "\n\nVoicemail:\nHi {{ prospect.first_name }}, {{ me.name }} with" in spec["cadence"][1][0]["notes"]


def test_export_of_calendar_and_holiday_keys(cli, mine):
    cli("cadences", "import", CML / "seven-touch.yml")
    spec = yaml.safe_load(cli("cadences", "export", "seven-touch").stdout)["seven-touch"]
    assert (spec["eligible_days"], spec["holiday_region"], spec["holidays"]) == ([2, 3, 4, 5], "us", ["2026-12-01"])
    assert spec["cadence"][3] == [{"channel": "task", "title": "LinkedIn connect", "notes": "Short note, no pitch"}]
    assert spec["cadence"][7] == [{"channel": "email", "title": "Breakup email", "notes": "Last one, promise"}]


@pytest.mark.parametrize("name", ["five-touch-fire", "stop-chasing", "three-voicemails", "long-haul-breakup"])
def test_export_then_import_keeps_the_plan(cli, tmp_path, mine, name):
    exported = tmp_path / f"{name}.yml"
    cli("cadences", "export", name, "--out", exported)
    cli("cadences", "import", exported)
    again = load_file(mine / f"{name}.yaml")
    original = load_file(builtin_folder() / f"{name}.yaml")
    assert [(s.day, s.type, s.fire_channel) for s in again.steps] == [(s.day, s.type, s.fire_channel) for s in original.steps]


def test_export_refuses_to_overwrite_and_unknown_formats(cli, tmp_path):
    target = tmp_path / "out.yml"
    target.write_text("keep me")
    result = cli("cadences", "export", "five-touch-fire", "--out", target, ok=False)
    assert result.stderr.endswith(f"error: {target} already exists: choose another --out file or add --force\n")
    assert target.read_text() == "keep me"
    result = cli("cadences", "export", "five-touch-fire", "--format", "csv", ok=False)
    assert result.stderr == "error: unknown --format 'csv': use cadenceml or native\n"


def test_native_export_is_the_file_itself(cli):
    text = cli("cadences", "export", "three-voicemails", "--format", "native").stdout
    assert text == (builtin_folder() / "three-voicemails.yaml").read_text()


def test_json_of_an_import_is_one_object(cli, mine):
    out = json.loads(cli("cadences", "import", CML / "seven-touch.yml", "--json").stdout)
    assert sorted(out) == ["cadences", "not_mapped"]
