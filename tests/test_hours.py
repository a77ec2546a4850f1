"""Best time to call: `stats --hours` counted by hand, `today --order best` and its fallback."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

from cadence.domain import hours
from tests.test_stats import add


def test_stats_hours_matches_a_history_counted_by_hand(cli):
    # The test zone is UTC, so a naive --at is UTC; each prospect's local time is worked out below.
    ny = add(cli, "Nyla", timezone="America/New_York")  # UTC-5 in November
    be = add(cli, "Berta", timezone="Europe/Berlin")  # UTC+1
    la = add(cli, "Lalo", timezone="America/Los_Angeles")  # UTC-8
    utc = add(cli, "Uma", timezone="UTC")
    mail = add(cli, "Mali", timezone="UTC")  # with an email step in between
    cli("log", ny, "vm", "--at", "2026-11-23T15:00")  # Mon 10:00 local
    cli("log", be, "connected", "--at", "2026-11-23T09:30")  # Mon 10:30 local: a connect
    cli("log", la, "na", "--at", "2026-11-24T01:00")  # Mon 17:00 local (Tuesday in UTC)
    cli("log", utc, "na", "--at", "2026-11-23T10:00")  # Mon 10:00
    cli("log", utc, "meeting", "--at", "2026-11-24T14:00")  # Tue 14:00: a connect
    cli("log", mail, "vm", "--at", "2026-11-23T10:59")  # Mon 10:59
    cli("log", mail, "na", "--at", "2026-11-24T10:00")  # Tue 10:00
    cli("log", mail, "sent", "--at", "2026-11-25T10:00")  # the email step: not a call
    cli("log", mail, "replied", "--at", "2026-11-25T11:00")  # not outbound: not a call
    assert cli.json("stats", "--hours") == [
        {"weekday": "mon", "hour": 10, "calls": 4, "connects": 1, "connect_rate": 0.25},
        {"weekday": "mon", "hour": 17, "calls": 1, "connects": 0, "connect_rate": 0.0},
        {"weekday": "tue", "hour": 10, "calls": 1, "connects": 0, "connect_rate": 0.0},
        {"weekday": "tue", "hour": 14, "calls": 1, "connects": 1, "connect_rate": 1.0},
    ]
    # --cadence narrows it like the other figures
    assert cli.json("stats", "--hours", "--cadence", "three-voicemails") == []
    shown = cli("stats", "--hours").stdout
    assert "7 calls, 2 connects (28.6%)" in shown
    assert "10:00" in shown and "25% 4" in shown and "100% 1" in shown
    assert "fewer than 10 calls" in shown


def test_stats_hours_with_no_calls_says_so(cli):
    assert cli.json("stats", "--hours") == []
    assert "No calls logged yet" in cli("stats", "--hours").stdout


def _history(pipeline, prospect_factory, monday: date) -> None:
    """60 calls on Mondays in UTC: 07:00 connects half the time, 10:00 one time in ten."""
    from cadence.store.models import Touch

    someone = prospect_factory(first_name="History", phone="+12125550999", timezone="UTC")
    with pipeline.writing() as session:
        for n in range(30):
            for hour, connected in ((7, n % 2 == 0), (10, n % 10 == 0)):
                week = monday - timedelta(weeks=1 + n)
                session.add(Touch(prospect_id=someone.id, at=datetime.combine(week, datetime.min.time()).replace(hour=hour, tzinfo=timezone.utc),
                                  on=week, cadence="five-touch-fire", step=1, step_type="call",
                                  outcome="connected" if connected else "no-answer", attempt=True))


def _today(cli, *extra):
    result = cli("today", "--at", "2026-12-07T15:00", "--json", *extra)
    return [i["name"] for i in __import__("json").loads(result.stdout) if i["channel"] == "phone" and i["name"] != "History Example"], result.stderr


def test_today_order_best_puts_the_better_hour_first(cli, pipeline, prospect_factory):
    monday = date(2026, 12, 7)
    prospect_factory(first_name="East", timezone="America/New_York", start=monday)  # 10:00 there: 10% connect
    prospect_factory(first_name="West", timezone="America/Los_Angeles", start=monday)  # 07:00 there: 50%
    names, _ = _today(cli)
    assert names == ["East Example", "West Example"]  # today's order: east to west
    _history(pipeline, prospect_factory, monday)
    names, err = _today(cli, "--order", "best")
    assert names == ["West Example", "East Example"]
    assert "too little history" not in err


def test_today_order_best_keeps_todays_order_with_too_little_history(cli, prospect_factory):
    monday = date(2026, 12, 7)
    prospect_factory(first_name="East", timezone="America/New_York", start=monday)
    prospect_factory(first_name="West", timezone="America/Los_Angeles", start=monday)
    names, err = _today(cli, "--order", "best")
    assert names == ["East Example", "West Example"]
    assert "Fewer than 50 calls logged: too little history" in err


def test_today_order_refuses_an_unknown_order(cli):
    result = cli("today", "--order", "random", ok=False)
    assert result.exit_code == 1
    assert "error: --order 'random' is not known: use due or best" in result.stderr


def test_chance_falls_back_to_every_weekday_then_to_none():
    cells = {(0, 9): hours.Cell(0, 9, calls=4, connects=4), (2, 9): hours.Cell(2, 9, calls=8, connects=0)}
    monday_nine = datetime(2026, 12, 7, 9, tzinfo=timezone.utc)
    assert hours.chance(cells, monday_nine) == 4 / 12  # Monday alone has 4 calls: every weekday at 9-10
    assert hours.chance(cells, monday_nine.replace(hour=14)) is None
    items = [SimpleNamespace(channel="email", timezone="UTC"), SimpleNamespace(channel="phone", timezone="UTC")]
    assert hours.best_first(items, cells, monday_nine, "UTC") == items  # 12 calls in all: too little history
