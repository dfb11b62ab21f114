"""The background writer: bounded queues, a thread each, one transaction per batch.

Whatever is handed over (records with their pending feedbacks, feedback
results) is written by the writer's threads, never by the app's: :meth:`Writer.put`
queues the rows of one item in a lane (one on SQLite, :data:`POSTGRES_LANES` on
PostgreSQL; a record and its results always in the same one); the lane's thread takes
everything queued (up to :data:`BATCH` items), writes it in one transaction, and goes
on. A lone record is written at once in a transaction of
its own; when records arrive faster than they are written, the queue fills and each
transaction carries hundreds of them, which is what makes ingest fast (a commit costs as
much as writing tens of records). :meth:`Writer.flush` waits until what was queued before
it is committed: that is what ``session.flush()`` and ``record_ingest_mode="immediate"``
acknowledge, and a committed transaction survives ``kill -9`` of the process.

Rows go to the driver as they come (tuples in column order), many per statement:
multi-row ``INSERT`` statements on SQLite, ``INSERT ... SELECT FROM unnest(arrays)``
on PostgreSQL.

When the database fails (down, locked past the busy timeout) the batch is retried
with a growing pause for up to :data:`RETRY_FOR` seconds, then dropped with a warning
that names the cause and counts what was lost. A batch that the database rejects (a
record of an app it does not hold, a value that breaks a constraint) is written again
item by item, each in its own transaction, so that only the bad items are dropped and
every item (a record and its pending feedbacks) is written whole or not at
all. A full queue makes the caller (a sink worker, not the app) wait up to
:data:`PUT_TIMEOUT` seconds, then drops the item, counted.
"""

from __future__ import annotations

import functools
import itertools
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from ._deps import sqlalchemy as sa, upsert_insert
from ._engine import Checkpointer, is_memory, is_sqlite, masked, write_transaction
from ._tables import Tables, mark_repeats

__all__ = [
    "BATCH",
    "POSTGRES_LANES",
    "PUT_TIMEOUT",
    "QUEUE_SIZE",
    "RETRY_FOR",
    "ROWS_PER_STATEMENT",
    "Rows",
    "Writer",
    "write_rows",
]

logger = logging.getLogger("spyglass.store")

QUEUE_SIZE = 20_000
"""Items the writer's queue holds before callers wait."""
BATCH = 1_000
"""The most items written in one transaction."""
PUT_TIMEOUT = 5.0
"""How long a caller waits at a full queue before the item is dropped."""
RETRY_FOR = 30.0
"""How long a failing batch is retried before it is dropped."""


class Rows:
    """What one item writes: apps, definitions, records, feedback results.

    The sequences given are kept as they are, not copied (an item is made for the
    writer and not touched again): a record's item is the fewest objects the
    interpreter's cycle collector then tracks while it waits in the queue.
    """

    __slots__ = ("apps", "defs", "records", "results")

    def __init__(
        self,
        *,
        apps: Sequence[dict[str, Any]] = (),
        defs: Sequence[dict[str, Any]] = (),
        records: Sequence[tuple[Any, ...]] = (),
        results: Sequence[tuple[Any, ...]] = (),
    ) -> None:
        self.apps = apps
        self.defs = defs
        self.records = records
        self.results = results

    @classmethod
    def batch(cls, items: Iterable[Rows]) -> Rows:
        """The rows of several items together."""
        apps: list[dict[str, Any]] = []
        defs: list[dict[str, Any]] = []
        records: list[tuple[Any, ...]] = []
        results: list[tuple[Any, ...]] = []
        for item in items:
            apps += item.apps
            defs += item.defs
            records += item.records
            results += item.results
        return cls(apps=apps, defs=defs, records=records, results=results)

    def __len__(self) -> int:
        return len(self.records) + len(self.results) + len(self.apps) + len(self.defs)


def _upsert(conn: sa.engine.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, replacing those with the same primary key (apps, definitions: few)."""
    if not rows:
        return
    insert = upsert_insert(conn)
    stmt = insert(table)
    keys = {c.name for c in table.primary_key.columns}
    update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update), list(rows))


ROWS_PER_STATEMENT = 1_000
"""The most rows one SQLite INSERT carries (fewer where its limit of bound values is
lower: 999 before SQLite 3.32)."""


def _conflict(table: sa.Table) -> str:
    """The upsert's clause: a row with the key of a stored one replaces it."""
    keys = [c.name for c in table.primary_key.columns]
    sets = ", ".join(f"{c.name} = excluded.{c.name}" for c in table.columns if c.name not in keys)
    return f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"


@functools.lru_cache(maxsize=64)
def _values_sql(table: sa.Table, upsert: bool, rows: int) -> str:
    """SQLite's INSERT (or upsert) of ``rows`` rows of every column of ``table``."""
    names = ", ".join(c.name for c in table.columns)
    row = f"({', '.join('?' * len(table.columns))})"
    sql = f"INSERT INTO {table.name} ({names}) VALUES {', '.join([row] * rows)}"
    return sql + _conflict(table) if upsert else sql


@functools.lru_cache(maxsize=64)
def _unnest_sql(table: sa.Table, upsert: bool) -> str:
    """PostgreSQL's INSERT (or upsert) of any number of rows: one array per column,
    ``unnest`` makes them rows. The statement is short and the same for every batch,
    so the driver parses it once; the arrays are sent in binary."""
    dialect = sa.dialects.postgresql.dialect()  # type: ignore[no-untyped-call]
    names = ", ".join(c.name for c in table.columns)
    # Strings as TEXT, not VARCHAR(n): an explicit cast to VARCHAR(n) cuts a longer
    # value short, where storing it in the column rejects it, as it must.
    arrays = ", ".join(
        "%b::TEXT[]"
        if isinstance(c.type, sa.String)
        else f"%b::{c.type.compile(dialect=dialect)}[]"
        for c in table.columns
    )
    sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})"
    return sql + _conflict(table) if upsert else sql


def _bulk(
    conn: sa.engine.Connection, table: sa.Table, rows: Sequence[tuple[Any, ...]], upsert: bool
) -> None:
    """Write many rows through the driver, as many per statement as fit.

    The rows of records and feedback results are many and simple, and come ready for
    the driver (tuples in the table's column order, JSON as text, times as the engine
    takes them: :mod:`spyglass.store._rows`); going around SQLAlchemy's per-value
    processing makes writing them several times cheaper. A statement of many rows
    costs the database little more than one of a single row, and the driver lets other
    threads run while the database works (and must then win the interpreter back, which
    can take a switch interval when another thread is busy) once per statement, not
    once per row.
    """
    if not rows:
        return
    if upsert:
        # One row per key (the first column), the last: what upserting them in turn
        # leaves; PostgreSQL refuses a key twice in one statement.
        rows = list({row[0]: row for row in rows}.values())
    if conn.dialect.name == "postgresql":
        columns = tuple(list(values) for values in zip(*rows))
        conn.exec_driver_sql(_unnest_sql(table, upsert), columns)
        return
    per = max(1, min(ROWS_PER_STATEMENT, _parameter_limit(conn) // len(table.columns)))
    whole = len(rows) - len(rows) % per
    if whole:
        chain = itertools.chain.from_iterable
        params = [tuple(chain(rows[at : at + per])) for at in range(0, whole, per)]
        conn.exec_driver_sql(_values_sql(table, upsert, per), params)
    if whole < len(rows):
        conn.exec_driver_sql(_values_sql(table, upsert, 1), rows[whole:])


def _parameter_limit(conn: sa.engine.Connection) -> int:
    """The most bound values one SQLite statement may carry on this connection."""
    getlimit = getattr(conn.connection.driver_connection, "getlimit", None)  # Python 3.11+
    if getlimit is None:
        return 999  # SQLite's default limit before 3.32
    return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


def write_rows(conn: sa.engine.Connection, tables: Tables, rows: Rows) -> None:
    """Write ``rows`` on ``conn`` (in the caller's transaction), parents first."""
    _upsert(conn, tables.apps, rows.apps)
    _upsert(conn, tables.feedback_defs, rows.defs)
    _bulk(conn, tables.records, rows.records, upsert=True)
    _bulk(conn, tables.feedbacks, rows.results, upsert=True)
    mark_repeats(conn, tables, [(r[1], r[4]) for r in rows.results])  # (record_id, name)


class _Marker:
    """A flush marker: set once the writer has committed everything queued before it."""

    __slots__ = ("dropped", "event", "ok", "seen")

    def __init__(self, dropped: int) -> None:
        self.event = threading.Event()
        self.ok = True
        self.dropped = dropped  # the drop count the previous flush reported
        self.seen = dropped  # the drop count when the marker was reached


POSTGRES_LANES = 2
"""Writer threads on PostgreSQL, each with its queue and connection. A record and the
feedback results of it always go to the same one (chosen by the record's id), so each
is written after its record; two keep the server at work on one batch while the rows of
the next are sent, and use two of its cores. SQLite has one writer at a time: one lane."""


def _lane_key(rows: Rows) -> str:
    """The record an item belongs to: its record's id, or its first result's."""
    if rows.records:
        return str(rows.records[0][0])
    if rows.results:
        return str(rows.results[0][1])
    return ""


class Writer:
    """Writes queued rows to the database on its own threads (started on first use)."""

    def __init__(self, engine: sa.engine.Engine, tables: Tables, url: sa.engine.URL) -> None:
        self._engine = engine
        self._tables = tables
        self._where = masked(url)
        lanes = POSTGRES_LANES if engine.dialect.name == "postgresql" else 1
        self._queues: list[queue.Queue[Rows | _Marker | None]] = [
            queue.Queue(QUEUE_SIZE) for _ in range(lanes)
        ]
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._counting = threading.Lock()  # the lanes count drops and writes together
        self._closed = False
        self.dropped = 0
        self._reported = 0  # drops a flush has already returned False for
        self.written = 0
        self._warned: set[str] = set()
        # A SQLite file's log is checkpointed beside the writing, not by its commits.
        self._checkpointer = Checkpointer(engine) if is_sqlite(url) and not is_memory(url) else None

    # ------------------------------------------------------------ callers

    def put(self, rows: Rows) -> bool:
        """Queue rows to write; ``False`` (and counted) if dropped. Never raises."""
        if self._closed or not self._start():
            self._drop(len(rows), "the session is closed")
            return False
        queues = self._queues
        lane = queues[hash(_lane_key(rows)) % len(queues)] if len(queues) > 1 else queues[0]
        try:
            lane.put(rows, timeout=PUT_TIMEOUT)
        except queue.Full:
            self._drop(len(rows), f"its queue stayed full for {PUT_TIMEOUT:g} s")
            return False
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is committed (or dropped).

        Returns ``False`` on timeout, or if anything was dropped since the previous
        flush returned (something queued before this call, then, whether it was dropped
        before this call or while it waited).
        """
        if not self._threads or self._closed:
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        markers = [_Marker(self._reported) for _ in self._queues]
        for lane, marker in zip(self._queues, markers):
            try:
                lane.put(marker, timeout=_left(deadline))
            except queue.Full:
                return False
        for marker in markers:
            if not marker.event.wait(_left(deadline)):
                return False
        self._reported = max(self._reported, *(marker.seen for marker in markers))
        return all(marker.ok for marker in markers)

    def close(self, timeout: float | None = 5.0) -> bool:
        """Write what is queued (for at most ``timeout`` seconds) and stop the threads."""
        with self._lock:
            if self._closed:
                return True
            self._closed = True
            threads = list(self._threads)
        if not threads:
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        for lane in self._queues:
            try:
                lane.put(None, timeout=_left(deadline))
            except queue.Full:
                return False
        for thread in threads:
            thread.join(_left(deadline))
        if self._checkpointer is not None:
            self._checkpointer.stop(_left(deadline))
        return not any(thread.is_alive() for thread in threads)

    # ------------------------------------------------------------ the threads

    def _start(self) -> bool:
        if self._threads:
            return True
        with self._lock:
            if not self._threads:
                threads = [
                    threading.Thread(
                        target=self._run, args=(lane,), name="spyglass-store-writer", daemon=True
                    )
                    for lane in self._queues
                ]
                try:
                    for thread in threads:
                        thread.start()
                except RuntimeError:  # interpreter shutting down
                    return False
                self._threads = threads
        return True

    def _run(self, lane: queue.Queue[Rows | _Marker | None]) -> None:
        get = lane.get
        while True:
            item = get()
            items: list[Rows] = []
            size = 0
            markers: list[_Marker] = []
            stop = False
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, _Marker):
                    markers.append(item)
                else:
                    items.append(item)
                    size += len(item)
                if stop or size >= BATCH:
                    break
                try:
                    item = lane.get_nowait()
                except queue.Empty:
                    break
            ok = self._write(items) if items else True
            for marker in markers:
                # False if this batch failed or anything queued before it was dropped.
                marker.ok = ok and self.dropped == marker.dropped
                marker.seen = self.dropped
                marker.event.set()
            if stop:
                return

    def _write(self, items: list[Rows]) -> bool:
        """Write the items in one transaction, retried while the database fails."""
        batch = items[0] if len(items) == 1 else Rows.batch(items)
        deadline = time.monotonic() + RETRY_FOR
        pause = 0.05
        checkpointer = self._checkpointer
        while True:
            try:
                with write_transaction(self._engine, checkpoint=checkpointer is None) as conn:
                    write_rows(conn, self._tables, batch)
                with self._counting:
                    self.written += len(batch.records)
                if checkpointer is not None:
                    checkpointer.poke(len(batch.records) + len(batch.results))
                return True
            except (sa.exc.IntegrityError, sa.exc.DataError):
                # A row breaks a constraint or does not fit its column: retrying the
                # same rows cannot help, so find the bad items and keep the others.
                return self._write_one_by_one(items)
            except Exception as exc:  # noqa: BLE001 - the database is down or locked: retry
                if time.monotonic() + pause > deadline or self._closed:
                    cause = getattr(exc, "orig", None) or exc  # the driver's words, no SQL
                    self._drop(len(batch), f"the database {self._where} failed: {cause}")
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    def _write_one_by_one(self, items: list[Rows]) -> bool:
        """Write each item in its own transaction so that only the items the database
        rejects are lost, each whole: a record with its pending feedbacks."""
        ok = True
        for item in items:
            try:
                with write_transaction(self._engine) as conn:
                    write_rows(conn, self._tables, item)
                with self._counting:
                    self.written += len(item.records)
            except Exception as exc:  # noqa: BLE001 - counted and logged, never raised
                ok = False
                cause = getattr(exc, "orig", None) or exc
                self._drop(len(item), f"the database {self._where} rejected it: {cause}")
        return ok

    def _drop(self, count: int, cause: str) -> None:
        key = cause.split(":")[0]
        with self._counting:
            self.dropped += count
            dropped = self.dropped
            level = logging.WARNING if key not in self._warned else logging.DEBUG
            self._warned.add(key)
        logger.log(
            level,
            "spyglass store: %d item(s) not written because %s (%d dropped so far)",
            count,
            cause,
            dropped,
        )


def _left(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (``None``: no deadline), never negative."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())
