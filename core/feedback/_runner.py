"""Run an app's feedbacks on each of its records, in the app's feedback mode.

The recorder (:class:`spyglass.core.App`) owns one :class:`FeedbackRunner` and hands
it every finished record (``on_record``), before the root call returns:

- ``FeedbackMode.WITH_APP``: the feedbacks run before ``on_record`` returns, so the
  app's call returns after its feedback is done. With several feedbacks all but one
  run in the shared pool while the last runs on the app's thread.
- ``FeedbackMode.WITH_APP_THREAD`` (default): the feedbacks are submitted to one
  small process-wide pool (:class:`~spyglass.core.executor.ContextThreadPoolExecutor`,
  created on first use); ``on_record`` returns at once.
- ``FeedbackMode.NONE``: nothing runs.
- ``FeedbackMode.DEFERRED`` needs a database and is refused when the recorder is
  built (:data:`DEFERRED_UNAVAILABLE` is the message).

Either way ``record.feedback_and_future_results`` (pairs of definition and future)
and ``record.feedback_results`` (the futures) are filled. Feedbacks run with
recording suspended, so calls they make to instrumented components do not become
part of the app's records. No feedback error, and no error of this module, ever
reaches the user's app call: failures are results with status ``failed``, and
anything else is logged.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from .._log_once import LogOnce
from ..instrument._context import recording_suspended
from ..schema._enums import FeedbackMode, FeedbackResultStatus

__all__ = ["DEFERRED_UNAVAILABLE", "FeedbackRunner", "feedback_pool"]

logger = logging.getLogger(__name__)

DEFERRED_UNAVAILABLE = (
    "FeedbackMode.DEFERRED needs a database that holds records until a separate evaluator "
    "runs their feedback, and spyglass has no persistence yet. Use "
    "feedback_mode=FeedbackMode.WITH_APP_THREAD (the default: feedback runs in a background "
    "pool) or FeedbackMode.WITH_APP (the app's call returns after its feedback is done)."
)
from ..executor import ContextThreadPoolExecutor
from ..schema._feedback import FeedbackResult
from ._eval import app_json

# How many finished records the runner keeps for wait() when nobody calls it; past
# this, the oldest are dropped from that list (their results stay on the records).
MAX_UNCLAIMED = 1000

_pool: Any = None
_pool_lock = threading.Lock()


def feedback_pool() -> Any:
    """The process-wide pool feedbacks run in, created on first use.

    Small (``min(8, cpu_count + 4)`` threads) because feedbacks are few per record;
    each task runs in a copy of the submitter's context.
    """
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ContextThreadPoolExecutor(
                    max_workers=min(8, (os.cpu_count() or 1) + 4),
                    thread_name_prefix="spyglass-feedback",
                )
    return _pool


def _failed_result(feedback: Any, record: Any, exc: BaseException) -> Any:

    return FeedbackResult(
        feedback_definition_id=getattr(feedback, "feedback_definition_id", "unknown"),
        record_id=getattr(record, "record_id", None) or "no record",
        name=getattr(feedback, "name", "unknown"),
        status=FeedbackResultStatus.FAILED,
        error="".join(traceback.format_exception(exc)),
        last_ts=datetime.now(),
    )


def evaluate(feedback: Any, record: Any, app: Any) -> Any:
    """Run one feedback on one record with recording suspended; never raises."""
    try:
        with recording_suspended():
            return feedback.run(app=app, record=record)
    except BaseException as exc:  # run() does not raise; this is the last guard
        logger.exception("Feedback %s failed outside its own error handling", feedback)
        return _failed_result(feedback, record, exc)


class _Entry:
    """A record whose feedback the runner scheduled, until wait() claims it."""

    __slots__ = ("futures", "left", "record")

    def __init__(self, record: Any, futures: list[Future[Any]]) -> None:
        self.record = record
        self.futures = futures
        self.left = len(futures)


class FeedbackRunner:
    """Schedules an app's feedbacks on its records; one per recorder.

    Args:
        app: the recorder. Held weakly: the runner does not keep it alive.
    """

    def __init__(self, app: Any) -> None:
        self._app_ref: Callable[[], Any] = _ref(app)
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._entries: collections.OrderedDict[int, _Entry] = collections.OrderedDict()
        self._dropped_warned = False
        self._waited = False  # whether anyone collects records with wait()
        self._app_json: Any = None
        self._failures = LogOnce(logger)  # a broken app fails on every record: one traceback

    # -------------------------------------------------------------- scheduling

    def on_record(self, record: Any, feedback_mode: FeedbackMode | str | None = None) -> None:
        """Schedule the app's feedbacks on a finished record.

        Args:
            record: the record, whose ``feedback_and_future_results`` and
                ``feedback_results`` are filled.
            feedback_mode: overrides the app's mode for this record (``TruVirtual``).

        Never raises.
        """
        try:
            self._schedule(record, feedback_mode)
        except Exception:  # noqa: BLE001 - logged (traceback once); never raised into the app
            self._failures.log(
                "scheduling feedback",
                "spyglass could not schedule feedback for record %s; the app's result is "
                "unaffected. Please report this.",
                getattr(record, "record_id", "?"),
            )

    def _schedule(self, record: Any, feedback_mode: FeedbackMode | str | None) -> None:
        app = self._app_ref()
        feedbacks = list(getattr(app, "feedbacks", None) or ())
        mode = FeedbackMode(
            feedback_mode
            if feedback_mode is not None
            else getattr(app, "feedback_mode", FeedbackMode.WITH_APP_THREAD)
        )
        pairs: list[tuple[Any, Future[Any]]] = []
        record.feedback_and_future_results = []
        record.feedback_results = []
        if not feedbacks or mode is FeedbackMode.NONE:
            return
        if mode is FeedbackMode.DEFERRED:
            logger.error("%s Record %s was not evaluated.", DEFERRED_UNAVAILABLE, record.record_id)
            return
        app_json = self._app_json_for(app, feedbacks)
        if mode is FeedbackMode.WITH_APP:
            # All but the last in the pool, the last on this thread, then wait: one
            # feedback costs no thread hop, several still run side by side.
            for fb in feedbacks[:-1]:
                pairs.append((fb, feedback_pool().submit(evaluate, fb, record, app_json)))
            last: Future[Any] = Future()
            last.set_running_or_notify_cancel()
            last.set_result(evaluate(feedbacks[-1], record, app_json))
            pairs.append((feedbacks[-1], last))
        else:
            pool = feedback_pool()
            for fb in feedbacks:
                pairs.append((fb, pool.submit(evaluate, fb, record, app_json)))
        futures = [fut for _, fut in pairs]
        record.feedback_and_future_results = pairs
        record.feedback_results = futures
        self._track(record, futures)
        if mode is FeedbackMode.WITH_APP:
            for fut in futures:
                fut.result()  # evaluate() never raises

    def _app_json_for(self, app: Any, feedbacks: list[Any]) -> Any:
        """The app's JSON, computed once and only if a selector reads ``__app__``."""
        if self._app_json is None and any(
            getattr(fb, "needs_app", lambda: False)() for fb in feedbacks
        ):
            self._app_json = app_json(app)
        return self._app_json

    def _track(self, record: Any, futures: list[Future[Any]]) -> None:
        entry = _Entry(record, futures)
        with self._lock:
            self._entries[id(entry)] = entry
            self._evict()
        done = functools.partial(self._one_done, entry)
        for fut in futures:
            fut.add_done_callback(done)

    def _one_done(self, entry: _Entry, _future: Future[Any] | None = None) -> None:
        with self._done:
            entry.left -= 1
            if entry.left <= 0:
                self._done.notify_all()

    def _evict(self) -> None:
        """Keep at most MAX_UNCLAIMED finished records for wait(); say so when dropping."""
        if len(self._entries) <= MAX_UNCLAIMED:
            return
        for key in list(self._entries):
            if len(self._entries) <= MAX_UNCLAIMED:
                break
            if self._entries[key].left <= 0:
                del self._entries[key]
                if not self._dropped_warned:
                    # Only a user who collects records with wait() loses something here.
                    self._dropped_warned = True
                    logger.log(
                        logging.WARNING if self._waited else logging.INFO,
                        "More than %d records with finished feedback were never collected "
                        "with wait_for_feedback_results(); the oldest are no longer returned "
                        "by it (their results stay on each record).",
                        MAX_UNCLAIMED,
                    )

    # ------------------------------------------------------------------ waiting

    def pending(self) -> int:
        """How many records still have feedback running."""
        with self._lock:
            return sum(1 for e in self._entries.values() if e.left > 0)

    def wait(self, timeout: float | None = None) -> list[Any]:
        """Wait for the feedback of every record scheduled since the last wait.

        Args:
            timeout: the most seconds to wait in all (``None``: until done).

        Returns:
            Those records, oldest first. A record whose feedback is still running when
            the time is up is returned too; ``record.wait_for_feedback_results()``
            reports such a feedback as timed out.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._done:
            self._waited = True
            while True:
                running = any(e.left > 0 for e in self._entries.values())
                if not running:
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._done.wait(remaining)
            entries = list(self._entries.values())
            self._entries.clear()
        return [e.record for e in entries]


def _ref(obj: Any) -> Callable[[], Any]:
    try:
        return weakref.ref(obj)
    except TypeError:  # not weak-referenceable: hold it
        return lambda: obj
