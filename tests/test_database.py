"""The store on whichever database the suite runs on (CADENCE_TEST_DB): SQLite or PostgreSQL.

Upgrading from the first schema revision, refusals of databases cadence cannot use, and the
PostgreSQL counterparts of the SQLite-file tests in test_store.py.
"""

from __future__ import annotations

import socket
import sys
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from cadence.store import address, db, tables

from conftest import ON_POSTGRES, TEST_DB, postgres_url

POSTGRES = pytest.mark.postgres_only


def raw_engine():
    """An engine on CADENCE_DB that neither migrates nor checks anything."""
    return sa.create_engine(address.parse_url(address.resolve_url(None)))


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(db.MIGRATIONS)).get_current_head()


# ---------------------------------------------------------------- upgrading from the first revision

# The tables as revision 0001 made them: what a database written by the first release holds.
META = sa.MetaData()
PROSPECT = sa.Table(
    "prospect", META,
    sa.Column("id", sa.Integer, primary_key=True),
    *(sa.Column(name, sa.String) for name in ("first_name", "last_name", "title", "company", "phone", "email", "phone_key",
                                             "email_key", "timezone", "source", "tags", "owner", "status", "cadence", "cadence_version")),
    sa.Column("fields", sa.JSON),
    *(sa.Column(name, sa.Date) for name in ("started_on", "due_on", "last_done_on", "callback_on", "fired_on", "paused_on")),
    *(sa.Column(name, sa.Integer) for name in ("step", "postponements", "attempts")),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)
TOUCH = sa.Table(
    "touch", META,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("prospect_id", sa.Integer),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.Column("on", sa.Date),
    *(sa.Column(name, sa.String) for name in ("cadence", "step_type", "outcome", "note", "owner")),
    sa.Column("step", sa.Integer),
    *(sa.Column(name, sa.Boolean) for name in ("attempt", "after_fire", "forced")),
    sa.Column("state_before", sa.JSON),
)
SETTING = sa.Table("setting", META, *(sa.Column(name, sa.String) for name in ("owner", "key", "value")))

CREATED = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)
STATE_NEW = {"status": "active", "cadence": "five-touch-fire", "cadence_version": None, "started_on": "2026-11-23", "step": 1,
             "due_on": "2026-11-23", "last_done_on": None, "callback_on": None, "postponements": 0, "attempts": 0,
             "fired_on": None, "paused_on": None}
PEOPLE = [
    {"first_name": "Ana María", "last_name": "López", "title": "Directora", "company": "Cúspide", "phone": "+34911234567",
     "email": "ana@cuspide.example", "phone_key": "+34911234567", "email_key": "ana@cuspide.example", "timezone": "Europe/Madrid",
     "source": "crm", "tags": "spain,warm", "owner": "ana", "status": "active", "cadence": "five-touch-fire", "cadence_version": None,
     "fields": {"région": "Île-de-France", "linkedin": "https://example.com/in/ana"},
     "started_on": date(2026, 11, 23), "due_on": date(2026, 11, 24), "last_done_on": date(2026, 11, 23), "callback_on": None,
     "fired_on": None, "paused_on": None, "step": 2, "postponements": 0, "attempts": 1, "created_at": CREATED, "updated_at": CREATED},
    {"first_name": "Tom", "last_name": "Kay", "title": "", "company": "Contoso", "phone": "+13125550102", "email": "",
     "phone_key": "+13125550102", "email_key": "", "timezone": "", "source": "", "tags": "", "owner": "bob", "status": "fired",
     "cadence": "five-touch-fire", "cadence_version": None, "fields": {}, "started_on": date(2026, 11, 2), "due_on": None,
     "last_done_on": date(2026, 11, 9), "callback_on": None, "fired_on": date(2026, 11, 9), "paused_on": None, "step": None,
     "postponements": 0, "attempts": 5, "created_at": CREATED, "updated_at": CREATED},
    {"first_name": "Li", "last_name": "Wei", "title": "CTO", "company": "Tailspin", "phone": "", "email": "li@tailspin.example",
     "phone_key": "", "email_key": "li@tailspin.example", "timezone": "Asia/Shanghai", "source": "", "tags": "", "owner": "",
     "status": "paused", "cadence": None, "cadence_version": None, "fields": {"notes": "met at a fair"}, "started_on": None,
     "due_on": None, "last_done_on": None, "callback_on": None, "fired_on": None, "paused_on": None, "step": None,
     "postponements": 0, "attempts": 0, "created_at": CREATED, "updated_at": CREATED},
]
TOUCHES = [
    {"prospect_id": 1, "at": datetime(2026, 11, 23, 9, 5, tzinfo=timezone.utc), "on": date(2026, 11, 23), "cadence": "five-touch-fire",
     "step": 1, "step_type": "call", "outcome": "voicemail", "note": "dejé mensaje", "attempt": True, "after_fire": False,
     "forced": False, "owner": "ana", "state_before": STATE_NEW},
    {"prospect_id": 2, "at": datetime(2026, 11, 9, 16, 0, tzinfo=timezone.utc), "on": date(2026, 11, 9), "cadence": "five-touch-fire",
     "step": 5, "step_type": "fire", "outcome": "voicemail", "note": "", "attempt": True, "after_fire": False,
     "forced": False, "owner": "bob", "state_before": {**STATE_NEW, "step": 5, "attempts": 4}},
    {"prospect_id": 2, "at": datetime(2026, 11, 12, 14, 0, tzinfo=timezone.utc), "on": date(2026, 11, 12), "cadence": "five-touch-fire",
     "step": None, "step_type": None, "outcome": "replied", "note": "called back!", "attempt": False, "after_fire": True,
     "forced": False, "owner": "bob", "state_before": {**STATE_NEW, "status": "fired", "step": None, "attempts": 5}},
]
SETTINGS = [{"owner": "", "key": "region", "value": "US"}, {"owner": "ana", "key": "name", "value": "Ana María"}]


def stored(connection, table: sa.Table) -> list[dict]:
    """Every row of a 0001 table, instants in UTC (SQLite hands them back naive)."""
    rows = [dict(row._mapping) for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))]
    for row in rows:
        for name, value in row.items():
            if isinstance(value, datetime):
                row[name] = value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return rows


def test_upgrade_from_the_first_revision_keeps_every_row(cli):
    engine = raw_engine()
    db.upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(PROSPECT.insert(), PEOPLE)
        connection.execute(TOUCH.insert(), TOUCHES)
        connection.execute(SETTING.insert(), SETTINGS)
        before = {table.name: stored(connection, table) for table in (PROSPECT, TOUCH, SETTING)}
    engine.dispose()
    assert [p["id"] for p in before["prospect"]] == [1, 2, 3]

    engine = db.open_engine(None)  # what every command does first: upgrade to head
    assert db.current_revision(engine) == (head(), True)
    with engine.connect() as connection:
        assert {table.name: stored(connection, table) for table in (PROSPECT, TOUCH, SETTING)} == before
    engine.dispose()

    # And the program carries on from where the old data left off.
    ana = cli.json("show", "1")
    assert (ana["name"], ana["next_step"], ana["next_due"], [t["note"] for t in ana["touches"]]) == (
        "Ana María López", 2, "2026-11-24", ["dejé mensaje"])
    assert [(i["prospect_id"], i["step"]) for i in cli.json("today", "--date", "2026-11-24")] == [(1, 2)]
    assert cli("add", "--first", "New", "--email", "new@example.com", "--start", "2026-11-24").stdout == "4\n"
    assert cli.json("log", "1", "na", "--at", "2026-11-24T10:00")["next_step"] == 3
    # The running totals of `stats` were counted from the history already there.
    five = {e["cadence"]: e for e in cli.json("stats")}["five-touch-fire"]
    assert sum(step["touches"] for step in five["steps"]) == 3
    assert cli.json("stats") == cli.json("stats", "--recount")


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")  # SQLite's ix_prospect_name
def test_a_new_database_is_created_at_head():
    engine = db.open_engine(None)
    assert db.current_revision(engine) == (db.HEAD, True)
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(engine).get_indexes("prospect")}
    assert (indexes["ix_prospect_due"], indexes["ix_prospect_owner_due"]) == (["due_on", "status"], ["owner", "due_on"])
    engine.dispose()


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")  # SQLite
def test_migrations_match_the_models():
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import cadence.store.models  # noqa: F401 - registers the tables

    engine = db.open_engine(None)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, tables.metadata)
    engine.dispose()
    if ON_POSTGRES:
        # PostgreSQL hands an expression index back in its own spelling (casts, brackets), which
        # Alembic compares as text: the same index shows as removed and added again. Whether it
        # is the right index is checked by the planner below (test_finding_by_full_name_...).
        expression = lambda index: not all(isinstance(e, sa.Column) for e in index.expressions)  # noqa: E731
        differences = [d for d in differences if not (d[0] in ("add_index", "remove_index") and expression(d[1]))]
    assert differences == []


def test_programs_opening_a_new_database_at_once_migrate_it_once(database_url):
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(4) as pool:
        revisions = pool.map(_open_and_report, [database_url] * 4)
    assert revisions == [head()] * 4


def _open_and_report(url: str) -> str:
    engine = db.open_engine(url)
    try:
        return db.current_revision(engine)[0]
    finally:
        engine.dispose()


# ---------------------------------------------------------------- databases cadence refuses


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_server_is_named_with_its_port(cli, monkeypatch):
    port = free_port()
    monkeypatch.setenv("CADENCE_DB", f"postgresql+psycopg://rep:s3cret@127.0.0.1:{port}/pipeline")
    result = cli("today", ok=False)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: cannot reach the database server at 127.0.0.1:{port} (Connection refused): "
        "check that PostgreSQL runs there and that the host and port in --db or CADENCE_DB are right\n"
    )


def test_an_unknown_host_is_named(cli):
    result = cli("--db", "postgresql+psycopg://rep@db.invalid/pipeline", "show", "1", ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot reach the database server at db.invalid:5432 (")
    assert result.stderr.count("\n") == 1


@POSTGRES
def test_a_wrong_password_is_refused_without_printing_it(cli, monkeypatch, database_url):
    url = make_url(database_url).set(password="not-the-password")
    monkeypatch.setenv("CADENCE_DB", url.render_as_string(hide_password=False))
    result = cli("today", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: the database server at {url.host}:{url.port} refused user {url.username}: "
        f'password authentication failed for user "{url.username}"; check the user name and password in the URL (or ~/.pgpass)\n'
    )


@POSTGRES
def test_an_unknown_user_is_refused(cli, monkeypatch, database_url):
    url = make_url(database_url).set(username="nobody_here", password="whatever")
    monkeypatch.setenv("CADENCE_DB", url.render_as_string(hide_password=False))
    result = cli("today", ok=False)
    assert result.stderr.startswith(f"error: the database server at {url.host}:{url.port} refused user nobody_here: ")
    assert result.stderr.endswith("; check the user name and password in the URL (or ~/.pgpass)\n")


@POSTGRES
def test_a_missing_database_is_named(cli, monkeypatch):
    url = make_url(postgres_url("no_such_pipeline"))
    monkeypatch.setenv("CADENCE_DB", url.render_as_string(hide_password=False))
    result = cli("today", ok=False)
    assert result.stderr == (
        f"error: there is no database no_such_pipeline on the server at {url.host}:{url.port}: "
        "create it (createdb no_such_pipeline) or fix the name in the URL; see docs/team.md\n"
    )


def test_a_newer_schema_is_refused_and_left_alone(cli):
    engine = db.open_engine(None)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = cli("today", ok=False)
    assert result.exit_code == 1
    assert result.stderr == f"error: the database is at schema 9999, newer than this cadence knows ({db.HEAD}): upgrade cadence\n"
    engine = raw_engine()
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "9999"
    engine.dispose()


def test_another_programs_database_is_refused_and_left_alone(cli):
    engine = raw_engine()
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    result = cli("today", ok=False)
    assert result.stderr == "error: the database has tables but no cadence schema version: is it another program's database?\n"
    assert sa.inspect(engine).get_table_names() == ["notes"]
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "shown", "dialect"),
    [
        ("mysql://rep@db.example/pipeline", "mysql://rep@db.example/pipeline", "mysql"),
        ("mssql+pyodbc://rep:s3cret@db.example/pipeline", "mssql+pyodbc://rep:***@db.example/pipeline", "mssql"),
        ("foo://somewhere", "foo://somewhere", "foo"),
    ],
)
def test_an_unsupported_dialect_is_refused(cli, url, shown, dialect):
    result = cli("--db", url, "today", ok=False)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: cadence does not support {dialect} databases ({shown}): "
        "give a file path for SQLite or a URL like postgresql+psycopg://user@host/db\n"
    )


def test_a_malformed_url_is_refused_without_its_password(cli):
    result = cli("--db", "postgresql+psycopg://rep:s3cret@db.example:port/pipeline", "today", ok=False)
    assert result.stderr == (
        "error: database URL 'postgresql+psycopg://rep:***@db.example:port/pipeline' is not valid: "
        "give a file path or a URL like postgresql+psycopg://user@host/db "
        "(write @, : and / inside a password as %40, %3A and %2F)\n"
    )


def test_a_missing_driver_says_what_to_install(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the postgres extra were not installed
    result = cli("--db", "postgresql://rep@db.example/pipeline", "today", ok=False)
    assert result.stderr == "error: PostgreSQL needs the psycopg driver, which is not installed: pip install 'prospect-cadence[postgres]'\n"


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://rep@db.example/pipeline", "postgresql+psycopg://rep@db.example/pipeline"),
        ("postgres://rep@db.example/pipeline", "postgresql+psycopg://rep@db.example/pipeline"),
        ("postgresql+psycopg://rep@db.example:6543/pipeline", "postgresql+psycopg://rep@db.example:6543/pipeline"),
        ("sqlite:////tmp/pipeline.db", "sqlite:////tmp/pipeline.db"),
    ],
)
def test_postgresql_urls_use_psycopg_3(given, used):
    assert address.parse_url(given).render_as_string() == used


# ---------------------------------------------------------------- PostgreSQL counterparts of the SQLite-file tests


@POSTGRES
def test_touches_are_stored_as_utc_instants(pipeline, prospect_factory):
    from zoneinfo import ZoneInfo

    from cadence.domain.engine import Outcome

    row = prospect_factory(start=date(2026, 11, 23))
    pipeline.log(str(row.id), Outcome.NO_ANSWER, datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("America/Chicago")))
    with pipeline.engine.connect() as connection:
        stamp = connection.execute(sa.text("SELECT at AT TIME ZONE 'UTC', \"on\", pg_typeof(at)::text FROM touch")).one()
    assert tuple(stamp) == (datetime(2026, 11, 23, 15, 30), date(2026, 11, 23), "timestamp with time zone")


@POSTGRES
@pytest.mark.parametrize(("owner", "index"), [(None, "ix_prospect_due"), ("sam", "ix_prospect_owner_due")])
def test_today_can_read_the_due_index(pipeline, owner, index):
    from cadence.store import queries

    plan = explain(pipeline, lambda session: queries.due(session, date(2026, 11, 23), owner))
    assert f"Index Scan using {index} on prospect" in plan or f"Bitmap Index Scan on {index}" in plan


@POSTGRES
def test_finding_by_full_name_can_read_the_name_index(pipeline, prospect_factory):
    from cadence.store import queries

    prospect_factory(first_name="Ana", last_name="López")
    plan = explain(pipeline, lambda session: queries.by_reference(session, "ana lópez", lambda: "", None))
    assert "ix_prospect_name_key" in plan


@POSTGRES
def test_stats_can_count_statuses_from_the_stats_index(pipeline, prospect_factory):
    from cadence.store import insight

    prospect_factory()
    plan = explain(pipeline, lambda session: insight.statuses(session, insight.Scope(), 3))
    assert "ix_prospect_stats" in plan


def explain(pipeline, query) -> str:
    """PostgreSQL's plan for the last statement `query(session)` runs, with table scans ruled out."""
    from sqlmodel import Session

    statements = []
    listener = lambda _c, _cur, statement, parameters, _ctx, _many: statements.append((statement, parameters))  # noqa: E731
    sa.event.listen(pipeline.engine, "before_cursor_execute", listener)
    with Session(pipeline.engine) as session:
        query(session)
    sa.event.remove(pipeline.engine, "before_cursor_execute", listener)
    statement, parameters = statements[-1]
    with pipeline.engine.connect() as connection:
        # A small table is cheaper to scan; forbid that to see which index the planner can use.
        connection.exec_driver_sql("SET enable_seqscan = off")
        return "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))


def test_the_suite_runs_on_the_database_it_was_given(database_url):
    backend = make_url(address.resolve_url(None)).get_backend_name()
    assert backend == ("postgresql" if ON_POSTGRES else "sqlite")
    if ON_POSTGRES:
        assert make_url(database_url).host == make_url(TEST_DB).host


# ---------------------------------------------------------------- the roles docs/team.md recommends


@POSTGRES
def test_the_team_roles_of_the_docs_let_reps_write_and_a_reader_read(cli, monkeypatch, database_url, postgres_admin):
    import os

    url = make_url(database_url)
    suffix = f"{os.getpid()}_{url.database.rsplit('_', 1)[-1]}"
    team, ana, bob, reader = (f"{who}_{suffix}" for who in ("cadence_team", "ana", "bob", "reader"))
    postgres_admin.execute(f"CREATE ROLE {team} NOLOGIN")
    try:
        postgres_admin.execute(f'ALTER DATABASE "{url.database}" OWNER TO {team}')
        for rep in (ana, bob):
            postgres_admin.execute(f"CREATE ROLE {rep} LOGIN PASSWORD 'pw-{rep}' IN ROLE {team}")
            postgres_admin.execute(f'ALTER ROLE {rep} IN DATABASE "{url.database}" SET role TO {team}')
        postgres_admin.execute(f"CREATE ROLE {reader} LOGIN PASSWORD 'pw-{reader}'")
        with sa.create_engine(url).begin() as connection:  # as the superuser, in the team's database
            connection.exec_driver_sql(f"ALTER SCHEMA public OWNER TO {team}")
            connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {reader}")
            connection.exec_driver_sql(f"ALTER DEFAULT PRIVILEGES FOR ROLE {team} IN SCHEMA public GRANT SELECT ON TABLES TO {reader}")

        def as_role(role: str, rep: str | None) -> None:
            monkeypatch.setenv("CADENCE_DB", url.set(username=role, password=f"pw-{role}").render_as_string(hide_password=False))
            monkeypatch.setenv("CADENCE_USER", rep) if rep else monkeypatch.delenv("CADENCE_USER", raising=False)

        as_role(ana, "ana")  # the first command creates the tables, owned by the team role
        cli("add", "--first", "Megan", "--phone", "+1 212 555 0101", "--start", "2026-11-23")
        as_role(bob, "bob")
        cli("add", "--first", "Tom", "--phone", "+1 212 555 0102", "--start", "2026-11-23")
        cli("log", "Tom", "vm", "--at", "2026-11-23T10:00")
        as_role(reader, None)
        assert [(i["name"], i["owner"]) for i in cli.json("today", "--date", "2026-11-24")] == [("Megan", "ana"), ("Tom", "bob")]
        refused = cli("log", "Megan", "vm", "--at", "2026-11-24T10:00", ok=False)
        assert refused.stderr == (
            "error: database: permission denied for table prospect: "
            "ask whoever runs the database for the grants in docs/team.md\n"
        )
    finally:
        postgres_admin.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')  # it holds the roles' grants
        for role in (reader, bob, ana, team):
            postgres_admin.execute(f"DROP ROLE IF EXISTS {role}")
