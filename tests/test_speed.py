"""Speed, by its causes: what each command imports, the caches that spare work on the next run,
and the indexes that keep lookups from reading every prospect.

bench/run.py measures the times; these tests pin the causes, so a stray import
at the top of a module shows up here rather than as a slower benchmark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date

import pytest

DAY = date(2026, 11, 23)
HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "alembic", "yaml", "jinja2", "rich", "phonenumbers", "holidays")

PROBE = textwrap.dedent(
    """
    import json, sys
    from cadence.cli import main
    sys.argv = ["cadence", *sys.argv[1:]]
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    heavy = sorted({name.split(".")[0] for name in sys.modules} & set(%r))
    cli = sorted(name for name in sys.modules if name.startswith("cadence.cli."))
    orm = "sqlalchemy.orm" in sys.modules
    pg = "sqlalchemy.dialects.postgresql" in sys.modules
    sys.stderr.write("\\n" + json.dumps({"code": code, "imported": heavy, "cli": cli, "orm": orm, "pg": pg}) + "\\n")
    """
    % (HEAVY,)
)


def probe(*args: str) -> dict:
    """What a real `cadence ARGS` process imported: heavy packages, cadence's CLI modules (it must succeed)."""
    run = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=dict(os.environ), timeout=120)
    report = json.loads(run.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), run.stderr
    return report


def imported(*args: str) -> list[str]:
    """The heavy packages a real `cadence ARGS` process imported (it must succeed)."""
    return probe(*args)["imported"]


def test_the_command_table_names_every_command_of_its_module():
    import typer.main

    from cadence.cli import COMMANDS, MODULES, app, build

    assert sorted(typer.main.get_command(app).commands) == sorted(COMMANDS)
    for module in MODULES:
        built = typer.main.get_command(build([module]))
        assert sorted(built.commands) == sorted(name for name, owner in COMMANDS.items() if owner == module), module


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["log", "12", "vm"], "log"),
        (["--db", "x.db", "today"], "today"),
        (["--db=x.db", "cadences", "list"], "cadences"),
        (["--db", "today", "show", "1"], "show"),  # a database file called "today"
        (["--help"], None),
        ([], None),
        (["nope"], None),  # the whole app, to say there is no such command and suggest one
        (["--version"], None),
    ],
)
def test_a_run_finds_its_command_among_the_arguments(args, command):
    from cadence.cli import command_of

    assert command_of(args) == command


def test_a_run_builds_only_the_commands_it_runs():
    assert probe("cadences", "list", "--json")["cli"] == ["cadence.cli.cadences_cmd", "cadence.cli.common", "cadence.cli.plain"]
    assert "cadence.cli.daily" in probe("--help")["cli"]


def test_help_imports_nothing_heavy():
    assert imported("--help") == []
    assert imported("today", "--help") == []


def test_cadences_list_reads_its_files_once_then_from_the_cache():
    assert imported("cadences", "list") == ["jinja2", "rich", "yaml"]  # the first run validates every file
    assert imported("cadences", "list") == ["rich"]  # later runs: no YAML, no templates, no database


def test_cadences_list_as_json_imports_nothing_heavy_once_cached():
    imported("cadences", "list")
    assert imported("cadences", "list", "--json") == []


def test_today_as_json_needs_the_database_only_once_scripts_are_known(prospect_factory):
    prospect_factory(first_name="Megan", start=DAY)
    assert imported("today", "--date", "2026-11-23", "--json") == ["jinja2", "sqlalchemy"]
    # Later runs: the plain form of its scripts comes from the cache folder (the cadence already did).
    # No SQLModel or ORM, and no pydantic: Typer builds its converter of --max-calls only for a value given.
    assert imported("today", "--date", "2026-11-23", "--json") == ["sqlalchemy"]
    assert "pydantic" in imported("today", "--date", "2026-11-23", "--json", "--max-calls", "3")


@pytest.mark.parametrize(
    "args",
    [
        ("today", "--date", "2026-11-23"),
        ("today", "--date", "2026-11-23", "--brief"),
        ("show", "Megan"),
        ("show", "Megan", "--json"),
    ],
)
def test_the_commands_run_all_day_read_without_the_orm(prospect_factory, args):
    prospect_factory(first_name="Megan", start=DAY)
    imported("today", "--date", "2026-11-23", "--json")  # warm the cadence cache
    report = probe(*args)
    assert "sqlmodel" not in report["imported"] and not report["orm"], report
    # Nor another database's dialect (an index declared with postgresql_where once loaded it: 30 ms).
    assert report["pg"] == os.environ.get("CADENCE_TEST_DB", "").startswith("postgresql"), report


def test_log_writes_without_the_orm_and_undo_with_it(prospect_factory):
    prospect_factory(first_name="Megan", start=DAY)
    imported("today", "--date", "2026-11-23", "--json")  # warm the cadence cache
    report = probe("log", "Megan", "vm", "--at", "2026-11-23T10:00")
    assert "sqlmodel" not in report["imported"] and not report["orm"], report
    report = probe("undo")
    assert "sqlmodel" in report["imported"] and report["orm"]


def test_log_by_id_or_name_does_not_load_the_phone_library(prospect_factory):
    row = prospect_factory(first_name="Megan", start=DAY)
    imported("cadences", "list")  # warm the cadence cache, as any earlier day would have
    assert "phonenumbers" not in imported("log", str(row.id), "vm", "--at", "2026-11-23T10:00", "--json")
    assert "phonenumbers" not in imported("log", "Megan", "na", "--at", "2026-11-24T10:00", "--json")
    assert "phonenumbers" in imported("undo", "+1 212 555 0001", "--json")  # a phone number is read as one


def test_an_edited_cadence_file_is_read_again(cli, tmp_path, monkeypatch):
    folder = tmp_path / "cadences"
    folder.mkdir()
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    path = folder / "mine.yaml"
    template = "name: mine\ntitle: {}\nsteps:\n  - day: 1\n    type: no-message-call\n    script: Hi.\n"
    path.write_text(template.format("First"))
    assert cli.json("cadences", "show", "mine")["title"] == "First"
    path.write_text(template.format("Other"))  # same size, same second
    assert cli.json("cadences", "show", "mine")["title"] == "Other"
    path.write_text(template.format("Broken") + "    voicemail: not for this type\n")
    result = cli("cadences", "show", "mine", ok=False)
    assert result.stderr == f"error: {path}:7: step 1: a no-message-call step does not use 'voicemail' (it uses script)\n"


def test_plain_forms_are_kept_in_the_user_cache_folder_and_compiled_code_never(cli, prospect_factory, isolated, monkeypatch):
    from cadence.cadences import sandbox
    from cadence.cadences import scripts

    def new_process() -> None:
        monkeypatch.setattr(sandbox, "_environment", None)
        monkeypatch.setattr(scripts, "_forms", {})

    folder = isolated / "cadences"
    folder.mkdir()
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    (folder / "loud.yaml").write_text(
        "name: loud\nsteps:\n  - day: 1\n    type: call\n    script: HI {{ prospect.first_name|upper }}!\n"
        "    voicemail: Call {{ me.phone or 'me' }} back, {{ prospect.first_name }}.\n"
    )
    prospect_factory(first_name="Megan", cadence="loud", start=DAY)
    new_process()
    first = cli.json("today", "--date", "2026-11-23")
    assert (first[0]["script"], first[0]["voicemail"]) == ("HI MEGAN!", "Call [your phone] back, Megan.")
    plain = [json.loads(p.read_text()) for p in (isolated / "cache" / "cadence" / "plain-scripts").iterdir()]
    assert sorted(plain, key=str) == [
        {"form": None},  # the filter needs Jinja: compiled in each process, never loaded from disk
        {"form": ["Call ", {"or": [["me", "phone"], {"const": "me"}]}, " back, ", ["prospect", "first_name"], "."]},
    ]
    assert sorted(p.name for p in (isolated / "cache" / "cadence").iterdir()) == ["cadences", "plain-scripts"]
    new_process()
    assert cli.json("today", "--date", "2026-11-23") == first


def test_a_damaged_cache_entry_is_only_a_miss(cli, isolated, monkeypatch):
    cli.json("cadences", "list")
    for entry in (isolated / "cache" / "cadence" / "cadences").iterdir():
        entry.write_bytes(b"not a pickle")
    assert [c["name"] for c in cli.json("cadences", "list")] == [
        "five-touch-fire", "long-haul-breakup", "stop-chasing", "three-voicemails",
    ]


@pytest.mark.parametrize("value", ["-", "--", "Ünïcödé note: 100%", ""])
def test_text_options_arrive_exactly_as_typed(cli, prospect_factory, value):
    prospect_factory(first_name="Megan", start=DAY)
    cli("log", "Megan", "vm", "--at", "2026-11-23T10:00", "--note", value)
    assert cli.json("show", "Megan")["touches"][-1]["note"] == value


@pytest.mark.sqlite_only
def test_a_full_name_is_found_through_its_index(pipeline, prospect_factory):
    import sqlalchemy as sa

    prospect_factory(first_name="Megan", last_name="Holloway", start=DAY)
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    sa.event.listen(pipeline.engine, "before_cursor_execute", keep)
    with pipeline.reading() as session:
        assert pipeline.find(session, "megan HOLLOWAY").first_name == "Megan"
    sa.event.remove(pipeline.engine, "before_cursor_execute", keep)
    statement, parameters = next((s, p) for s, p in statements if "prospect.name_key = " in s)
    with pipeline.engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    assert [row[-1] for row in plan] == ["SEARCH prospect USING INDEX ix_prospect_name_key (name_key=?)"]


def test_the_bench_databases_find_their_prospects_by_name(cli, tmp_path, monkeypatch):
    """bench/run.py's `log by name` case: synth's bulk insert must fill name_key as the ORM does."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = tmp_path / "synth.db"
    built = subprocess.run(
        [sys.executable, os.path.join(root, "bench", "synth.py"), "--prospects", "40", "--touches", "200",
         "--day", "2026-11-24", "--due", "10", "--long-haul", "", "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=True,
    )
    names = json.loads(built.stdout)["log_names"]
    assert names
    monkeypatch.setenv("CADENCE_DB", str(out))
    for name in names:
        assert cli.json("show", name)["name"] == name
