"""The store against a real SQLite file: permissions, WAL, migrations, refusals, undo, indexes."""

from __future__ import annotations

import sqlite3
import stat
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, inspect, text
from sqlmodel import Session, SQLModel

from cadence.domain.engine import Outcome
from cadence.errors import CadenceError
from cadence.store import address, db, queries, tables
from cadence.store.models import Prospect, Touch

# Tests of the SQLite file itself; the rest also run on PostgreSQL (CADENCE_TEST_DB).
SQLITE = pytest.mark.sqlite_only


@pytest.fixture
def path(tmp_path):
    (tmp_path / "store").mkdir()
    return tmp_path / "store" / "pipeline.db"


def opened(path):
    return db.open_engine(str(path))


def folder_listing(folder):
    return sorted(p.name for p in folder.iterdir())


@SQLITE
def test_database_file_is_created_readable_by_its_owner_only(path):
    engine = opened(path)
    with engine.begin() as connection:  # a write, so the WAL file exists too
        connection.execute(text("INSERT INTO setting (owner, key, value) VALUES ('', 'name', 'Sam')"))
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE((path.parent / "pipeline.db-wal").stat().st_mode) == 0o600
    engine.dispose()


@SQLITE
def test_wal_journal_and_busy_timeout_are_on(path):
    engine = opened(path)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_head_is_alembics_head():
    from alembic.script import ScriptDirectory

    assert db.HEAD == ScriptDirectory(str(db.MIGRATIONS)).get_current_head()


@SQLITE
def test_new_database_is_at_head(path):
    engine = opened(path)
    assert db.current_revision(engine) == (db.HEAD, True)
    engine.dispose()


@SQLITE
def test_migrations_match_the_models(path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import cadence.store.models  # noqa: F401 - registers the tables

    engine = opened(path)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, tables.metadata) == []
    engine.dispose()


@SQLITE
def test_indexes_exist(path):
    engine = opened(path)
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("prospect")}
    assert indexes["ix_prospect_due"] == ["due_on", "status"]
    assert indexes["ix_prospect_owner_due"] == ["owner", "due_on"]
    assert indexes["ix_prospect_stats"] == ["cadence", "status", "postponements", "owner"]
    engine.dispose()


@SQLITE
def test_stats_count_statuses_from_the_stats_index(pipeline, prospect_factory):
    from cadence.store import insight

    prospect_factory()
    statements = []
    listener = lambda _c, _cur, statement, parameters, _ctx, _many: statements.append((statement, parameters))  # noqa: E731
    event.listen(pipeline.engine, "before_cursor_execute", listener)
    with Session(pipeline.engine) as session:
        insight.statuses(session, insight.Scope(), 3)
    event.remove(pipeline.engine, "before_cursor_execute", listener)
    statement, parameters = statements[-1]
    with pipeline.engine.connect() as connection:
        plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
    assert plan == ["SEARCH prospect USING COVERING INDEX ix_prospect_stats (cadence>?)"]


@SQLITE
def test_corrupt_file_is_refused_and_left_alone(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(CadenceError) as caught:
        db.open_engine(str(junk))
    assert str(caught.value) == (
        f"{junk} is not a cadence database (file is not a database); point --db or CADENCE_DB at another file"
    )
    assert junk.read_bytes() == b"not a database" * 100
    assert folder_listing(tmp_path) == ["cadence.db", "junk.db"]  # the suite's own (empty) database beside it


@SQLITE
def test_folder_as_database_path_is_refused(tmp_path):
    folder = tmp_path / "adir"
    folder.mkdir()
    with pytest.raises(CadenceError) as caught:
        db.open_engine(str(folder))
    assert str(caught.value) == f"database path {folder} is a folder: give a file name such as {folder / 'cadence.db'}"


@SQLITE
def test_newer_schema_is_refused(path):
    engine = opened(path)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    before = path.read_bytes()
    with pytest.raises(CadenceError) as caught:
        db.open_engine(str(path))
    assert str(caught.value) == f"the database is at schema 9999, newer than this cadence knows ({db.HEAD}): upgrade cadence"
    assert path.read_bytes() == before
    assert not any(p.name.startswith("pipeline.db.before") for p in path.parent.iterdir())


@SQLITE
def test_another_programs_database_is_refused(tmp_path):
    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    connection.commit()
    connection.close()
    with pytest.raises(CadenceError) as caught:
        db.open_engine(str(other))
    assert str(caught.value) == "the database has tables but no cadence schema version: is it another program's database?"
    assert [r[0] for r in sqlite3.connect(other).execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["notes"]


def test_in_memory_database_is_refused():
    with pytest.raises(CadenceError, match="an in-memory database keeps nothing"):
        db.open_engine("sqlite://")


def test_resolve_url_prefers_the_option_then_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENCE_DB", str(tmp_path / "env.db"))
    assert address.resolve_url(None) == f"sqlite:///{tmp_path / 'env.db'}"
    assert address.resolve_url(str(tmp_path / "opt.db")) == f"sqlite:///{tmp_path / 'opt.db'}"
    assert address.resolve_url("postgresql+psycopg://me@host/crm") == "postgresql+psycopg://me@host/crm"


# ---------------------------------------------------------------- undo


def row_values(pipeline, prospect_id: int) -> dict:
    """Every column of the prospect row except the last-modified stamp."""
    with Session(pipeline.engine) as session:
        row = session.get(Prospect, prospect_id)
        return {c: getattr(row, c) for c in Prospect.model_fields if c != "updated_at"}


def touch_count(pipeline) -> int:
    with Session(pipeline.engine) as session:
        return session.execute(text("SELECT count(*) FROM touch")).scalar()


@pytest.mark.parametrize(
    "outcome, when, on",
    [
        (Outcome.NO_ANSWER, datetime(2026, 11, 24, 10, tzinfo=timezone.utc), None),
        (Outcome.CALLBACK, datetime(2026, 11, 24, 10, tzinfo=timezone.utc), date(2026, 12, 2)),
        (Outcome.MEETING, datetime(2026, 11, 24, 10, tzinfo=timezone.utc), None),
        (Outcome.BAD_NUMBER, datetime(2026, 11, 24, 10, tzinfo=timezone.utc), None),
    ],
)
def test_undo_restores_the_exact_state_and_removes_the_touch(pipeline, prospect_factory, outcome, when, on):
    row = prospect_factory(first_name="Ana", last_name="López", start=date(2026, 11, 23))
    pipeline.log(str(row.id), Outcome.VOICEMAIL, datetime(2026, 11, 23, 10, tzinfo=timezone.utc), note="first")
    before = row_values(pipeline, row.id)
    assert (before["step"], before["due_on"], before["attempts"]) == (2, date(2026, 11, 24), 1)
    pipeline.log("Ana", outcome, when, callback_on=on)
    assert row_values(pipeline, row.id) != before
    assert touch_count(pipeline) == 2
    undone = pipeline.undo("Ana")
    assert undone["removed"] == {"outcome": outcome.value, "step": 2, "on": "2026-11-24"}
    assert row_values(pipeline, row.id) == before
    assert touch_count(pipeline) == 1


def test_undo_of_the_fire_step_unfires(pipeline, prospect_factory):
    row = prospect_factory(start=date(2026, 11, 23))
    for day in (23, 24, 25, 27):
        outcome = Outcome.SENT if day == 25 else Outcome.NO_ANSWER  # step 3 is an email
        pipeline.log(str(row.id), outcome, datetime(2026, 11, day, 10, tzinfo=timezone.utc))
    before = row_values(pipeline, row.id)
    assert (before["status"], before["step"], before["due_on"]) == ("active", 5, date(2026, 11, 30))
    pipeline.log(str(row.id), Outcome.VOICEMAIL, datetime(2026, 11, 30, 10, tzinfo=timezone.utc))
    assert row_values(pipeline, row.id)["status"] == "fired"
    pipeline.undo()
    assert row_values(pipeline, row.id) == before


def test_undo_with_nothing_logged_is_refused(pipeline, prospect_factory):
    prospect_factory(first_name="Ana")
    with pytest.raises(CadenceError, match="nothing to undo: no touch logged for 'Ana'"):
        pipeline.undo("Ana")


@SQLITE
def test_touches_are_stored_in_utc(pipeline, prospect_factory):
    from zoneinfo import ZoneInfo

    row = prospect_factory(start=date(2026, 11, 23))
    pipeline.log(str(row.id), Outcome.NO_ANSWER, datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("America/Chicago")))
    with Session(pipeline.engine) as session:
        touch = session.execute(text("SELECT at, \"on\" FROM touch")).one()
    assert touch == ("2026-11-23 15:30:00.000000", "2026-11-23")


# ---------------------------------------------------------------- the day's list reads an index


def due_sql(pipeline, owner: str | None) -> tuple[str, tuple]:
    captured: list[tuple[str, tuple]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    event.listen(pipeline.engine, "before_cursor_execute", capture)
    try:
        with Session(pipeline.engine) as session:
            queries.due(session, date(2026, 11, 23), owner)
    finally:
        event.remove(pipeline.engine, "before_cursor_execute", capture)
    assert len(captured) == 1
    return captured[0]


def plan_of(pipeline, statement: str, parameters: tuple) -> list[str]:
    with pipeline.engine.connect() as connection:
        return [row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]


@SQLITE
def test_today_reads_the_due_index(pipeline):
    statement, parameters = due_sql(pipeline, None)
    plan = plan_of(pipeline, statement, parameters)
    assert plan[0] == "SEARCH prospect USING INDEX ix_prospect_due (due_on<?)"
    assert not any(step.startswith("SCAN prospect") for step in plan)


@SQLITE
def test_today_for_one_rep_reads_the_owner_index(pipeline):
    statement, parameters = due_sql(pipeline, "sam")
    assert plan_of(pipeline, statement, parameters)[0] == "SEARCH prospect USING INDEX ix_prospect_owner_due (owner=? AND due_on<?)"


def test_today_lists_only_statuses_with_something_due(pipeline, prospect_factory):
    rows = {status: prospect_factory(first_name=status) for status in (
        "active", "snoozed", "paused", "engaged", "converted", "fired", "lost", "disqualified", "do-not-contact", "needs-fix",
    )}
    with Session(pipeline.engine) as session, session.begin():
        for status, row in rows.items():
            session.execute(text("UPDATE prospect SET status = :s WHERE id = :i"), {"s": status, "i": row.id})
        listed = [r.first_name for r in queries.due(session, date(2026, 11, 23), None)]
    assert listed == ["active", "snoozed", "engaged", "converted", "fired"]
