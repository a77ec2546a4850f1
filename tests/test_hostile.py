"""Hostile input: broken or malicious CSV, YAML, templates and database files.

Each is refused with one clear line on stderr ("error: ...", exit 1, no
traceback) and leaves the database as it was, or (mixed line endings, another
encoding) is read correctly.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from cadence.domain.engine import Outcome
from cadence.errors import CadenceError

DAY = "2026-11-23"


def contents(pipeline) -> list[list[tuple]]:
    """Every row of every table, in order: what 'no change to the database' compares."""
    with pipeline.engine.connect() as connection:
        return [
            [tuple(row) for row in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
            for table in ("prospect", "touch", "setting", "cadence_version")
        ]


@pytest.fixture
def stored(pipeline, prospect_factory):
    """Two prospects and a touch already in the database, and a way to check they are untouched."""
    prospect_factory(first_name="Megan", start=date(2026, 11, 23))
    prospect_factory(first_name="Omar", start=date(2026, 11, 23))
    pipeline.log("Megan", Outcome.VOICEMAIL, datetime(2026, 11, 23, 10))
    before = contents(pipeline)

    def unchanged() -> bool:
        return contents(pipeline) == before

    return unchanged


def refused(result, message: str) -> None:
    """Exit 1 with exactly this one line on stderr and nothing on stdout."""
    assert (result.exit_code, result.stderr, result.stdout) == (1, f"error: {message}\n", "")


def one_line_error(result) -> str:
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr[:500]
    assert "Traceback" not in result.stderr and result.stdout == ""
    return result.stderr[len("error: "):-1]


# ---------------------------------------------------------------- CSV


def test_csv_with_nul_bytes_is_refused(cli, tmp_path, stored):
    path = tmp_path / "leads.csv"
    path.write_bytes(b"first_name,last_name,email\nAna,Lo\x00pez,ana@example.com\nBen,Baker,ben@example.com\n")
    refused(cli("import", path, ok=False), f"{path}: this is a binary file, not CSV text")
    assert stored()


def test_csv_with_a_nul_byte_far_down_imports_nothing(cli, tmp_path, stored):
    rows = "".join(f"Pat{n},Row,pat{n}@example.com\n" for n in range(400))
    path = tmp_path / "leads.csv"
    path.write_text("first_name,last_name,email\n" + rows + "Zed,Z\x00ed,zed@example.com\n")
    assert "binary file" in one_line_error(cli("import", path, ok=False))
    assert stored()


def test_csv_with_mixed_line_endings_is_read_row_by_row(cli, tmp_path, stored):
    path = tmp_path / "leads.csv"
    path.write_bytes(
        b"first_name,last_name,email\r\nAna,Lopez,ana@example.com\nBen,Baker,ben@example.com\rCid,Chen,cid@example.com\r\n"
    )
    report = cli.json("import", path, "--start", DAY)
    assert (report["read"], report["added"], report["rejected"]) == (3, 3, [])
    names = [cli.json("show", email)["name"] for email in ("ana@example.com", "ben@example.com", "cid@example.com")]
    assert names == ["Ana Lopez", "Ben Baker", "Cid Chen"]


def test_csv_with_a_10_mb_cell_rejects_that_row_only(cli, tmp_path, stored):
    path = tmp_path / "leads.csv"
    path.write_text(
        "first_name,last_name,email,notes\n"
        f'Ana,Lopez,ana@example.com,"{"x" * 10_000_000}"\n'
        "Ben,Baker,ben@example.com,short\n"
    )
    report = cli.json("import", path, "--start", DAY)
    assert (report["read"], report["added"]) == (2, 1)
    assert report["rejected"] == [{"line": 2, "reason": "the cell in column 'notes' is over 64 KB"}]


def test_csv_that_is_one_10_mb_field_is_refused_in_one_short_line(cli, tmp_path, stored):
    path = tmp_path / "leads.csv"
    path.write_text("x" * 10_000_000 + "\n")
    message = one_line_error(cli("import", path, ok=False))
    assert message.startswith(f"{path}:1: no usable header")
    assert len(message) < 400
    assert stored()


def test_csv_with_a_quote_never_closed_is_refused_with_its_line(cli, tmp_path, stored):
    path = tmp_path / "leads.csv"
    path.write_text(f'first_name,last_name,email,notes\nAna,Lopez,ana@example.com,"{"x" * 10_000_000}\nBen,B,b@example.com,x\n')
    message = one_line_error(cli("import", path, ok=False))
    assert message.startswith(f"{path}:2: ")
    assert stored()


def test_csv_in_latin_1_is_read_as_such(cli, tmp_path, stored):
    path = tmp_path / "leads.csv"
    path.write_bytes("first_name,last_name,email\nJosé,Müller,jose@example.com\n".encode("latin-1"))
    assert cli.json("import", path, "--start", DAY)["added"] == 1
    assert cli.json("show", "jose@example.com")["name"] == "José Müller"


def test_csv_in_another_encoding_than_the_one_given_is_refused(cli, tmp_path, stored):
    path = tmp_path / "leads.csv"
    path.write_bytes("first_name,last_name,email\nJosé,Müller,jose@example.com\n".encode("latin-1"))
    refused(
        cli("import", path, "--encoding", "utf-8", ok=False),
        f"{path}:1: not valid utf-8 text: give the file's encoding with --encoding (e.g. cp1252)",
    )
    assert stored()


def test_csv_with_only_a_header_is_refused(cli, tmp_path, stored):
    path = tmp_path / "leads.csv"
    path.write_text("first_name,last_name,email\n")
    refused(cli("import", path, ok=False), f"{path}: no rows under the header (line 1): nothing to import")
    assert stored()


def test_csv_with_a_duplicated_header_is_refused(cli, tmp_path, stored):
    path = tmp_path / "leads.csv"
    path.write_text("first_name,email,Email\nAna,ana@example.com,ana2@example.com\n")
    refused(
        cli("import", path, ok=False),
        f"{path}:1: the header has 'Email' twice (columns 2 and 3): rename one so each column has its own name",
    )
    assert stored()


# ---------------------------------------------------------------- YAML


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A user cadence folder on the search path."""
    path = tmp_path / "cadences"
    path.mkdir()
    monkeypatch.setenv("CADENCE_CADENCES", str(path))
    return path


def add_with(cli, cadence: str):
    return cli("add", "--first", "New", "--last", "Person", "--email", "new@example.com", "--cadence", cadence, ok=False)


BILLION_LAUGHS = """name: laughs
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
steps: *i
"""


def test_yaml_billion_laughs_is_refused_at_once(cli, folder, stored):
    (folder / "laughs.yaml").write_text(BILLION_LAUGHS)
    started = time.perf_counter()
    refused(add_with(cli, "laughs"), f"{folder / 'laughs.yaml'}:2: YAML anchors and aliases are not supported; write the value out")
    assert time.perf_counter() - started < 5
    assert stored()


def test_yaml_python_object_tag_runs_nothing(cli, folder, tmp_path, stored):
    marker = tmp_path / "pwned"
    (folder / "evil.yaml").write_text(
        f'name: evil\nsteps:\n  - day: 1\n    type: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    refused(add_with(cli, "evil"), f"{folder / 'evil.yaml'}:4: unsupported YAML tag tag:yaml.org,2002:python/object/apply:os.system")
    assert not marker.exists()
    assert stored()


def test_yaml_nested_ten_thousand_deep_is_refused(cli, folder, stored):
    (folder / "deep.yaml").write_text("name: deep\nsteps: " + "[" * 10_000 + "]" * 10_000 + "\n")
    refused(add_with(cli, "deep"), f"{folder / 'deep.yaml'}:2: not valid YAML: exceeded maximum nesting depth")
    assert stored()


def test_yaml_nested_mappings_past_the_limit_are_refused(cli, folder, stored):
    (folder / "nest.yaml").write_text("name: nest\nsteps:\n" + "".join("  " * i + f"  k{i}:\n" for i in range(200)))
    refused(add_with(cli, "nest"), f"{folder / 'nest.yaml'}:22: nested too deeply (more than 20 levels)")
    assert stored()


def test_a_cadence_file_over_a_megabyte_is_not_read(cli, folder, stored):
    (folder / "huge.yaml").write_text("name: huge\n# " + "x" * 1_100_000 + "\n")
    refused(add_with(cli, "huge"), f"{folder / 'huge.yaml'}: over 1 MB: not a cadence file")
    assert stored()


# ---------------------------------------------------------------- templates


def cadence_with_script(folder: Path, script: str) -> None:
    (folder / "tpl.yaml").write_text(
        "name: tpl\nsteps:\n  - day: 1\n    type: no-message-call\n    script: |\n      " + script + "\n"
    )


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        (
            "{{ ''.__class__.__mro__ }}",
            "step 1 script: private attribute '__mro__' is not allowed; {file}:5: step 1 script: private attribute '__class__' is not allowed",
        ),
        (
            "{{ cycler.__init__.__globals__ }}",
            "step 1 script: private attribute '__globals__' is not allowed; {file}:5: step 1 script: private attribute '__init__' "
            "is not allowed; {file}:5: step 1 script: unknown variable 'cycler' (known: attempts, me, prospect, step, steps)",
        ),
        ("{% for i in range(10**9) %}x{% endfor %}", "step 1 script: unknown variable 'range' (known: attempts, me, prospect, step, steps)"),
        (
            "{% for a in prospect.name %}{% for b in prospect.name %}x{% endfor %}{% endfor %}",
            "step 1 script: a loop inside a loop is not allowed in scripts (it could run for a very long time)",
        ),
        (
            "{% for a in prospect.name recursive %}{{ loop(a) }}{% endfor %}",
            "step 1 script: recursive loops are not allowed in scripts; "
            "{file}:5: step 1 script: unknown variable 'loop' (known: attempts, me, prospect, step, steps)",
        ),
        (
            "{% macro m() %}x{% endmacro %}{{ m() }}",
            "step 1 script: macros are not allowed in scripts; "
            "{file}:5: step 1 script: unknown variable 'm' (known: attempts, me, prospect, step, steps)",
        ),
    ],
)
def test_templates_reaching_for_internals_or_looping_are_refused_at_validation(cli, folder, stored, script, problem):
    cadence_with_script(folder, script)
    file = folder / "tpl.yaml"
    refused(add_with(cli, "tpl"), f"{file}:5: " + problem.replace("{file}", str(file)))
    assert stored()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "script refused by the sandbox: access to attribute '__class__' of 'str' object is unsafe."),
        ("{{ cycler.__init__.__globals__ }}", "script refused by the sandbox: access to attribute '__init__' of 'ScriptUndefined' object is unsafe."),
        ("{% for i in range(10**9) %}x{% endfor %}", "script could not be rendered: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000)."),
        ("{{ 'x' * 10**9 }}", "script refused by the sandbox: repeating a text or list 1,000,000,000 long is too much (limit 100,000)"),
        ("{{ 10**1000000 }}", "script refused by the sandbox: the power 10 ** 1000000 is too large"),
        ("{{ (10**45) * (10**45) * (10**45) }}", "script refused by the sandbox: the product is too large"),
        ("{{ '%999999999d' % 1 }}", "script refused by the sandbox: a format width of 999999999 is too large (limit 1000)"),
        ("{{ 'x'|center(1000000000) }}", "script refused by the sandbox: a width of 1000000000 for 'center' is too large (limit 1000)"),
        ("{% for a in text %}{% for b in text %}{{ b }}{% endfor %}{% endfor %}",
         "script refused by the sandbox: a loop inside a loop is not allowed in scripts (it could run for a very long time)"),
        ("{% for a in text %}{{ text }}{% endfor %}", "script output is over 100,000 characters: check its loops"),
        ("{% set items = [] %}{{ items.append(1) }}", "script refused by the sandbox: access to attribute 'append' of 'list' object is unsafe."),
    ],
)
def test_rendering_bounds_what_validation_would_have_refused(source, message):
    from cadence.cadences.scripts import render

    started = time.perf_counter()
    with pytest.raises(CadenceError) as caught:
        render(source, {"text": "y" * 20_000})
    assert str(caught.value) == message
    assert time.perf_counter() - started < 5


# ---------------------------------------------------------------- the database file


@pytest.mark.sqlite_only
def test_a_file_that_is_not_a_database_is_refused_untouched(cli, tmp_path):
    path = tmp_path / "notes.db"
    data = b"Shopping list: milk, eggs\n" * 400
    path.write_bytes(data)
    refused(
        cli("--db", path, "today", "--date", DAY, ok=False),
        f"{path} is not a cadence database (file is not a database); point --db or CADENCE_DB at another file",
    )
    assert path.read_bytes() == data


@pytest.mark.sqlite_only
def test_another_programs_sqlite_database_is_refused_untouched(cli, tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE recipes (name TEXT)")
    data = path.read_bytes()
    refused(
        cli("--db", path, "today", "--date", DAY, ok=False),
        "the database has tables but no cadence schema version: is it another program's database?",
    )
    assert path.read_bytes() == data


@pytest.fixture
def read_only():
    """Makes a file or folder read-only, for root too (chattr +i), and writable again afterwards."""
    made: list[Path] = []

    def writable(path: Path) -> None:
        if path in made:
            made.remove(path)
            if os.geteuid() == 0:
                subprocess.run(["chattr", "-i", str(path)], capture_output=True)
            else:
                path.chmod(0o700 if path.is_dir() else 0o600)

    def make(path: Path):
        """Read-only until the returned function is called (or the test ends)."""
        if os.geteuid() != 0:
            path.chmod(0o500 if path.is_dir() else 0o400)
        elif subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i: nothing can be made read-only here")
        made.append(path)
        return lambda: writable(path)

    yield make
    for path in list(made):
        writable(path)


@pytest.mark.sqlite_only
def test_a_read_only_database_file_still_lists_but_refuses_a_write(cli, pipeline, stored, read_only, database_url):
    pipeline.engine.dispose()  # the last connection closes: no -wal file is left to write into
    path = Path(database_url)
    read_only(path)
    assert [item["name"] for item in cli.json("today", "--date", DAY)] == ["Omar Example"]
    refused(
        cli("log", "Omar", "vm", "--at", f"{DAY}T11:00", ok=False),
        f"cannot write to the database {path}: the file or its folder is read-only; check their permissions",
    )
    assert stored()


@pytest.mark.sqlite_only
def test_a_database_in_a_read_only_folder_is_refused_with_its_path(cli, pipeline, stored, read_only, database_url):
    pipeline.engine.dispose()
    path = Path(database_url)
    writable = read_only(path.parent)  # SQLite cannot make the -wal and -shm files it needs, even to read
    for command in (("today", "--date", DAY), ("log", "Omar", "vm", "--at", f"{DAY}T11:00")):
        refused(cli(*command, ok=False), f"cannot open database {path}: unable to open database file; check the path and its permissions")
    writable()
    assert stored()


@pytest.mark.sqlite_only
def test_a_database_locked_past_the_busy_timeout_is_refused_in_time(cli, pipeline, stored, database_url, monkeypatch):
    monkeypatch.setenv("CADENCE_BUSY_TIMEOUT", "1")
    holder = sqlite3.connect(database_url, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.perf_counter()
        result = cli("log", "Omar", "vm", "--at", f"{DAY}T11:00", ok=False)
        waited = time.perf_counter() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    refused(
        result,
        f"the database {database_url} stayed busy for 1 s: another cadence (or program) is writing to it; "
        "try again, or wait longer with CADENCE_BUSY_TIMEOUT=SECONDS",
    )
    assert 1 <= waited < 10
    assert stored()


def test_a_busy_timeout_that_is_not_a_number_is_refused(cli, monkeypatch):
    monkeypatch.setenv("CADENCE_BUSY_TIMEOUT", "soon")
    refused(cli("today", "--date", DAY, ok=False), "CADENCE_BUSY_TIMEOUT='soon' is not a number of seconds: use e.g. 30 or 0.5")


def test_no_traceback_reaches_the_terminal_from_a_real_process(tmp_path):
    """The same refusals through the installed entry point: one line, exit 1."""
    path = tmp_path / "leads.csv"
    path.write_bytes(b"first_name,email\nA\x00,a@example.com\n")
    run = subprocess.run([sys.executable, "-m", "cadence", "import", str(path)], capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout, run.stderr) == (1, "", f"error: {path}: this is a binary file, not CSV text\n")
