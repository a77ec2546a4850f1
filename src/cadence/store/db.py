"""Choose, open and migrate the database."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from cadence.errors import CadenceError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# The newest migration this program knows. A test checks it is Alembic's head,
# so opening an up-to-date database never imports Alembic.
HEAD = "0003"
MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_SECONDS = 30


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("cadence")) / "cadence.db"


def resolve_url(option: str | None) -> str:
    """A SQLAlchemy URL from --db, else CADENCE_DB, else the file in the user data folder."""
    raw = option or os.environ.get("CADENCE_DB") or str(default_path())
    if "://" in raw:
        return raw
    return "sqlite:///" + str(Path(raw).expanduser().absolute())


def open_engine(option: str | None = None) -> Engine:
    """An engine on the chosen database, migrated to HEAD; refuses one it cannot open."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = resolve_url(option)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise CadenceError(f"database URL {url!r} is not valid: give a file path or a URL like postgresql+psycopg://user@host/db") from None
    sqlite_path = None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise CadenceError("an in-memory database keeps nothing: give a file path with --db or CADENCE_DB")
        sqlite_path = Path(parsed.database)
        _prepare_file(sqlite_path)
    try:
        engine = create_engine(url, **_engine_options(parsed.get_backend_name()))
    except Exception as exc:  # noqa: BLE001 - a missing driver or a bad dialect
        raise CadenceError(f"cannot use database {parsed.render_as_string(hide_password=True)}: {exc}") from None
    if sqlite_path is not None:
        _tune_sqlite(engine)
    try:
        migrate(engine, sqlite_path)
    except CadenceError:
        engine.dispose()
        raise
    except Exception as exc:  # noqa: BLE001 - turned into one line for the user
        engine.dispose()
        raise database_error(exc, parsed.render_as_string(hide_password=True), sqlite_path) from None
    return engine


def database_error(exc: Exception, where: str, sqlite_path: Path | None) -> CadenceError:
    """One readable line for a failure to open or use the database."""
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
    if sqlite_path is not None:
        if "not a database" in text or "malformed" in text:
            return CadenceError(
                f"{sqlite_path} is not a cadence database ({text}); point --db or CADENCE_DB at another file"
            )
        return CadenceError(f"cannot open database {sqlite_path}: {text}; check the path and its permissions")
    return CadenceError(f"cannot open database {where}: {text}")


def _prepare_file(path: Path) -> None:
    """Create the folder and an empty file readable by its owner only (it holds personal data)."""
    if path.is_dir():
        raise CadenceError(f"database path {path} is a folder: give a file name such as {path / 'cadence.db'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise CadenceError(f"cannot create database {path}: {exc.strerror}; check the folder exists and is writable") from None


def _engine_options(backend: str) -> dict:
    if backend == "sqlite":
        return {"connect_args": {"timeout": BUSY_TIMEOUT_SECONDS}}
    return {"pool_pre_ping": False}


def _tune_sqlite(engine: Engine) -> None:
    """WAL and a busy timeout so two processes at once lose nothing; writes take the lock up front."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # A write transaction takes the write lock at BEGIN, so two writers queue
        # on the busy timeout instead of failing halfway.
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def current_revision(engine: Engine) -> tuple[str | None, bool]:
    """The stored schema revision and whether the database has any tables at all."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        if "alembic_version" not in names:
            return None, bool(names)
        row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        return (row[0] if row else None), True


def migrate(engine: Engine, sqlite_path: Path | None) -> None:
    """Bring the schema to HEAD; copy a SQLite file aside first; refuse a newer schema."""
    revision, has_tables = current_revision(engine)
    if revision == HEAD:
        return
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(MIGRATIONS))
    known = {rev.revision for rev in scripts.walk_revisions()}
    if revision is not None and revision not in known:
        raise CadenceError(
            f"the database is at schema {revision}, newer than this cadence knows ({HEAD}): upgrade cadence"
        )
    if revision is None and has_tables:
        raise CadenceError("the database has tables but no cadence schema version: is it another program's database?")
    if sqlite_path is not None and revision is not None:
        backup = sqlite_path.with_name(f"{sqlite_path.name}.before-{HEAD}")
        shutil.copy2(sqlite_path, backup)
        os.chmod(backup, 0o600)
    upgrade(engine, "head")


def upgrade(engine: Engine, target: str) -> None:
    """Run the Alembic migrations up to `target` on this engine."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)
