"""Notebook helpers, with TruLens's names.

``get_feedback_result(record, feedback_name)`` is the "why" of one score as a table:
one row per evaluation of the feedback, its arguments, its score and whatever the
feedback function explained (``reason``, ``reasons``, ...).

``record_html(record)`` is a record as HTML (input, output, error, feedback scores, the
calls as a tree). Importing this module in IPython or Jupyter registers it, so that a
``Record`` at the end of a cell shows as that HTML.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from spyglass.store import feedback_calls_frame

from ._calltree import call_tree, fold
from ._deps import jinja2

__all__ = ["get_feedback_result", "record_html"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("spyglass.dashboard", "templates"), autoescape=True
)


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
    return feedback_calls_frame(result)


def record_html(record: Any) -> str:
    """A ``Record`` as HTML (every value escaped), for notebooks."""
    data = record.model_dump(mode="json")
    scores = []
    for definition, future in list(record.feedback_and_future_results or []):
        done = future.done() and future.exception() is None
        result = future.result() if done else None
        shown = (
            "pending" if result is None else (result.result if result.error is None else "failed")
        )
        scores.append((definition.name, shown))
    perf = record.perf
    latency = (perf.end_time - perf.start_time).total_seconds() if perf else None
    nodes = [n for root in call_tree(data) for n in root.walk()]
    return _ENV.get_template("notebook_record.html").render(
        r=record,
        latency=latency,
        main_input=fold(record.main_input)[0],
        main_output=fold(record.main_output)[0],
        main_error=fold(record.main_error)[0] if record.main_error else "",
        feedback=scores,
        calls=nodes,
    )


def _register_with_ipython() -> None:
    """Show ``Record`` objects as HTML in a running IPython / Jupyter session."""
    ipython_module = sys.modules.get("IPython")
    shell = ipython_module.get_ipython() if ipython_module is not None else None
    if shell is None:
        return
    from spyglass.core import Record

    shell.display_formatter.formatters["text/html"].for_type(Record, record_html)


_register_with_ipython()
