"""A team on one database: owners, the rep's own list, --all/--owner, assign, import --owners.

These run on whichever database the suite runs on (CADENCE_TEST_DB), so on PostgreSQL too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
MONDAY = "2026-11-23"


@pytest.fixture
def rep(monkeypatch):
    """Switch the current rep (CADENCE_USER) between commands; None for no rep."""

    def switch(name: str | None) -> None:
        if name is None:
            monkeypatch.delenv("CADENCE_USER", raising=False)
        else:
            monkeypatch.setenv("CADENCE_USER", name)

    return switch


def add(cli, first: str, phone: str) -> int:
    email = f"{first.lower()}.{phone[-4:]}@example.com"
    return int(cli("add", "--first", first, "--last", "Example", "--phone", phone, "--email", email, "--start", MONDAY).stdout)


@pytest.fixture
def two_reps(cli, rep) -> dict[str, int]:
    """Ana owns Megan, Bob owns Tom; both due on Monday."""
    rep("ana")
    megan = add(cli, "Megan", "+1 212 555 0101")
    rep("bob")
    tom = add(cli, "Tom", "+1 212 555 0102")
    return {"megan": megan, "tom": tom}


def names(cli, *options: str) -> list[tuple[str, str]]:
    return [(i["name"], i["owner"]) for i in cli.json("today", "--date", MONDAY, *options)]


# ---------------------------------------------------------------- whose list


def test_today_shows_the_reps_own_prospects(cli, rep, two_reps):
    rep("ana")
    assert names(cli) == [("Megan Example", "ana")]
    rep("bob")
    assert names(cli) == [("Tom Example", "bob")]


def test_today_all_and_owner_show_other_reps(cli, rep, two_reps):
    rep("ana")
    assert names(cli, "--all") == [("Megan Example", "ana"), ("Tom Example", "bob")]
    assert names(cli, "--owner", "bob") == [("Tom Example", "bob")]
    assert names(cli, "--owner", "nobody") == []


def test_with_no_rep_every_command_sees_everyone(cli, rep, two_reps):
    rep(None)
    assert names(cli) == [("Megan Example", "ana"), ("Tom Example", "bob")]
    assert cli.json("log", "Tom", "vm", "--at", f"{MONDAY}T10:00")["step"] == 1


def test_the_profile_user_is_the_rep_when_cadence_user_is_unset(cli, rep, two_reps):
    rep(None)
    cli("me", "set", "user", "bob")
    assert names(cli) == [("Tom Example", "bob")]


def test_today_all_with_owner_is_a_usage_error(cli, rep, two_reps):
    rep("ana")
    result = cli("today", "--all", "--owner", "bob", ok=False)
    assert result.exit_code == 2
    assert "use --all or --owner, not both" in result.stderr


def test_the_mixed_list_names_each_owner(cli, rep, two_reps):
    rep("ana")
    screen = cli("today", "--date", MONDAY, "--all").stdout
    assert "step 1 of 5 · call, leave a voicemail · tried 0 times · owner ana" in screen
    assert "step 1 of 5 · call, leave a voicemail · tried 0 times · owner bob" in screen
    assert "owner" not in cli("today", "--date", MONDAY).stdout


def test_work_walks_the_chosen_reps_list(cli, rep, two_reps):
    rep("ana")
    cli("work", "--date", MONDAY, "--owner", "bob", input="skip\n")
    walked = cli("work", "--date", MONDAY, "--all", input="skip\nskip\n").stdout
    assert "Megan Example" in walked and "Tom Example" in walked
    mine = cli("work", "--date", MONDAY, input="skip\n").stdout
    assert "Megan Example" in mine and "Tom Example" not in mine


def test_stats_count_the_reps_own_prospects_unless_asked(cli, rep, two_reps):
    rep("ana")
    enrolled = lambda *options: {row["cadence"]: row["enrolled"] for row in cli.json("stats", *options)}  # noqa: E731
    assert enrolled()["five-touch-fire"] == 1
    assert enrolled("--all")["five-touch-fire"] == 2
    assert enrolled("--owner", "bob")["five-touch-fire"] == 1


# ---------------------------------------------------------------- one prospect, one rep


def test_a_colleagues_prospect_is_found_but_not_called(cli, rep, two_reps):
    rep("ana")
    assert cli.json("show", "Tom")["owner"] == "bob"
    result = cli("log", "Tom", "vm", "--at", f"{MONDAY}T10:00", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: #{two_reps['tom']} Tom Example is bob's prospect: leave the calls to them, "
        f"or take them over with `cadence assign {two_reps['tom']} ana` (--force logs it anyway)\n"
    )
    assert cli.json("show", "Tom")["touches"] == []


def test_a_reply_to_a_colleagues_prospect_is_logged(cli, rep, two_reps):
    rep("ana")
    logged = cli.json("log", "Tom", "replied", "--at", f"{MONDAY}T10:00", "--note", "called the main line")
    assert (logged["status"], logged["outcome"]) == ("engaged", "replied")


def test_forced_call_on_a_colleagues_prospect_is_logged_as_the_caller(cli, rep, two_reps):
    rep("ana")
    assert cli.json("log", "Tom", "vm", "--at", f"{MONDAY}T10:00", "--force")["step"] == 1
    rep("bob")
    assert cli.json("show", "Tom")["attempts"] == 1
    result = cli("undo", "Tom", ok=False)
    assert result.stderr == f"error: the last touch of #{two_reps['tom']} was logged by ana: only they can undo it\n"
    rep("ana")
    assert cli.json("undo", "Tom")["removed"] == {"outcome": "voicemail", "step": 1, "on": MONDAY}


def test_own_prospect_wins_over_a_colleagues_namesake(cli, rep):
    rep("ana")
    mine = add(cli, "Sam", "+1 212 555 0111")
    rep("bob")
    theirs = add(cli, "Sam", "+1 212 555 0112")
    assert cli.json("show", "Sam")["id"] == theirs
    rep("ana")
    assert cli.json("show", "Sam")["id"] == mine
    rep("cy")
    result = cli("show", "Sam", ok=False)
    assert result.stderr.startswith("error: 'Sam' matches 2 prospects: ")


def test_assign_moves_a_prospect_to_another_reps_list(cli, rep, two_reps):
    rep("bob")
    cli("log", "Tom", "vm", "--at", f"{MONDAY}T10:00")
    moved = cli.json("assign", "Tom", "ana")
    assert moved == {"prospect_id": two_reps["tom"], "name": "Tom Example", "owner": "ana", "previous_owner": "bob", "status": "active"}
    assert [i["name"] for i in cli.json("today", "--date", "2026-11-24")] == []
    rep("ana")
    assert [(i["name"], i["step"], i["attempts"]) for i in cli.json("today", "--date", "2026-11-24")] == [
        ("Megan Example", 1, 0),
        ("Tom Example", 2, 1),
    ]
    assert cli.json("log", "Tom", "na", "--at", "2026-11-24T10:00")["step"] == 2
    assert [t["outcome"] for t in cli.json("show", "Tom")["touches"]] == ["voicemail", "no-answer"]


def test_assign_prints_a_sentence(cli, rep, two_reps):
    rep("ana")
    assert cli("assign", "Megan", "bob").stdout == f"#{two_reps['megan']} Megan Example now belongs to bob (was ana).\n"


def test_assign_to_nobody_is_refused(cli, rep, two_reps):
    result = cli("assign", "Megan", "  ", ok=False)
    assert result.exit_code == 1
    assert result.stderr == "error: name the rep to assign the prospect to, e.g. `cadence assign 12 sam`\n"
    assert cli.json("show", "Megan")["owner"] == "ana"


def test_assign_an_unknown_prospect_is_refused(cli, two_reps):
    result = cli("assign", "Zed", "bob", ok=False)
    assert result.stderr == "error: no prospect matches 'Zed': try an id, email, phone or part of the name\n"


# ---------------------------------------------------------------- do-not-contact and fired, whoever asks


def test_do_not_contact_holds_for_every_rep(cli, rep, tmp_path):
    rep("ana")
    cli("import", str(FIXTURES / "team-leads.csv"), "--start", MONDAY)
    cli("log", "Megan", "dnc", "--at", f"{MONDAY}T10:00")
    rep("bob")
    again = cli.json("import", str(FIXTURES / "team-leads.csv"), "--start", MONDAY)
    assert (again["added"], again["already_present"], again["do_not_contact"]) == (0, 4, 1)
    result = cli("add", "--first", "Megan", "--email", "megan.ray@northwind.example", ok=False)
    assert result.stderr.startswith("error: already present as #1 Megan Ray (same email)")
    cli("assign", "Megan", "bob")
    refused = cli("log", "Megan", "vm", "--at", "2026-11-24T10:00", ok=False)
    assert refused.exit_code == 1
    assert "do-not-contact" in refused.stderr
    assert cli.json("show", "Megan")["status"] == "do-not-contact"


def test_a_fired_prospect_stays_fired_for_the_next_rep(cli, rep, two_reps):
    rep("bob")
    for day, outcome in (("2026-11-23", "vm"), ("2026-11-24", "na"), ("2026-11-25", "sent"), ("2026-11-30", "vm"), ("2026-12-01", "vm")):
        cli("log", "Tom", outcome, "--at", f"{day}T10:00")
    assert cli.json("show", "Tom")["status"] == "fired"
    cli("assign", "Tom", "ana")
    rep("ana")
    refused = cli("log", "Tom", "vm", "--at", "2026-12-02T10:00", ok=False)
    assert refused.exit_code == 1
    assert "fired" in refused.stderr
    assert cli.json("show", "Tom")["attempts"] == 5


# ---------------------------------------------------------------- import: who owns the new people


def owners_after_import(cli, *options: str) -> dict[str, str]:
    cli("import", str(FIXTURES / "team-leads.csv"), "--start", MONDAY, *options)
    return {i["name"]: i["owner"] for i in cli.json("today", "--date", MONDAY, "--all")}


def test_import_gives_new_people_to_the_importing_rep_or_the_files_owner(cli, rep):
    rep("cy")
    assert owners_after_import(cli) == {
        "Megan Ray": "cy",
        "Tomás Kay": "cy",
        "Priya Nair": "dana",
        "Li Wei": "cy",
        "Olu Ade": "cy",
    }


def test_import_owners_deals_new_people_round_robin(cli, rep):
    rep("cy")
    assert owners_after_import(cli, "--owners", "ana, bob") == {
        "Megan Ray": "ana",
        "Tomás Kay": "bob",
        "Priya Nair": "ana",
        "Li Wei": "bob",
        "Olu Ade": "ana",
    }


def test_import_round_robin_skips_people_already_present(cli, rep):
    rep("cy")
    cli("add", "--first", "Tomás", "--last", "Kay", "--email", "tomas.kay@contoso.example", "--start", MONDAY)
    assert owners_after_import(cli, "--owners", "ana,bob") == {
        "Tomás Kay": "cy",
        "Megan Ray": "ana",
        "Priya Nair": "bob",
        "Li Wei": "ana",
        "Olu Ade": "bob",
    }


def test_import_owners_with_an_empty_name_is_refused(cli):
    result = cli("import", str(FIXTURES / "team-leads.csv"), "--owners", "ana,,bob", ok=False)
    assert result.exit_code == 1
    assert result.stderr == "error: --owners 'ana,,bob' has an empty name: give rep names separated by commas, e.g. --owners ana,bob\n"
    assert cli.json("today", "--date", MONDAY) == []
