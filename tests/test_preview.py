"""`cadences preview`: the dates a cadence produces, simulated runs, and the calendar keys of the format."""

from __future__ import annotations

import json
import textwrap

import pytest

from cadence.cadences.loader import parse_cadence

# Starting Friday 20 November 2026 with US public holidays: Thanksgiving
# (Thu 26 Nov), Christmas (Fri 25 Dec), New Year (Fri 1 Jan 2027), Martin
# Luther King Day (Mon 18 Jan), Washington's Birthday (Mon 15 Feb), Memorial
# Day (Mon 31 May) and Juneteenth, a Saturday in 2027, observed on Fri 18 June.
# Working day n is the date step "day: n" falls on when every step is done on time;
# counted by hand on a paper calendar:
#   1 Fri 11-20   2 Mon 11-23   3 Tue 11-24   4 Wed 11-25   (Thu 11-26 off)
#   5 Fri 11-27   6 Mon 11-30   8 Wed 12-02  12 Tue 12-08  16 Mon 12-14
#  31 Wed 01-06  46 Thu 01-28  61 Fri 02-19  76 Fri 03-12  91 Fri 04-02
# 106 Fri 04-23 121 Fri 05-14 136 Mon 06-07 150 Mon 06-28
BY_HAND = {
    "five-touch-fire": [
        ("2026-11-20", "friday", "call", "phone"),
        ("2026-11-23", "monday", "no-message-call", "phone"),
        ("2026-11-24", "tuesday", "email", "email"),
        ("2026-11-27", "friday", "call", "phone"),
        ("2026-11-30", "monday", "fire", "voicemail"),
    ],
    "three-voicemails": [
        ("2026-11-20", "friday", "call", "phone"),
        ("2026-11-23", "monday", "call", "phone"),
        ("2026-11-24", "tuesday", "call", "phone"),
        ("2026-11-25", "wednesday", "fire", "email"),
    ],
    "stop-chasing": [
        ("2026-11-20", "friday", "call", "phone"),
        ("2026-11-25", "wednesday", "call", "phone"),
        ("2026-12-02", "wednesday", "call", "phone"),
        ("2026-12-08", "tuesday", "call", "phone"),
        ("2026-12-14", "monday", "fire", "voicemail"),
    ],
    "long-haul-breakup": [
        ("2026-11-20", "friday", "call", "phone"),
        ("2026-11-30", "monday", "email", "email"),
        ("2026-12-14", "monday", "no-message-call", "phone"),
        ("2027-01-06", "wednesday", "call", "phone"),
        ("2027-01-28", "thursday", "email", "email"),
        ("2027-02-19", "friday", "call", "phone"),
        ("2027-03-12", "friday", "no-message-call", "phone"),
        ("2027-04-02", "friday", "email", "email"),
        ("2027-04-23", "friday", "call", "phone"),
        ("2027-05-14", "friday", "email", "email"),
        ("2027-06-07", "monday", "call", "phone"),
        ("2027-06-28", "monday", "email", "email"),
        ("2027-06-28", "monday", "fire", "voicemail"),
    ],
}


def write(folder, name: str, body: str):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(textwrap.dedent(body).lstrip())
    return path


@pytest.fixture
def mine(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    return folder


# ---------------------------------------------------------------- the built-ins, by hand


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_every_builtin_from_a_friday_before_thanksgiving(cli, name):
    cli("me", "set", "holidays", "US")
    steps = cli.json("cadences", "preview", name, "--start", "2026-11-20")
    assert [(s["date"], s["weekday"], s["type"], s["channel"]) for s in steps] == BY_HAND[name]
    assert [s["step"] for s in steps] == list(range(1, len(BY_HAND[name]) + 1))
    assert "2026-11-26" not in {s["date"] for s in steps}


def test_without_the_holiday_country_thanksgiving_is_a_working_day(cli):
    steps = cli.json("cadences", "preview", "five-touch-fire", "--start", "2026-11-20")
    assert [s["date"] for s in steps] == ["2026-11-20", "2026-11-23", "2026-11-24", "2026-11-26", "2026-11-27"]


def test_preview_items_carry_the_step_day_and_rendered_scripts(cli):
    cli("me", "set", "name", "Sam Reed")
    first, second, third = cli.json("cadences", "preview", "five-touch-fire", "--start", "2026-11-20")[:3]
    assert (first["step"], first["day"], first["outcome"], first["status_after"]) == (1, 1, None, None)
    assert first["script"].startswith("Hi Ana María, it's Sam Reed from [your company].")
    assert first["voicemail"].startswith("Hi Ana María, Sam Reed with [your company] here.")
    assert (second["voicemail"], second["subject"]) == (None, None)
    assert third["subject"] == "Northwind Traders: a short question"
    assert third["script"].startswith("Hi Ana María,\n\nI've called a couple of times this week")


def test_human_preview_shows_dates_weekdays_and_where_it_ends(cli):
    cli("me", "set", "holidays", "US")
    out = cli("cadences", "preview", "three-voicemails", "--start", "2026-11-20").stdout
    headings = [line for line in out.splitlines() if line.startswith(("Step", "Starting", "Ends"))]
    assert headings == [
        "Starting Fri 2026-11-20 for Ana María López (a sample prospect); working days Mon, Tue, Wed, Thu, Fri; public holidays of US.",
        "Step 1 of 4 · Fri 2026-11-20 · day 1 · call, leave a voicemail",
        "Step 2 of 4 · Mon 2026-11-23 · day 2 · call, leave a voicemail",
        "Step 3 of 4 · Tue 2026-11-24 · day 3 · call, leave a voicemail",
        "Step 4 of 4 · Wed 2026-11-25 · day 4 · FIRE by email",
        "Ends: fired on Wed 2026-11-25 (day 4).",
    ]


def test_a_weekend_start_begins_on_monday(cli):
    steps = cli.json("cadences", "preview", "three-voicemails", "--start", "2026-11-21")
    assert [s["date"] for s in steps] == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"]


def test_profile_days_off_are_skipped(cli):
    cli("me", "set", "days_off", "2026-11-24..2026-11-25")
    steps = cli.json("cadences", "preview", "three-voicemails", "--start", "2026-11-23")
    assert [s["date"] for s in steps] == ["2026-11-23", "2026-11-26", "2026-11-27", "2026-11-30"]


def test_preview_for_a_real_prospect(cli):
    cli("add", "--first", "Grace", "--last", "Hopper", "--company", "Navy", "--phone", "+12125550199", "--start", "2026-11-23")
    first = cli.json("cadences", "preview", "five-touch-fire", "--start", "2026-11-23", "--prospect", "Hopper")[0]
    assert first["script"].startswith("Hi Grace, it's [your name] from [your company].\nI'll be brief: we work with companies like Navy")


def test_preview_of_a_prospect_that_does_not_exist(cli):
    result = cli("cadences", "preview", "five-touch-fire", "--prospect", "nobody", ok=False)
    assert (result.exit_code, result.stderr) == (1, "error: no prospect matches 'nobody': try an id, email, phone or part of the name\n")


# ---------------------------------------------------------------- simulated runs


def test_outcomes_all_the_way_to_the_fire(cli):
    cli("me", "set", "holidays", "US")
    result = cli("cadences", "preview", "five-touch-fire", "--start", "2026-11-20", "--outcomes", "vm,na,sent,vm,vm", "--json")
    steps = [(s["step"], s["date"], s["outcome"], s["status_after"]) for s in json.loads(result.stdout)]
    assert steps == [
        (1, "2026-11-20", "voicemail", "active"),
        (2, "2026-11-23", "no-answer", "active"),
        (3, "2026-11-24", "sent", "active"),
        (4, "2026-11-27", "voicemail", "active"),
        (5, "2026-11-30", "voicemail", "fired"),
    ]
    assert result.stderr == "ends: fired on Mon 2026-11-30 (day 6)\n"


def test_a_connect_ends_the_run_engaged(cli):
    result = cli("cadences", "preview", "five-touch-fire", "--start", "2026-11-23", "--outcomes", "na, na ,conn", "--json")
    steps = json.loads(result.stdout)
    assert [(s["step"], s["outcome"], s["status_after"]) for s in steps] == [
        (1, "no-answer", "active"), (2, "no-answer", "active"), (3, "connected", "engaged"),
    ]
    assert result.stderr == "ends: engaged on Wed 2026-11-25 (day 3), at step 3\n"


def test_outcomes_that_run_out_leave_the_prospect_active(cli):
    out = cli("cadences", "preview", "five-touch-fire", "--start", "2026-11-23", "--outcomes", "vm,na").stdout
    assert out.splitlines()[-1] == "Ends: still active after the given outcomes: step 3 of 5 due Wed 2026-11-25."
    assert [line for line in out.splitlines() if line.startswith("Step")] == [
        "Step 1 of 5 · Mon 2026-11-23 · day 1 · call, leave a voicemail · logged voicemail: active",
        "Step 2 of 5 · Tue 2026-11-24 · day 2 · call, no message · logged no-answer: active",
    ]


def test_outcomes_left_over_after_the_end_are_reported(cli):
    result = cli("cadences", "preview", "three-voicemails", "--start", "2026-11-23", "--outcomes", "vm,mtg,vm,vm", "--json")
    assert result.stderr == (
        "warning: 2 of the outcomes were not used: the run ended before them\n"
        "ends: converted on Tue 2026-11-24 (day 2), at step 2\n"
    )


def test_not_interested_is_an_end_not_a_finished_cadence(cli):
    result = cli("cadences", "preview", "three-voicemails", "--start", "2026-11-23", "--outcomes", "ni")
    assert result.stdout.splitlines()[-1] == "Ends: lost on Mon 2026-11-23 (day 1), at step 1."


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("start", ["2026-11-31", "next week", "20/11/2026", ""])
def test_a_start_that_is_not_a_date(cli, start):
    result = cli("cadences", "preview", "five-touch-fire", "--start", start, ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"error: invalid date {start!r} for --start: use YYYY-MM-DD, e.g. 2026-11-24\n"
    assert result.stdout == ""


def test_an_unknown_outcome_names_its_place(cli):
    result = cli("cadences", "preview", "five-touch-fire", "--outcomes", "vm,nope,sent", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --outcomes item 2: unknown outcome 'nope': use one of no-answer, voicemail,")
    assert result.stdout == ""


def test_a_callback_cannot_be_previewed(cli):
    result = cli("cadences", "preview", "five-touch-fire", "--outcomes", "vm,cb", ok=False)
    assert result.stderr == (
        "error: --outcomes item 2: a callback needs the date they ask for, which a preview cannot know; "
        "preview up to the callback instead\n"
    )


def test_empty_outcomes(cli):
    result = cli("cadences", "preview", "five-touch-fire", "--outcomes", " , ", ok=False)
    assert result.stderr == "error: --outcomes is empty: give outcomes separated by commas, e.g. vm,na,sent\n"


def test_an_unknown_cadence(cli):
    result = cli("cadences", "preview", "nine-touch", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no cadence named 'nine-touch' (known: five-touch-fire,")


# ---------------------------------------------------------------- weekdays and holidays in the file


TUESDAY_TO_FRIDAY = """\
    name: no-mondays
    days: business
    weekdays: [tuesday, Wed, 4, "5"]
    holidays:
      country: US
      dates: [2026-12-01, "2026-12-02"]
    steps:
      - {day: 1, type: call, script: Hi, voicemail: Call me}
      - {day: 2, type: no-message-call, script: Hi}
      - {day: 4, type: email, subject: Hello, body: Hi}
      - {day: 6, type: fire, channel: email, subject: Bye, body: Bye}
"""


def test_weekdays_and_extra_holiday_dates_are_skipped(cli, mine):
    write(mine, "no-mondays", TUESDAY_TO_FRIDAY)
    steps = cli.json("cadences", "preview", "no-mondays", "--start", "2026-11-23")
    # Mon 23 is not a working day; Thu 26 is Thanksgiving; Mon 30 is skipped; 1-2 December are extra holidays.
    assert [(s["date"], s["weekday"]) for s in steps] == [
        ("2026-11-24", "tuesday"), ("2026-11-25", "wednesday"), ("2026-12-03", "thursday"), ("2026-12-08", "tuesday"),
    ]
    shown = cli.json("cadences", "show", "no-mondays")
    assert (shown["holidays"], shown["holiday_dates"], shown["weekdays"]) == ("US", ["2026-12-01", "2026-12-02"], [2, 3, 4, 5])


def test_holidays_none_ignores_the_profile_country(cli, mine):
    write(mine, "every-weekday", """\
        name: every-weekday
        holidays: none
        steps:
          - {day: 1, type: call, script: Hi, voicemail: Call me}
          - {day: 2, type: call, script: Hi, voicemail: Call me}
    """)
    cli("me", "set", "holidays", "US")
    steps = cli.json("cadences", "preview", "every-weekday", "--start", "2026-11-26")
    assert [s["date"] for s in steps] == ["2026-11-26", "2026-11-27"]
    assert cli.json("cadences", "show", "every-weekday")["holidays"] is None


def test_holidays_as_a_plain_country_code_still_works(mine):
    cadence, problems = parse_cadence("name: x\nholidays: gb\nsteps:\n  - {day: 1, type: call, script: a, voicemail: b}\n", "x.yaml")
    assert problems == []
    assert (cadence.holidays, cadence.holiday_dates, cadence.weekdays) == ("GB", (), (1, 2, 3, 4, 5))


def problems_of(text: str) -> list[str]:
    _cadence, problems = parse_cadence(textwrap.dedent(text).lstrip(), "bad.yaml")
    return [str(p) for p in problems]


def test_an_invalid_weekday_names_its_line():
    assert problems_of("""\
        name: bad
        weekdays:
          - monday
          - funday
          - 8
        steps:
          - {day: 1, type: call, script: a, voicemail: b}
    """) == [
        "bad.yaml:4: weekdays: 'funday' is not a weekday: use monday..sunday or 1..7 (1 = Monday)",
        "bad.yaml:5: weekdays: 8 is not a weekday: use monday..sunday or 1..7 (1 = Monday)",
    ]


def test_weekdays_must_be_a_non_empty_list_on_a_business_cadence():
    assert problems_of("""\
        name: bad
        weekdays: []
        steps:
          - {day: 1, type: call, script: a, voicemail: b}
    """) == ["bad.yaml:2: weekdays must be a list of working weekdays, e.g. [monday, tuesday] or [1, 2] (1 = Monday)"]
    assert problems_of("""\
        name: bad
        days: calendar
        weekdays: [monday]
        steps:
          - {day: 1, type: call, script: a, voicemail: b}
    """) == ["bad.yaml:3: weekdays only applies to 'days: business' (a calendar cadence counts every day)"]


def test_bad_holiday_keys_and_dates_name_their_lines():
    assert problems_of("""\
        name: bad
        holidays:
          country: ZZ
          dates:
            - 2026-12-24
            - next friday
          regions: [ca]
        steps:
          - {day: 1, type: call, script: a, voicemail: b}
    """) == [
        "bad.yaml:7: unknown key 'regions' in holidays (known: country, dates)",
        "bad.yaml:3: unknown holiday country 'ZZ': use a country code such as US, GB or DE",
        "bad.yaml:6: holiday 'next friday' is not a date: write it as YYYY-MM-DD",
    ]


def test_step_ids_must_be_unique_and_simple():
    assert problems_of("""\
        name: bad
        steps:
          - {id: intro, day: 1, type: call, script: a, voicemail: b}
          - {id: intro, day: 2, type: call, script: a, voicemail: b}
          - {id: "no spaces", day: 3, type: call, script: a, voicemail: b}
    """) == [
        "bad.yaml:4: step 2: id 'intro' is already used by step 1; ids must be unique",
        "bad.yaml:5: step 3: id 'no spaces' must be letters, digits, '-' or '_' (e.g. intro-call)",
    ]


# ---------------------------------------------------------------- cadences new: a starter file


def test_new_writes_a_starter_found_by_name(cli, mine):
    result = cli("cadences", "new", "my-plan")
    assert (result.stdout, result.stderr) == (f"wrote {mine}/my-plan.yaml\n", "")
    text = (mine / "my-plan.yaml").read_text()
    assert text.startswith("# my-plan: your own cadence.")
    assert cli("cadences", "validate", mine / "my-plan.yaml").stdout == f"ok: {mine}/my-plan.yaml (my-plan, 5 steps)\n"
    shown = cli.json("cadences", "show", "my-plan")
    assert [(s["id"], s["day"], s["type"]) for s in shown["steps"]] == [
        ("first-call", 1, "call"), ("first-email", 2, "email"), ("linkedin", 4, "task"),
        ("second-call", 5, "no-message-call"), ("fire", 7, "fire"),
    ]
    steps = cli.json("cadences", "preview", "my-plan", "--start", "2026-11-23")
    assert [s["date"] for s in steps] == ["2026-11-23", "2026-11-24", "2026-11-26", "2026-11-27", "2026-12-01"]


def test_new_refuses_to_overwrite(cli, mine):
    (mine / "my-plan.yaml").write_text("name: my-plan\n")
    result = cli("cadences", "new", "my-plan", ok=False)
    assert (result.exit_code, result.stderr) == (
        1, f"error: {mine}/my-plan.yaml already exists: edit it, or choose another name or --out folder\n",
    )
    assert (mine / "my-plan.yaml").read_text() == "name: my-plan\n"


def test_new_without_cadence_cadences_goes_to_the_config_folder(cli, isolated):
    cli("cadences", "new", "my-plan")
    assert (isolated / "config" / "cadence" / "cadences" / "my-plan.yaml").is_file()
    assert cli.json("cadences", "show", "my-plan")["name"] == "my-plan"


def test_new_elsewhere_and_over_a_builtin(cli, tmp_path, mine):
    result = cli("cadences", "new", "spare", "--out", tmp_path / "drafts")
    assert result.stdout == f"wrote {tmp_path}/drafts/spare.yaml\n"
    assert result.stderr == (
        f"note: {tmp_path}/drafts is not searched before other cadence files named 'spare'; "
        "add it to CADENCE_CADENCES to use this file by name\n"
    )
    result = cli("cadences", "new", "five-touch-fire")
    assert result.stderr == "note: five-touch-fire now takes the place of the built-in\n"


@pytest.mark.parametrize("name", ["My Plan", "_plan", "plan.yaml"])
def test_new_refuses_a_bad_name(cli, mine, name):
    result = cli("cadences", "new", name, ok=False)
    assert result.stderr == f"error: cadence name {name!r} must be lower case letters, digits, '-' or '_' (e.g. my-plan)\n"
    assert list(mine.iterdir()) == []
