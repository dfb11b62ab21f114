"""spyglass.store: records and feedback results kept in SQLite (embedded) or PostgreSQL.

Usage::

    from spyglass.store import TruSession     # also: from spyglass.core import TruSession

    session = TruSession()                    # ./default.sqlite
    session.reset_database()
    ...                                       # recorders store into the session made last
    session.flush()
    session.get_leaderboard()

Needs the ``store`` extra (SQLAlchemy, Alembic, pandas): ``pip install 'spyglass[store]'``,
and ``'spyglass[postgres]'`` for PostgreSQL (psycopg 3).
"""

from __future__ import annotations

from ._errors import DatabaseUnavailableError, DatabaseURLError, DatabaseVersionError, StoreError
from ._read import feedback_calls_frame
from ._reader import SORTS, Reader, RecordFilter
from ._session import TruSession
from ._sink import StoreSink
from ._workers import Worker, WorkerPool

__all__ = [
    "SORTS",
    "DatabaseURLError",
    "DatabaseUnavailableError",
    "DatabaseVersionError",
    "Reader",
    "RecordFilter",
    "StoreError",
    "StoreSink",
    "TruSession",
    "Worker",
    "WorkerPool",
    "feedback_calls_frame",
]
