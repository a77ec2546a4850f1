"""Shared fixtures: every test gets its own database and folders, never the user's."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Point the database, config and data folders at a temp dir; fix the zone to UTC."""
    monkeypatch.setenv("CADENCE_DB", str(tmp_path / "cadence.db"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
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
    from cadence.pipeline import Pipeline
    from cadence.store.db import open_engine

    engine = open_engine(None)
    yield Pipeline(engine, system_zone=timezone.utc)
    engine.dispose()


@pytest.fixture
def prospect_factory(pipeline):
    """Adds a prospect with sensible defaults: prospect_factory(first_name='Ana', start=date(...))."""
    from datetime import date

    from cadence.pipeline import NewProspect

    counter = iter(range(1, 100000))

    def make(cadence: str = "five-touch-fire", start: date = date(2026, 11, 23), enroll: bool = True, **attrs):
        n = next(counter)
        values = {"first_name": f"Pat{n}", "last_name": "Example", "company": "Acme", "phone": f"+1212555{n:04d}"[:12], "email": f"pat{n}@example.com"}
        values.update(attrs)
        row = pipeline.add(NewProspect(**values), datetime(2026, 11, 23, 9, tzinfo=timezone.utc), cadence=cadence, start=start, enroll=enroll)
        return row

    return make
