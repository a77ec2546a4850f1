"""PostgreSQL databases for the benches: create, copy, bulk-load, and a summary kept as the database's comment.

The benches get a URL (`postgresql+psycopg://user:password@host:port/NAME`);
creating and dropping NAME is done from the server's `postgres` database with
the same credentials. A built database is kept (and cloned for each run with
CREATE DATABASE ... TEMPLATE) instead of being built again: its summary,
including the key it was built for, is its COMMENT.
"""

from __future__ import annotations

import json
import re


def _url(url: str, database: str | None = None):
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed if database is None else parsed.set(database=database)


def database_name(url: str) -> str:
    name = _url(url).database or ""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise SystemExit(f"the bench database name {name!r} must be a plain identifier (letters, digits, _)")
    return name


def connect(url: str, database: str | None = None, autocommit: bool = True):
    """A psycopg connection to the URL's server, on `database` (default: the URL's own)."""
    import psycopg

    plain = _url(url, database).set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(plain, autocommit=autocommit, connect_timeout=10)


def shown_url(url: str) -> str:
    return _url(url).render_as_string(hide_password=True)


def drop(url: str) -> None:
    with connect(url, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


def recreate(url: str, template: str | None = None) -> None:
    """Drop the URL's database and create it again, empty or as a copy of the database `template`."""
    name = database_name(url)
    copy = f' TEMPLATE "{database_name(_url(url, template).render_as_string(hide_password=False))}"' if template else ""
    with connect(url, "postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"{copy}')


def read_summary(url: str) -> dict | None:
    """The summary stored with the database by write_summary, or None (no database, no comment)."""
    name = database_name(url)
    with connect(url, "postgres") as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if row is None or not row[0]:
        return None
    try:
        return json.loads(row[0])
    except ValueError:
        return None


def write_summary(url: str, summary: dict) -> None:
    text = json.dumps(summary).replace("'", "''")
    with connect(url, "postgres") as admin:
        admin.execute(f"COMMENT ON DATABASE \"{database_name(url)}\" IS '{text}'")


def copy_rows(connection, table, rows: list[dict]) -> None:
    """COPY rows (all with the same keys) into `table`, in the transaction of the SQLAlchemy `connection`."""
    from psycopg.types.json import Json
    from sqlalchemy import JSON

    names = list(rows[0])
    as_json = [isinstance(table.c[name].type, JSON) for name in names]
    columns = ", ".join(f'"{name}"' for name in names)
    raw = connection.connection.driver_connection  # the same psycopg connection, so the same transaction
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([Json(row[name]) if wrap else row[name] for name, wrap in zip(names, as_json)])


def settings(url: str) -> dict[str, str]:
    """The server settings the figures depend on (SHOW of each)."""
    names = ("server_version", "shared_buffers", "max_connections", "fsync", "synchronous_commit", "work_mem",
             "full_page_writes", "effective_cache_size")
    with connect(url) as connection:
        return {name: connection.execute(f"SHOW {name}").fetchone()[0] for name in names}
