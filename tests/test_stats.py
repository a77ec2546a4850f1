"""`cadence stats`: every figure checked against a history counted by hand."""

from __future__ import annotations

import pytest

START = "2026-11-23"  # a Monday: five-touch-fire's steps fall on 23, 24, 25, 27 and 30 November


_PHONES = __import__("itertools").count(100)


def add(cli, first: str, cadence: str = "five-touch-fire", start: str = START, **extra: str) -> str:
    phone = f"+1 212 555 {next(_PHONES):04d}"  # calls need a phone on file (the channel checks)
    args = ["add", "--first", first, "--last", "Test", "--email", f"{first.lower()}@example.com", "--phone", phone, "--cadence", cadence, "--start", start]
    for key, value in extra.items():
        args += [f"--{key}", value]
    return cli(*args).stdout.strip()


def log(cli, pid: str, *steps: tuple[str, str]) -> None:
    for day, outcome in steps:
        cli("log", pid, outcome, "--at", f"{day}T10:00")


def log_on(cli, pid: str, day: str, outcome: str, on: str) -> None:
    cli("log", pid, outcome, "--at", f"{day}T10:00", "--on", on)


DAYS = ("2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27", "2026-11-30")


@pytest.fixture
def history(cli):
    """Fourteen prospects with a known history (see the comments for each)."""
    p = {}
    # P1: five advancing touches, fired on 30 Nov, replied 4 days later.
    p[1] = add(cli, "One")
    log(cli, p[1], *zip(DAYS, ("vm", "na", "sent", "vm", "vm")), ("2026-12-04", "replied"))
    # P2: fired on 30 Nov, replied 63 days later (outside the 30-day window).
    p[2] = add(cli, "Two")
    log(cli, p[2], *zip(DAYS, ("na", "na", "sent", "na", "vm")), ("2027-02-01", "replied"))
    # P3: fired, never replied.
    p[3] = add(cli, "Three")
    log(cli, p[3], *zip(DAYS, ("vm", "na", "sent", "gk", "vm")))
    # P4: connected on the first call, a meeting a week later (while engaged, so no step).
    p[4] = add(cli, "Four")
    log(cli, p[4], ("2026-11-23", "connected"), ("2026-12-01", "meeting"))
    # P5: voicemail, then a meeting on step 2.
    p[5] = add(cli, "Five")
    log(cli, p[5], ("2026-11-23", "vm"), ("2026-11-24", "meeting"))
    # P6: said no when the email step was due.
    p[6] = add(cli, "Six")
    log(cli, p[6], ("2026-11-23", "vm"), ("2026-11-24", "na"), ("2026-11-25", "not-interested"))
    # P7: postponed three times: lingering.
    p[7] = add(cli, "Seven")
    log_on(cli, p[7], "2026-11-23", "callback", "2026-12-01")
    log_on(cli, p[7], "2026-11-30", "callback", "2026-12-07")
    log_on(cli, p[7], "2026-12-04", "callback", "2026-12-14")
    # P8: bad number on step 2.
    p[8] = add(cli, "Eight")
    log(cli, p[8], ("2026-11-23", "vm"), ("2026-11-24", "bad-number"))
    # P9: replied after the first voicemail, while step 2 was due.
    p[9] = add(cli, "Nine")
    log(cli, p[9], ("2026-11-23", "vm"), ("2026-11-24", "replied"))
    # P10: disqualified before any call.
    p[10] = add(cli, "Ten")
    log(cli, p[10], ("2026-11-23", "dq"))
    # P11: enrolled, nothing logged.
    p[11] = add(cli, "Eleven")
    # P12: two touches, still active.
    p[12] = add(cli, "Twelve")
    log(cli, p[12], ("2026-11-23", "vm"), ("2026-11-24", "na"))
    # P13: another cadence.
    p[13] = add(cli, "Thirteen", cadence="three-voicemails")
    log(cli, p[13], ("2026-11-23", "vm"))
    # P14: started later, one voicemail.
    p[14] = add(cli, "Fourteen", start="2026-12-01")
    log(cli, p[14], ("2026-12-01", "vm"))
    return p


def by_name(rows):
    return {row["cadence"]: row for row in rows}


def test_stats_match_a_history_counted_by_hand(cli, history):
    rows = by_name(cli.json("stats"))
    five = rows["five-touch-fire"]
    # P1..P12 and P14; current statuses:
    # active P11 P12 P14; engaged P1 P2 (replied) P9; converted P4 P5; fired now P3;
    # lost P6; disqualified P10; snoozed P7; needs-fix P8.
    assert five["enrolled"] == 13
    assert (five["active"], five["engaged"], five["converted"], five["lost"], five["disqualified"]) == (3, 3, 2, 1, 1)
    assert five["statuses"] == {
        "active": 3, "snoozed": 1, "paused": 0, "engaged": 3, "converted": 2, "fired": 1,
        "lost": 1, "disqualified": 1, "do-not-contact": 0, "needs-fix": 1,
    }
    # Fired by the cadence: P1, P2, P3, although P1 and P2 replied since.
    assert five["fired"] == 3
    # Within 30 days of the fire only P1 replied (4 days); P2 took 63 days.
    assert five["replies_after_fire"] == 1
    assert five["replies_after_fire_share"] == round(1 / 3, 4)
    assert five["median_days_fire_to_reply"] == 4
    # Meetings: P4 and P5 of 13 enrolled.
    assert five["meetings"] == 2
    assert five["meetings_per_100"] == round(100 * 2 / 13, 2)
    # First connect: P4 on touch 1, P5 on touch 2 (voicemail, meeting).
    assert five["connected"] == 2
    assert five["avg_touches_to_first_connect"] == 1.5
    assert five["lingering"] == 1

    steps = {s["step"]: s for s in five["steps"]}
    assert [(s["step"], s["type"], s["channel"]) for s in five["steps"]] == [
        (1, "call", "phone"), (2, "no-message-call", "phone"), (3, "email", "email"), (4, "call", "phone"), (5, "fire", "phone"),
    ]
    # Step 1: voicemail P1 P3 P5 P6 P8 P9 P12 P14, no-answer P2, connected P4, callback P7, disqualified P10.
    assert steps[1]["outcomes"] == {"voicemail": 8, "callback": 1, "connected": 1, "disqualified": 1, "no-answer": 1}
    assert steps[1]["touches"] == 12
    assert steps[1]["calls"] == 11  # disqualified is not a call
    assert steps[1]["reached"] == 11  # everyone but P10 and P11
    assert steps[1]["connect_rate"] == round(1 / 11, 4)
    assert steps[1]["replies"] == 1  # P9 replied with step 1 as their last touch
    assert steps[1]["reply_rate"] == round(1 / 11, 4)
    # Step 2: no-answer P1 P2 P3 P6 P12, meeting P5, bad-number P8, replied P9 (not a call).
    assert steps[2]["outcomes"] == {"no-answer": 5, "bad-number": 1, "meeting": 1, "replied": 1}
    assert (steps[2]["touches"], steps[2]["calls"], steps[2]["reached"]) == (8, 7, 7)
    assert steps[2]["connect_rate"] == round(1 / 7, 4)
    assert (steps[2]["replies"], steps[2]["reply_rate"]) == (0, 0.0)
    # Step 3 (email): sent P1 P2 P3, not-interested P6: no calls, so no connect rate.
    assert steps[3]["outcomes"] == {"sent": 3, "not-interested": 1}
    assert (steps[3]["touches"], steps[3]["calls"], steps[3]["reached"]) == (4, 0, 4)
    assert steps[3]["connect_rate"] is None
    assert steps[3]["reply_rate"] == 0.0
    # Step 4: voicemail P1, no-answer P2, gatekeeper P3.
    assert steps[4]["outcomes"] == {"gatekeeper": 1, "no-answer": 1, "voicemail": 1}
    assert (steps[4]["calls"], steps[4]["connect_rate"]) == (3, 0.0)
    # Step 5 (fire): P1 P2 P3; P1 and P2 replied after it (any time).
    assert steps[5]["outcomes"] == {"voicemail": 3}
    assert (steps[5]["reached"], steps[5]["replies"], steps[5]["reply_rate"]) == (3, 2, round(2 / 3, 4))

    three = rows["three-voicemails"]
    assert (three["enrolled"], three["active"], three["fired"]) == (1, 1, 0)
    assert three["steps"][0]["outcomes"] == {"voicemail": 1}
    assert three["replies_after_fire_share"] is None and three["meetings_per_100"] == 100 * 0 / 1


def test_window_widens_replies_after_fire(cli, history):
    five = by_name(cli.json("stats", "--window", "90"))["five-touch-fire"]
    assert five["replies_after_fire"] == 2  # P1 after 4 days, P2 after 63
    assert five["replies_after_fire_share"] == round(2 / 3, 4)
    assert five["median_days_fire_to_reply"] == (4 + 63) / 2


def test_cadence_and_since_narrow_the_figures(cli, history):
    rows = cli.json("stats", "--cadence", "five-touch-fire", "--since", "2026-12-01")
    assert [r["cadence"] for r in rows] == ["five-touch-fire"]
    only = rows[0]
    # Only P14 started on or after 1 December.
    assert (only["enrolled"], only["active"], only["fired"], only["meetings"]) == (1, 1, 0, 0)
    assert only["steps"][0]["outcomes"] == {"voicemail": 1}
    assert only["meetings_per_100"] == 0.0


def test_undo_of_a_fire_takes_it_out_of_fired(cli, history):
    cli("undo", history[3])  # P3's fire voicemail
    five = by_name(cli.json("stats"))["five-touch-fire"]
    assert five["fired"] == 2
    assert five["replies_after_fire_share"] == 0.5


def test_running_totals_give_the_figures_counted_from_every_touch(cli, history):
    assert cli.json("stats") == cli.json("stats", "--recount")
    assert cli.json("stats", "--cadence", "five-touch-fire", "--window", "90") == cli.json(
        "stats", "--cadence", "five-touch-fire", "--window", "90", "--recount")
    cli("undo", history[1])  # P1's reply
    assert by_name(cli.json("stats"))["five-touch-fire"]["replies_after_fire"] == 0
    assert cli.json("stats") == cli.json("stats", "--recount")


def test_stats_never_reads_the_touch_log(cli, history, pipeline):
    """Only --since and --recount count touches; the rest comes from the totals and the prospect table."""
    import sqlalchemy as sa

    from cadence.pipeline.stats import compute

    statements: list[str] = []
    listener = lambda _c, _cur, statement, *_: statements.append(statement)  # noqa: E731
    sa.event.listen(pipeline.engine, "before_cursor_execute", listener)
    try:
        compute(pipeline)
        plain = list(statements)
        compute(pipeline, recount=True)
    finally:
        sa.event.remove(pipeline.engine, "before_cursor_execute", listener)
    assert [s for s in plain if "FROM touch" in s] == []
    assert any("stat_tally" in s for s in plain)
    assert any("FROM touch" in s for s in statements[len(plain):])  # the recount does read it


def test_stats_on_an_empty_database_are_zeroes_and_nulls(cli):
    rows = cli.json("stats")
    assert {r["cadence"] for r in rows} >= {"five-touch-fire", "three-voicemails", "stop-chasing", "long-haul-breakup"}
    for row in rows:
        assert [row[k] for k in ("enrolled", "active", "engaged", "converted", "fired", "lost", "disqualified", "replies_after_fire", "lingering")] == [0] * 9
        assert [row[k] for k in ("replies_after_fire_share", "median_days_fire_to_reply", "meetings_per_100", "avg_touches_to_first_connect")] == [None] * 4
        assert all(s["touches"] == 0 and s["connect_rate"] is None and s["reply_rate"] is None and s["outcomes"] == {} for s in row["steps"])
    screen = cli("stats").stdout
    assert screen.startswith("No prospects enrolled and no touches logged yet: nothing to measure.\n")


SCREEN = """\
five-touch-fire — Five touches, then fire ──────────────────────────────────────
13 enrolled: 3 active · 1 snoozed · 3 engaged · 2 converted
             1 fired · 1 lost · 1 disqualified · 1 needs-fix
Fired by this cadence: 3 (1 still fired)
Replies after fire: 1 of 3 (33.3%) within 30 days; median 4 days
Meetings per 100 prospects: 15.4 · touches to first connect: 1.5 · lingering: 1

step  type          reached (of 13)            touches  connect  reply
   1  call          ████████████████▉ 11            12     9.1%   9.1%
   2  call, no msg  ██████████▊ 7                    8    14.3%   0.0%
   3  email         ██████▏ 4                        4        –   0.0%
   4  call          ████▋ 3                          3     0.0%   0.0%
   5  FIRE          ████▋ 3                          3     0.0%  66.7%

Outcomes by step
   1: voicemail 8, callback 1, connected 1, disqualified 1, no-answer 1
   2: no-answer 5, bad-number 1, meeting 1, replied 1
   3: sent 3, not-interested 1
   4: gatekeeper 1, no-answer 1, voicemail 1
   5: voicemail 3
"""


def test_stats_screen_at_80_columns(cli, history, monkeypatch):
    from cadence.views import daily as output

    monkeypatch.setattr(output.console, "width", 80)
    screen = cli("stats", "--cadence", "five-touch-fire").stdout
    assert screen == SCREEN
    assert max(len(line) for line in screen.splitlines()) <= 80


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--cadence", "nope"), "no cadence named 'nope'"),
        (("--since", "yesterday-ish"), "invalid date 'yesterday-ish' for --since"),
        (("--window", "-1"), "--window -1 is negative"),
    ],
)
def test_stats_refuses_bad_options(cli, args, message):
    result = cli("stats", *args, ok=False)
    assert result.exit_code == 1
    assert message in result.stderr


def assert_adds_up(entries):
    for entry in entries:
        assert sum(entry["statuses"].values()) == entry["enrolled"], entry["cadence"]
        reached = [step["reached"] for step in entry["steps"]]
        assert all(n <= entry["enrolled"] for n in reached), (entry["cadence"], reached, entry["enrolled"])
        assert reached == sorted(reached, reverse=True), (entry["cadence"], reached)


def test_stats_add_up_when_prospects_move_and_are_re_enrolled(cli):
    def add(first, phone):
        return cli("add", "--first", first, "--phone", phone, "--start", "2026-11-23").stdout.strip()

    moved, recycled, stays = add("Moved", "+12125550134"), add("Again", "+12125550135"), add("Stays", "+12125550136")
    for pid in (moved, recycled, stays):
        cli("log", pid, "no-answer", "--at", "2026-11-23T10:00")
        cli("log", pid, "voicemail", "--at", "2026-11-24T10:00", "--force")
    cli("log", stays, "voicemail", "--at", "2026-11-25T10:00", "--force")  # a step 3 nobody else reached
    cli("enroll", moved, "--cadence", "three-voicemails", "--start", "2026-11-30", "--force")
    cli("enroll", recycled, "--cadence", "five-touch-fire", "--start", "2026-12-01", "--force")
    cli("log", recycled, "no-answer", "--at", "2026-12-01T10:00")

    for options in ((), ("--recount",)):
        entries = cli.json("stats", *options)
        assert_adds_up(entries)
        five = next(e for e in entries if e["cadence"] == "five-touch-fire")
        # Two enrolled now: Again (on their second enrolment, step 1 done) and Stays (3 steps done).
        assert five["enrolled"] == 2
        assert [s["reached"] for s in five["steps"]] == [2, 1, 1, 0, 0], options
        assert [s["touches"] for s in five["steps"]][:3] == [4, 3, 1]  # every touch is still a touch
        three = next(e for e in entries if e["cadence"] == "three-voicemails")
        assert (three["enrolled"], three["steps"][0]["reached"]) == (1, 0)


def test_plurals_in_stats_and_today(cli):
    from cadence.views.text import plural

    assert [plural(1, "day"), plural(2, "day"), plural(1.0, "day"), plural(9.5, "day"), plural(0, "call")] == [
        "1 day", "2 days", "1 day", "9.5 days", "0 calls"]
    for first, phone in (("Ana", "+12125550134"), ("Bob", "+12125550135")):
        cli("add", "--first", first, "--phone", phone, "--start", "2026-11-24")
    result = cli("today", "--max-calls", "1", "--date", "2026-11-24", "--json")
    assert result.stderr == "1 call deferred to 2026-11-25 (max 1 call a day)\n"
