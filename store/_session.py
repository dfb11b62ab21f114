"""`TruSession`: records, feedback results and app definitions kept in a database.

One session per database in a process. Recorders hand their records to the session's
sink (:class:`StoreSink`) through the sink seam of :mod:`spyglass.core.sinks`; the
sink turns them into rows on its worker thread and the background writer
(:mod:`spyglass.store._writer`) commits them in batches. Reading is
:mod:`spyglass.store._session_read`; deferred evaluation is :mod:`spyglass.store._workers`.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, as_completed
from typing import TYPE_CHECKING, Any, cast

from spyglass.core import (
    AppDefinition,
    Feedback,
    FeedbackDefinition,
    FeedbackMode,
    FeedbackResult,
    FeedbackResultStatus,
    Record,
    RecordSink,
)
from spyglass.core.feedback import feedback_pool
from spyglass.core.sinks import current_store, flush as flush_sinks, set_current_store

from . import _migrate
from ._deps import sqlalchemy as sa
from ._engine import create_engine, explain, is_sqlite, masked, parse_url, write_transaction
from ._rows import app_row, feedback_def_row, pending_row, record_row, result_row
from ._session_read import SessionReading
from ._sink import EXIT_TIMEOUT, StoreSink
from ._tables import Tables, tables
from ._workers import MAX_ATTEMPTS, Worker, WorkerPool
from ._writer import Rows, Writer, write_rows

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DEFAULT_URL", "EXIT_TIMEOUT", "TruSession"]

logger = logging.getLogger("spyglass.store")

DEFAULT_URL = "sqlite:///default.sqlite"
"""TruLens's default: a SQLite file in the working directory."""

_sessions: dict[tuple[str, str], TruSession] = {}
_sessions_lock = threading.Lock()


class TruSession(SessionReading):
    """A database of apps, records and feedback results (TruLens's ``TruSession``).

    Usage::

        session = TruSession()                       # ./default.sqlite
        session = TruSession(database_url="postgresql+psycopg://user:pw@host/db")
        session.reset_database()
        recorder = TruCustomApp(app, feedbacks=[f])  # uses the session made last
        ...
        session.flush()
        df, feedback_names = session.get_records_and_feedback()
        session.get_leaderboard()

    Args:
        database_url: any SQLAlchemy URL; default ``sqlite:///default.sqlite`` (a file in
            the working directory). PostgreSQL: ``postgresql+psycopg://...``.
        database_prefix: prefix of every table, the Alembic version table included.
        database_redact_keys: kept for TruLens; records are always redacted of secrets
            when serialised (see the serialisation docs).
        database_args: extra ``sqlalchemy.create_engine`` arguments.
        database_check_revision: check the schema revision when opening (default);
            ``False`` opens an older database so that :meth:`migrate_database` can run.

    Constructing it again with the same arguments returns the same session; the same
    database with different arguments, while the first is open, is an error.

    Raises:
        DatabaseURLError: the URL is malformed or names an unknown driver.
        DatabaseUnavailableError: the database cannot be reached, opened or written.
        DatabaseVersionError: the schema is newer (upgrade spyglass) or older (migrate).
        MissingDependencyError: the driver the URL names is not installed.
    """

    _url: sa.engine.URL
    _options: dict[str, Any]

    def __new__(cls, database_url: str | None = None, **kwargs: Any) -> Self:
        valid = {
            "database_prefix",
            "database_redact_keys",
            "database_args",
            "database_check_revision",
        }
        unknown = sorted(set(kwargs) - valid)
        if unknown:
            raise TypeError(
                f"TruSession() got unexpected keyword argument(s) {', '.join(unknown)}; valid: "
                f"database_url, {', '.join(sorted(valid))}"
            )
        url = _absolute(parse_url(database_url or DEFAULT_URL))
        prefix = kwargs.get("database_prefix", "spyglass_")
        options = {k: kwargs.get(k) for k in sorted(valid - {"database_prefix"})}
        key = (url.render_as_string(hide_password=False), prefix)
        with _sessions_lock:
            existing = _sessions.get(key)
            if existing is not None:
                if existing._options != options:
                    differ = sorted(k for k in options if options[k] != existing._options[k])
                    raise ValueError(
                        f"A TruSession on {masked(url)} (prefix {prefix!r}) is already open with "
                        f"other values of {', '.join(differ)}; use that one, or close() it "
                        "before opening the database again."
                    )
                set_current_store(existing)
                return cast("Self", existing)  # a TruSession of this very key
            self = super().__new__(cls)
            self._open(url, prefix, options)
            _sessions[key] = self
            set_current_store(self)
            return self

    def __init__(self, database_url: str | None = None, **kwargs: Any) -> None:
        """Everything happens in ``__new__`` (one session per database)."""

    def _open(self, url: sa.engine.URL, prefix: str, options: dict[str, Any]) -> None:
        self._url = url
        self._prefix = prefix
        self._options = options
        self._key = (url.render_as_string(hide_password=False), prefix)
        self.database_redact_keys = bool(options.get("database_redact_keys"))
        self._tables: Tables = tables(prefix)
        self._sqlite = is_sqlite(url)
        self.engine = create_engine(url, **(options.get("database_args") or {}))
        try:
            if is_sqlite(url):
                with write_transaction(self.engine):
                    pass  # BEGIN IMMEDIATE: fails now if the file cannot be written
            if options.get("database_check_revision") is not False:
                _migrate.ensure_schema(self.engine, url, prefix)
        except BaseException as exc:
            self.engine.dispose()
            if isinstance(exc, sa.exc.SQLAlchemyError):
                raise explain(exc, url) from None
            raise
        self._writer = Writer(self.engine, self._tables, url)
        self._sink = StoreSink(self)
        self._feedbacks: dict[str, Any] = {}  # definition id -> Feedback of this process
        self._evaluator: WorkerPool | None = None
        self._closed = False
        atexit.register(self._at_exit)

    # ------------------------------------------------------------ identity

    @property
    def database_url(self) -> str:
        """The database URL, with its password masked."""
        return masked(self._url)

    @property
    def database_prefix(self) -> str:
        """The prefix of every table of this session."""
        return self._prefix

    @property
    def dropped(self) -> int:
        """How many records and feedback results the writer could not store (each drop
        is also logged, with its cause)."""
        return self._writer.dropped

    def __repr__(self) -> str:
        return f"TruSession(database_url={self.database_url!r}, prefix={self._prefix!r})"

    # ------------------------------------------------------------ the sink seam

    def sink_for(self, app: Any) -> RecordSink:
        """Store a recorder's definition and feedback definitions; return the sink its
        records go to. Called by the recorder when it is made; never raises for the
        database (a failure is logged, and the records are tried again)."""
        feedbacks = [fb for fb in getattr(app, "feedbacks", ()) if isinstance(fb, Feedback)]
        for fb in feedbacks:
            self._feedbacks[fb.feedback_definition_id] = fb
        rows = Rows(apps=[app_row(app.definition)], defs=[feedback_def_row(f) for f in feedbacks])
        try:
            self._write(rows)
        except Exception:
            logger.exception("spyglass store: storing the definition of %r failed", app)
        return self._sink

    def _rows_of(self, record: Record, app: Any) -> Rows:
        row = record_row(record, sqlite=self._sqlite)
        if getattr(app, "feedback_mode", None) is not FeedbackMode.DEFERRED:
            return Rows(records=(row,))
        pending = [
            pending_row(record, fb, sqlite=self._sqlite)
            for fb in getattr(app, "feedbacks", ())
            if isinstance(fb, FeedbackDefinition)
        ]
        return Rows(records=(row,), results=pending)

    def _write(self, rows: Rows) -> None:
        """Write rows now, on the caller's thread (the writing-by-hand methods)."""
        try:
            with write_transaction(self.engine) as conn:
                write_rows(conn, self._tables, rows)
        except sa.exc.IntegrityError as exc:
            raise ValueError(
                "The database rejected the rows (a record of an app it does not hold, or a "
                "feedback result of a record it does not hold?): add the app with "
                f"add_app(...) and the record with add_record(...) first. ({exc.orig})"
            ) from None
        except sa.exc.SQLAlchemyError as exc:
            raise explain(exc, self._url) from None

    def _app_of(self, record_id: str) -> str | None:
        """The app of a stored record (``None`` if it is not stored)."""
        r = self._tables.records
        with self._reading() as conn:
            found = conn.execute(sa.select(r.c.app_id).where(r.c.record_id == record_id))
            return found.scalar()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every record and feedback result handed over so far is committed,
        and the feedbacks running on those records have been stored.

        Returns:
            ``True`` if all of it was done within ``timeout`` seconds.
        """
        return flush_sinks(timeout) and self._writer.flush(timeout)

    def close(self) -> None:
        """Flush (for at most a few seconds), stop the writer and evaluator, release the
        database. Recorders made later no longer use this session."""
        if self._closed:
            return
        self.flush(EXIT_TIMEOUT)
        self._closed = True
        if self._evaluator is not None:
            self._evaluator.close()
            self._evaluator = None
        self._writer.close(EXIT_TIMEOUT)
        self.engine.dispose()
        with _sessions_lock:
            _sessions.pop(self._key, None)
        if current_store() is self:
            set_current_store(None)
        atexit.unregister(self._at_exit)

    def _at_exit(self) -> None:
        if self._evaluator is not None:
            self._evaluator.stop.set()
        if not self._writer.close(EXIT_TIMEOUT):
            logger.warning(
                "spyglass store: records still queued after %g s at exit were not written",
                EXIT_TIMEOUT,
            )

    # ------------------------------------------------------------ schema

    def migrate_database(self) -> None:
        """Migrate the database to this spyglass's schema revision (never downgrades)."""
        try:
            _migrate.upgrade(self.engine, self._prefix)
        except sa.exc.SQLAlchemyError as exc:
            raise explain(exc, self._url) from None

    def reset_database(self) -> None:
        """Delete every app, record and feedback of this session's prefix (other tables
        are left alone) and create the tables afresh."""
        self.flush(EXIT_TIMEOUT)
        try:
            _migrate.wipe(self.engine, self._prefix)
        except sa.exc.SQLAlchemyError as exc:
            raise explain(exc, self._url) from None

    # ------------------------------------------------------------ writing by hand

    def add_app(self, app: AppDefinition | Any) -> str:
        """Store (or replace) an app definition; returns its ``app_id``. A recorder is
        accepted too (its definition is stored)."""
        definition = getattr(app, "definition", app)
        if not isinstance(definition, AppDefinition):
            raise TypeError(f"add_app() takes an AppDefinition or a recorder, not {app!r}")
        self._write(Rows(apps=[app_row(definition)]))
        return definition.app_id

    def delete_app(self, app_id: str) -> None:
        """Delete an app with its records and their feedback results."""
        t = self._tables
        with write_transaction(self.engine) as conn:
            ids = sa.select(t.records.c.record_id).where(t.records.c.app_id == app_id)
            conn.execute(sa.delete(t.feedbacks).where(t.feedbacks.c.record_id.in_(ids)))
            conn.execute(sa.delete(t.records).where(t.records.c.app_id == app_id))
            conn.execute(sa.delete(t.apps).where(t.apps.c.app_id == app_id))

    def add_record(self, record: Record | None = None, **kwargs: Any) -> str:
        """Store a record now (its app must be stored); returns its ``record_id``.

        With no record, one is built from ``kwargs``; otherwise ``kwargs`` update it.
        """
        record = Record(**kwargs) if record is None else _updated(record, kwargs)
        return self.add_records([record])[0]

    def add_records(self, records: Iterable[Record]) -> list[str]:
        """Store records now, in one transaction; returns their ids."""
        rows = []
        ids = []
        for record in records:
            if not isinstance(record, Record):
                raise TypeError(f"add_records() takes Record objects, not {record!r}")
            rows.append(record_row(record, sqlite=self._sqlite))
            ids.append(record.record_id)
        self._write(Rows(records=rows))
        return ids

    def add_feedback(
        self, name_or_result: str | FeedbackResult | Future[Any] | None = None, **kwargs: Any
    ) -> str:
        """Store a feedback result (e.g. human feedback); returns its id.

        Forms: ``add_feedback(name="Human", record_id=rid, result=0.9)``,
        ``add_feedback("Human", record_id=rid, result=0.9)``, ``add_feedback(result)``,
        ``add_feedback(future)``. ``result=`` without ``status=`` means ``done``;
        without a definition the result is ``anonymous`` (human feedback). ``app_id=``
        is accepted (TruLens's quickstarts pass it) and must be the record's app.
        """
        kwargs.pop("app_id", None)
        if isinstance(name_or_result, Future):
            name_or_result = name_or_result.result()
        if isinstance(name_or_result, FeedbackResult):
            result = name_or_result.model_copy(update=kwargs)
        else:
            if isinstance(name_or_result, str):
                kwargs["name"] = name_or_result
            elif name_or_result is not None:
                raise TypeError(
                    "add_feedback() takes a feedback name, a FeedbackResult or a Future of "
                    f"one, not {name_or_result!r}"
                )
            if kwargs.get("result") is not None and "status" not in kwargs:
                kwargs["status"] = FeedbackResultStatus.DONE
            kwargs.setdefault("feedback_definition_id", "anonymous")
            result = FeedbackResult(**kwargs)
        if result.feedback_definition_id is None:
            result.feedback_definition_id = "anonymous"
        app_id = self._app_of(result.record_id)
        self._write(Rows(results=[result_row(result, app_id, sqlite=self._sqlite)]))
        return result.feedback_result_id

    def add_feedbacks(self, results: Iterable[FeedbackResult | Future[Any]]) -> list[str]:
        """Store several feedback results (or futures of them) in one transaction;
        returns their ids, in order."""
        found = []
        for item in results:
            result = item.result() if isinstance(item, Future) else item
            if not isinstance(result, FeedbackResult):
                raise TypeError(f"add_feedbacks() takes FeedbackResult objects, not {result!r}")
            if result.feedback_definition_id is None:
                result = result.model_copy(update={"feedback_definition_id": "anonymous"})
            found.append(result)
        r = self._tables.records
        apps: dict[str, str] = {}
        ids = sorted({result.record_id for result in found})
        with self._reading() as conn:
            for start in range(0, len(ids), 500):  # the records' apps, 500 per query
                chunk = ids[start : start + 500]
                query = sa.select(r.c.record_id, r.c.app_id).where(r.c.record_id.in_(chunk))
                apps.update((rid, app) for rid, app in conn.execute(query))
        self._write(
            Rows(results=[result_row(x, apps.get(x.record_id), sqlite=self._sqlite) for x in found])
        )
        return [result.feedback_result_id for result in found]

    def run_feedback_functions(
        self,
        record: Record,
        feedback_functions: Sequence[Feedback],
        app: AppDefinition | None = None,
        wait: bool = True,
    ) -> Iterator[FeedbackResult | Future[FeedbackResult]]:
        """Evaluate feedbacks on a record (a generator, as TruLens's: nothing runs until
        it is iterated). Yields results in completion order (``wait=True``) or futures in
        submission order. The results are not stored: pass them to :meth:`add_feedbacks`.

        Raises:
            ValueError: a wrong argument type, or ``app`` is another record's app.
        """
        if not isinstance(record, Record):
            # ValueError, not TypeError: TruLens's exception for these checks.
            raise ValueError(f"record must be a Record, not {type(record).__name__}")  # noqa: TRY004
        if not isinstance(feedback_functions, Sequence) or not all(
            isinstance(f, Feedback) for f in feedback_functions
        ):
            raise ValueError("feedback_functions must be a sequence of Feedback")
        if app is not None and not isinstance(app, AppDefinition):
            what = type(app).__name__
            raise ValueError(f"app must be an AppDefinition or None, not {what}")
        if not isinstance(wait, bool):
            raise ValueError("wait must be a bool")  # noqa: TRY004
        return self._run_feedbacks(record, list(feedback_functions), app, wait)

    def _run_feedbacks(
        self, record: Record, feedbacks: list[Feedback], app: AppDefinition | None, wait: bool
    ) -> Iterator[Any]:
        app_json: Any = None
        if app is not None:
            if app.app_id != record.app_id:
                raise ValueError(f"app {app.app_id} is not the record's app {record.app_id}")
            app_json = app.model_dump(mode="json")
            if self.get_app(app.app_id) is None:
                self.add_app(app)
        else:
            app_json = self.get_app(record.app_id)
        pool = feedback_pool()
        futures: list[Future[FeedbackResult]] = []
        for feedback in feedbacks:
            future: Future[FeedbackResult] = Future()
            # The session is the pool's owner: its runs share the pool fairly with
            # the recorders' feedbacks.
            pool.submit(self, _settle, future, feedback, app_json, record)
            futures.append(future)
        if not wait:
            yield from futures
            return
        for done in as_completed(futures):
            yield done.result()

    # ------------------------------------------------------------ deferred evaluation

    def start_evaluator(
        self,
        lease_seconds: float = 60.0,
        *,
        workers: int = 1,
        allowed_modules: Iterable[str] = (),
        restart: bool = False,
        return_when_done: bool = False,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> WorkerPool | None:
        """Run evaluator workers in this process on the pending feedback results.

        Args:
            lease_seconds: how long a claim lasts unless its worker renews it.
            workers: worker threads.
            allowed_modules: module prefixes stored implementations may be loaded from
                (the feedbacks of recorders made in this process need none).
            restart: stop a running evaluator first (else that is an error).
            return_when_done: evaluate here until nothing is pending, then return ``None``.
            max_attempts: claims of one result (each ended by an expired lease) before
                it is ``failed``.

        Returns:
            The running pool (stop it with :meth:`stop_evaluator`), or ``None`` with
            ``return_when_done``.
        """
        if self._evaluator is not None:
            if not restart:
                raise RuntimeError(
                    "An evaluator is already running in this session: stop_evaluator() "
                    "first, or pass restart=True."
                )
            self.stop_evaluator()
        self.flush(EXIT_TIMEOUT)
        pool = WorkerPool(
            [
                Worker(
                    self.engine,
                    self._tables,
                    lease_seconds=lease_seconds,
                    allowed_modules=allowed_modules,
                    feedbacks=self._feedbacks,
                    max_attempts=max_attempts,
                )
                for _ in range(workers)
            ],
            exit_when_idle=return_when_done,
        ).start()
        if return_when_done:
            pool.join()
            pool.close()
            return None
        self._evaluator = pool
        return pool

    def stop_evaluator(self) -> None:
        """Stop the evaluator (each worker finishes the result it is evaluating).

        Raises:
            RuntimeError: no evaluator is running.
        """
        if self._evaluator is None:
            raise RuntimeError("No evaluator is running in this session.")
        self._evaluator.close()
        self._evaluator = None

    # ------------------------------------------------------------ dashboard

    def start_dashboard(
        self, port: int | None = None, address: str = "127.0.0.1", force: bool = False
    ) -> str:
        """Serve the dashboard of this session in the background; returns its URL.

        The same as ``spyglass.dashboard.run_dashboard(self, ...)`` (needs the
        ``dashboard`` extra).
        """
        from spyglass.dashboard import run_dashboard

        return str(run_dashboard(self, port=port, address=address, force=force))

    def stop_dashboard(self, force: bool = False) -> None:
        """Stop this session's dashboard (``spyglass.dashboard.stop_dashboard``)."""
        from spyglass.dashboard import stop_dashboard

        stop_dashboard(self, force=force)


def _settle(
    future: Future[FeedbackResult], feedback: Feedback, app_json: Any, record: Record
) -> None:
    """On a feedback-pool worker: run ``feedback`` on ``record`` into ``future``."""
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(feedback.run(app=app_json, record=record))
    except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
        future.set_exception(exc)


def _updated(record: Record, kwargs: dict[str, Any]) -> Record:
    for key, value in kwargs.items():
        setattr(record, key, value)
    return record


def _absolute(url: sa.engine.URL) -> sa.engine.URL:
    """A relative SQLite path made absolute now (the working directory may change)."""
    database = url.database or ""
    if is_sqlite(url) and database not in ("", ":memory:") and not database.startswith("file:"):
        return url.set(database=os.path.abspath(database))
    return url
