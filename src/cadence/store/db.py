"""Open and migrate the database (which one, and how it is named in messages: cadence.store.address)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cadence.errors import CadenceError
from cadence.store.address import busy_timeout, database_error, parse_url, resolve_url, shown, without_passwords

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

# The newest migration this program knows. A test checks it is Alembic's head,
# so opening an up-to-date database never imports Alembic.
HEAD = "0010"
MIGRATIONS = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 10
MIGRATION_LOCK = 0x6361_6465  # any fixed number; PostgreSQL advisory lock keys are shared per database


def open_engine(option: str | None = None, notice: Callable[[str], None] | None = None) -> Engine:
    """An engine on the chosen database, migrated to HEAD; refuses one it cannot open.

    A path given by --db or CADENCE_DB must be in an existing folder (only the default
    data folder is created). `notice` is told once when a new SQLite file was created, and about a database
    file other users could read (now narrowed), one line each.
    """
    from sqlalchemy import create_engine

    chosen = option or os.environ.get("CADENCE_DB")
    parsed = parse_url(resolve_url(option))
    where = shown(parsed)
    backend = parsed.get_backend_name()
    sqlite_path = None
    created, said = False, []
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise CadenceError("an in-memory database keeps nothing: give a file path with --db or CADENCE_DB")
        sqlite_path = Path(parsed.database)
        created, said = _prepare_file(sqlite_path, make_folder=not chosen)
    options = _engine_options(parsed)
    try:
        engine = create_engine(parsed, **options)
    except ModuleNotFoundError as exc:
        if backend == "postgresql" and exc.name == "psycopg":
            raise CadenceError(
                "PostgreSQL needs the psycopg driver, which is not installed: pip install 'prospect-cadence[postgres]'"
            ) from None
        if backend == "postgresql":
            raise CadenceError(
                f"the {exc.name} driver is not installed: write the URL as postgresql+psycopg://... "
                "(pip install 'prospect-cadence[postgres]' installs psycopg)"
            ) from None
        raise CadenceError(f"cannot use database {where}: the {exc.name} driver is not installed") from None
    except Exception as exc:  # noqa: BLE001 - a bad driver name or URL option
        raise CadenceError(f"cannot use database {where}: {without_passwords(str(exc), parsed)}") from None
    if sqlite_path is not None:
        _tune_sqlite(engine)
    try:
        migrate(engine, sqlite_path)
        if sqlite_path is not None:
            _use_wal(engine)  # only now the file is known to be ours: another program's database stays as it is
    except CadenceError:
        engine.dispose()
        raise
    except Exception as exc:  # noqa: BLE001 - turned into one line for the user
        engine.dispose()
        raise database_error(exc, parsed, sqlite_path) from None
    if notice is not None:  # only once the database opened: a refused file is not talked about
        for line in said:
            notice(line)
        if created:
            notice(f"created a new database at {sqlite_path}")
    return engine


def _prepare_file(path: Path, make_folder: bool) -> tuple[bool, list[str]]:
    """An empty file readable by its owner only (it holds personal data) unless it exists.

    Returns whether it was created, and lines for the user: a file of ours that others may
    read (or its -wal and -shm companions) is narrowed to 0600. Refuses a folder and a
    symbolic link to nothing. The folder is created only when `make_folder` (the default data
    folder): a path the user gave in a folder that does not exist is most likely a typo.
    """
    if path.is_dir():
        raise CadenceError(f"database path {path} is a folder: give a file name such as {path / 'cadence.db'}")
    if path.is_symlink() and not path.exists():
        raise CadenceError(
            f"database path {path} is a symbolic link to {os.readlink(path)}, which does not exist: "
            "fix or remove the link, or give the file itself with --db"
        )
    if not make_folder and not path.parent.is_dir():
        raise CadenceError(
            f"the folder {path.parent} of database {path.name} does not exist: create it first "
            "(mkdir -p) or fix the path in --db or CADENCE_DB"
        )
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            try:
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                return True, []
            except FileExistsError:
                pass  # another cadence made it a moment ago
    except OSError as exc:
        raise CadenceError(f"cannot create database {path}: {exc.strerror}; check the folder exists and is writable") from None
    said = []
    for one in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            status = one.stat()
        except OSError:
            continue
        wide = stat.S_IMODE(status.st_mode) & 0o077
        if not wide or not stat.S_ISREG(status.st_mode):
            continue
        mode = f"{stat.S_IMODE(status.st_mode):04o}"
        if status.st_uid == os.getuid():
            try:
                os.chmod(one, stat.S_IMODE(status.st_mode) & 0o700)
                said.append(f"warning: {one} could be read by other users (mode {mode}): narrowed to the owner only")
                continue
            except OSError:
                pass
        said.append(f"warning: {one} can be read by other users (mode {mode}): run chmod 600 {one}")
    return False, said


def _engine_options(url: URL) -> dict:
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": busy_timeout()}}
    # Fail in seconds, not minutes, when the server is not there; the URL may say otherwise.
    connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    if "application_name" not in url.query:
        connect_args["application_name"] = "cadence"
    if "options" not in url.query:
        # A write waits for another rep's lock on the same prospect as long as SQLite waits for
        # the file (0 would mean forever here, so at least 1 ms).
        connect_args["options"] = f"-c lock_timeout={max(1, int(busy_timeout() * 1000))}"
    return {"connect_args": connect_args}


def _tune_sqlite(engine: Engine) -> None:
    """WAL and a busy timeout so two processes at once lose nothing; writes take the lock up front."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout() * 1000)}")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # A write transaction takes the write lock at BEGIN, so two writers queue
        # on the busy timeout instead of failing halfway.
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _use_wal(engine: Engine) -> None:
    """Write-ahead logging, so reading never waits for a write; SQLite keeps it in the file once set."""
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA journal_mode = WAL")  # outside any transaction, as it must be
    finally:
        raw.close()


def current_revision(engine: Engine) -> tuple[str | None, bool]:
    """The stored schema revision and whether the database has any tables at all."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        if "alembic_version" not in names:
            return None, bool(names)
        row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
        return (row[0] if row else None), True


def _foreign_mark(engine: Engine) -> str | None:
    """The mark another program left on an empty SQLite file (`user_version` or `application_id`), if any."""
    with engine.connect() as connection:
        for name in ("user_version", "application_id"):
            value = connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            if value:
                return f"{name} {value}"
    return None


def migrate(engine: Engine, sqlite_path: Path | None) -> None:
    """Bring the schema to HEAD; copy a SQLite file aside first; refuse a newer schema or another program's database."""
    revision, has_tables = current_revision(engine)
    if revision == HEAD:
        return
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(MIGRATIONS))
    known = {rev.revision for rev in scripts.walk_revisions()}
    if revision is not None and revision not in known:
        if not re.fullmatch(r"\d{4}", revision):  # ours are numbered 0001, 0002, ...
            raise CadenceError(
                f"the database is another application's (its Alembic schema is at {revision!r}, not a cadence "
                "revision): point --db or CADENCE_DB at a cadence database"
            )
        raise CadenceError(
            f"the database is at schema {revision}, newer than this cadence knows ({HEAD}): upgrade cadence"
        )
    if revision is None and has_tables:
        raise CadenceError("the database has tables but no cadence schema version: is it another program's database?")
    mark = _foreign_mark(engine) if sqlite_path is not None and revision is None else None
    if mark:
        raise CadenceError(
            f"{sqlite_path} is another program's SQLite file (empty, but marked with {mark}): "
            "point --db or CADENCE_DB at a cadence database"
        )
    upgrade(engine, "head", backup=sqlite_path if revision is not None else None)


def upgrade(engine: Engine, target: str, backup: Path | None = None) -> None:
    """Run the Alembic migrations up to `target` on this engine.

    With `backup` (the SQLite file), a copy is first taken beside it as FILE.before-HEAD, under
    the same write lock as the migration, so it holds every committed row (those still in the
    -wal file too); a copy that fails its integrity check stops the migration.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Two programs opening a new or older database at once: the second waits here (SQLite:
    # BEGIN IMMEDIATE; PostgreSQL: an advisory lock), then Alembic finds the work done.
    with engine.execution_options(immediate=True).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        if backup is not None:
            done = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            if done != HEAD:  # another program may have migrated while this one waited for the lock
                _copy_aside(backup)
        config.attributes["connection"] = connection
        command.upgrade(config, target)


def _copy_aside(path: Path) -> Path:
    """Copy the SQLite database into FILE.before-HEAD (mode 0600) with SQLite's backup API; refuses a bad copy.

    The caller holds the write lock; the copy reads through a connection of its own (a
    connection in a write transaction cannot be the source of a backup), which sees the -wal file.
    """
    import sqlite3
    from urllib.parse import quote

    target = path.with_name(f"{path.name}.before-{HEAD}")
    partial = target.with_name(target.name + ".part")
    try:
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
        source = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=busy_timeout())
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            verdict = copy.execute("PRAGMA integrity_check").fetchall()
        finally:
            copy.close()
            source.close()
        if verdict != [("ok",)]:
            raise CadenceError(
                f"the copy of {path} taken before upgrading it failed its integrity check ({verdict[0][0]}); "
                "the database was not upgraded: check the disk, and keep a copy of the file"
            )
        os.replace(partial, target)
    except OSError as exc:
        raise CadenceError(
            f"cannot copy {path} to {target} before upgrading it: {exc.strerror}; free some space or check the folder's permissions"
        ) from None
    except sqlite3.Error as exc:
        raise CadenceError(f"cannot copy {path} to {target} before upgrading it: {exc}; the database was not upgraded") from None
    finally:
        for leftover in (partial, partial.with_name(partial.name + "-journal"), partial.with_name(partial.name + "-wal"),
                         partial.with_name(partial.name + "-shm")):
            if leftover.exists() and leftover != target:
                leftover.unlink(missing_ok=True)
    return target
