"""Handing finished records to the recorder's sinks (:mod:`spyglass.core.sinks`).

Three ways a record reaches its recorder's sinks, and the process-wide ones:

- **Most roots** (:func:`plan` says ``HAND_OFF``; :func:`submit_pending`): at the
  root's end the app's thread queues the unbuilt records (a `PendingRecords`) on the
  sink dispatcher and returns. The dispatcher builds them, hands each to its
  recorder's feedback runner (which only attaches futures and submits the
  evaluations to the feedback pool), then puts it on every sink's queue. Nothing is
  queued (``DEFER``) when no recorder of the root has a sink or feedbacks to run and
  no process-wide sink is added: the records then wait, unbuilt, for the first read,
  as if sinks did not exist.
- **Feedback in ``WITH_APP`` mode** (:func:`deliver_built`): the feedback must be done
  before the root returns, so the records are built on the app's thread at the root's
  end; they are queued for the other sinks first, then evaluated.
- **Records made elsewhere** (:func:`add_record`, ``TruVirtual.add_record``).

The feedback runner is called where the record is built (dispatcher, reader or app
thread; see :mod:`spyglass.core.feedback._runner`), so a record is never readable
without its feedback futures. It is idempotent: the dispatcher and a reader racing on
one record evaluate it once. Every record reaches the dispatcher before the results of
its feedback, so each sink sees a record before the results on it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .. import sinks as _sinks
from .._log_once import LogOnce
from ..sinks import _queues

if TYPE_CHECKING:
    from ..schema._enums import FeedbackMode
    from ..schema._record import Record
    from ._app import App
    from ._block import Recording
    from ._build import PendingRecords

__all__ = [
    "BUILD_NOW",
    "DEFER",
    "HAND_OFF",
    "IMMEDIATE_TIMEOUT",
    "add_record",
    "deliver_built",
    "plan",
    "submit_pending",
    "wait_committed",
]

logger = logging.getLogger("spyglass.core.recording")
_failures = LogOnce(logger)


DEFER, HAND_OFF, BUILD_NOW = 0, 1, 2
"""What a root's end does: leave the records for the first read; queue them for the
dispatcher; build them now (feedback in ``WITH_APP`` mode). See ``App._delivery``."""


def plan(recordings: Sequence[Recording]) -> int:
    """What the end of a root that these recordings accepted does: the most any of
    their recorders needs, and at least ``HAND_OFF`` when a process-wide sink is added.

    On the hot path (once per root): one read per recording.
    """
    need = HAND_OFF if _queues._process else DEFER
    for recording in recordings:
        delivery = recording.app._delivery
        need = max(need, delivery)
    return need


def submit_pending(pending: PendingRecords, recordings: Sequence[Recording]) -> None:
    """On the app's thread, at the root's end: queue the build and the hand-off.

    Never builds and never blocks. If the dispatcher's queue is full the records are
    dropped for the sinks (counted and logged); they are still built when the
    recording is read, and their feedback then runs.
    """
    _queues.submit(functools.partial(_deliver_pending, pending, tuple(recordings)))


def _deliver_pending(pending: PendingRecords, recordings: tuple[Recording, ...]) -> None:
    """On the dispatcher: build the root's records, then hand each to its sinks."""
    for recording in recordings:
        record = pending.record_for(recording)  # builds all of them the first time
        if record is None:  # the build failed (logged by the builder)
            continue
        app = recording.app
        app._on_record(record)  # the feedback runner: futures, evaluations submitted
        if app._sink_channels or _queues.active():
            _queues.deliver_record(app._sink_channels, record, app)


def deliver_built(built: Sequence[tuple[Recording, Record]]) -> None:
    """On the app's thread: records built at the root's end (a recorder evaluates its
    feedback with the app). Never raises.

    Each record gets its feedback futures, then becomes readable; the records are
    queued for the sinks; then the feedback runs (``WITH_APP``: before this returns).
    """
    for recording, record in built:
        try:
            recording.app._attach_feedback(record)
            recording._add(record)
        except Exception:  # noqa: BLE001 - spyglass never raises into the app
            _failures.log("delivering a record", "spyglass could not deliver a record")
    if _queues._process or any(recording.app._sink_channels for recording, _ in built):
        _queues.submit(functools.partial(_fan_out, tuple(built)))
    for recording, record in built:
        recording.app._on_record(record)


def _fan_out(built: tuple[tuple[Recording, Record], ...]) -> None:
    """On the dispatcher: put built records on their sinks' queues."""
    for recording, record in built:
        app = recording.app
        if app._sink_channels or _queues.active():
            _queues.deliver_record(app._sink_channels, record, app)


def add_record(app: App, record: Record, feedback_mode: FeedbackMode | str | None) -> None:
    """A record made elsewhere (``TruVirtual.add_record``): evaluate its feedback
    afresh, in ``feedback_mode`` (default: the app's), and hand it to the sinks."""
    record.feedback_and_future_results = None
    record.feedback_results = None
    runner: Any = app._feedback_runner
    runner.attach(record, feedback_mode)
    if app._sink_channels or _queues.active():
        _queues.submit(functools.partial(_queues.deliver_record, app._sink_channels, record, app))
    runner.schedule(record, feedback_mode)
    if app._commit_wait is not None:
        app._commit_wait()


IMMEDIATE_TIMEOUT = 30.0
"""The most seconds an app's call waits for its record to be committed
(``record_ingest_mode="immediate"``); past this it returns, and the wait is logged."""


def wait_committed(sink: _sinks.RecordSink) -> None:
    """On the app's thread, at a root's end: wait until the store committed its record."""
    if not _sinks.flush_sink(sink, IMMEDIATE_TIMEOUT):
        _failures.log(
            "immediate ingest",
            "spyglass: a record was not committed within %g s (record_ingest_mode="
            "'immediate'); the app goes on and the record is written when the store can",
            IMMEDIATE_TIMEOUT,
            exc_info=False,
        )
