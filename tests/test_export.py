"""`cadence export`: every field, spreadsheet-safe cells, and a round trip through `cadence import`."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import FIXTURES

LEADS = FIXTURES / "export-leads.csv"
FORMULAS = FIXTURES / "export-formulas.csv"


@pytest.fixture
def imported(cli):
    cli("import", LEADS, "--cadence", "five-touch-fire", "--start", "2026-11-23", "--at", "2026-11-23T08:00")
    cli("log", "Megan", "vm", "--at", "2026-11-23T10:00", "--note", "=cmd|' /C calc'!A0")


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_prospects_csv_has_every_field_and_custom_fields_as_columns(cli, imported):
    out = cli("export").stdout
    header = out.splitlines()[0].split(",")
    assert header[:10] == ["first_name", "last_name", "company", "title", "phone", "email", "timezone", "owner", "source", "tags"]
    assert header[10:14] == ["industry", "employees", "referred_by", "notes"]
    assert {"id", "status", "cadence", "started_on", "step", "due_on", "attempts", "postponements", "fired_on", "created_at"} <= set(header[14:])
    megan = rows(out)[0]
    assert {k: megan[k] for k in ("first_name", "company", "phone", "email", "owner", "source", "tags", "industry", "employees", "referred_by")} == {
        "first_name": "Megan", "company": "Brightline Freight", "phone": "'+12125550134", "email": "megan.holloway@brightlinefreight.example",
        "owner": "sam", "source": "Trade show", "tags": "freight, q1", "industry": "Logistics", "employees": "250", "referred_by": "",
    }
    assert (megan["id"], megan["status"], megan["step"], megan["due_on"], megan["attempts"]) == ("1", "active", "2", "2026-11-24", "1")


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cli, imported):
    cli("import", FORMULAS, "--no-enroll", "--at", "2026-11-23T08:00")
    bobby = rows(cli("export").stdout)[3]
    assert bobby["company"] == '\'=HYPERLINK("http://evil.example","click")'
    assert bobby["title"] == "'@buyer"
    assert (bobby["industry"], bobby["employees"], bobby["referred_by"]) == ("'=1+2", "'-3", "'@mention")
    note = rows(cli("export", "--what", "touches").stdout)[0]["note"]
    assert note == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize("cell", ["=1", "+1", "-1", "@a", "\tx", "\rx"])
def test_neutralise_each_formula_start(cell):
    from cadence.domain.cells import neutralise

    assert neutralise(cell) == "'" + cell
    assert neutralise("a" + cell) == "a" + cell


def test_json_export_keeps_values_as_they_are(cli, imported):
    people = json.loads(cli("export", "--format", "json").stdout)
    assert [p["name"] for p in people] == ["Megan Holloway", "Ana María López", "Kevin Yoon"]
    assert people[1]["company"] == "Crescent Print Works, Inc."
    assert people[1]["fields"] == {"industry": "Printing", "employees": "12", "referred_by": "Darnell Price", "notes": 'Met at the expo.\nPrefers mornings; say "hola".'}
    assert (people[0]["status"], people[0]["due_on"], people[0]["attempts"]) == ("active", "2026-11-24", 1)


def test_touches_export(cli, imported):
    touches = json.loads(cli("export", "--what", "touches", "--format", "json").stdout)
    assert len(touches) == 1
    touch = touches[0]
    assert {k: touch[k] for k in ("prospect_id", "prospect", "prospect_email", "on", "cadence", "step", "step_type", "outcome", "attempt", "after_fire")} == {
        "prospect_id": 1, "prospect": "Megan Holloway", "prospect_email": "megan.holloway@brightlinefreight.example", "on": "2026-11-23",
        "cadence": "five-touch-fire", "step": 1, "step_type": "call", "outcome": "voicemail", "attempt": True, "after_fire": False,
    }
    assert touch["at"] == "2026-11-23T10:00:00+00:00"
    table = rows(cli("export", "--what", "touches").stdout)
    assert (table[0]["at"], table[0]["attempt"], table[0]["outcome"]) == ("2026-11-23T10:00:00+00:00", "true", "voicemail")


PERSON = ("first_name", "last_name", "company", "title", "phone", "email", "timezone", "owner", "source", "tags")


def people(cli, *db: str) -> list[dict]:
    return [{**{k: p[k] for k in PERSON}, "fields": p["fields"]} for p in json.loads(cli(*db, "export", "--format", "json").stdout)]


def test_round_trip_through_import_recreates_the_same_people(cli, imported, tmp_path):
    exported = tmp_path / "prospects.csv"
    cli("export", "--contacts-only", "-o", exported)
    other = ("--db", str(tmp_path / "other.db"))
    report = cli.json(*other, "import", exported)
    assert (report["added"], report["rejected"]) == (3, [])
    assert people(cli, *other) == people(cli)
    # Exported again from the copy, the file is the same byte for byte.
    again = tmp_path / "again.csv"
    cli(*other, "export", "--contacts-only", "-o", again)
    assert again.read_bytes() == exported.read_bytes()


def test_full_export_imports_as_the_same_contacts(cli, imported, tmp_path):
    exported = tmp_path / "everything.csv"
    cli("export", "-o", exported)
    other = ("--db", str(tmp_path / "other.db"))
    cli(*other, "import", exported)
    # The importer knows its own export: the state columns are not taken for custom fields.
    assert people(cli, *other) == people(cli)


def test_export_to_a_file_reports_the_count(cli, imported, tmp_path):
    target = tmp_path / "out.csv"
    result = cli("export", "-o", target)
    assert result.stderr == f"Wrote 3 prospects to {target}\n"
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("first_name,last_name,")


def test_export_of_an_empty_database_is_a_header_or_an_empty_array(cli):
    # (the test runner shows the CSV's CRLF line ends as \\n)
    assert cli("export", "--contacts-only").stdout == "first_name,last_name,company,title,phone,email,timezone,owner,source,tags\n"
    assert json.loads(cli("export", "--what", "touches", "--format", "json").stdout) == []


def test_export_to_an_unwritable_place_is_refused_and_leaves_nothing(cli, imported, tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)  # as root a chmod would not stop the write
    result = cli("export", "-o", folder / "out.csv", ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"error: cannot write {folder / 'out.csv'}: Permission denied; choose another place with -o\n"
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing/out.csv", "folder {tmp}/missing does not exist"),
        (".", "it is a folder; give a file name"),
        ("file.txt/out.csv", "{tmp}/file.txt is not a folder"),
    ],
)
def test_export_to_a_bad_path_names_it(cli, tmp_path, where, message):
    (tmp_path / "file.txt").write_text("x")
    result = cli("export", "-o", tmp_path / where, ok=False)
    assert result.exit_code == 1
    assert message.format(tmp=tmp_path) in result.stderr


@pytest.mark.parametrize(("args", "message"), [(("--what", "deals"), "cannot export 'deals'"), (("--format", "xlsx"), "unknown export format 'xlsx'")])
def test_export_refuses_unknown_choices(cli, args, message):
    result = cli("export", *args, ok=False)
    assert result.exit_code == 1
    assert message in result.stderr


def test_export_shows_the_current_reps_prospects_unless_all(cli, imported, monkeypatch):
    cli("add", "--first", "Rita", "--email", "rita@other.example", "--no-enroll")  # no owner
    monkeypatch.setenv("CADENCE_USER", "sam")
    assert [r["first_name"] for r in rows(cli("export", "--contacts-only").stdout)] == ["Megan", "Ana María"]
    assert [r["first_name"] for r in rows(cli("export", "--contacts-only", "--all").stdout)] == ["Megan", "Ana María", "Kevin", "Rita"]
