"""Issue 4: the guided session, callbacks and lingering, pause/resume/snooze/enroll, calendars, time zones, capacity."""

from __future__ import annotations

from datetime import date

import pytest

from cadence.domain.dates import parse_day
from cadence.errors import CadenceError

TODAY = date(2026, 11, 24)  # a Tuesday


def add(cli, first, *extra):
    return int(cli("add", "--first", first, "--last", "Test", *extra).stdout.strip())


def due_list(cli, day):
    return [(i["prospect_id"], i["step"], i["type"]) for i in cli.json("today", "--date", day)]


# ---------------------------------------------------------------- date phrases


@pytest.mark.parametrize(
    "phrase, expected",
    [
        ("2026-12-07", date(2026, 12, 7)),
        ("today", TODAY),
        ("tomorrow", date(2026, 11, 25)),
        ("monday", date(2026, 11, 30)),
        ("tuesday", date(2026, 12, 1)),  # the next one, never today
        ("Friday", date(2026, 11, 27)),
        ("in 3 days", date(2026, 11, 27)),
        ("in 2 weeks", date(2026, 12, 8)),
        ("in a month", date(2026, 12, 24)),
        ("next month", date(2026, 12, 24)),
        ("in 6 months", date(2027, 5, 24)),
    ],
)
def test_date_phrases(phrase, expected):
    assert parse_day(phrase, TODAY) == expected


@pytest.mark.parametrize("phrase", ["someday", "in x days", "2026-02-30", "next fortnight", ""])
def test_unreadable_phrase_lists_the_accepted_forms(phrase):
    with pytest.raises(CadenceError) as caught:
        parse_day(phrase, TODAY)
    assert "tomorrow, monday..sunday" in str(caught.value) and "in N weeks" in str(caught.value)


def test_log_with_unreadable_on_phrase_is_refused_and_nothing_logged(cli):
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-24")
    result = cli("log", pid, "cb", "--on", "when pigs fly", "--at", "2026-11-24T10:00", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot read 'when pigs fly' as a date for --on: use YYYY-MM-DD")
    assert cli.json("show", pid)["touches"] == []


# ---------------------------------------------------------------- callbacks and lingering


def test_callback_phrase_is_called_one_business_day_early(cli):
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-24")
    cli("log", pid, "callback", "--on", "in 2 weeks", "--at", "2026-11-24T10:00")  # asks for Tue 2026-12-08
    view = cli.json("show", pid)
    assert (view["status"], view["callback_on"], view["next_due"], view["postponements"]) == ("snoozed", "2026-12-08", "2026-12-07", 1)
    assert due_list(cli, "2026-12-04") == []
    assert due_list(cli, "2026-12-07") == [(pid, 1, "callback")]


def test_callback_lead_setting_counts_business_days(cli):
    cli("me", "set", "callback_lead", "2")
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-24")
    cli("log", pid, "cb", "--on", "monday", "--at", "2026-11-24T10:00")  # Monday 2026-11-30
    assert cli.json("show", pid)["next_due"] == "2026-11-26"  # Thursday: two business days before Monday


def test_callback_in_the_past_is_refused(cli):
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-24")
    result = cli("log", pid, "cb", "--on", "2026-11-20", "--at", "2026-11-24T10:00", ok=False)
    assert result.exit_code == 1
    assert "callback date 2026-11-20 is in the past" in result.stderr
    assert cli.json("show", pid)["status"] == "active"


def test_three_postponements_flag_the_prospect_lingering(cli):
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-24")
    cli("log", pid, "cb", "--on", "2026-11-27", "--at", "2026-11-24T10:00")  # due Thu 11-26
    cli("log", pid, "cb", "--on", "2026-12-02", "--at", "2026-11-26T10:00")  # due Tue 12-01
    items = cli.json("today", "--date", "2026-12-01")
    assert [(i["prospect_id"], i["lingering"], i["postponements"]) for i in items] == [(pid, False, 2)]
    cli("log", pid, "cb", "--on", "2026-12-09", "--at", "2026-12-01T10:00")  # due Tue 12-08
    items = cli.json("today", "--date", "2026-12-08")
    assert [(i["prospect_id"], i["type"], i["lingering"], i["postponements"]) for i in items] == [(pid, "callback", True, 3)]
    assert cli.json("show", pid)["lingering"] is True
    assert [(r["prospect_id"], r["postponements"]) for r in cli.json("lingering")] == [(pid, 3)]
    screen = cli("today", "--date", "2026-12-08").stdout
    assert "lingering: postponed 3 times. Ask whether there is a real possibility" in screen


def test_linger_after_setting(cli):
    cli("me", "set", "linger_after", "1")
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-24")
    cli("log", pid, "cb", "--on", "2026-11-27", "--at", "2026-11-24T10:00")
    assert [r["prospect_id"] for r in cli.json("lingering")] == [pid]


# ---------------------------------------------------------------- the guided session


def show_touches(cli, pid):
    return [(t["step"], t["outcome"], t["note"], t["on"]) for t in cli.json("show", pid)["touches"]]


def test_work_through_piped_input_over_several_days(cli):
    a = add(cli, "Amy", "--phone", "+12125550134", "--timezone", "America/New_York", "--start", "2026-11-23")
    b = add(cli, "Ben", "--phone", "+14155550123", "--timezone", "America/Los_Angeles", "--start", "2026-11-23")
    c = add(cli, "Cat", "--phone", "+442071234567", "--email", "cat@example.com", "--timezone", "Europe/London", "--start", "2026-11-23")

    # Day 1: east to west: Cat (London), Amy (New York), Ben (Los Angeles).
    day1 = cli("work", "--date", "2026-11-23", input="v\n\nn\nleft early\nb\n\n2026-12-02\n")
    assert day1.exit_code == 0
    assert day1.stdout.index("#3 Cat Test") < day1.stdout.index("#1 Amy Test") < day1.stdout.index("#2 Ben Test")
    assert "Session: 3 calls, 1 voicemail, 0 connects, 0 meetings, 0 emails sent, 0 fired, 0 skipped." in day1.stdout

    # Day 2: a stray key is asked again; Amy is skipped; the input ends.
    day2 = cli("work", "--date", "2026-11-24", input="zz\nna\n\nskip\n")
    assert day2.exit_code == 0
    assert "'zz' is not in the legend; try again" in day2.stderr

    # Day 3: Amy (overdue) first; undo goes back to her; then Cat's email; quit.
    day3 = cli("work", "--date", "2026-11-25", input="vm\n\nu\nconn\ngreat chat\n\ne\n\nquit\n")
    assert day3.exit_code == 0
    assert day3.stdout.index("#1 Amy Test") < day3.stdout.index("#3 Cat Test")
    assert "Undid voicemail for Amy Test." in day3.stdout

    assert show_touches(cli, a) == [(1, "no-answer", "left early", "2026-11-23"), (2, "connected", "great chat", "2026-11-25")]
    assert show_touches(cli, b) == [(1, "callback", "", "2026-11-23")]
    assert show_touches(cli, c) == [(1, "voicemail", "", "2026-11-23"), (2, "no-answer", "", "2026-11-24"), (3, "sent", "", "2026-11-25")]
    views = {pid: cli.json("show", pid) for pid in (a, b, c)}
    assert [(v["status"], v["next_step"], v["next_due"]) for v in views.values()] == [
        ("engaged", None, None),
        ("snoozed", 1, "2026-12-01"),
        ("active", 4, "2026-11-27"),
    ]


def test_work_keeps_what_was_logged_when_input_closes_mid_answer(cli):
    a = add(cli, "Amy", "--phone", "+12125550134", "--start", "2026-11-23")
    add(cli, "Ben", "--phone", "+14155550123", "--start", "2026-11-23")
    result = cli("work", "--date", "2026-11-23", input="v\n\nb\n")  # input ends before Ben's note
    assert result.exit_code == 0
    assert show_touches(cli, a) == [(1, "voicemail", "", "2026-11-23")]
    assert cli.json("show", "Ben")["touches"] == []


def test_work_with_nothing_due(cli):
    result = cli("work", "--date", "2026-11-23", input="")
    assert "Nothing due to work through." in result.stdout


# ---------------------------------------------------------------- pause, resume, snooze, enroll


def test_pause_and_resume_shift_the_due_dates_by_the_days_paused(cli):
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-23")
    cli("log", pid, "vm", "--at", "2026-11-23T10:00")  # step 2 due Tue 11-24
    assert cli.json("pause", pid, "--at", "2026-11-24T08:00")["status"] == "paused"
    assert due_list(cli, "2026-11-25") == []
    resumed = cli.json("resume", pid, "--at", "2026-11-27T08:00")  # three days paused
    assert (resumed["status"], resumed["next_step"], resumed["next_due"]) == ("active", 2, "2026-11-27")
    cli("log", pid, "na", "--at", "2026-11-27T10:00")  # step 3 one business day later
    assert cli.json("show", pid)["next_due"] == "2026-11-30"


def test_resume_of_a_prospect_that_is_not_paused_is_refused(cli):
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-23")
    result = cli("resume", pid, ok=False)
    assert result.exit_code == 1
    assert result.stderr == "error: Ana Test is active, not paused: nothing to resume\n"


def test_snooze_until_a_day(cli):
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-23")
    cli("snooze", pid, "--until", "monday", "--at", "2026-11-24T09:00")
    assert due_list(cli, "2026-11-27") == []
    assert due_list(cli, "2026-11-30") == [(pid, 1, "callback")]
    assert cli.json("show", pid)["postponements"] == 0


def test_enroll_moves_only_with_force_and_never_revives_silently(cli, tmp_path, monkeypatch):
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-23")
    refused = cli("enroll", pid, "--cadence", "stop-chasing", ok=False)
    assert refused.exit_code == 1
    assert refused.stderr == "error: Ana Test is already in five-touch-fire at step 1; use --force to move them to stop-chasing\n"
    moved = cli.json("enroll", pid, "--cadence", "stop-chasing", "--start", "2026-11-30", "--force")
    assert (moved["cadence"], moved["next_step"], moved["next_due"]) == ("stop-chasing", 1, "2026-11-30")
    unknown = cli("enroll", pid, "--cadence", "nope", "--force", ok=False)
    assert unknown.exit_code == 1 and unknown.stderr.startswith("error: no cadence named 'nope'")

    cli("log", pid, "dnc", "--at", "2026-11-30T10:00")
    never = cli("enroll", pid, "--cadence", "five-touch-fire", "--force", ok=False)
    assert never.stderr == "error: Ana Test is do-not-contact: they can never be enrolled again\n"


def test_fired_prospect_is_not_re_enrolled_without_force(cli, tmp_path, monkeypatch):
    folder = quick_cadence(tmp_path, monkeypatch)
    pid = add(cli, "Ana", "--phone", "+12125550134", "--cadence", "quick", "--start", "2026-11-23")
    cli("log", pid, "vm", "--at", "2026-11-23T10:00")
    cli("log", pid, "vm", "--at", "2026-11-24T10:00")
    assert cli.json("show", pid)["status"] == "fired"
    refused = cli("enroll", pid, "--cadence", "quick", ok=False)
    assert refused.stderr.startswith("error: Ana Test was fired on 2026-11-24: enrolling again undoes the fire message")
    assert cli.json("enroll", pid, "--cadence", "quick", "--start", "2026-12-01", "--force")["status"] == "active"
    assert folder.exists()


def quick_cadence(tmp_path, monkeypatch, recycle: str | None = None):
    folder = tmp_path / "my-cadences"
    folder.mkdir(exist_ok=True)
    after = f"after_fire:\n  recycle_after: {recycle}\n" if recycle else ""
    (folder / "quick.yaml").write_text(
        "name: quick\ndays: calendar\nsteps:\n"
        "  - day: 1\n    type: call\n    script: Hi {{ prospect.first_name }}\n    voicemail: Call me back\n"
        "  - day: 2\n    type: fire\n    script: Taking you off my list\n" + after,
        encoding="utf-8",
    )
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    return folder


def test_recycle_comes_back_on_its_date_never_before(cli, tmp_path, monkeypatch):
    quick_cadence(tmp_path, monkeypatch, recycle="10 days")
    pid = add(cli, "Ana", "--phone", "+12125550134", "--cadence", "quick", "--start", "2026-11-23")
    cli("log", pid, "vm", "--at", "2026-11-23T10:00")
    cli("log", pid, "vm", "--at", "2026-11-24T10:00")  # fired; back on 2026-12-04
    for day in ("2026-11-25", "2026-12-01", "2026-12-03"):
        assert due_list(cli, day) == []
    assert due_list(cli, "2026-12-04") == [(pid, 1, "recycle")]
    early = cli("log", pid, "vm", "--at", "2026-12-03T10:00", ok=False)
    assert early.exit_code == 1 and "was fired on 2026-11-24" in early.stderr
    cli("log", pid, "vm", "--at", "2026-12-04T10:00")
    view = cli.json("show", pid)
    assert (view["status"], view["next_step"], view["next_due"]) == ("active", 2, "2026-12-05")


def test_replied_after_fire_is_never_recycled(cli, tmp_path, monkeypatch):
    quick_cadence(tmp_path, monkeypatch, recycle="10 days")
    pid = add(cli, "Ana", "--phone", "+12125550134", "--cadence", "quick", "--start", "2026-11-23")
    cli("log", pid, "vm", "--at", "2026-11-23T10:00")
    cli("log", pid, "vm", "--at", "2026-11-24T10:00")
    cli("log", pid, "replied", "--at", "2026-11-25T10:00")
    assert due_list(cli, "2026-12-04") == []


# ---------------------------------------------------------------- calendars


def test_business_days_skip_a_public_holiday_and_the_weekend(cli, tmp_path, monkeypatch):
    folder = tmp_path / "my-cadences"
    folder.mkdir()
    (folder / "us-four.yaml").write_text(
        "name: us-four\ndays: business\nholidays: US\nsteps:\n"
        "  - {day: 1, type: call, script: Hi, voicemail: Call me}\n"
        "  - {day: 2, type: no-message-call, script: Hi again}\n"
        "  - {day: 3, type: email, subject: Hello, body: A note}\n"
        "  - {day: 4, type: fire, script: Off my list}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    pid = add(cli, "Ana", "--phone", "+12125550134", "--email", "ana@example.com", "--cadence", "us-four", "--start", "2026-11-25")
    assert due_list(cli, "2026-11-25") == [(pid, 1, "call")]
    cli("log", pid, "vm", "--at", "2026-11-25T10:00")
    assert cli.json("show", pid)["next_due"] == "2026-11-27"  # Thanksgiving Thursday skipped
    assert due_list(cli, "2026-11-26") == []
    cli("log", pid, "na", "--at", "2026-11-27T10:00")
    assert cli.json("show", pid)["next_due"] == "2026-11-30"  # the weekend skipped
    cli("log", pid, "sent", "--at", "2026-11-30T10:00")
    assert cli.json("show", pid)["next_due"] == "2026-12-01"


def test_profile_holidays_and_days_off_apply_to_built_in_cadences(cli):
    cli("me", "set", "holidays", "US")
    cli("me", "set", "days_off", "2026-11-30")
    pid = add(cli, "Ana", "--phone", "+12125550134", "--start", "2026-11-25")
    cli("log", pid, "vm", "--at", "2026-11-25T10:00")
    assert cli.json("show", pid)["next_due"] == "2026-11-27"
    cli("log", pid, "na", "--at", "2026-11-27T10:00")
    assert cli.json("show", pid)["next_due"] == "2026-12-01"  # weekend and the day off skipped


def test_unknown_holiday_country_is_refused(cli):
    result = cli("me", "set", "holidays", "XX", ok=False)
    assert result.exit_code == 1
    assert result.stderr == "error: unknown holiday country 'XX': use a country code such as US, GB or DE\n"
    assert cli.json("me", "show") == {}


def test_invalid_time_zone_is_refused(cli):
    result = cli("add", "--first", "Ana", "--phone", "+12125550134", "--timezone", "Mars/Olympus", ok=False)
    assert result.exit_code == 1
    assert result.stderr == "error: unknown time zone 'Mars/Olympus': use an IANA name such as America/New_York or Europe/London\n"
    assert cli.json("today", "--date", "2026-11-24") == []


# ---------------------------------------------------------------- time zones


def test_time_zone_guessed_from_the_phone_number(cli):
    pid = add(cli, "Ana", "--phone", "+1 415 555 0123")
    assert cli.json("show", pid)["timezone"] == "America/Los_Angeles"


def test_calls_follow_the_sun_and_flag_outside_calling_hours(cli):
    la = add(cli, "Lou", "--phone", "+14155550123", "--timezone", "America/Los_Angeles", "--start", "2026-11-24")
    ny = add(cli, "Nia", "--phone", "+12125550134", "--timezone", "America/New_York", "--start", "2026-11-24")
    ld = add(cli, "Leo", "--phone", "+442071234567", "--timezone", "Europe/London", "--start", "2026-11-24")
    late = add(cli, "Old", "--phone", "+14155550124", "--timezone", "America/Los_Angeles", "--start", "2026-11-23")
    items = cli.json("today", "--date", "2026-11-24", "--at", "2026-11-24T15:00")
    assert [(i["prospect_id"], i["local_time"], i["outside_hours"]) for i in items] == [
        (late, "07:00", True),  # overdue first
        (ld, "15:00", False),
        (ny, "10:00", False),
        (la, "07:00", True),
    ]
    cli("me", "set", "calling_hours", "07:00-16:00")
    items = cli.json("today", "--date", "2026-11-24", "--at", "2026-11-24T15:00")
    assert [i["outside_hours"] for i in items] == [False, False, False, False]


# ---------------------------------------------------------------- capacity and time away


def test_max_calls_keeps_fire_callbacks_and_most_overdue_and_writes_nothing(cli, tmp_path, monkeypatch):
    quick_cadence(tmp_path, monkeypatch)
    fire = add(cli, "Fay", "--phone", "+12125550101", "--cadence", "quick", "--start", "2026-11-25")
    cli("log", fire, "vm", "--at", "2026-11-25T10:00")
    callback = add(cli, "Cal", "--phone", "+12125550102", "--cadence", "quick", "--start", "2026-11-25")
    cli("log", callback, "cb", "--on", "2026-11-27", "--at", "2026-11-25T09:00")
    oldest = add(cli, "Olga", "--phone", "+12125550103", "--start", "2026-11-23")
    older = add(cli, "Otto", "--phone", "+12125550104", "--start", "2026-11-24")
    fresh = add(cli, "Fred", "--phone", "+12125550105", "--start", "2026-11-26")
    before = cli.json("show", older)
    result = cli("today", "--date", "2026-11-26", "--max-calls", "3", "--json")
    kept = [i["prospect_id"] for i in __import__("json").loads(result.stdout)]
    assert sorted(kept) == sorted([fire, callback, oldest])
    assert result.stderr == "2 calls deferred to 2026-11-27 (max 3 calls a day)\n"
    assert cli.json("show", older) == before
    assert {i["prospect_id"] for i in cli.json("today", "--date", "2026-11-26")} == {fire, callback, oldest, older, fresh}
    cli("me", "set", "max_calls", "4")
    assert len(cli.json("today", "--date", "2026-11-26")) == 4


def test_away_moves_due_steps_past_the_range_keeping_spacing(cli):
    first = add(cli, "Amy", "--phone", "+12125550101", "--start", "2026-11-30")
    second = add(cli, "Ben", "--phone", "+12125550102", "--start", "2026-12-01")
    later = add(cli, "Cy", "--phone", "+12125550103", "--start", "2026-12-07")
    moved = cli.json("away", "--from", "2026-11-30", "--to", "2026-12-01")
    assert moved["moved"] == 2
    dues = {pid: cli.json("show", pid)["next_due"] for pid in (first, second, later)}
    assert dues == {first: "2026-12-02", second: "2026-12-03", later: "2026-12-07"}
    assert cli.json("me", "show")["days_off"] == "2026-11-30..2026-12-01"


def test_work_legend_has_task_keys():
    from cadence.domain.worklist import read_answer
    from cadence.domain.engine import Outcome

    assert (read_answer("t"), read_answer("p"), read_answer("s")) == (Outcome.DONE, Outcome.SKIPPED, "skip")


def test_work_legend_offers_only_fitting_actions():
    from types import SimpleNamespace

    from cadence.domain.worklist import legend, read_answer

    call = SimpleNamespace(type="call", channel="phone", phone="+12125550134", email="a@x.example")
    email = SimpleNamespace(type="email", channel="email", phone="", email="a@x.example")
    no_address = SimpleNamespace(type="email", channel="email", phone="+12125550134", email="")
    callback = SimpleNamespace(type="callback", channel="phone", phone="+12125550134", email="a@x.example")
    every = {"draft", "open", "send", "dial"}
    assert legend(call, every).startswith("l=dial v=voicemail")
    assert legend(callback, every).startswith("l=dial ")
    assert legend(email, every).startswith("a=draft w=open y=send e=sent")
    assert legend(email, {"open", "dial"}).startswith("w=open e=sent")
    assert not any(k in legend(no_address, every) for k in ("a=draft", "w=open", "y=send", "l=dial"))
    assert [read_answer(w) for w in ("a", "w", "y", "l", "Draft", "open", "send", "dial")] == ["draft", "open", "send", "dial"] * 2


def test_work_prints_its_errors_as_one_plain_line(cli):
    add(cli, "Amy", "--phone", "+12125550134", "--start", "2026-11-23")
    result = cli("work", "--date", "2026-11-23", input="b\n\n[your phone]\nquit\n")
    assert result.exit_code == 0
    from cadence.domain.dates import FORMS

    line = f"error: cannot read '[your phone]' as a date for --on: use {FORMS}\n"
    assert len(line) > 100  # longer than the 80 columns rich wrapped at
    assert line in result.stderr


def test_work_errors_show_control_characters(capsys):
    from cadence.cli.working import _complain

    _complain("error: Zoë \x1b[2J [bold]Kim[/bold] is do-not-contact")
    assert capsys.readouterr().err == "error: Zoë \\x1b[2J [bold]Kim[/bold] is do-not-contact\n"


def test_away_that_fails_half_way_writes_neither_days_off_nor_moves(cli, monkeypatch):
    from cadence.store import queries

    first = add(cli, "Amy", "--phone", "+12125550101", "--start", "2026-11-30")
    second = add(cli, "Ben", "--phone", "+12125550102", "--start", "2026-12-01")
    cli("me", "set", "days_off", "2026-12-24")
    real, calls = queries.put_state, []

    def put_state(row, state):
        calls.append(row.id)
        if len(calls) == 2:
            raise CadenceError("disk full while moving")
        return real(row, state)

    monkeypatch.setattr(queries, "put_state", put_state)
    result = cli("away", "--from", "2026-11-30", "--to", "2026-12-01", ok=False)
    assert (result.exit_code, result.stderr) == (1, "error: disk full while moving\n")
    assert len(calls) == 2  # the first move was made, then undone with the rest
    monkeypatch.setattr(queries, "put_state", real)
    assert cli.json("me", "show")["days_off"] == "2026-12-24"
    assert {pid: cli.json("show", pid)["next_due"] for pid in (first, second)} == {first: "2026-11-30", second: "2026-12-01"}
