"""Run an app's feedbacks on each of its records, in the app's feedback mode.

The :class:`FeedbackRunner` is the recorder's first record sink
(:class:`~spyglass.core.sinks.RecordSink`): the recorder (:class:`spyglass.core.App`)
builds one from ``feedbacks=`` and ``feedback_mode=`` and hands it each record. It
is the one sink the recorder calls where the record is built, not on a sink worker,
so that ``record.feedback_results`` is filled as soon as the record can be read:

- ``FeedbackMode.WITH_APP``: the record is built when the root call ends, and the
  feedbacks run before ``on_record`` returns, so the app's call returns after its
  feedback is done. With several feedbacks all but one run in the shared pool while
  the last runs on the app's thread.
- ``FeedbackMode.WITH_APP_THREAD`` (default): the record is built off the app's
  thread (by the sink dispatcher, or by whoever reads the recording first), and
  ``on_record`` submits the feedbacks to one small process-wide pool, whose threads
  are shared fairly between recorders and never block the interpreter's exit
  (:mod:`spyglass.core.feedback._pool`), and returns at once.
- ``FeedbackMode.NONE``: nothing runs.
- ``FeedbackMode.DEFERRED``: nothing runs here; the recorder's session
  (``spyglass.store.TruSession``) stores the record with its feedbacks pending, and
  an evaluator runs them. Without a session the recorder refuses the mode
  (:data:`DEFERRED_UNAVAILABLE` is the message).

``on_record`` is two idempotent steps, so a record reaching the runner on two threads
is evaluated once: :meth:`FeedbackRunner.attach` fills
``record.feedback_and_future_results`` (pairs of definition and future) and
``record.feedback_results`` (the futures) with one unstarted future per feedback;
:meth:`FeedbackRunner.schedule` starts the futures nobody started yet. Each result,
when ready, goes to the recorder's other sinks (``on_feedback_result``).

Feedbacks run with recording suspended, so calls they make to instrumented
components do not become part of the app's records. Evaluation returns its status
as a value (:class:`~spyglass.core.FeedbackResult`); no feedback error, and no error
of this module, ever reaches the user's app call: failures are results with status
``failed``, and anything else is logged.
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

from .. import sinks as _sinks
from .._log_once import LogOnce
from .._redact import guard
from ..instrument._context import recording_suspended
from ..schema._enums import FeedbackMode, FeedbackResultStatus
from ..schema._feedback import FeedbackResult
from ..sinks import _queues
from ._eval import app_json
from ._pool import FairPool, register_for_exit

__all__ = ["DEFERRED_UNAVAILABLE", "FeedbackRunner", "feedback_pool"]

logger = guard(logging.getLogger(__name__))  # secrets redacted in its lines

DEFERRED_UNAVAILABLE = (
    "FeedbackMode.DEFERRED needs a database that holds records until a separate evaluator "
    "runs their feedback, and this recorder has none: create a spyglass.store.TruSession "
    "first (or pass session=...), or use "
    "feedback_mode=FeedbackMode.WITH_APP_THREAD (the default: feedback runs in a background "
    "pool) or FeedbackMode.WITH_APP (the app's call returns after its feedback is done)."
)

# How many finished records the runner keeps for wait() when nobody calls it; past
# this, the oldest are dropped from that list (their results stay on the records).
MAX_UNCLAIMED = 1000

_pool: FairPool | None = None
_pool_lock = threading.Lock()


def feedback_pool() -> FairPool:
    """The process-wide pool feedbacks run in, created on first use.

    ``min(8, cpu_count + 4)`` threads shared fairly between recorders, daemon threads
    that never keep the interpreter alive, a bounded grace at exit (see
    :mod:`spyglass.core.feedback._pool`); each task runs in a copy of the submitter's
    context.
    """
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = register_for_exit(FairPool(min(8, (os.cpu_count() or 1) + 4)))
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
    """Run one feedback on one record with recording suspended; never raises.

    The status is in the result: ``feedback.run`` returns ``failed`` and ``skipped``
    results as values; an exception that escapes it anyway becomes a ``failed`` one.
    """
    try:
        with recording_suspended():
            return feedback.run(app=app, record=record)
    except BaseException as exc:  # run() does not raise; this is the last guard
        logger.exception("Feedback %s failed outside its own error handling", feedback)
        return _failed_result(feedback, record, exc)


def _evaluate_into(fut: Future[Any], feedback: Any, record: Any, app: Any) -> None:
    """Evaluate, and set the (already running) future's result."""
    fut.set_result(evaluate(feedback, record, app))


_ONCE = LogOnce(logger)


class _EmittingFuture(Future[Any]):
    """A feedback's future that hands its result to the sinks *before* it is done.

    A done-callback would run after the waiters wake, so a caller of
    ``wait_for_feedback_results()`` followed by ``session.flush()`` could flush before the
    result was handed over, and miss it.
    """

    def __init__(self, emit: Callable[[Any], None]) -> None:
        super().__init__()
        self._emit_first = emit

    def set_result(self, result: Any) -> None:
        try:
            self._emit_first(result)
        except Exception:  # noqa: BLE001 - the result is the caller's, sinks or not
            _ONCE.log("emit", "spyglass could not hand a feedback result to the sinks")
        finally:
            super().set_result(result)


class _Entry:
    """A record whose feedback the runner scheduled, until wait() claims it."""

    __slots__ = ("futures", "left", "record")

    def __init__(self, record: Any, futures: list[Future[Any]]) -> None:
        self.record = record
        self.futures = futures
        self.left = len(futures)


class FeedbackRunner(_sinks.RecordSink):
    """Evaluates an app's feedbacks on its records; one per recorder, its first sink.

    Args:
        app: the recorder. Held weakly: the runner does not keep it alive.
    """

    name = "FeedbackRunner"

    def __init__(self, app: Any) -> None:
        self._app_ref: Callable[[], Any] = _ref(app)
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._entries: collections.OrderedDict[int, _Entry] = collections.OrderedDict()
        self._dropped_warned = False
        self._waited = False  # whether anyone collects records with wait()
        self._app_json: Any = None
        self._failures = LogOnce(logger)  # a broken app fails on every record: one traceback
        _queues.register_inline(self)  # sinks.flush() waits for the results it produces

    # -------------------------------------------------------------- the sink

    def on_record(
        self, record: Any, app: Any = None, feedback_mode: FeedbackMode | str | None = None
    ) -> None:
        """Evaluate the app's feedbacks on a finished record: :meth:`attach`, then
        :meth:`schedule`. A record given again is not evaluated again.

        Args:
            record: the record, whose ``feedback_and_future_results`` and
                ``feedback_results`` are filled.
            app: the recorder (the sink protocol's argument); the runner's own app
                is used.
            feedback_mode: overrides the app's mode for this record (``TruVirtual``).

        Never raises.
        """
        try:
            if feedback_mode is None and not getattr(self._app_ref(), "feedbacks", None):
                # Nothing to evaluate, the usual case, met on every record build: what
                # `attach` gives such a record, without its lock and futures. (Racing an
                # `attach` of the same record is harmless: both write empty lists.)
                if record.feedback_and_future_results is None:
                    record.feedback_results = []
                    record.feedback_and_future_results = []
                return
            self.attach(record, feedback_mode)
            self.schedule(record, feedback_mode)
        except Exception:  # noqa: BLE001 - logged (traceback once); never raised into the app
            self._failures.log(
                "scheduling feedback",
                "spyglass could not schedule feedback for record %s; the app's result is "
                "unaffected. Please report this.",
                getattr(record, "record_id", "?"),
            )

    def on_feedback_result(self, result: Any) -> None:
        """Results are the runner's own output: nothing to do."""

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every feedback attached so far has finished (``False`` on timeout);
        unlike :meth:`wait`, the records stay for ``wait`` to return."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._done:
            while any(e.left > 0 for e in self._entries.values()):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._done.wait(remaining)
        return True

    # -------------------------------------------------------------- the two steps

    def _plan(
        self, feedback_mode: FeedbackMode | str | None
    ) -> tuple[Any, list[Any], FeedbackMode]:
        app = self._app_ref()
        feedbacks = list(getattr(app, "feedbacks", None) or ())
        mode = FeedbackMode(
            feedback_mode
            if feedback_mode is not None
            else getattr(app, "feedback_mode", FeedbackMode.WITH_APP_THREAD)
        )
        return app, feedbacks, mode

    def attach(self, record: Any, feedback_mode: FeedbackMode | str | None = None) -> None:
        """Give the record one unstarted future per feedback (none in mode ``NONE``).

        Does nothing if the record already has its futures. Cheap: evaluates nothing.

        Raises:
            AttributeError: ``record`` cannot hold the futures (not a record).
        """
        with self._lock:
            if record.feedback_and_future_results is not None:
                return
            app, feedbacks, mode = self._plan(feedback_mode)
            # Deferred: the recorder's session stores the record with its feedbacks
            # pending, for an evaluator; without one they cannot run.
            if mode is FeedbackMode.DEFERRED and feedbacks and getattr(app, "_store", None) is None:
                logger.error(
                    "%s Record %s was not evaluated.", DEFERRED_UNAVAILABLE, record.record_id
                )
            if not feedbacks or mode in (FeedbackMode.NONE, FeedbackMode.DEFERRED):
                record.feedback_results = []
                record.feedback_and_future_results = []
                return
            pairs: list[tuple[Any, Future[Any]]] = [
                (fb, _EmittingFuture(self._emit)) for fb in feedbacks
            ]
            futures = [fut for _, fut in pairs]
            record.feedback_results = futures
            record.feedback_and_future_results = pairs
        self._track(record, futures)

    def schedule(self, record: Any, feedback_mode: FeedbackMode | str | None = None) -> None:
        """Start the record's feedbacks that nobody started yet, in the mode's way.

        ``WITH_APP``: returns when they are done. ``WITH_APP_THREAD``: returns once they
        are submitted to the feedback pool.
        """
        with self._lock:
            todo = [
                (fb, fut)
                for fb, fut in record.feedback_and_future_results or ()
                if not (fut.running() or fut.done()) and fut.set_running_or_notify_cancel()
            ]
        if not todo:
            return
        app, feedbacks, mode = self._plan(feedback_mode)
        app_json_ = self._app_json_for(app, feedbacks)
        if mode is FeedbackMode.WITH_APP:
            # All but the last in the pool, the last on this thread, then wait: one
            # feedback costs no thread hop, several still run side by side.
            for fb, fut in todo[:-1]:
                self._submit(fb, record, app_json_, fut)
            fb, fut = todo[-1]
            _evaluate_into(fut, fb, record, app_json_)
            for _, fut in todo:
                fut.result()  # evaluate() never raises
        else:
            for fb, fut in todo:
                self._submit(fb, record, app_json_, fut)

    def _submit(self, feedback: Any, record: Any, app_json_: Any, fut: Future[Any]) -> None:
        # One queue per runner (recorder): the pool shares its threads fairly between them.
        try:
            feedback_pool().submit(self, _evaluate_into, fut, feedback, record, app_json_)
        except RuntimeError as exc:  # the interpreter is exiting: nothing may wait now
            fut.set_result(_failed_result(feedback, record, exc))

    def _emit(self, result: Any) -> None:
        """A feedback finished: hand its result to the recorder's other sinks."""
        app = self._app_ref()
        channels = getattr(app, "_sink_channels", ()) if app is not None else ()
        if channels or _queues.active():
            _queues.submit_result(channels, result)

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
