"""Issue 13 points 4-7 and 11 (--date), issue 20 points 5 and 8 (dates, TZ): date phrases and their
bounds, the channel checks, finding people by name, and follow-ups that never vanish."""

from __future__ import annotations

from datetime import date

import pytest

from cadence.domain import engine
from cadence.domain.calendar import Calendar
from cadence.domain.dates import on_working_day, parse_day
from cadence.domain.engine import Outcome, State, Status
from cadence.errors import CadenceError
from conftest import P, S

MON7, TUE8, WED9, THU10, FRI11 = (date(2026, 12, d) for d in range(7, 12))
SAT12, SUN13, MON14, TUE15 = (date(2026, 12, d) for d in range(12, 16))


def add(cli, first: str, *options: str) -> str:
    return cli("add", "--first", first, "--last", "Test", *options).stdout.strip()


# ---------------------------------------------------------------- date phrases (13.5, 13.11)


@pytest.mark.parametrize(
    "phrase, today, expected",
    [
        ("tuesday", MON7, TUE8),  # the next one: tomorrow
        ("next tuesday", MON7, TUE15),  # the Tuesday of next week, as people say it
        ("next monday", MON7, MON14),
        ("next tuesday", WED9, TUE15),
        ("next friday", FRI11, date(2026, 12, 18)),
        ("next tuesday", SUN13, TUE15),  # Sunday ends the week: next week starts tomorrow
        ("next tue", MON7, TUE15),
        ("monday", MON7, MON14),  # never today
        ("on friday", MON7, FRI11),
        ("yesterday", MON7, date(2026, 12, 6)),
        ("last friday", MON7, date(2026, 12, 4)),
        ("last monday", MON7, date(2026, 11, 30)),  # never today
        ("tomorrow", FRI11, SAT12),  # the parser names the day; landing on a working day is log's part
        ("in 2 weeks", MON7, date(2026, 12, 21)),
        ("in a month", date(2027, 1, 31), date(2027, 2, 28)),
        ("next week", TUE8, TUE15),
        ("  In  3  Days ", MON7, THU10),
        ("2026-12-25", MON7, date(2026, 12, 25)),
        ("2999-12-31", MON7, date(2999, 12, 31)),
        ("1970-01-01", MON7, date(1970, 1, 1)),
    ],
)
def test_date_phrase_table(phrase, today, expected):
    assert parse_day(phrase, today) == expected


@pytest.mark.parametrize(
    "phrase, message",
    [
        ("in 99999 years", "--on 'in 99999 years' is out of range: cadence handles dates from 1970-01-01 to 2999-12-31"),
        ("in 999999999999999999999 days", "--on 'in 999999999999999999999 days' is out of range: cadence handles dates from 1970-01-01 to 2999-12-31"),
        ("in 1000 years", "--on 'in 1000 years' (3026-12-07) is out of range: cadence handles dates from 1970-01-01 to 2999-12-31"),
        ("9999-12-31", "--on 9999-12-31 is out of range: cadence handles dates from 1970-01-01 to 2999-12-31"),
        ("0001-01-01", "--on 0001-01-01 is out of range: cadence handles dates from 1970-01-01 to 2999-12-31"),
    ],
)
def test_dates_out_of_bounds_are_refused_in_one_line(phrase, message):
    with pytest.raises(CadenceError) as caught:
        parse_day(phrase, MON7)
    assert str(caught.value) == message


# The prospect's calendar (business days, US holidays) and the salesperson's days off.
US = Calendar(business=True, country="US")


@pytest.mark.parametrize(
    "phrase, today, days_off, expected",
    [
        ("tomorrow", FRI11, frozenset(), MON14),  # Saturday moves to Monday
        ("in 2 weeks", date(2026, 12, 11), frozenset(), date(2026, 12, 28)),  # the 25th would be fine; the 26th is a Saturday
        ("in 2 weeks", date(2026, 12, 11), frozenset({date(2026, 12, 28)}), date(2026, 12, 29)),  # a day off
        ("in 3 days", date(2026, 12, 22), frozenset(), date(2026, 12, 28)),  # Christmas, then the weekend
        ("in a month", date(2026, 11, 30), frozenset({date(2026, 12, 30), date(2026, 12, 31)}), date(2027, 1, 4)),  # off, New Year, weekend
        ("next tuesday", MON7, frozenset(), TUE15),
    ],
)
def test_phrases_land_on_a_working_day(phrase, today, days_off, expected):
    assert on_working_day(parse_day(phrase, today), US, days_off) == expected


def test_log_says_back_the_date_it_understood_and_moves_it_to_a_working_day(cli):
    pid = add(cli, "Ana", "--phone", "+12125550101", "--email", "ana@example.com", "--start", "2026-12-11")
    cli("me", "set", "days_off", "2026-12-14")
    result = cli("log", pid, "cb", "--on", "tomorrow", "--at", "2026-12-11T10:00")
    assert result.stdout.splitlines()[0] == "Logged callback on step 1 for #1 Ana Test: callback on Tue 2026-12-15."
    assert cli.json("show", pid)["callback_on"] == "2026-12-15"
    # A date written out is what they asked for: kept as it is, even on a Saturday.
    logged = cli.json("log", pid, "cb", "--on", "2026-12-19", "--date", "2026-12-11", "--force")
    assert logged["on"] == "2026-12-19"


def test_a_callback_for_tomorrow_is_not_back_on_todays_list(cli):
    pid = add(cli, "Ana", "--phone", "+12125550101", "--start", "2026-12-07")
    cli("log", pid, "cb", "--on", "tomorrow", "--at", "2026-12-07T10:00")
    assert cli.json("today", "--date", "2026-12-07") == []
    assert [i["type"] for i in cli.json("today", "--date", "2026-12-08")] == ["callback"]


def test_every_command_that_takes_at_also_takes_date():
    import typer

    from cadence.cli import app

    group = typer.main.get_command(app)
    with_at = []

    def walk(command, path):
        if hasattr(command, "list_commands"):
            ctx = typer.Context(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])
            return
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if "--at" in options:
            with_at.append(" ".join(path))
            assert "--date" in options, f"cadence {' '.join(path)} takes --at but not --date"

    walk(group, [])
    assert {"today", "log", "add", "import", "work", "pause", "resume", "snooze", "enroll", "assign", "email", "calendar"} <= set(with_at)


def test_date_takes_phrases_counted_from_the_day_of_at(cli):
    pid = add(cli, "Ana", "--phone", "+12125550101", "--start", "2026-12-07")
    assert [i["prospect_id"] for i in cli.json("today", "--date", "yesterday", "--at", "2026-12-08T09:00")] == [int(pid)]
    assert cli.json("today", "--date", "last friday", "--at", "2026-12-08T09:00") == []
    logged = cli.json("log", pid, "vm", "--date", "2026-12-07")
    assert logged["next_due"] == "2026-12-08"
    assert cli.json("show", pid)["touches"][0]["at"] == "2026-12-07T12:00:00+00:00"
    assert cli.json("pause", pid, "--date", "2026-12-09")["status"] == "paused"


# ---------------------------------------------------------------- the TZ environment variable (20.8, 20.12)


@pytest.mark.parametrize("tz", ["UTC+99", "Mars/Base", "not a zone"])
@pytest.mark.parametrize("args", [["today"], ["show", "1"], ["log", "1", "vm"], ["me", "show"], ["stats"], ["work"]])
def test_a_tz_that_cannot_be_read_is_one_error_line(cli, monkeypatch, tz, args):
    add(cli, "Ana", "--phone", "+12125550101", "--start", "2026-12-07")
    monkeypatch.setenv("TZ", tz)
    result = cli(*args, ok=False, input="")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: TZ={tz!r} is not a time zone cadence can read: set TZ to an IANA name such as Europe/Paris "
        "(or unset it), or set yours with `cadence me set timezone Europe/Paris`\n"
    )
    assert result.stdout == ""


@pytest.mark.parametrize("tz", ["EST5EDT", "UTC-3", ":Europe/Paris", "<+0530>-5:30"])
def test_a_posix_tz_is_read(cli, monkeypatch, tz):
    monkeypatch.setenv("TZ", tz)
    assert cli.json("today", "--date", "2026-12-07") == []


def test_with_a_profile_time_zone_an_unreadable_tz_does_not_matter(cli, monkeypatch):
    cli("me", "set", "timezone", "Europe/Paris")
    monkeypatch.setenv("TZ", "UTC+99")
    assert cli.json("today", "--date", "2026-12-07") == []


# ---------------------------------------------------------------- channel checks (13.6)


@pytest.mark.parametrize(
    "contacts, day, outcome, message",
    [
        (("--phone", "+12125550101"), "2026-12-07", "sent",
         "error: 'sent' does not fit step 1 for Ana Test: it is a call. Log what happened (vm, na, gk, conn, ...), "
         "or use --force to log it anyway"),
        (("--phone", "+12125550101", "--email", "ana@example.com"), "2026-12-09", "vm",
         "error: 'voicemail' does not fit step 3 for Ana Test: it is an email. Log what happened (sent, bounced, ...), "
         "or use --force to log it anyway"),
        (("--phone", "+12125550101", "--email", "ana@example.com"), "2026-12-09", "conn",
         "error: 'connected' does not fit step 3 for Ana Test: it is an email. Log what happened (sent, bounced, ...), "
         "or use --force to log it anyway"),
        (("--email", "ana@example.com"), "2026-12-07", "na",
         "error: 'no-answer' needs a phone but Ana Test has none on file: add it (`cadence import FILE --update` "
         "fills empty fields), or use --force to log it anyway"),
    ],
)
def test_an_outcome_that_does_not_fit_is_refused_unless_forced(cli, contacts, day, outcome, message):
    pid = add(cli, "Ana", *contacts, "--start", "2026-12-07")
    if day == "2026-12-09":
        cli("log", pid, "vm", "--at", "2026-12-07T10:00")
        cli("log", pid, "na", "--at", "2026-12-08T10:00")
    before = cli.json("show", pid)
    result = cli("log", pid, outcome, "--at", f"{day}T10:00", ok=False)
    assert (result.exit_code, result.stderr) == (1, message + "\n")
    assert cli.json("show", pid) == before
    assert cli.json("log", pid, outcome, "--at", f"{day}T10:00", "--force")["forced"] is True


def test_sent_needs_an_email_on_a_fire_email_step(cli):
    pid = add(cli, "Ana", "--phone", "+12125550101", "--cadence", "three-voicemails", "--start", "2026-12-07")
    for day in ("07", "08", "09"):
        cli("log", pid, "vm", "--at", f"2026-12-{day}T10:00")
    result = cli("log", pid, "sent", "--at", "2026-12-10T10:00", ok=False)
    assert result.stderr.startswith("error: 'sent' needs an email but Ana Test has none on file")
    refused = cli("log", pid, "vm", "--at", "2026-12-10T10:00", ok=False)  # the fire step goes by email
    assert refused.stderr.startswith("error: 'voicemail' does not fit step 4 for Ana Test: it is an email.")


def test_work_offers_only_the_keys_that_fit(cli):
    from cadence.domain.worklist import legend
    from cadence.pipeline.core import Item

    base = dict(prospect_id=1, name="A", company="", title="", timezone="UTC", local_time=None, status="active",
                cadence="c", step=1, steps=2, due=MON7, overdue_days=0, attempts=0, postponements=0, script="")
    call = Item(**base, phone="+12125550101", email="", type="call", channel="phone")
    mail = Item(**base, phone="+12125550101", email="a@example.com", type="email", channel="email")
    task = Item(**base, phone="", email="a@example.com", type="task", channel="task")
    follow_up = Item(**base, phone="+12125550101", email="a@example.com", type="callback", channel="phone")
    assert legend(call) == "v=voicemail n=no-answer g=gatekeeper c=connected m=meeting b=callback r=replied i=not-interested d=disqualified x=bad-number !=do-not-contact s=skip u=undo q=quit"
    assert legend(mail) == "e=sent m=meeting b=callback r=replied i=not-interested d=disqualified x=bad-number o=bounced !=do-not-contact s=skip u=undo q=quit"
    assert legend(task) == "e=sent m=meeting b=callback r=replied i=not-interested d=disqualified x=bad-number o=bounced !=do-not-contact t=done p=skipped s=skip u=undo q=quit"
    assert "v=voicemail" in legend(follow_up) and "e=sent" in legend(follow_up) and "t=done" not in legend(follow_up)


def test_work_refuses_a_key_that_does_not_fit_and_asks_c_for_a_next_date(cli):
    pid = add(cli, "Ana", "--phone", "+12125550101", "--start", "2026-12-07")
    # 'e' (sent) does not fit a call and is asked again; 'c' then takes a note and a next date.
    result = cli("work", "--date", "2026-12-07", input="e\nc\ngood talk\nnext tuesday\n")
    assert "'e' (sent) does not fit this call; use a key of the legend" in result.stderr
    assert "Logged connected on step 1 for #1 Ana Test: follow-up on Tue 2026-12-15." in result.stdout
    view = cli.json("show", pid)
    assert (view["status"], view["next_due"], view["touches"][0]["note"]) == ("engaged", "2026-12-15", "good talk")


def test_work_r_with_an_empty_date_line_keeps_them_engaged_without_a_date(cli):
    a = add(cli, "Ana", "--phone", "+12125550101", "--start", "2026-12-07")
    b = add(cli, "Ben", "--phone", "+12125550102", "--start", "2026-12-07")
    cli("work", "--date", "2026-12-07", input="r\n\n\nm\nbooked\nnot a date\n2026-12-20\n")
    assert [(v["status"], v["next_due"]) for v in (cli.json("show", a), cli.json("show", b))] == [
        ("engaged", None), ("converted", "2026-12-20")]


# ---------------------------------------------------------------- follow-ups never vanish (20.5)

PLAN = P("five", (S(1, "call"), S(2, "no-message-call"), S(3, "email"), S(5, "call"), S(6, "fire")))
BUSINESS = Calendar(business=True)


def engaged(due: date | None) -> State:
    return State(status=Status.ENGAGED, cadence="five", started_on=MON7, step=None, due_on=due, attempts=1)


def test_a_try_on_an_engaged_follow_up_that_is_not_due_is_refused():
    with pytest.raises(CadenceError) as caught:
        engine.log(PLAN, BUSINESS, engaged(THU10), Outcome.NO_ANSWER, WED9, who="Ana")
    assert str(caught.value) == "the follow-up with Ana is not due until 2026-12-10; use --force to log it early"
    with pytest.raises(CadenceError) as caught:
        engine.log(PLAN, BUSINESS, engaged(None), Outcome.VOICEMAIL, WED9, who="Ana")
    assert str(caught.value).startswith("Ana is engaged with no follow-up date: give one with `cadence snooze`")


def test_a_due_follow_up_not_reached_moves_to_the_next_working_day_or_the_date_given():
    logged = engine.log(PLAN, BUSINESS, engaged(FRI11), Outcome.NO_ANSWER, FRI11)
    assert (logged.state.status, logged.state.due_on, logged.touch.attempt) == (Status.ENGAGED, MON14, True)
    logged = engine.log(PLAN, BUSINESS, engaged(FRI11), Outcome.VOICEMAIL, FRI11, next_on=TUE15)
    assert logged.state.due_on == TUE15


def test_a_conversation_while_engaged_is_accepted_any_day():
    logged = engine.log(PLAN, BUSINESS, engaged(None), Outcome.MEETING, WED9)
    assert logged.state.status == Status.CONVERTED
    logged = engine.log(PLAN, BUSINESS, engaged(TUE15), Outcome.CONNECTED, WED9, next_on=FRI11)
    assert (logged.state.status, logged.state.due_on) == (Status.ENGAGED, FRI11)


def test_an_unanswered_callback_out_of_any_cadence_comes_back_the_next_working_day():
    snoozed = State(status=Status.SNOOZED, cadence="five", started_on=MON7, step=None, due_on=FRI11, callback_on=FRI11)
    logged = engine.log(PLAN, BUSINESS, snoozed, Outcome.NO_ANSWER, FRI11)
    assert (logged.state.status, logged.state.due_on) == (Status.ENGAGED, MON14)


def test_connected_then_no_answer_on_the_day_keeps_the_follow_up(cli):
    pid = add(cli, "Ana", "--phone", "+12125550101", "--start", "2026-12-07")
    cli("log", pid, "connected", "--on", "2026-12-10", "--at", "2026-12-07T10:00")
    early = cli("log", pid, "na", "--at", "2026-12-09T10:00", ok=False)
    assert early.stderr == "error: the follow-up with Ana Test is not due until 2026-12-10; use --force to log it early\n"
    logged = cli.json("log", pid, "na", "--at", "2026-12-10T10:00")
    assert (logged["status"], logged["next_due"]) == ("engaged", "2026-12-11")
    assert [i["type"] for i in cli.json("today", "--date", "2026-12-11")] == ["callback"]
    # Once a day, as often as needed: never more than one try a day without --force.
    again = cli("log", pid, "na", "--at", "2026-12-10T15:00", ok=False)
    assert again.exit_code == 1


# ---------------------------------------------------------------- finding people by name (13.4)


@pytest.fixture
def people(cli):
    ids = {}
    for first, last, company, phone in (
        ("Émile", "Zola", "Lumière SA", "+12125550101"),
        ("Łukasz", "Nowak", "Polska", "+12125550102"),
        ("Jörg", "Müller", "Brightline Freight", "+12125550103"),
        ("Ana", "Lopez", "Ana Foods", "+12125550104"),
        ("Anabel", "Ruiz", "Summit", "+12125550105"),
        ("Diana", "Price", "Summit", "+12125550106"),
    ):
        ids[first] = int(cli("add", "--first", first, "--last", last, "--company", company, "--phone", phone,
                             "--start", "2026-12-07").stdout)
    return ids


@pytest.mark.parametrize(
    "ref, who",
    [
        ("émile", "Émile"), ("ÉMILE ZOLA", "Émile"), ("łukasz", "Łukasz"), ("ŁUKASZ NOWAK", "Łukasz"),
        ("MÜLLER", "Jörg"), ("jörg müller", "Jörg"), ("  jörg   MÜLLER ", "Jörg"), ("müll", "Jörg"),
        ("ana", "Ana"),  # a whole first name beats Anabel and Diana, who only contain it
        ("lopez", "Ana"), ("ANA LOPEZ", "Ana"), ("abel", "Anabel"),
    ],
)
def test_a_name_finds_its_person_whatever_the_case(cli, people, ref, who):
    assert cli.json("show", ref)["id"] == people[who]


def test_a_company_name_is_not_a_name(cli, people):
    result = cli("show", "Brightline", ok=False)
    assert result.stderr == "error: no prospect matches 'Brightline': try an id, email, phone or part of the name\n"


def test_several_matches_are_listed_with_their_ids(cli, people):
    result = cli("show", "an", ok=False)
    assert result.stderr == (
        "error: 'an' matches 3 prospects: #4 Ana Lopez (Ana Foods); #5 Anabel Ruiz (Summit); #6 Diana Price (Summit); use the id\n"
    )


def test_an_import_and_an_update_keep_names_findable(cli, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("First Name,Last Name,Email\nÖmer,ÇELİK,omer@example.com\n,Straße,solo@example.com\n", encoding="utf-8")
    cli("import", path, "--start", "2026-12-07")
    assert cli.json("show", "ömer ÇELİK")["email"] == "omer@example.com"
    assert cli.json("show", "STRASSE")["first_name"] == ""
    path.write_text("First Name,Last Name,Email\nZoë,Straße,solo@example.com\n", encoding="utf-8")
    assert cli.json("import", path, "--update", "--start", "2026-12-07")["updated"] == 1
    assert cli.json("show", "ZOË STRASSE")["email"] == "solo@example.com"


def test_the_upgrade_to_0006_folds_the_names_already_stored(cli):
    import sqlalchemy as sa

    from cadence.store import address, db

    engine = sa.create_engine(address.parse_url(address.resolve_url(None)))
    db.upgrade(engine, "0005")
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO prospect (first_name, last_name, title, company, phone, email, phone_key, email_key, timezone, "
            "source, tags, fields, owner, status, postponements, attempts, created_at, updated_at) VALUES "
            "('Émile', 'ZOLA', '', '', '', '', '', '', '', '', '', '{}', '', 'paused', 0, 0, '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
        ))
    engine.dispose()
    assert cli.json("show", "émile zola")["name"] == "Émile ZOLA"
