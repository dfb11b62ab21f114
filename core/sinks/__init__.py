"""Record sinks: the one seam through which records and feedback results leave a recorder.

A *sink* is any object with the four methods of :class:`RecordSink` (like
OpenTelemetry's ``SpanProcessor``). A recorder hands every record it finishes, and
every feedback result its feedbacks produce, to its own sinks (``App(..., sinks=[...])``)
and to the process-wide ones (:func:`add_sink`). Nothing else consumes records: the
feedback runner (:class:`~spyglass.core.feedback.FeedbackRunner`) is a sink too.

Threads. Nothing a sink does runs on the app's thread, and no sink can slow the app
or another sink:

- At the end of a top-level call the app's thread only puts it on the *dispatcher*'s
  queue: one daemon thread per process (``spyglass-sinks``, started on first use),
  which builds the records (:mod:`spyglass.core.recording._build`) and puts each on
  the queue of every sink that should see it.
- Each sink has its own queue and daemon worker thread (``spyglass-sink-<name>``,
  started when the sink is given to a recorder or added, ended when no recorder and
  no registry holds it any more), where its methods run one at a time, in the order
  the dispatcher handled the items: a record before the feedback results on it. A sink given to several recorders, or also to
  :func:`add_sink`, has one queue and sees each record once.
- Queues are bounded (:data:`DISPATCH_QUEUE_SIZE`, :data:`QUEUE_SIZE`); what arrives at
  a full one is dropped, never waited for, with a warning (once) and a count
  (:func:`dropped`). A sink that raises is logged once by its name; the exception
  never reaches the app or another sink.
- At interpreter exit (``atexit``) queued work is delivered and every sink flushed and
  shut down, for at most :data:`EXIT_TIMEOUT` seconds in all. That includes the sinks
  of recorders dropped before exit: their worker thread ends once they are gone (after
  delivering what was queued), and spyglass keeps the sink itself until it shuts it down
  at exit (or until a new recorder uses it again). A sink removed with
  :func:`remove_sink` is not shut down.

The one exception is the feedback runner, called where the record is built so that
``record.feedback_results`` is set whenever the record can be read (see
:mod:`spyglass.core.feedback._runner`). A recorder with no sink, no feedback and no
process-wide sink does nothing extra on the app's thread: its records are built when
first read, as before.
"""

from __future__ import annotations

from ._protocols import (
    RecordSink,
    RecordStore,
    check_sink,
    current_store,
    set_current_store,
    sink_name,
)
from ._queues import (
    DISPATCH_QUEUE_SIZE,
    EXIT_TIMEOUT,
    QUEUE_SIZE,
    add_sink,
    dropped,
    flush,
    flush_sink,
    process_sinks,
    remove_sink,
    shutdown,
)

__all__ = [
    "DISPATCH_QUEUE_SIZE",
    "EXIT_TIMEOUT",
    "QUEUE_SIZE",
    "RecordSink",
    "RecordStore",
    "add_sink",
    "check_sink",
    "current_store",
    "dropped",
    "flush",
    "flush_sink",
    "process_sinks",
    "remove_sink",
    "set_current_store",
    "shutdown",
    "sink_name",
]
