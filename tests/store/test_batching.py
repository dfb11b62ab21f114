"""The background writer's batches: many records per transaction, each record whole.

A batch is one transaction; when the database rejects a row of it, the writer writes
the batch again item by item, so the good records are kept and the bad one is dropped
whole (its record row, with its calls, and its pending feedbacks), logged once and counted.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from _ten_calls import App

from spyglass.adapters.custom import TruApp
from spyglass.core import FeedbackDefinition, Record, TruSession
from spyglass.core.sinks import set_current_store
from spyglass.store import _engine, _rows, _writer


def _template() -> tuple[TruApp, Record]:
    app = App()
    recorder = TruApp(app, app_name="batching")
    with recorder as recording:
        app.respond("q")
    record = recording.get()
    assert 10 == len(record.calls)
    return recorder, record


def _with_name(row: tuple[Any, ...], name: str | None) -> tuple[Any, ...]:
    """A feedback result's row with another name."""
    at = _rows.RESULT_COLUMNS.index("name")
    return (*row[:at], name, *row[at + 1 :])


def _is_sqlite(session: TruSession) -> bool:
    return session.engine.dialect.name == "sqlite"


def _item(session: TruSession, record: Record, i: int, pending: bool = False) -> _writer.Rows:
    """The rows one record hands to the writer, as the sink makes them."""
    copy = record.model_copy(update={"record_id": f"record_{i:05d}"})
    row = _rows.record_row(copy, sqlite=_is_sqlite(session))
    results = []
    if pending:
        definition = FeedbackDefinition(supplied_name="pending one")
        results = [_rows.pending_row(copy, definition, sqlite=_is_sqlite(session))]
    return _writer.Rows(records=[row], results=results)


def _counts(session: TruSession, record_id: str) -> tuple[int, int, int]:
    """Rows of one record in the records table, the calls view and the feedbacks table."""
    t = session._tables
    with session.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.record_id == record_id)
            ).scalar_one()
            for table in (t.records, t.calls, t.feedbacks)
        )


@pytest.fixture
def opened(database_url: str) -> Iterator[TruSession]:
    session = TruSession(database_url=database_url)
    try:
        yield session
    finally:
        session.close()
        set_current_store(None)


def test_a_rejected_record_is_dropped_whole_and_the_batch_kept(
    opened: TruSession, caplog: pytest.LogCaptureFixture
) -> None:
    """One batch of 40 records, two of which break a constraint in their pending
    feedback's row (written after their record row): 38 are stored with all their rows;
    each bad one is missing entirely; one warning; both counted.

    The batch is handed to the writer's batch write directly, so that it is one batch
    whatever the timing."""
    recorder, record = _template()
    items = [_item(opened, record, i, pending=i % 2 == 0) for i in range(40)]
    for bad in (8, 30):  # a result's name is NOT NULL: the results' insert fails
        items[bad].results[-1] = _with_name(items[bad].results[-1], None)
    with caplog.at_level(logging.DEBUG, logger="spyglass.store"):
        assert not opened._writer._write(items)
    for i in range(40):
        expected = (0, 0, 0) if i in (8, 30) else (1, 10, 1 if i % 2 == 0 else 0)
        assert expected == _counts(opened, f"record_{i:05d}"), i
    assert 2 + 2 == opened.dropped  # records 8 and 30, each with its pending result
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert 1 == len(warnings)
    assert "rejected it" in warnings[0].getMessage()
    # The template's own recording is stored too; the flush reports the two records
    # dropped since the previous flush, and the next has nothing to report.
    assert not opened.flush(30)
    assert opened.flush(30)
    assert 38 + 1 == opened.get_leaderboard().loc[("batching", "base"), "records"]
    del recorder


def test_a_record_of_an_unknown_app_does_not_cost_the_others(opened: TruSession) -> None:
    """Through the sink: a record whose app the database does not hold (foreign key)
    is dropped; the records queued around it are stored; flush reports the loss."""
    recorder, record = _template()
    with _writes_held(opened):
        for i in range(20):
            app_id = "app_nobody_stored" if i == 5 else record.app_id
            copy = record.model_copy(update={"record_id": f"record_{i:05d}", "app_id": app_id})
            opened._sink.on_record(copy, recorder)
    assert not opened.flush(30)
    assert 1 == opened.dropped
    assert (0, 0, 0) == _counts(opened, "record_00005")
    assert all((1, 10, 0) == _counts(opened, f"record_{i:05d}") for i in range(20) if i != 5)


def test_a_value_too_long_for_its_column_is_rejected_not_retried(postgres_url: str) -> None:
    """PostgreSQL enforces VARCHAR lengths: a feedback name of 300 characters is a
    DataError, which no retry can fix; the writer drops that record at once (not after
    the retries that a database that is down gets) and keeps the rest."""
    session = TruSession(database_url=postgres_url)
    try:
        _, record = _template()
        items = [_item(session, record, i, pending=True) for i in range(5)]
        items[2].results[0] = _with_name(items[2].results[0], "m" * 300)  # VARCHAR(256)
        began = time.monotonic()
        assert not session._writer._write(items)
        assert time.monotonic() - began < _writer.RETRY_FOR / 2
        assert 2 == session.dropped  # the record and its pending result
        assert [1, 1, 0, 1, 1] == [_counts(session, f"record_{i:05d}")[0] for i in range(5)]
    finally:
        session.close()
        set_current_store(None)


@contextlib.contextmanager
def _writes_held(session: TruSession) -> Iterator[None]:
    """Block the session's writer (another connection holds the write lock) while the
    block queues records; they are written when it ends."""
    url = session.engine.url
    if url.get_backend_name() == "sqlite":
        raw: Any = sqlite3.connect(url.database, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
    else:
        raw = psycopg.connect(f"host={url.query['host']} user={url.username} dbname={url.database}")
        raw.execute(f"LOCK TABLE {session._tables.records.name} IN SHARE MODE")
    try:
        yield
    finally:
        raw.rollback() if url.get_backend_name() != "sqlite" else raw.execute("ROLLBACK")
        raw.close()


def test_a_deep_queue_is_written_in_few_transactions(opened: TruSession) -> None:
    """Records queued faster than they are written go in large batches (one commit for
    hundreds, in each of the writer's lanes), and all of them are stored with their
    calls."""
    recorder, record = _template()
    assert opened.flush(30)  # the template's own recording, before commits are counted
    commits = []
    sa.event.listen(opened.engine, "commit", lambda conn: commits.append(1))
    with _writes_held(opened):
        for i in range(1200):
            copy = record.model_copy(update={"record_id": f"record_{i:05d}"})
            opened._sink.on_record(copy, recorder)
        time.sleep(0.2)  # the writer took the first record and waits for the lock
    assert opened.flush(60)
    assert 0 == opened.dropped
    # In each lane, the first record alone, then those queued behind it in batches of
    # BATCH items.
    lanes = len(opened._writer._queues)
    queued = collections.Counter(hash(f"record_{i:05d}") % lanes for i in range(1200))
    assert len(commits) <= sum(1 + -(-(n - 1) // _writer.BATCH) for n in queued.values())
    assert lanes == (2 if opened.engine.dialect.name == "postgresql" else 1)
    assert 1200 + 1 == opened.get_leaderboard().loc[("batching", "base"), "records"]
    t = opened._tables
    with opened.engine.connect() as conn:
        assert 12_010 == conn.execute(sa.select(sa.func.count()).select_from(t.calls)).scalar()


def test_sqlite_log_is_checkpointed_beside_the_writer(sqlite_url: str) -> None:
    """The writer's commits leave the write-ahead log to its checkpointer thread, which
    copies it into the database file; the pooled connections keep SQLite's automatic
    checkpoints for everything else."""
    session = TruSession(database_url=sqlite_url)
    try:
        recorder, record = _template()
        path = session.engine.url.database
        before = os.path.getsize(path)
        for i in range(_engine.CHECKPOINT_ROWS + 50):
            copy = record.model_copy(update={"record_id": f"record_{i:05d}"})
            session._sink.on_record(copy, recorder)
        assert session.flush(60)
        deadline = time.monotonic() + 20
        while os.path.getsize(path) <= before + 1_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert os.path.getsize(path) > before + 1_000_000  # the records reached the file
        with session.engine.connect() as conn:
            autocheckpoint = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert _engine.AUTOCHECKPOINT_PAGES == autocheckpoint
    finally:
        session.close()
        set_current_store(None)


def test_postgres_connections_compress_records_with_lz4(postgres_url: str) -> None:
    """The session's PostgreSQL connections store large values (a record's JSON)
    compressed with lz4, which this server (Debian's, built with lz4) supports."""
    session = TruSession(database_url=postgres_url)
    try:
        recorder, _ = _template()
        assert session.flush(30)
        with session.engine.connect() as conn:
            assert "lz4" == conn.exec_driver_sql("SHOW default_toast_compression").scalar()
            used = conn.exec_driver_sql(
                f"SELECT pg_column_compression(record_json) FROM {session._tables.records.name}"
            ).scalar()
        assert "lz4" == used  # its JSON (about 6 kB) is past the 2 kB TOAST threshold
        del recorder
    finally:
        session.close()
        set_current_store(None)


def test_a_record_and_a_result_given_twice_in_one_batch_are_stored_once_the_last(
    opened: TruSession,
) -> None:
    """One batch may hold the same record (or feedback result) twice, as when a record
    is stored again at once: the rows that remain are the last ones given, as writing
    the items one after the other would leave (PostgreSQL refuses a key twice in one
    INSERT, so the writer keeps the last of each)."""
    _, record = _template()
    first = _item(opened, record, 1, pending=True)
    again = _item(opened, record.model_copy(update={"main_input": "again"}), 1)
    result = first.results[0]
    done = _with_name(result, "renamed")
    again.results = [done]
    assert opened._writer._write([first, _item(opened, record, 2), again])
    assert (1, 10, 1) == _counts(opened, "record_00001")
    stored = opened.reader().record("record_00001")
    assert "again" == stored["input"]
    assert ["renamed"] == [fb["name"] for fb in stored["feedbacks"]]
    assert (1, 10, 0) == _counts(opened, "record_00002")


def test_results_follow_their_records_through_the_writers_lanes(opened: TruSession) -> None:
    """On PostgreSQL the writer has two lanes (threads with their own connections); a
    record's feedback results take its lane, so each is written after its record (its
    foreign key holds) however the lanes interleave: nothing is dropped."""
    from spyglass.core import FeedbackResult

    recorder, record = _template()
    for i in range(400):
        copy = record.model_copy(update={"record_id": f"record_{i:05d}"})
        opened._sink.on_record(copy, recorder)
        result = FeedbackResult(
            record_id=copy.record_id, name="lane", feedback_definition_id="d", result=i % 2
        )
        opened._sink.on_feedback_result(result)
    assert opened.flush(60)
    assert 0 == opened.dropped
    assert 400 == len(opened.get_feedback_results(app_ids=[record.app_id]))
    assert 0.5 == opened.get_leaderboard().loc[("batching", "base"), "lane"]
