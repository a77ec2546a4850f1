"""Shared fixtures: every test gets its own database and folders, never the user's."""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures"

# The database the suite runs on: unset or "sqlite" for a temp file per test, or the URL of a
# PostgreSQL role allowed to create databases (each test gets a fresh one, dropped afterwards).
TEST_DB = os.environ.get("CADENCE_TEST_DB", "").strip()
ON_POSTGRES = TEST_DB.startswith(("postgresql", "postgres:", "postgres+"))
_DATABASES = itertools.count(1)


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: needs a SQLite file (permissions, WAL, file corruption)")
    config.addinivalue_line("markers", "postgres_only: needs a PostgreSQL server (CADENCE_TEST_DB)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") and not TEST_DB:
        # In CI the PostgreSQL tests must run in one of the passes, never quietly drop out.
        raise pytest.UsageError("CI=true but CADENCE_TEST_DB is not set: set it to sqlite or to a postgresql+psycopg:// URL")
    if TEST_DB and TEST_DB != "sqlite" and not ON_POSTGRES:
        raise pytest.UsageError(f"CADENCE_TEST_DB={TEST_DB!r}: use sqlite or a postgresql+psycopg:// URL")
    if ON_POSTGRES:
        _admin_connection().close()  # no server, no PostgreSQL pass: stop here, loudly


def _admin_connection():
    """An autocommit psycopg connection to CADENCE_TEST_DB; a UsageError when there is none."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(TEST_DB).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise pytest.UsageError(f"CADENCE_TEST_DB: cannot connect to the test PostgreSQL server: {str(exc).splitlines()[0]}") from None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if ON_POSTGRES and "sqlite_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="SQLite only: runs in the SQLite pass"))
        if not ON_POSTGRES and "postgres_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set CADENCE_TEST_DB=postgresql+psycopg://user:password@host:port/postgres"))


def postgres_url(database: str) -> str:
    """The CADENCE_TEST_DB server and credentials, on another database."""
    from cadence.store.address import parse_url

    return parse_url(TEST_DB).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin():
    """An autocommit psycopg connection to CADENCE_TEST_DB, for creating and dropping test databases."""
    connection = _admin_connection()
    yield connection
    connection.close()


@pytest.fixture
def database_url(tmp_path, request):
    """What CADENCE_DB is set to: a temp SQLite file, or a new empty PostgreSQL database dropped afterwards."""
    if not ON_POSTGRES:
        path = tmp_path / "cadence.db"
        # The file exists, as the user's does after day one, so cadence does not announce a new
        # database on stderr in every test (test_me tests the announcement on a new path).
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        yield str(path)
        return
    admin = request.getfixturevalue("postgres_admin")
    name = f"cadence_test_{os.getpid()}_{next(_DATABASES)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url(name)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, database_url):
    """Point the database, config and data folders at a temp dir; fix the zone to UTC."""
    monkeypatch.setenv("CADENCE_DB", database_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("CADENCE_CADENCES", raising=False)
    monkeypatch.delenv("CADENCE_USER", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    return tmp_path


class Cli:
    """Runs `cadence` in-process; stdout and stderr kept apart."""

    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, ok: bool = True):
        from cadence.cli import app

        result = self.runner.invoke(app, [str(a) for a in args], input=input)
        if ok and result.exit_code != 0:
            raise AssertionError(f"cadence {' '.join(map(str, args))} exited {result.exit_code}:\n{result.stdout}\n{result.stderr}\n{result.exception!r}")
        return result

    def json(self, *args: str):
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def pipeline(isolated):
    """A Pipeline on the test database."""
    from cadence.pipeline.core import Pipeline
    from cadence.store.db import open_engine

    engine = open_engine(None)
    yield Pipeline(engine, system_zone=timezone.utc)
    engine.dispose()


@pytest.fixture
def prospect_factory(pipeline):
    """Adds a prospect with sensible defaults: prospect_factory(first_name='Ana', start=date(...))."""
    from datetime import date

    from cadence.pipeline.core import NewProspect

    counter = iter(range(1, 100000))

    def make(cadence: str = "five-touch-fire", start: date = date(2026, 11, 23), enroll: bool = True, **attrs):
        n = next(counter)
        values = {"first_name": f"Pat{n}", "last_name": "Example", "company": "Acme", "phone": f"+1212555{n:04d}"[:12], "email": f"pat{n}@example.com"}
        values.update(attrs)
        row = pipeline.add(NewProspect(**values), datetime(2026, 11, 23, 9, tzinfo=timezone.utc), cadence=cadence, start=start, enroll=enroll)
        return row

    return make


# ---------------------------------------------------------------- small plans for the engine's tests


@dataclass(frozen=True)
class S:
    """A step as the engine reads it: its day and type."""

    day: int
    type: str


@dataclass(frozen=True)
class P:
    """A cadence as the engine reads it (engine.Plan)."""

    name: str
    steps: tuple[S, ...]
    recycle_after: object = None
