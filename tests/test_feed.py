"""`cadence calendar`: the coming days' planned touches as an iCalendar file, read back with icalendar."""

from __future__ import annotations

from datetime import date

import pytest


def events(path) -> list[tuple[str, date, str]]:
    from icalendar import Calendar

    feed = Calendar.from_ical(path.read_bytes())
    assert (str(feed["version"]), str(feed["prodid"])) == ("2.0", "-//cadence//planned touches//EN")
    return [(str(e["uid"]), e.decoded("dtstart"), str(e["summary"])) for e in feed.walk("VEVENT")]


def description(path, uid: str) -> str:
    from icalendar import Calendar

    for event in Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
        if str(event["uid"]) == uid:
            assert event.decoded("dtend") == event.decoded("dtstart").__class__.fromordinal(event.decoded("dtstart").toordinal() + 1)
            return str(event["description"])
    raise AssertionError(f"no event {uid}")


@pytest.fixture
def two(cli):
    """Ana started Monday 23 Nov and is at step 3 (email); Bo starts Wednesday 25 Nov."""
    cli("me", "set", "name", "Sam Seller")
    ana = cli("add", "--first", "Ana", "--last", "López", "--company", "Acme", "--email", "ana@acme.example", "--phone", "+1 212 555 0134", "--start", "2026-11-23").stdout.strip()
    cli("log", ana, "vm", "--at", "2026-11-23T10:00")
    cli("log", ana, "na", "--at", "2026-11-24T10:00")
    bo = cli("add", "--first", "Bo", "--phone", "+1 212 555 0199", "--start", "2026-11-25").stdout.strip()
    return ana, bo


def test_a_week_of_planned_touches(cli, two, tmp_path):
    ana, bo = two
    ics = tmp_path / "week.ics"
    result = cli("calendar", "--date", "2026-11-25", "--days", "7", "-o", ics)
    assert result.stdout.startswith("Wrote 7 events to ")
    assert events(ics) == [
        (f"{ana}-five-touch-fire-3@cadence", date(2026, 11, 25), "Email: Ana López (Acme) · step 3/5"),
        (f"{bo}-five-touch-fire-1@cadence", date(2026, 11, 25), "Call: Bo · step 1/5"),
        (f"{bo}-five-touch-fire-2@cadence", date(2026, 11, 26), "Call (no message): Bo · step 2/5"),
        (f"{ana}-five-touch-fire-4@cadence", date(2026, 11, 27), "Call: Ana López (Acme) · step 4/5"),
        (f"{bo}-five-touch-fire-3@cadence", date(2026, 11, 27), "Email: Bo · step 3/5"),
        (f"{ana}-five-touch-fire-5@cadence", date(2026, 11, 30), "FIRE: Ana López (Acme) · step 5/5"),
        (f"{bo}-five-touch-fire-4@cadence", date(2026, 12, 1), "Call: Bo · step 4/5"),
    ]
    email = description(ics, f"{ana}-five-touch-fire-3@cadence")
    assert email.startswith("Ana López (Acme)\nana@acme.example\nStep 3 of 5 (email) in five-touch-fire; tried 2 times before\n\nSubject: Acme: a short question\n\nHi Ana,\n")
    call = description(ics, f"{bo}-five-touch-fire-1@cadence")
    assert "Hi Bo, it's Sam Seller from" in call and "\n\nIf not reached, leave:\nHi Bo, Sam Seller with" in call
    fire = description(ics, f"{ana}-five-touch-fire-5@cadence")
    assert "Last touch: leave the fire message; then they are off the list." in fire


def test_a_newer_feed_moves_events_under_the_same_uids(cli, two, tmp_path):
    ana, _ = two
    first, second = tmp_path / "first.ics", tmp_path / "second.ics"
    cli("calendar", "--date", "2026-11-25", "--days", "10", "-o", first)
    # Ana's email goes out a day late: her remaining steps move on.
    cli("log", ana, "sent", "--at", "2026-11-26T10:00")
    cli("calendar", "--date", "2026-11-26", "--days", "10", "-o", second)
    before = {uid: day for uid, day, _ in events(first) if uid.startswith(f"{ana}-")}
    after = {uid: day for uid, day, _ in events(second) if uid.startswith(f"{ana}-")}
    assert before == {f"{ana}-five-touch-fire-3@cadence": date(2026, 11, 25), f"{ana}-five-touch-fire-4@cadence": date(2026, 11, 27), f"{ana}-five-touch-fire-5@cadence": date(2026, 11, 30)}
    assert after == {f"{ana}-five-touch-fire-4@cadence": date(2026, 11, 30), f"{ana}-five-touch-fire-5@cadence": date(2026, 12, 1)}
    assert len({uid for uid, _, _ in events(second)}) == len(events(second))


def test_overdue_steps_land_on_the_first_day(cli, two, tmp_path):
    ana, _ = two
    ics = tmp_path / "late.ics"
    cli("calendar", "--date", "2026-11-27", "--days", "1", "-o", ics)
    assert events(ics)[0] == (f"{ana}-five-touch-fire-3@cadence", date(2026, 11, 27), "Email: Ana López (Acme) · step 3/5")
    assert "\nOverdue 2 days (due 2026-11-25)\n" in description(ics, f"{ana}-five-touch-fire-3@cadence")
    planned = cli.json("calendar", "--date", "2026-11-27", "--days", "1")
    assert [(p["prospect_id"], p["step"], p["overdue_days"]) for p in planned] == [(int(ana), 3, 2), (int(two[1]), 1, 2)]


def test_a_callback_is_one_event_on_the_day_to_call(cli, two, tmp_path):
    _, bo = two
    cli("log", bo, "callback", "--at", "2026-11-25T10:00", "--on", "2026-12-02")
    ics = tmp_path / "cb.ics"
    cli("calendar", "--date", "2026-11-25", "--days", "14", "-o", ics)
    mine = [e for e in events(ics) if e[0].startswith(f"{bo}-")]
    assert mine == [(f"{bo}-callback-2026-12-02@cadence", date(2026, 12, 1), "Callback: Bo")]
    assert "They asked to be called back on 2026-12-02." in description(ics, f"{bo}-callback-2026-12-02@cadence")


def test_fired_and_closed_prospects_have_nothing_planned(cli, tmp_path):
    pid = cli("add", "--first", "Lee", "--phone", "+1 212 555 0111", "--email", "lee@x.example", "--cadence", "three-voicemails", "--start", "2026-11-23").stdout.strip()
    for day, outcome in (("2026-11-23", "vm"), ("2026-11-24", "vm"), ("2026-11-25", "vm"), ("2026-11-26", "sent")):
        cli("log", pid, outcome, "--at", f"{day}T10:00")
    assert cli.json("calendar", "--date", "2026-11-27", "--days", "30") == []


def test_without_output_file_the_feed_goes_to_stdout(cli, two):
    out = cli("calendar", "--date", "2026-11-25", "--days", "1").stdout
    assert out.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") or out.startswith("BEGIN:VCALENDAR\nVERSION:2.0\n")
    assert out.count("BEGIN:VEVENT") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--days", "0"), "--days 0 is out of range: give 1 to 366"),
        (("--days", "400"), "--days 400 is out of range"),
        (("--date", "next tuesday-ish"), "cannot read 'next tuesday-ish' as a date for --date"),
        (("-o", "/nonexistent-folder/x.ics"), "cannot write /nonexistent-folder/x.ics: folder /nonexistent-folder does not exist"),
    ],
)
def test_calendar_refuses_bad_input(cli, args, message):
    result = cli("calendar", *args, ok=False)
    assert result.exit_code == 1
    assert message in result.stderr
