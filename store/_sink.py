"""The session's record sink: what recorders hand records and feedback results to.

Its methods run on the sink's worker thread (:mod:`spyglass.core.sinks`), never on the
app's: they turn records and results into rows and queue them for the session's
background writer (:mod:`spyglass.store._writer`).
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

from spyglass.core import FeedbackResult, Record, RecordSink

from ._rows import result_row
from ._writer import Rows

if TYPE_CHECKING:
    from ._session import TruSession

__all__ = ["EXIT_TIMEOUT", "RECENT_RECORDS", "StoreSink"]

RECENT_RECORDS = 50_000
"""Records whose app the sink remembers for the feedback results that follow them."""
EXIT_TIMEOUT = 5.0
"""The most seconds spent at interpreter exit writing what is still queued."""


class StoreSink(RecordSink):
    """The session's record sink: rows made on the sink's thread, written by the writer."""

    name = "TruSession"

    def __init__(self, session: TruSession) -> None:
        self._session = session
        # record id -> app id of recent records: a result names only its record, and its
        # row carries the app too (results arrive after their record, on this thread).
        self._apps: collections.OrderedDict[str, str] = collections.OrderedDict()

    def on_record(self, record: Record, app: Any) -> None:
        """Queue the record, its calls and, in deferred mode, its pending feedbacks."""
        self._apps[record.record_id] = record.app_id
        if len(self._apps) > RECENT_RECORDS:
            self._apps.popitem(last=False)
        self._session._writer.put(self._session._rows_of(record, app))

    def on_feedback_result(self, result: FeedbackResult) -> None:
        """Queue a feedback result."""
        app_id = self._apps.get(result.record_id) or self._session._app_of(result.record_id)
        row = result_row(result, app_id, sqlite=self._session._sqlite)
        self._session._writer.put(Rows(results=(row,)))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until what was queued is committed."""
        return self._session._writer.flush(timeout)

    def shutdown(self) -> None:
        """Write what is queued (bounded) and stop the writer."""
        self._session._writer.close(EXIT_TIMEOUT)
