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
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._deps import check_driver, sqlalchemy as sa
from ._errors import DatabaseUnavailableError, DatabaseURLError

__all__ = [
    "AUTOCHECKPOINT_PAGES",
    "BUSY_TIMEOUT_S",
    "CACHE_MB",
    "CHECKPOINT_EVERY_S",
    "CHECKPOINT_ROWS",
    "Checkpointer",
    "RawJSON",
    "create_engine",
    "explain",
    "masked",
    "parse_url",
    "write_transaction",
]

logger = logging.getLogger("spyglass.store")

BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for another process's write lock."""
CACHE_MB = 64
"""The most memory (MiB) one SQLite connection keeps as page cache."""
AUTOCHECKPOINT_PAGES = 1000
"""SQLite's default: a commit that grows the write-ahead log past this checkpoints it."""
CHECKPOINT_ROWS = 300
"""Records and results the background writer commits between two checkpoints (about
SQLite's default log size for records of ten calls)."""
CHECKPOINT_EVERY_S = 5.0
"""The longest a commit of the background writer waits to be checkpointed."""


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
    engine = sa.create_engine(url, **params)
    if url.get_backend_name() == "postgresql":
        _postgres_settings(engine)
    return engine


def _postgres_settings(engine: sa.engine.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # A record's JSON (several kB) is compressed when stored (TOAST); lz4 does that
        # several times faster than the default pglz, for about the same size. A server
        # built without lz4 refuses the setting and keeps its default.
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SET default_toast_compression = 'lz4'")
            dbapi_connection.commit()  # the setting stays; no transaction is left open
        except Exception:  # noqa: BLE001 - only a speed-up: the server's default is fine
            dbapi_connection.rollback()
        finally:
            cursor.close()


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
                # than FULL, which only adds safety against power loss (NORMAL can lose
                # the last commits then, but never corrupts the file).
                cursor.execute("PRAGMA synchronous = NORMAL")
                # Page cache of up to CACHE_MB per connection (SQLite's default is 2 MB):
                # writing a record touches several indexes, whose pages then stay cached
                # as the file grows past the default cache. Allocated as used.
                cursor.execute(f"PRAGMA cache_size = -{CACHE_MB * 1024}")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.engine.Connection) -> None:
        write = conn.get_execution_options().get("spyglass_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def write_transaction(
    engine: sa.engine.Engine, *, checkpoint: bool = True
) -> Iterator[sa.engine.Connection]:
    """A connection in a write transaction (``BEGIN IMMEDIATE`` on SQLite), committed
    when the block ends, rolled back if it raises.

    ``checkpoint=False`` (SQLite): the commit does not copy the write-ahead log into the
    database file, however long the log has grown; a :class:`Checkpointer` does that.
    """
    with engine.connect() as conn:
        raw = conn.connection.driver_connection if not checkpoint else None
        if raw is not None:
            raw.execute("PRAGMA wal_autocheckpoint = 0")  # no transaction is open yet
        try:
            conn = conn.execution_options(spyglass_write=True)
            with conn.begin():
                yield conn
        finally:
            if raw is not None:
                try:
                    raw.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
                except sqlite3.Error:
                    conn.invalidate()  # not back to the pool without its checkpoints


class Checkpointer:
    """Copies a SQLite file's write-ahead log into the database on its own thread.

    In WAL mode the commit that takes the log past :data:`AUTOCHECKPOINT_PAGES` pages
    copies it into the database file and syncs both, which costs the committing thread
    as much as writing the commit itself. The background writer commits with
    ``write_transaction(engine, checkpoint=False)`` and pokes this instead: the copy
    (SQLite's ``PASSIVE`` checkpoint: it never blocks writers or readers) runs here,
    beside the next batch. A commit is durable against a killed process when it is in
    the log; the checkpoint adds nothing to that.
    """

    def __init__(self, engine: sa.engine.Engine) -> None:
        self._engine = engine
        self._wake = threading.Event()
        self._pending = 0  # rows committed since the last checkpoint
        self._stopping = False
        self._thread: threading.Thread | None = None

    def poke(self, rows: int) -> None:
        """Count ``rows`` just committed: the log is checkpointed once
        :data:`CHECKPOINT_ROWS` have been, or :data:`CHECKPOINT_EVERY_S` after the first."""
        self._pending += rows
        if self._thread is None and not self._stopping:
            thread = threading.Thread(
                target=self._run, name="spyglass-store-checkpoint", daemon=True
            )
            try:
                thread.start()
            except RuntimeError:  # interpreter shutting down: the last close checkpoints
                return
            self._thread = thread
        if self._pending >= CHECKPOINT_ROWS:
            self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the running checkpoint, if any, and stop the thread."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping:
            if self._pending == 0:
                self._wake.wait(CHECKPOINT_EVERY_S)
                continue
            self._wake.wait(CHECKPOINT_EVERY_S)
            if self._stopping:
                return
            self._wake.clear()
            self._pending = 0
            try:
                with self._engine.connect() as conn:
                    conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                        "PRAGMA wal_checkpoint(PASSIVE)"
                    ).fetchall()
            except Exception:  # the next checkpoint (or the last close) catches up
                logger.debug("spyglass store: a WAL checkpoint failed", exc_info=True)


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
