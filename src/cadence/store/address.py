"""Which database, and how it is named: the URL from --db, CADENCE_DB or the data folder, parsed and
checked; how it may be shown (never with a password); one readable line for a failure to open or write it.

Kept apart from opening and migrating (cadence.store.db) so that the CLI's error handler can name a
database without SQLAlchemy's engine machinery.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from cadence.errors import CadenceError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

BUSY_TIMEOUT_SECONDS = 30  # how long a write waits for another program's (SQLite file, PostgreSQL row); CADENCE_BUSY_TIMEOUT overrides
SUPPORTED = ("sqlite", "postgresql")


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("cadence")) / "cadence.db"


def resolve_url(option: str | None) -> str:
    """A SQLAlchemy URL from --db, else CADENCE_DB, else the file in the user data folder."""
    raw = option or os.environ.get("CADENCE_DB") or str(default_path())
    if "://" in raw:
        return raw
    return "sqlite:///" + str(Path(raw).expanduser().absolute())


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


def dialect_name(session) -> str:
    """The database kind ('sqlite', 'postgresql') behind an ORM session or a bare Connection."""
    from sqlalchemy.engine import Connection

    return session.dialect.name if isinstance(session, Connection) else session.get_bind().dialect.name


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
    return CadenceError(f"cannot open database {shown(url)}: {without_passwords(text, url)}")


def _postgres_error(text: str, url: URL) -> CadenceError:
    """Say which server refused what, from libpq's wording (it gives no error codes for these)."""
    host = url.host or url.query.get("host") or os.environ.get("PGHOST")
    port = url.port or url.query.get("port") or os.environ.get("PGPORT") or 5432
    server = f"{host}:{port}" if host else f"the local Unix socket, port {port}"
    # libpq: 'connection to server at "h", port p failed: FATAL:  <reason>'
    reason = without_passwords(text.splitlines()[0].rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip(), url)
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


def without_passwords(text: str, url: URL) -> str:
    """A driver's message with the URL's passwords taken out (libpq may quote a connection option)."""
    for secret in (url.password, url.query.get("password"), url.query.get("sslpassword")):
        for one in (secret if isinstance(secret, tuple) else (secret,)):
            if one:
                text = text.replace(str(one), "***")
    return text


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
