"""The reading half of `TruSession`: TruLens's ``get_*`` methods and the dashboard's reader.

:class:`SessionReading` is a base class of ``TruSession``; its methods use the
session's engine, tables and URL. The DataFrame queries are :mod:`._read`; the paged
queries of the dashboard and the command line are :class:`~._reader.Reader`
(``session.reader()``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from spyglass.core import FeedbackResult, FeedbackResultStatus, Record

from . import _read
from ._deps import pandas, sqlalchemy as sa
from ._engine import explain, write_transaction
from ._reader import Reader
from ._rows import decode_record, loads_json, result_from_row
from ._tables import Tables

__all__ = ["SessionReading"]


class SessionReading:
    """Reading methods of ``TruSession`` (documented there)."""

    engine: sa.engine.Engine
    _tables: Tables
    _url: sa.engine.URL
    _reader: Reader | None = None

    def reader(self) -> Reader:
        """The paged, read-only queries the dashboard and the command line show
        (:class:`spyglass.store.Reader`)."""
        if self._reader is None:
            self._reader = Reader(self.engine, self._tables)
        return self._reader

    def retry_feedback_result(self, feedback_result_id: str) -> bool:
        """Put a failed feedback result back to pending, for the evaluator workers to
        claim again (its attempts start afresh).

        Returns:
            ``False`` when there is no failed result with this id.
        """
        f = self._tables.feedbacks
        q = (
            f.update()
            .where(
                f.c.feedback_result_id == feedback_result_id,
                f.c.status == FeedbackResultStatus.FAILED.value,
            )
            .values(
                status=FeedbackResultStatus.NONE.value,
                error=None,
                last_ts=datetime.now(),
                worker=None,
                lease_until=None,
                attempts=0,
            )
        )
        try:
            with write_transaction(self.engine) as conn:
                return bool(conn.execute(q).rowcount == 1)
        except sa.exc.SQLAlchemyError as exc:
            raise explain(exc, self._url) from None

    def get_records_and_feedback(
        self,
        app_ids: Sequence[str] | None = None,
        app_name: str | None = None,
        app_version: str | None = None,
        offset: int | None = None,
        limit: int | None = None,
    ) -> tuple[Any, list[str]]:
        """Records, newest first, with their feedback: ``(DataFrame, feedback names)``.

        Columns: ``app_name, app_version, app_id, app_json, type, record_id, input,
        output, tags, record_json, cost_json, perf_json, ts``, then one column per
        feedback name (the mean of its results on the record), ``<name>_calls``,
        ``<name> feedback cost in USD``, then ``latency, total_tokens, total_cost,
        cost_currency``. ``limit``/``offset`` count records.
        """
        with self._reading() as conn:
            return _read.records_and_feedback(
                conn,
                self._tables,
                app_ids=app_ids,
                app_name=app_name,
                app_version=app_version,
                offset=offset,
                limit=limit,
            )

    def get_leaderboard(
        self,
        app_ids: Sequence[str] | None = None,
        group_by_metadata_key: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Any:
        """One row per ``(app_name, app_version)``: the mean of each feedback, mean
        ``latency``, mean ``total_cost`` and ``records`` (the count), computed in SQL."""
        with self._reading() as conn:
            return _read.leaderboard(
                conn,
                self._tables,
                app_ids=app_ids,
                group_by_metadata_key=group_by_metadata_key,
                limit=limit,
                offset=offset,
            )

    def get_apps(self) -> list[dict[str, Any]]:
        """Every stored app definition, as JSON data."""
        with self._reading() as conn:
            return [
                loads_json(v)
                for v in conn.execute(sa.select(self._tables.apps.c.app_json)).scalars()
            ]

    def get_app(self, app_id: str) -> dict[str, Any] | None:
        """One stored app definition as JSON data, or ``None``."""
        a = self._tables.apps
        with self._reading() as conn:
            found = conn.execute(sa.select(a.c.app_json).where(a.c.app_id == app_id)).scalar()
        return None if found is None else loads_json(found)

    def get_records(
        self,
        app_ids: Sequence[str] | None = None,
        offset: int | None = None,
        limit: int | None = None,
    ) -> list[Record]:
        """Stored records as ``Record`` objects, newest first."""
        r = self._tables.records
        query = sa.select(r.c.record_json).order_by(r.c.ts.desc(), r.c.record_id)
        if app_ids is not None:
            query = query.where(r.c.app_id.in_(list(app_ids)))
        query = query.limit(limit).offset(offset)
        with self._reading() as conn:
            return [Record.model_validate(decode_record(v)) for (v,) in conn.execute(query)]

    def get_feedback_defs(self, feedback_definition_id: str | None = None) -> Any:
        """Stored feedback definitions: ``feedback_definition_id, name, feedback_json,
        run_location`` (``feedback_json`` as data; load one with
        ``FeedbackDefinition.load``)."""
        d = self._tables.feedback_defs
        query = sa.select(d.c.feedback_definition_id, d.c.name, d.c.feedback_json, d.c.run_location)
        if feedback_definition_id is not None:
            query = query.where(d.c.feedback_definition_id == feedback_definition_id)
        with self._reading() as conn:
            rows = [dict(row) for row in conn.execute(query).mappings()]
        for row in rows:
            row["feedback_json"] = loads_json(row["feedback_json"])
        columns = ["feedback_definition_id", "name", "feedback_json", "run_location"]
        return pandas().DataFrame(rows, columns=columns)

    def get_feedback_results(
        self, record_id: str | None = None, app_ids: Sequence[str] | None = None
    ) -> list[FeedbackResult]:
        """Stored feedback results (pending ones included) as ``FeedbackResult`` objects."""
        f, r = self._tables.feedbacks, self._tables.records
        query = sa.select(f).order_by(f.c.last_ts)
        if record_id is not None:
            query = query.where(f.c.record_id == record_id)
        if app_ids is not None:
            ids = sa.select(r.c.record_id).where(r.c.app_id.in_(list(app_ids)))
            query = query.where(f.c.record_id.in_(ids))
        with self._reading() as conn:
            return [result_from_row(row) for row in conn.execute(query).mappings()]

    @contextmanager
    def _reading(self) -> Iterator[sa.engine.Connection]:
        """A connection for reading; a database error becomes one that says what to do."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise explain(exc, self._url) from None
