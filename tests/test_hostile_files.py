"""Hostile input, second round (issue 20): URL secrets, spreadsheet formulas both ways,
the copy taken before a migration, cadence files past sane bounds, huge cells, file
modes under a permissive umask, foreign databases, and files that are not files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from cadence.store import address, db
from conftest import FIXTURES, ON_POSTGRES, TEST_DB

SQLITE = pytest.mark.sqlite_only
DAY = "2026-11-23"
SECRET = "S3cretPw"


def one_line_error(result) -> str:
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr[:500]
    assert "Traceback" not in result.stderr and result.stdout == ""
    return result.stderr[len("error: "):-1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """Run the test under umask 000, the most permissive there is."""
    old = os.umask(0)
    yield
    os.umask(old)


# ---------------------------------------------------------------- 20.4: no password in any output


UNREACHABLE = [
    f"postgresql://rep@127.0.0.1:1/pipeline?password={SECRET}",
    f"postgresql://rep@127.0.0.1:1/pipeline?password={SECRET}&sslmode=bogus",
    f"postgresql://rep@127.0.0.1:1/pipeline?badopt=1&password={SECRET}",
    f"postgresql://rep@127.0.0.1:1/pipeline?password={SECRET}&connect_timeout=-x",
    f"postgresql://rep:{SECRET}@127.0.0.1:1/pipeline?sslmode=bogus",
    f"postgresql://rep:p@ss:{SECRET}@127.0.0.1:1/pipeline",
    f"postgresql://rep:{SECRET}@127.0.0.1:port/pipeline",
    f"postgresql+psycopg://rep:{SECRET}%40x@127.0.0.1:1/pipeline?sslmode=bogus",
]


def no_secret(result) -> None:
    for text in (result.stdout, result.stderr):
        assert SECRET not in text and "ss:S3" not in text and "p@ss" not in text, text


@pytest.mark.parametrize("url", UNREACHABLE)
@pytest.mark.parametrize("how", ["option", "environment"])
def test_no_password_from_any_part_of_the_url_is_printed(cli, monkeypatch, url, how):
    args = ["--db", url] if how == "option" else []
    if how == "environment":
        monkeypatch.setenv("CADENCE_DB", url)
    for command in (["today"], ["assign", "1", "bob"], ["export"], ["show", "1"]):
        result = cli(*args, *command, ok=False)
        assert result.exit_code == 1
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        no_secret(result)
    no_secret(cli(*args, "cadences", "validate", ok=False))  # its warning about orphans opens the database too
    no_secret(cli(*args, "--help"))


def test_each_leaky_option_says_what_is_wrong_with_the_password_masked(cli):
    result = cli("--db", f"postgresql://rep@127.0.0.1:1/pipeline?password={SECRET}&sslmode=bogus", "today", ok=False)
    assert one_line_error(result) == (
        "cannot open database postgresql+psycopg://rep@127.0.0.1:1/pipeline?password=***&sslmode=bogus: "
        'connection is bad: invalid sslmode value: "bogus"'
    )
    result = cli("--db", f"postgresql://rep:p@ss:{SECRET}@127.0.0.1:1/pipeline", "today", ok=False)
    assert one_line_error(result) == (
        "database URL 'postgresql://rep:***@127.0.0.1:1/pipeline' is not valid: give a file path or a URL like "
        "postgresql+psycopg://user@host/db (write @, : and / inside a password as %40, %3A and %2F)"
    )
    result = cli("--db", f"postgresql://rep@127.0.0.1:1/pipeline?password={SECRET}", "today", ok=False)
    assert one_line_error(result) == (
        "cannot reach the database server at 127.0.0.1:1 (Connection refused): check that PostgreSQL runs there "
        "and that the host and port in --db or CADENCE_DB are right"
    )


def test_url_secrets_finds_every_password():
    assert address.url_secrets("postgresql://u:p@ss:w0rd@h/db") == ["p@ss:w0rd"]
    assert address.url_secrets("postgresql://u@h/db?sslmode=x&password=a%2Bb") == ["a%2Bb", "a+b"]
    assert address.url_secrets("postgresql://u@h/db") == []
    assert address.url_secrets("/home/ana/cadence.db") == []
    assert address.hide_secrets("bad: a+b and a%2Bb", "postgresql://u@h/db?password=a%2Bb") == "bad: *** and ***"


def test_a_database_failure_mid_command_never_shows_the_password(cli, monkeypatch):
    """_database_failure's line goes through the same filter as every other error."""
    from cadence.cli import common, daily

    def failing(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception(f'connection failed: password "{SECRET}" rejected'))

    monkeypatch.setattr(daily, "pipeline", failing)
    monkeypatch.setattr(common, "pipeline", failing)  # --all/--owner open the pipeline first
    monkeypatch.setenv("CADENCE_DB", f"postgresql://rep:{SECRET}@127.0.0.1:1/pipeline")
    result = cli("today", ok=False)
    assert one_line_error(result) == 'database: connection failed: password "***" rejected'


@pytest.mark.postgres_only
@pytest.mark.parametrize("where", ["userinfo", "query"])
def test_a_wrong_password_on_a_real_server_is_not_printed(cli, where):
    url = address.parse_url(TEST_DB)
    base = url.set(password=None).render_as_string(hide_password=False)
    if where == "userinfo":
        wrong = url.set(password=SECRET).render_as_string(hide_password=False)
    else:
        wrong = f"{base}?password={SECRET}&application_name=x"
    result = cli("--db", wrong, "today", ok=False)
    message = one_line_error(result)
    assert message.startswith(f"the database server at {url.host}:{url.port} refused user {url.username}: ")
    no_secret(result)


# ---------------------------------------------------------------- 20.6: spreadsheet formulas, both ways


NASTY = ["=cmd|' /C calc'!A0", "'=already", "''+1 555", "+sum", "-2+3", "@mention", "'Plain", "'", "=", "O'Brien"]


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
@settings(max_examples=300, deadline=None)
def test_neutralising_a_cell_and_removing_it_gives_the_cell_back(text):
    from cadence.domain.cells import SafeWriter, neutralise, unneutralise

    out = io.StringIO()
    SafeWriter(out).writerow([text])
    [cell] = next(csv.reader(io.StringIO(out.getvalue()))) or [""]
    assert unneutralise(cell) == text
    assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")  # nothing a spreadsheet would run
    assert neutralise(text) == cell


def test_an_export_imports_back_exactly_as_it_was(cli, tmp_path, monkeypatch):
    lines = ["first_name,last_name,company,title,email,Notes"]
    for number, value in enumerate(NASTY):
        quoted = '"' + value.replace('"', '""') + '"'
        lines.append(f"Ann{number},{quoted},{quoted},{quoted},ann{number}@example.com,{quoted}")
    source = tmp_path / "source.csv"
    source.write_text("\n".join(lines) + "\n")
    cli("import", source, "--start", DAY)
    exported = tmp_path / "export.csv"
    cli("export", "--contacts-only", "-o", exported)
    assert b"\r\nAnn0,'=cmd|' /C calc'!A0,'=cmd" in exported.read_bytes()

    monkeypatch.setenv("CADENCE_DB", str(tmp_path / "second.db"))
    cli("import", exported, "--start", DAY)
    again = tmp_path / "again.csv"
    cli("export", "--contacts-only", "-o", again)
    assert again.read_text() == exported.read_text()
    shown = {p["email"]: p for p in json.loads(cli("export", "--format", "json").stdout)}
    for number, value in enumerate(NASTY):
        person = shown[f"ann{number}@example.com"]
        # The source's own "'=already" reads as a neutralised "=already", as any file's does (docs/importing.md).
        stored = value[1:] if value.startswith("'") and value.lstrip("'")[:1] in ("=", "+", "-", "@") else value
        assert (person["last_name"], person["company"], person["title"], person["fields"]["notes"]) == (stored,) * 4, value


def test_the_rejects_file_is_neutralised_and_reads_back_as_written(cli, tmp_path, monkeypatch):
    source = tmp_path / "leads.csv"
    source.write_text(
        "first_name,last_name,company,email\n"
        'Bobby,Tables,"=HYPERLINK(""http://evil.example"",""x"")",\n'
        "Ann,Lee,'=kept,ann@example.com\n"
        "Cid,Chen,'=fixed,\n"
    )
    rejects = tmp_path / "rejected.csv"
    cli("import", source, "--start", DAY, "--rejects", rejects)
    rows = list(csv.reader(rejects.open(encoding="utf-8-sig")))
    assert rows == [
        ["Rejected line", "Rejected reason", "first_name", "last_name", "company", "email"],
        ["2", "neither phone nor email", "Bobby", "Tables", "'=HYPERLINK(\"http://evil.example\",\"x\")", ""],
        ["4", "neither phone nor email", "Cid", "Chen", "'=fixed", ""],
    ]
    rejects.write_bytes(rejects.read_bytes().replace(b",\r\n", b",bob@example.com\r\n", 1))
    cli("import", rejects, "--start", DAY)
    companies = {p["email"]: p["company"] for p in json.loads(cli("export", "--format", "json").stdout)}
    assert companies == {"ann@example.com": "=kept", "bob@example.com": '=HYPERLINK("http://evil.example","x")'}


# ---------------------------------------------------------------- 20.7: the copy before a migration


@SQLITE
def test_the_copy_before_a_migration_holds_rows_still_in_the_wal(tmp_path):
    path = tmp_path / "old.db"
    old = sa.create_engine(f"sqlite:///{path}")
    db.upgrade(old, "0004")
    old.dispose()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # the row stays in the -wal file
    writer.execute("INSERT INTO setting (owner, key, value) VALUES ('', 'only_in_wal', 'yes')")
    main_alone = tmp_path / "main-alone.db"
    shutil.copy2(path, main_alone)  # what the old copy did
    assert sqlite3.connect(main_alone).execute("SELECT count(*) FROM setting WHERE key = 'only_in_wal'").fetchone() == (0,)
    try:
        engine = db.open_engine(str(path))  # upgrades 0004 -> HEAD while `writer` is still open
        engine.dispose()
    finally:
        writer.close()
    backup = tmp_path / f"old.db.before-{db.HEAD}"
    assert mode(backup) == 0o600
    copy = sqlite3.connect(backup)
    assert copy.execute("SELECT key, value FROM setting").fetchall() == [("only_in_wal", "yes")]
    assert copy.execute("SELECT version_num FROM alembic_version").fetchall() == [("0004",)]
    assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    copy.close()
    assert not list(tmp_path.glob("*.part*"))


# ---------------------------------------------------------------- 20.8: cadence files past sane bounds


def cadence_file(folder: Path, body: str) -> Path:
    path = folder / "odd.yaml"
    path.write_text("name: odd\nsteps:\n  - day: 1\n    type: call\n    script: hi\n    voicemail: hi\n" + body)
    return path


@pytest.mark.parametrize(("body", "line", "message"), [
    ("  - day: 100000000000000000000\n    type: fire\n    script: bye\n", 7,
     "step 2: day 100000000000000000000 is past day 1000, the last a cadence may use: shorten the cadence, "
     "or let after_fire.recycle_after bring people back"),
    ("  - day: 3000000\n    type: fire\n    script: bye\n", 7,
     "step 2: day 3000000 is past day 1000, the last a cadence may use: shorten the cadence, "
     "or let after_fire.recycle_after bring people back"),
    ("after_fire:\n  recycle_after: 9000 years\n", 8,
     "recycle_after '9000 years' is too long: at most 10 years (e.g. '2 years', '18 months')"),
    ("holidays: {dates: [2026-02-30]}\n", 7, "holiday '2026-02-30' is not a date: write it as YYYY-MM-DD"),
])
def test_a_cadence_past_the_bounds_is_one_line_naming_file_and_line(cli, tmp_path, monkeypatch, body, line, message):
    folder = tmp_path / "cadences"
    folder.mkdir()
    path = cadence_file(folder, body)
    result = cli("cadences", "validate", path, ok=False)
    assert (result.exit_code, result.stderr, result.stdout) == (1, f"{path}:{line}: {message}\n", "")
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    for command in (["cadences", "preview", "odd", "--start", DAY], ["add", "--first", "A", "--email", "a@example.com",
                                                                     "--cadence", "odd"]):
        assert one_line_error(cli(*command, ok=False)) == f"{path}:{line}: {message}"


def test_the_longest_cadence_validate_accepts_works_later(cli, tmp_path, monkeypatch):
    folder = tmp_path / "cadences"
    folder.mkdir()
    cadence_file(folder, "  - day: 1000\n    type: fire\n    script: bye\nafter_fire:\n  recycle_after: 10 years\n")
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    assert cli("cadences", "validate", folder / "odd.yaml").stdout == f"ok: {folder / 'odd.yaml'} (odd, 2 steps)\n"
    steps = cli.json("cadences", "preview", "odd", "--start", DAY)
    assert [(s["step"], s["date"]) for s in steps] == [(1, "2026-11-23"), (2, "2030-09-20")]
    cli("add", "--first", "Ana", "--email", "ana@example.com", "--phone", "+12125550134", "--cadence", "odd", "--start", DAY)
    assert cli.json("show", "1")["next_due"] == "2026-11-23"
    cli("log", "1", "vm", "--at", "2026-11-23T10:00")
    cli("log", "1", "vm", "--at", "2030-09-20T10:00")
    assert cli.json("show", "1")["status"] == "fired"
    assert cli("calendar", "--date", "2030-09-25", "--days", "10").exit_code == 0


# ---------------------------------------------------------------- 20.9: a cell over 16 MiB


def test_a_cell_over_16_mib_rejects_its_row_only(cli, tmp_path):
    big = "x" * (17 * 1024 * 1024)
    path = tmp_path / "leads.csv"
    path.write_text(
        "first_name,last_name,email,notes\n"
        f'Ana,Lopez,ana@example.com,"{big[:1000]}\n{big}""quoted""\nstill inside"\n'
        "Ben,Baker,ben@example.com,short\n"
        f"Cid,Chen,cid@example.com,{big}\n"
        "Dee,Dunn,dee@example.com,fine\n"
    )
    report = cli.json("import", path, "--start", DAY)
    assert (report["read"], report["added"]) == (4, 2)
    assert report["rejected"] == [
        {"line": 2, "reason": "a cell is over 64 KB (over 16 MB)"},
        {"line": 6, "reason": "a cell is over 64 KB (over 16 MB)"},
    ]
    assert sorted(p["first_name"] for p in json.loads(cli("export", "--format", "json").stdout)) == ["Ben", "Dee"]


# ---------------------------------------------------------------- 20.10: modes, links, foreign databases


def test_what_cadence_writes_is_private_under_umask_000(cli, tmp_path, monkeypatch, open_umask):
    monkeypatch.setenv("CADENCE_CADENCES", str(tmp_path / "mine"))
    source = tmp_path / "leads.csv"
    source.write_text("first_name,last_name,email\nAna,Lopez,ana@example.com\nBen,Baker,\n")
    cli("import", source, "--start", DAY, "--rejects", tmp_path / "rejects.csv")
    cli("export", "-o", tmp_path / "export.csv")
    cli("export", "--what", "touches", "--format", "json", "-o", tmp_path / "touches.json")
    cli("calendar", "--date", DAY, "-o", tmp_path / "plan.ics")
    cli("cadences", "new", "my-plan")
    cli("cadences", "import", FIXTURES / "cadenceml" / "seven-touch.yml", "--out", tmp_path / "converted")
    cli("cadences", "export", "five-touch-fire", "--out", tmp_path / "five.yml")
    written = [tmp_path / name for name in ("rejects.csv", "export.csv", "touches.json", "plan.ics", "five.yml")]
    written += [tmp_path / "mine" / "my-plan.yaml", *(tmp_path / "converted").iterdir()]
    assert {path.name: mode(path) for path in written} == {path.name: 0o600 for path in written}
    assert mode(tmp_path / "converted") == 0o700
    if not ON_POSTGRES:
        assert mode(Path(os.environ["CADENCE_DB"])) == 0o600


@SQLITE
def test_a_database_file_others_can_read_is_narrowed_with_a_warning(cli):
    path = Path(os.environ["CADENCE_DB"])
    cli("add", "--first", "Ana", "--email", "ana@example.com", "--start", DAY)
    path.chmod(0o644)
    result = cli("today", "--date", DAY)
    assert result.stderr == f"warning: {path} could be read by other users (mode 0644): narrowed to the owner only\n"
    assert mode(path) == 0o600
    assert cli("today", "--date", DAY).stderr == ""


@SQLITE
def test_a_dangling_db_link_is_refused(cli, tmp_path):
    link = tmp_path / "link.db"
    link.symlink_to(tmp_path / "gone" / "cadence.db")
    assert one_line_error(cli("--db", link, "today", ok=False)) == (
        f"database path {link} is a symbolic link to {tmp_path / 'gone' / 'cadence.db'}, which does not exist: "
        "fix or remove the link, or give the file itself with --db"
    )
    assert not (tmp_path / "gone").exists() and link.is_symlink()


@SQLITE
def test_an_empty_sqlite_file_of_another_program_is_refused_and_left_alone(cli, tmp_path):
    path = tmp_path / "other.db"
    other = sqlite3.connect(path)
    other.execute("PRAGMA user_version = 7")
    other.close()
    before = path.read_bytes()
    assert one_line_error(cli("--db", path, "today", ok=False)) == (
        f"{path} is another program's SQLite file (empty, but marked with user_version 7): "
        "point --db or CADENCE_DB at a cadence database"
    )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("other")) == ["other.db"]


def test_another_applications_alembic_database_is_refused_and_left_alone(cli):
    engine = sa.create_engine(address.parse_url(address.resolve_url(None)))
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        connection.execute(sa.text("INSERT INTO alembic_version VALUES ('3f2a9c1b7d4e')"))
        connection.execute(sa.text("CREATE TABLE invoice (id INTEGER PRIMARY KEY)"))
    assert one_line_error(cli("today", ok=False)) == (
        "the database is another application's (its Alembic schema is at '3f2a9c1b7d4e', not a cadence revision): "
        "point --db or CADENCE_DB at a cadence database"
    )
    with engine.connect() as connection:
        assert sorted(sa.inspect(connection).get_table_names()) == ["alembic_version", "invoice"]
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "3f2a9c1b7d4e"
    engine.dispose()


# ---------------------------------------------------------------- 20.12: files that are not files


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


def test_a_fifo_or_a_device_is_refused_in_one_line(cli, tmp_path, fifo):
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    result = cli("cadences", "validate", zero, ok=False)
    assert (result.exit_code, result.stderr) == (1, f"{zero}: is a device, not a cadence file: give a regular file\n")
    result = cli("cadences", "validate", fifo, ok=False)
    assert (result.exit_code, result.stderr) == (1, f"{fifo}: is a FIFO (named pipe), not a cadence file: give a regular file\n")
    assert one_line_error(cli("import", fifo, ok=False)) == f"{fifo}: is a FIFO (named pipe), not a CSV file: give a regular file"
    assert one_line_error(cli("import", "/dev/zero", ok=False)) == "/dev/zero: is a device, not a CSV file: give a regular file"
    assert one_line_error(cli("cadences", "import", zero, ok=False)) == f"{zero}: is a device, not a CadenceML file: give a regular file"


def test_a_cadence_file_in_the_folder_that_is_a_device_does_not_hang(cli, tmp_path, monkeypatch):
    folder = tmp_path / "cadences"
    folder.mkdir()
    (folder / "zero.yaml").symlink_to("/dev/zero")
    monkeypatch.setenv("CADENCE_CADENCES", str(folder))
    listed = [c["name"] for c in cli.json("cadences", "list")]  # skipped, not read for ever
    assert listed == ["five-touch-fire", "long-haul-breakup", "stop-chasing", "three-voicemails"]
