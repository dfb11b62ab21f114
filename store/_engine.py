"""Opening a database: URL checks, the engine, SQLite's settings, errors that say what to do.

SQLite is opened in WAL mode with a busy timeout, and every write transaction starts
with ``BEGIN IMMEDIATE``: a writer takes the write lock when it begins, waiting up to
:data:`BUSY_TIMEOUT_S` for it, instead of failing later with "database is locked"
when it upgrades a read lock (which SQLite does not retry). Several processes can then
write one file side by side.

JSON columns accept a :class:`RawJSON` string as already-encoded JSON, so that a record
is serialised once, by pydantic, and not re-encoded by the driver.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._deps import check_driver, sqlalchemy as sa
from ._errors import DatabaseUnavailableError, DatabaseURLError

__all__ = [
    "BUSY_TIMEOUT_S",
    "RawJSON",
    "create_engine",
    "explain",
    "masked",
    "parse_url",
    "write_transaction",
]

BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for another process's write lock."""


class RawJSON(str):
    """Text that is already JSON: written to a JSON column as it is."""

    __slots__ = ()


def _dumps(value: Any) -> str:
    if isinstance(value, RawJSON):
        return str(value)
    return json.dumps(value, default=str)


def parse_url(database_url: str | sa.engine.URL) -> sa.engine.URL:
    """The URL as SQLAlchemy's ``URL``; a malformed one or an unknown driver is an error.

    Raises:
        DatabaseURLError: the message shows the URL with its password masked.
    """
    try:
        url = sa.engine.make_url(database_url)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises ArgumentError, ValueError, ...
        shown = _mask_text(str(database_url))
        raise DatabaseURLError(
            f"{shown!r} is not a database URL ({type(exc).__name__}). Use "
            "'sqlite:///path/to/file.sqlite' or 'postgresql+psycopg://user:password@host/db'."
        ) from None
    try:
        url.get_dialect()
    except Exception:  # noqa: BLE001 - NoSuchModuleError for an unknown dialect or driver
        raise DatabaseURLError(
            f"The database URL {masked(url)} names an unknown database or driver "
            f"{url.drivername!r}. Use 'sqlite:///...' or 'postgresql+psycopg://...'."
        ) from None
    check_driver(url)
    return url


def masked(url: sa.engine.URL) -> str:
    """The URL as text with its password shown as ``***``."""
    return url.render_as_string(hide_password=True)


def _mask_text(text: str) -> str:
    # "scheme://user:secret@host" -> "scheme://user:***@host", for text that is no URL.
    head, sep, tail = text.partition("://")
    if sep and "@" in tail:
        creds, _, rest = tail.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{head}://{user}:***@{rest}"
    return text


def is_sqlite(url: sa.engine.URL) -> bool:
    """Whether the URL is a SQLite database."""
    return url.get_backend_name() == "sqlite"


def is_memory(url: sa.engine.URL) -> bool:
    """Whether the URL is an in-memory SQLite database."""
    return is_sqlite(url) and url.database in (None, "", ":memory:")


def create_engine(url: sa.engine.URL, **engine_params: Any) -> sa.engine.Engine:
    """An engine for ``url``: WAL and a busy timeout on SQLite, pre-ping on servers."""
    params: dict[str, Any] = {"json_serializer": _dumps, **engine_params}
    if is_sqlite(url):
        if is_memory(url):
            # One connection shared by every thread: each new one would be a new database.
            params.setdefault("poolclass", sa.pool.StaticPool)
            params.setdefault("connect_args", {"check_same_thread": False})
        else:
            path = url.database or ""
            if path.startswith("file:"):  # a SQLite URI filename: its own query decides
                path = path[5:].split("?")[0]
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise DatabaseUnavailableError(
                    f"Cannot open the SQLite database {masked(url)}: the folder {folder} does "
                    "not exist. Create it, or pass another database_url."
                )
            params.setdefault("connect_args", {"timeout": BUSY_TIMEOUT_S})
        engine = sa.create_engine(url, **params)
        _sqlite_settings(engine, memory=is_memory(url))
        return engine
    params.setdefault("pool_pre_ping", True)
    params.setdefault("pool_size", 10)
    params.setdefault("max_overflow", 4)
    return sa.create_engine(url, **params)


def _sqlite_settings(engine: sa.engine.Engine, *, memory: bool) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is replaced by the "begin" hook below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not memory:
                _enable_wal(cursor)
                # Durable across a killed process (what WAL + NORMAL guarantees), cheaper
                # than FULL, which only adds safety against power loss.
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.engine.Connection) -> None:
        write = conn.get_execution_options().get("spyglass_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def write_transaction(engine: sa.engine.Engine) -> Iterator[sa.engine.Connection]:
    """A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite), committed
    when the block ends, rolled back if it raises."""
    with engine.connect() as conn:
        conn = conn.execution_options(spyglass_write=True)
        with conn.begin():
            yield conn


def explain(exc: BaseException, url: sa.engine.URL) -> Exception:
    """A database error turned into one that names the problem and the fix.

    Returns the error to raise (``raise explain(exc, url) from exc``).
    """
    text = str(getattr(exc, "orig", None) or exc)
    where = masked(url)
    password = url.password
    if password:
        text = text.replace(str(password), "***")
    lowered = text.lower()
    if "file is not a database" in lowered or "file is encrypted" in lowered:
        return DatabaseUnavailableError(
            f"{where} is not a SQLite database (the file holds something else). Point "
            "database_url at a new or existing spyglass database file."
        )
    if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        return DatabaseUnavailableError(
            f"The database {where} is read-only ({text.strip()}). spyglass must write to it: "
            "give the file (and its folder, for SQLite's -wal and -shm files) write "
            "permission, or use another database_url."
        )
    if "unable to open database" in lowered:
        return DatabaseUnavailableError(
            f"Cannot open the SQLite database {where} ({text.strip()}). Check that the path "
            "is right and that its folder exists and is writable."
        )
    if isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)):
        return DatabaseUnavailableError(
            f"Cannot use the database {where}: {text.strip()}. Check that the server is "
            "running and reachable and that the user, password and database name are right."
        )
    return DatabaseUnavailableError(f"The database {where} failed: {text.strip()}")


def _enable_wal(cursor: Any) -> None:
    """Put the file in WAL mode (persistent: most opens find it done already).

    Switching needs a moment of exclusive access, and SQLite answers "database is locked"
    at once, not after the busy timeout, when other processes open the same new file at
    the same moment: retried with backoff, within the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
