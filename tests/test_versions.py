"""Cadence versions: what a prospect follows when the file changes or goes, `cadences migrate`, migration 0002."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cadence.cadences.library import Library, builtin_folder, load_file
from cadence.domain.engine import Outcome
from cadence.store import db
from cadence.pipeline.versions import fingerprint, restore, snapshot, step_map

SQLITE = pytest.mark.sqlite_only
BUILTINS = ("five-touch-fire", "long-haul-breakup", "stop-chasing", "three-voicemails")


@pytest.fixture
def mine(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    return folder


def my_five(folder, drop_email: bool = False):
    """five-touch-fire under the name my-five; optionally without its day-3 email (a middle step)."""
    body = (builtin_folder() / "five-touch-fire.yaml").read_text().replace("name: five-touch-fire", "name: my-five")
    if drop_email:
        body = body[: body.index("  - day: 3\n")] + body[body.index("  - day: 5\n") :]
    path = folder / "my-five.yaml"
    path.write_text(body)
    return path


def items(cli, day: str):
    result = cli("today", "--date", day, "--json")
    return [(i["name"], i["step"], i["steps"], i["type"]) for i in json.loads(result.stdout)], result.stderr


# ---------------------------------------------------------------- hashes and copies


@pytest.mark.parametrize("name", BUILTINS)
def test_a_stored_copy_is_the_same_plan(name):
    cadence = Library().get(name)
    copy = restore(json.loads(json.dumps(snapshot(cadence))), fingerprint(cadence))
    assert copy.steps == tuple(replace(step, line=0) for step in cadence.steps)  # line numbers are not kept
    assert (copy.days, copy.weekdays, copy.holidays, copy.recycle_after, copy.recycle_text) == (
        cadence.days, cadence.weekdays, cadence.holidays, cadence.recycle_after, cadence.recycle_text,
    )
    assert fingerprint(copy) == fingerprint(cadence)
    assert copy.version == fingerprint(cadence)


def test_what_makes_a_new_version():
    cadence = Library().get("five-touch-fire")
    assert len(fingerprint(cadence)) == 16
    assert fingerprint(replace(cadence, title="Another title", description="Another text")) == fingerprint(cadence)
    edited = replace(cadence, steps=(replace(cadence.steps[0], script="Hello"),) + cadence.steps[1:])
    assert fingerprint(edited) != fingerprint(cadence)
    assert fingerprint(replace(cadence, weekdays=(2, 3, 4, 5))) != fingerprint(cadence)


def test_add_records_the_version_and_stores_a_copy(pipeline, prospect_factory):
    from cadence.store import queries

    row = prospect_factory()
    expected = fingerprint(Library().get("five-touch-fire"))
    assert row.cadence_version == expected
    with pipeline.reading() as session:
        stored = queries.stored_version(session, expected)
        assert (stored.name, len(stored.content["steps"]), stored.content["steps"][4]["type"]) == ("five-touch-fire", 5, "fire")


def test_import_and_enroll_record_the_version(cli, mine):
    from cadence.pipeline.core import Pipeline
    from cadence.store.db import open_engine

    my_five(mine)
    version = fingerprint(Library().get("my-five"))
    cli("import", Path(__file__).parent / "fixtures" / "leads-basic.csv", "--cadence", "my-five", "--start", "2026-11-23")
    cli("add", "--first", "Zed", "--phone", "+12125550100", "--no-enroll")
    cli("enroll", "Zed", "--cadence", "my-five", "--start", "2026-11-23")
    engine = open_engine(None)
    with engine.connect() as connection:
        versions = {v for (v,) in connection.execute(text("SELECT DISTINCT cadence_version FROM prospect"))}
        stored = connection.execute(text("SELECT hash, name FROM cadence_version")).all()
    engine.dispose()
    assert versions == {version}
    assert stored == [(version, "my-five")]


# ---------------------------------------------------------------- editing a file mid-way


def mid_way(cli, mine):
    """Ana and Ben in my-five from Monday 23 November: Ana's next step is the email (3), Ben's the call (4)."""
    my_five(mine)
    cli("add", "--first", "Ana", "--phone", "+12125550101", "--email", "ana@example.com", "--cadence", "my-five", "--start", "2026-11-23")
    cli("add", "--first", "Ben", "--phone", "+12125550102", "--email", "ben@example.com", "--cadence", "my-five", "--start", "2026-11-23")
    for who, outcome, day in (("Ana", "vm", "23"), ("Ana", "na", "24"), ("Ben", "vm", "23"), ("Ben", "na", "24"), ("Ben", "sent", "25")):
        cli("log", who, outcome, "--at", f"2026-11-{day}T10:00")


def test_removing_a_middle_step_does_not_move_prospects_mid_way(cli, mine):
    mid_way(cli, mine)

    my_five(mine, drop_email=True)  # the day-3 email is gone from the file
    assert len(Library().get("my-five").steps) == 4

    listed, stderr = items(cli, "2026-11-25")
    assert listed == [("Ana", 3, 5, "email")]  # still her recorded version: the email
    assert stderr == (
        "note: some prospects in 'my-five' follow an earlier version of its file; "
        "`cadence cadences migrate my-five --dry-run` shows how they would move to the current one\n"
    )
    email = json.loads(cli("today", "--date", "2026-11-25", "--json").stdout)[0]
    assert email["subject"] == "Ana: a short question"

    cli("log", "Ana", "sent", "--at", "2026-11-25T10:00")
    listed, _ = items(cli, "2026-11-27")
    assert listed == [("Ana", 4, 5, "call"), ("Ben", 4, 5, "call")]
    assert cli.json("show", "Ana")["next_step"] == 4

    # Someone enrolled now follows the file as it is.
    cli("add", "--first", "Cy", "--phone", "+12125550103", "--cadence", "my-five", "--start", "2026-11-27")
    assert cli.json("show", "Cy")["steps"] == 4


def test_migrate_dry_run_then_migrate(cli, mine):
    mid_way(cli, mine)
    my_five(mine, drop_email=True)

    out = cli("cadences", "migrate", "my-five", "--dry-run").stdout
    assert out == (
        "#1 Ana (active): step 3 of 5 (email) -> step 3 of 4 (call), due 2026-11-25 -> 2026-11-27\n"
        "#2 Ben (active): step 4 of 5 (call) -> step 3 of 4 (call)\n"
        "Dry run: 2 to move, nothing changed.\n"
    )
    assert items(cli, "2026-11-25")[0] == [("Ana", 3, 5, "email")]  # nothing moved

    moves = cli.json("cadences", "migrate", "my-five")
    assert [(m["name"], m["step_now"], m["step_after"], m["due_after"], m["refused"]) for m in moves] == [
        ("Ana", 3, 3, "2026-11-27", None), ("Ben", 4, 3, "2026-11-27", None),
    ]
    listed, stderr = items(cli, "2026-11-27")
    assert listed == [("Ana", 3, 4, "call"), ("Ben", 3, 4, "call")]
    assert stderr == ""
    assert cli("cadences", "migrate", "my-five").stdout == "Everyone in my-five already follows its current file.\n"


SWAP = """\
    name: swap
    steps:
      - {{id: intro, day: 1, type: call, script: Hi, voicemail: Call me}}
      - {{id: note, day: {note_day}, type: email, subject: Hello, body: Hi}}
      - {{id: check, day: {check_day}, type: no-message-call, script: Quick check}}
      - {{id: last, day: 5, type: fire, script: Bye}}
"""


def write_swap(folder, note_day: int, check_day: int):
    (folder / "swap.yaml").write_text(textwrap.dedent(SWAP).format(note_day=note_day, check_day=check_day))


def swapped(folder):
    """The same steps with `check` moved before `note`."""
    (folder / "swap.yaml").write_text(textwrap.dedent("""\
        name: swap
        steps:
          - {id: intro, day: 1, type: call, script: Hi, voicemail: Call me}
          - {id: check, day: 2, type: no-message-call, script: Quick check}
          - {id: note, day: 3, type: email, subject: Hello, body: Hi}
          - {id: last, day: 5, type: fire, script: Bye}
    """))


def test_migrate_refuses_to_send_someone_back_over_steps_they_did(cli, mine):
    write_swap(mine, note_day=2, check_day=3)
    cli("add", "--first", "Ana", "--phone", "+12125550101", "--email", "ana@example.com", "--cadence", "swap", "--start", "2026-11-23")
    cli("log", "Ana", "vm", "--at", "2026-11-23T10:00")
    cli("log", "Ana", "sent", "--at", "2026-11-24T10:00")  # done: intro, note; next: check
    swapped(mine)

    result = cli("cadences", "migrate", "swap", ok=False)
    assert result.exit_code == 1
    assert result.stdout == (
        "#1 Ana (active): step 3 of 4 (no-message-call) -> step 2 of 4 (no-message-call); REFUSED: "
        "they would go back to step 2 of 4 (no-message-call) and repeat step 2 they have already done\n"
    )
    assert result.stderr == (
        "error: 1 prospect would repeat steps already done (#1), so nothing was moved: "
        "give the steps ids that match, or add --force to move them anyway\n"
    )
    assert cli.json("show", "Ana")["next_step"] == 3  # still on the version they started

    assert cli("cadences", "migrate", "swap", "--dry-run").exit_code == 0
    forced = cli("cadences", "migrate", "swap", "--force").stdout
    assert forced.splitlines()[-1].startswith("Moved 1 to the current swap (version ")
    assert "; forced: they would go back" in forced
    shown = cli.json("show", "Ana")
    assert (shown["next_step"], shown["next_type"]) == (2, "no-message-call")


def test_step_ids_then_day_and_type_then_position():
    def cadence(*steps):
        from cadence.cadences.model import Cadence, Step

        return Cadence(name="c", title="c", description="", days="business", holidays=None, steps=tuple(
            Step(number=n, day=day, type=kind, channel="phone", id=step_id, script="x", voicemail="x")
            for n, (step_id, day, kind) in enumerate(steps, start=1)
        ))

    old = cadence(("a", 1, "call"), ("b", 2, "call"), ("c", 3, "call"))
    assert step_map(old, cadence(("c", 1, "call"), ("a", 2, "call"))) == [2, None, 1]
    plain = cadence((None, 1, "call"), (None, 2, "email"), (None, 4, "call"), (None, 5, "fire"))
    without_email = cadence((None, 1, "call"), (None, 4, "call"), (None, 5, "fire"))
    assert step_map(plain, without_email) == [1, None, 2, 3]
    stretched = cadence((None, 1, "call"), (None, 3, "email"), (None, 8, "call"), (None, 10, "fire"))
    assert step_map(plain, stretched) == [1, 2, 3, 4]


def test_migrate_needs_the_file(cli):
    result = cli("cadences", "migrate", "gone", ok=False)
    assert result.stderr.startswith("error: no cadence named 'gone' (known: five-touch-fire,")


# ---------------------------------------------------------------- a deleted file


def test_a_deleted_file_is_reported_not_a_crash(cli, mine):
    path = my_five(mine)
    cli("add", "--first", "Ana", "--phone", "+12125550101", "--cadence", "my-five", "--start", "2026-11-23")
    path.unlink()

    listed, stderr = items(cli, "2026-11-23")
    assert listed == [("Ana", 1, 5, "call")]
    assert stderr.startswith(
        "warning: cadence 'my-five' cannot be loaded (no cadence named 'my-five' (known: five-touch-fire, "
    )
    assert stderr.endswith(
        "its prospects follow the copy stored when they were enrolled. Restore the file, or move them with `cadence enroll`\n"
    )
    human = cli("today", "--date", "2026-11-23")
    assert "#1 Ana" in human.stdout and human.stderr.startswith("warning: cadence 'my-five' cannot be loaded")
    cli("log", "Ana", "vm", "--at", "2026-11-23T10:00")
    assert cli.json("show", "Ana")["next_step"] == 2

    result = cli("cadences", "validate")
    assert result.exit_code == 0
    assert result.stdout.count("ok: ") == 4
    assert result.stderr == (
        "warning: cadence 'my-five' has no file on the search path but 1 prospect in it: they follow the copy "
        "stored when they were enrolled; put my-five.yaml back, or move them with `cadence enroll ID --cadence OTHER --force`\n"
    )


def test_validate_with_no_database_yet_says_nothing_more(cli, isolated):
    result = cli("cadences", "validate")
    assert (result.stdout.count("ok: "), result.stderr) == (4, "")


# ---------------------------------------------------------------- migration 0002, with data


OLD_PROSPECT = {
    "first_name": "Ana", "last_name": "López", "title": "", "company": "Acme", "phone": "+12125550101",
    "email": "ana@example.com", "phone_key": "+12125550101", "email_key": "ana@example.com", "timezone": "",
    "source": "", "tags": "", "fields": "{}", "owner": "", "status": "active", "cadence": "five-touch-fire",
    "cadence_version": None, "started_on": "2026-11-23", "step": 2, "due_on": "2026-11-24",
    "last_done_on": "2026-11-23", "callback_on": None, "postponements": 0, "attempts": 1, "fired_on": None,
    "paused_on": None, "created_at": "2026-11-23 09:00:00", "updated_at": "2026-11-23 10:00:00",
}


@SQLITE
def test_upgrade_from_0001_keeps_prospects_and_they_follow_the_file(tmp_path):
    from cadence.pipeline.core import Pipeline

    path = tmp_path / "old.db"
    old = create_engine(f"sqlite:///{path}")
    db.upgrade(old, "0001")
    columns = ", ".join(OLD_PROSPECT)
    with old.begin() as connection:
        connection.execute(text(f"INSERT INTO prospect ({columns}) VALUES ({', '.join(':' + c for c in OLD_PROSPECT)})"), OLD_PROSPECT)
        connection.execute(text(f"INSERT INTO prospect ({columns}) VALUES ({', '.join(':' + c for c in OLD_PROSPECT)})"),
                           {**OLD_PROSPECT, "first_name": "Ben", "phone": "+12125550102", "phone_key": "+12125550102",
                            "email": "ben@example.com", "email_key": "ben@example.com", "status": "fired", "step": None,
                            "due_on": None, "fired_on": "2026-11-20"})
    old.dispose()

    engine = db.open_engine(str(path))
    assert db.current_revision(engine) == (db.HEAD, True)
    assert (tmp_path / f"old.db.before-{db.HEAD}").is_file()
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT first_name, status, cadence, cadence_version, step, due_on FROM prospect ORDER BY id")).all()
        copies = connection.execute(text("SELECT count(*) FROM cadence_version")).scalar()
    assert rows == [("Ana", "active", "five-touch-fire", None, 2, "2026-11-24"), ("Ben", "fired", "five-touch-fire", None, None, None)]
    assert copies == 0

    pipe = Pipeline(engine, system_zone=timezone.utc)
    due = pipe.today(datetime(2026, 11, 24, 12, tzinfo=timezone.utc))
    assert [(i.name, i.step, i.steps, i.type) for i in due] == [("Ana López", 2, 5, "no-message-call")]
    # Their next touch records the version they are on.
    pipe.log("Ana", Outcome.NO_ANSWER, datetime(2026, 11, 24, 12, tzinfo=timezone.utc))
    with engine.connect() as connection:
        version = connection.execute(text("SELECT cadence_version FROM prospect WHERE first_name = 'Ana'")).scalar()
        stored = connection.execute(text("SELECT name FROM cadence_version WHERE hash = :h"), {"h": version}).scalar()
    assert (version, stored) == (fingerprint(Library().get("five-touch-fire")), "five-touch-fire")
    engine.dispose()


@SQLITE
def test_migrate_pins_prospects_from_before_versions(cli, tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    old = create_engine(f"sqlite:///{path}")
    db.upgrade(old, "0001")
    with old.begin() as connection:
        connection.execute(text(f"INSERT INTO prospect ({', '.join(OLD_PROSPECT)}) VALUES ({', '.join(':' + c for c in OLD_PROSPECT)})"), OLD_PROSPECT)
    old.dispose()
    monkeypatch.setenv("CADENCE_DB", str(path))
    moves = cli.json("cadences", "migrate", "five-touch-fire")
    version = fingerprint(load_file(builtin_folder() / "five-touch-fire.yaml", builtin=True))
    assert [(m["name"], m["from_version"], m["to_version"], m["step_now"], m["step_after"], m["due_after"]) for m in moves] == [
        ("Ana López", None, version, 2, 2, "2026-11-24"),
    ]
    assert date.fromisoformat(cli.json("show", "Ana")["next_due"]) == date(2026, 11, 24)
