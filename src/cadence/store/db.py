"""Choose, open and migrate the database."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from cadence.errors import CadenceError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

# The newest migration this program knows. A test checks it is Alembic's head,
# so opening an up-to-date database never imports Alembic.
HEAD = "0009"
MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_SECONDS = 30  # how long a write waits for another program's (SQLite file, PostgreSQL row); CADENCE_BUSY_TIMEOUT overrides
CONNECT_TIMEOUT_SECONDS = 10
SUPPORTED = ("sqlite", "postgresql")
MIGRATION_LOCK = 0x6361_6465  # any fixed number; PostgreSQL advisory lock keys are shared per database


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("cadence")) / "cadence.db"


def resolve_url(option: str | None) -> str:
    """A SQLAlchemy URL from --db, else CADENCE_DB, else the file in the user data folder."""
    raw = option or os.environ.get("CADENCE_DB") or str(default_path())
    if "://" in raw:
        return raw
    return "sqlite:///" + str(Path(raw).expanduser().absolute())


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
        raise CadenceError(f"cannot use database {where}: {_hidden(str(exc), parsed)}") from None
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


def parse_url(url: str) -> URL:
    """The URL as SQLAlchemy reads it, PostgreSQL pinned to psycopg 3; refuses other databases."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise CadenceError(
            f"database URL {hide_secrets(url, url)!r} is not valid: give a file path or a URL like "
            "postgresql+psycopg://user@host/db (write @, : and / inside a password as %40, %3A and %2F)"
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "postgres":  # the spelling Heroku and others hand out
        backend = "postgresql"
    if backend == "postgresql" and not driver:
        driver = "psycopg"  # SQLAlchemy 2.0 would pick psycopg2, which we do not ship
    if backend not in SUPPORTED:
        raise CadenceError(
            f"cadence does not support {backend} databases ({shown(parsed)}): "
            "give a file path for SQLite or a URL like postgresql+psycopg://user@host/db"
        )
    return parsed.set(drivername=f"{backend}+{driver}" if driver else backend)


def shown(url: URL) -> str:
    """The URL as it may be printed: a password, in the user part or the query string, shown as ***."""
    text = url.render_as_string(hide_password=True)
    if "password" in url.query:
        text = url.set(query={**url.query, "password": "***"}).render_as_string(hide_password=True)
        text = text.replace("password=%2A%2A%2A", "password=***")
    return text


def url_secrets(raw: str) -> list[str]:
    """Every password a database URL holds, as written and percent-decoded, longest first.

    Found in the text itself, not through a parser, so a URL no parser accepts
    (`user:p@ss:w0rd@host`: the password runs to the last @ before the path's query) is covered too.
    """
    from urllib.parse import parse_qsl, unquote

    if "://" not in raw:
        return []
    rest = raw.split("://", 1)[1]
    found: list[str] = []
    before_query, _, query = rest.partition("?")
    if "@" in before_query:
        userinfo = before_query.rsplit("@", 1)[0]
        if ":" in userinfo:
            found.append(userinfo.split(":", 1)[1])
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key.lower() in ("password", "sslpassword"):
            found.append(value)
    for raw_value in query.split("&"):  # as written, in case parse_qsl decoded it
        key, _, value = raw_value.partition("=")
        if key.lower() in ("password", "sslpassword"):
            found.append(value)
    every = {s for secret in found for s in (secret, unquote(secret)) if s}
    return sorted(every, key=len, reverse=True)


def hide_secrets(text: str, raw_url: str | None) -> str:
    """`text` with every password of `raw_url` replaced by ***, so no message ever shows one."""
    for secret in url_secrets(raw_url or ""):
        text = text.replace(secret, "***")
    return text


def busy_timeout() -> float:
    """Seconds a write waits while another program writes (the same prospect, on PostgreSQL): CADENCE_BUSY_TIMEOUT, else 30."""
    raw = os.environ.get("CADENCE_BUSY_TIMEOUT", "").strip()
    if not raw:
        return BUSY_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= 86400:
        raise CadenceError(f"CADENCE_BUSY_TIMEOUT={raw!r} is not a number of seconds: use e.g. 30 or 0.5")
    return seconds


def database_error(exc: Exception, url: URL, sqlite_path: Path | None) -> CadenceError:
    """One readable line for a failure to open or use the database."""
    full = str(getattr(exc, "orig", exc)).strip()
    text = full.splitlines()[0] if full else type(exc).__name__
    if sqlite_path is not None:
        if "not a database" in text or "malformed" in text:
            return CadenceError(
                f"{sqlite_path} is not a cadence database ({text}); point --db or CADENCE_DB at another file"
            )
        if "locked" in text or "busy" in text or "readonly" in text or "read-only" in text:
            return sqlite_error(text, sqlite_path)
        return CadenceError(f"cannot open database {sqlite_path}: {text}; check the path and its permissions")
    if url.get_backend_name() == "postgresql":
        return _postgres_error(full, url)
    return CadenceError(f"cannot open database {shown(url)}: {_hidden(text, url)}")


def _postgres_error(text: str, url: URL) -> CadenceError:
    """Say which server refused what, from libpq's wording (it gives no error codes for these)."""
    host = url.host or url.query.get("host") or os.environ.get("PGHOST")
    port = url.port or url.query.get("port") or os.environ.get("PGPORT") or 5432
    server = f"{host}:{port}" if host else f"the local Unix socket, port {port}"
    # libpq: 'connection to server at "h", port p failed: FATAL:  <reason>'
    reason = _hidden(text.splitlines()[0].rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip(), url)
    lower = text.lower()
    if "password authentication failed" in lower or "no password supplied" in lower or (
        "role" in lower and "does not exist" in lower
    ) or "pg_hba.conf" in lower:
        user = url.username or os.environ.get("PGUSER") or "(your login name)"
        return CadenceError(
            f"the database server at {server} refused user {user}: {reason}; "
            "check the user name and password in the URL (or ~/.pgpass)"
        )
    if "database" in lower and "does not exist" in lower:
        return CadenceError(
            f"there is no database {url.database} on the server at {server}: create it (createdb {url.database}) "
            "or fix the name in the URL; see docs/team.md"
        )
    if "permission denied" in lower:
        return CadenceError(
            f"user {url.username} may not use database {url.database} on {server} ({reason}): "
            "ask the database owner for the grants in docs/team.md"
        )
    unreachable = ("connection refused", "timeout expired", "could not translate host name", "failed to resolve host",
                   "no route to host", "network is unreachable", "no such file or directory", "name or service not known")
    if any(sign in lower for sign in unreachable):
        return CadenceError(
            f"cannot reach the database server at {server} ({reason}): check that PostgreSQL runs there "
            "and that the host and port in --db or CADENCE_DB are right"
        )
    return CadenceError(f"cannot open database {shown(url)}: {reason}")


def _hidden(text: str, url: URL) -> str:
    """A driver's message with the URL's passwords taken out (libpq may quote a connection option)."""
    for secret in (url.password, url.query.get("password"), url.query.get("sslpassword")):
        for one in (secret if isinstance(secret, tuple) else (secret,)):
            if one:
                text = text.replace(str(one), "***")
    return text


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


def sqlite_error(text: str, path: Path) -> CadenceError:
    """One line for a SQLite file that refuses a write: busy past the timeout, or read-only."""
    if "locked" in text or "busy" in text:
        return CadenceError(
            f"the database {path} stayed busy for {busy_timeout():g} s: another cadence (or program) is writing to it; "
            "try again, or wait longer with CADENCE_BUSY_TIMEOUT=SECONDS"
        )
    if "readonly" in text or "read-only" in text:
        return CadenceError(
            f"cannot write to the database {path}: the file or its folder is read-only; check their permissions"
        )
    return CadenceError(f"the database {path} failed: {text}")


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
