"""Notebook helpers, with TruLens's names.

``get_feedback_result(record, feedback_name)`` is the "why" of one score as a table:
one row per evaluation of the feedback, its arguments, its score and whatever the
feedback function explained (``reason``, ``reasons``, ...).
"""

from __future__ import annotations

import time
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from ._deps import pandas as pd

__all__ = ["get_feedback_result"]


def _result_of(record: Any, feedback_name: str, timeout: float) -> Any:
    """The ``FeedbackResult`` named ``feedback_name`` of ``record``, waited for."""
    deadline = time.monotonic() + timeout
    while True:
        for definition, future in list(record.feedback_and_future_results or []):
            if definition.name == feedback_name:
                try:
                    return future.result(timeout=max(0.0, deadline - time.monotonic()))
                except FutureTimeout:
                    break
        if time.monotonic() >= deadline:
            known = sorted(d.name for d, _ in record.feedback_and_future_results or [])
            raise TimeoutError(
                f"No result of feedback {feedback_name!r} for record {record.record_id} "
                f"within {timeout} s (this record's feedbacks: {known or 'none'}; a record "
                "read back from the database has its results in "
                "session.get_feedback_results(record_id=...))"
            )
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def get_feedback_result(record: Any, feedback_name: str, timeout: float = 60) -> Any:
    """The evaluations of one feedback on one record, as a ``pandas.DataFrame``.

    Args:
        record: a ``Record`` made in this process (its feedback futures are awaited), or
            a ``FeedbackResult`` already at hand.
        feedback_name: the feedback's name, as on the leaderboard.
        timeout: seconds to wait for the result.

    Returns:
        One row per evaluated combination: a column per argument of the feedback
        function, then ``score``, then one column per explanation key (e.g. ``reason``).

    Raises:
        TimeoutError: the result did not arrive within ``timeout`` seconds.
    """
    result = record if hasattr(record, "calls") and hasattr(record, "result") else None
    if result is None:
        result = _result_of(record, feedback_name, timeout)
    rows = []
    for call in result.calls:
        row: dict[str, Any] = dict(call.args)
        row["score"] = call.ret
        row.update(call.meta or {})
        rows.append(row)
    return pd.DataFrame(rows)
