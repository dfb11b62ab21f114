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
  shut down, for at most :data:`EXIT_TIMEOUT` seconds in all.

The one exception is the feedback runner, called where the record is built so that
``record.feedback_results`` is set whenever the record can be read (see
:mod:`spyglass.core.feedback._runner`). A recorder with no sink, no feedback and no
process-wide sink does nothing extra on the app's thread: its records are built when
first read, as before.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ._log_once import LogOnce

if TYPE_CHECKING:
    from .recording._app import App
    from .schema._feedback import FeedbackResult
    from .schema._record import Record

__all__ = [
    "DISPATCH_QUEUE_SIZE",
    "EXIT_TIMEOUT",
    "QUEUE_SIZE",
    "RecordSink",
    "RecordStore",
    "add_sink",
    "current_store",
    "dropped",
    "flush",
    "flush_sink",
    "process_sinks",
    "remove_sink",
    "set_current_store",
    "shutdown",
]

logger = logging.getLogger(__name__)
_once = LogOnce(logger)

QUEUE_SIZE = 2048
"""How many records and results one sink's queue holds; past this they are dropped."""

DISPATCH_QUEUE_SIZE = 4096
"""How many finished top-level calls wait for the dispatcher; past this they are dropped."""

EXIT_TIMEOUT = 3.0
"""The most seconds spent at interpreter exit delivering what is queued and shutting down."""


@runtime_checkable
class RecordSink(Protocol):
    """What consumes records and feedback results: implement these four methods.

    Subclass it to inherit do-nothing defaults for the methods you do not need, or
    write any class with the same four methods (``isinstance(obj, RecordSink)``
    checks that they are there).

    The contract: spyglass calls these methods on the sink's own worker thread, never
    on the app's thread, one call at a time, each record before the feedback results
    on it. A method may take its time or block: the app's calls and the other sinks go
    on (what arrives while the sink's queue is full is dropped and counted). Whatever
    a method raises is logged once and otherwise ignored. A record handed to a sink is
    shared with the app and the other sinks: read it, do not change it.

    Usage (a recorder's records: ``TruCustomApp(rag, sinks=[PrintSink()])``; every
    recorder's: ``spyglass.core.add_sink(PrintSink())``)::

        class PrintSink(RecordSink):
            def on_record(self, record, app):
                print(app.app_name, record.main_input, "->", record.main_output)
    """

    def on_record(self, record: Record, app: App) -> None:
        """A recorder finished a record.

        Args:
            record: the record, built (values serialised). Its ``feedback_results``
                futures are set when the recorder runs feedbacks; their results also
                arrive through :meth:`on_feedback_result`.
            app: the recorder that made it (``app.app_name``, ``app.app_id``, ...).
        """
        return

    def on_feedback_result(self, result: FeedbackResult) -> None:
        """A feedback finished on a record (``result.record_id`` names the record).

        Args:
            result: its result, whatever its status (``done``, ``failed``,
                ``skipped``).
        """
        return

    def flush(self, timeout: float | None = None) -> bool:
        """Push out whatever the sink buffers; called by :func:`flush` and at exit.

        Args:
            timeout: the most seconds to take (``None``: no limit).

        Returns:
            Whether everything was pushed out in time.
        """
        return True

    def shutdown(self) -> None:
        """Release what the sink holds; called once, at interpreter exit (or by
        :func:`shutdown`), after its queue was delivered."""
        return


def sink_name(sink: object) -> str:
    """The name a sink is logged by: its ``name`` attribute if a string, else its class."""
    name = getattr(sink, "name", None)
    return name if isinstance(name, str) and name else type(sink).__qualname__


def check_sink(sink: object) -> RecordSink:
    """``sink`` itself if it has the four methods of :class:`RecordSink`.

    Raises:
        TypeError: a method is missing; the message names it.
    """
    if isinstance(sink, RecordSink):
        return sink
    missing = [
        name
        for name in ("on_record", "on_feedback_result", "flush", "shutdown")
        if not callable(getattr(sink, name, None))
    ]
    raise TypeError(
        f"{sink!r} is not a record sink: it has no {', '.join(missing)} method(s). "
        "Subclass spyglass.core.RecordSink to inherit the ones you do not need."
    )


# ------------------------------------------------------------------ work items

_RECORD, _RESULT, _FLUSH, _SHUTDOWN, _STOP = range(5)
_METHODS = ("on_record", "on_feedback_result", "flush", "shutdown")

_stats_lock = threading.Lock()
_dropped = 0


def _count_drop(where: str, waiting: int) -> None:
    global _dropped
    with _stats_lock:
        _dropped += 1
        total = _dropped
    _once.log(
        f"full {where}",
        "spyglass: %s is full (%d waiting); what arrives is dropped until it drains "
        "(%d dropped so far in this process)",
        where,
        waiting,
        total,
        level=logging.WARNING,
        exc_info=False,
    )


def dropped() -> int:
    """How many records and results were dropped in this process because a queue was full."""
    return _dropped


class _Barrier:
    """Waits for a number of channels (or the dispatcher) to reach a marker."""

    def __init__(self, count: int, deadline: float | None) -> None:
        self.deadline = deadline
        self._left = count
        self._ok = True
        self._lock = threading.Lock()
        self._event = threading.Event()
        if count <= 0:
            self._event.set()

    def remaining(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def done(self, ok: bool = True) -> None:
        with self._lock:
            self._ok = self._ok and ok
            self._left -= 1
            if self._left <= 0:
                self._event.set()

    def wait(self) -> bool:
        return self._event.wait(self.remaining()) and self._ok


# ------------------------------------------------------------------ one sink's queue


class _Channel:
    """One sink's bounded queue and its worker thread.

    The worker starts with the channel (so that it exists at interpreter exit, when
    Python may refuse to start threads) and ends once the channel is gone, after
    delivering what was queued. Only the dispatcher puts records and results here, so
    the order of a channel's items is the order the dispatcher handled them.
    """

    __slots__ = ("__weakref__", "_lock", "_queue", "_thread", "name", "sink")

    def __init__(self, sink: RecordSink) -> None:
        self.sink = sink
        self.name = sink_name(sink)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._queue: queue.SimpleQueue[tuple[int, Any, Any]] = queue.SimpleQueue()
        weakref.finalize(self, self._queue.put, (_STOP, None, None))
        self._start()

    def offer(self, kind: int, a: Any, b: Any = None) -> bool:
        """Queue one item for the sink; records and results are dropped when full."""
        if kind < _FLUSH and self._queue.qsize() >= QUEUE_SIZE:
            _count_drop(f"the queue of sink {self.name}", self._queue.qsize())
            return False
        self._queue.put((kind, a, b))
        if self._thread is not None or self._start():
            return True
        if kind >= _FLUSH:
            a.done(False)  # nobody will reach the marker: do not make the caller wait
        return False

    def _start(self) -> bool:
        with self._lock:
            if self._thread is not None:
                return True
            thread = threading.Thread(
                target=_work,
                args=(self.sink, self.name, self._queue),
                name=f"spyglass-sink-{self.name}",
                daemon=True,
            )
            try:
                thread.start()
            except RuntimeError:  # the interpreter is shutting down: no new threads
                return False
            self._thread = thread
            return True

    def on_worker(self) -> bool:
        return self._thread is threading.current_thread()

    def _reset(self) -> None:
        """After a fork: the worker thread does not exist in the child."""
        self._lock = threading.Lock()
        self._thread = None
        self._queue = queue.SimpleQueue()
        weakref.finalize(self, self._queue.put, (_STOP, None, None))


def _work(sink: RecordSink, name: str, items: queue.SimpleQueue[tuple[int, Any, Any]]) -> None:
    """A sink's worker: call the sink for each item, until its channel is gone."""
    get = items.get
    while True:
        kind, a, b = get()
        if kind == _STOP:
            return
        ok = True
        try:
            if kind == _RECORD:
                sink.on_record(a, b)
            elif kind == _RESULT:
                sink.on_feedback_result(a)
            elif kind == _FLUSH:
                ok = bool(sink.flush(a.remaining()))
            else:
                sink.shutdown()
        except BaseException:  # noqa: BLE001 - a sink's failure never reaches the app
            ok = False
            _once.log(
                f"sink {name}",
                "spyglass: sink %s raised in %s; it keeps receiving, and the app is "
                "unaffected (later failures of this sink are logged at debug level)",
                name,
                _METHODS[kind],
            )
        if kind >= _FLUSH:
            a.done(ok)
        del a, b  # hold nothing between items


# id(sink) -> its channel, while anything (a recorder, the registry, a worker) holds it;
# the channel holds the sink, so the id stays the sink's.
_channels: weakref.WeakValueDictionary[int, _Channel] = weakref.WeakValueDictionary()
_channels_lock = threading.Lock()
_inline: weakref.WeakSet[RecordSink] = weakref.WeakSet()  # see register_inline
_shut: weakref.WeakSet[_Channel] = weakref.WeakSet()  # channels whose sink was shut down


def channel_for(sink: RecordSink) -> _Channel:
    """The one channel of ``sink`` (made on first use)."""
    with _channels_lock:
        channel = _channels.get(id(sink))
        if channel is None or channel.sink is not sink:
            channel = _channels[id(sink)] = _Channel(sink)
            _register_exit()  # every sink is flushed and shut down at exit
        return channel


def channels_for(sinks: Iterable[RecordSink]) -> tuple[_Channel, ...]:
    """The channels of ``sinks``, one per distinct sink, in order."""
    out: list[_Channel] = []
    for sink in sinks:
        channel = channel_for(sink)
        if channel not in out:
            out.append(channel)
    return tuple(out)


# ------------------------------------------------------------------ the process registry

_process: tuple[_Channel, ...] = ()
_registry_lock = threading.Lock()


def add_sink(sink: RecordSink) -> None:
    """Give every recorder's records and feedback results to ``sink`` too, from now on.

    Adding a sink that is already added does nothing.

    Raises:
        TypeError: ``sink`` lacks a method of :class:`RecordSink`.
    """
    global _process
    channel = channel_for(check_sink(sink))
    with _registry_lock:
        if channel not in _process:
            _process = (*_process, channel)


def remove_sink(sink: RecordSink) -> None:
    """Stop giving records to a sink added with :func:`add_sink`.

    What was already queued for it is still delivered. The sink is not shut down.
    Removing a sink that is not added does nothing.
    """
    global _process
    with _registry_lock:
        _process = tuple(c for c in _process if c.sink is not sink)


def process_sinks() -> list[RecordSink]:
    """The sinks added with :func:`add_sink`, in the order they were added."""
    return [c.sink for c in _process]


def active() -> bool:
    """Whether any process-wide sink is added (then every record goes to the dispatcher)."""
    return bool(_process)


# ------------------------------------------------------------------ the store a recorder uses


@runtime_checkable
class RecordStore(Protocol):
    """What keeps records past the process (``spyglass.store.TruSession``), seen from core.

    A recorder given ``session=`` uses that store; otherwise the one set last with
    :func:`set_current_store` (each ``TruSession`` sets itself when made); with none,
    nothing is stored. Core imports no store: this protocol is the whole seam.
    """

    def sink_for(self, app: App) -> RecordSink:
        """Called once when a recorder is made: store its definition (and its feedback
        definitions) and return the sink its records and feedback results go to."""
        ...

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until what was handed over so far is stored; ``False`` on timeout."""
        ...


_store: RecordStore | None = None


def set_current_store(store: RecordStore | None) -> None:
    """Make ``store`` the one recorders made from now on use (``None``: none)."""
    global _store
    _store = store


def current_store() -> RecordStore | None:
    """The store recorders made now use when given no ``session=``, or ``None``."""
    return _store


# ------------------------------------------------------------------ the dispatcher


class _Dispatcher:
    """The one thread that builds records and puts them, and results, on sink queues."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def submit(self, job: Callable[[], object], control: bool = False) -> bool:
        if not control and self.queue.qsize() >= DISPATCH_QUEUE_SIZE:
            _count_drop("the spyglass sink dispatcher's queue", self.queue.qsize())
            return False
        self.queue.put(job)
        if self.thread is None:
            self._start()
        return True

    def _start(self) -> None:
        with self.lock:
            if self.thread is not None:
                return
            thread = threading.Thread(target=self._loop, name="spyglass-sinks", daemon=True)
            try:
                thread.start()
            except RuntimeError:  # the interpreter is shutting down: no new threads
                return
            self.thread = thread

    def _loop(self) -> None:
        get = self.queue.get
        while True:
            job = get()
            try:
                job()
            except BaseException:  # noqa: BLE001 - the dispatcher must outlive any job
                _once.log("dispatching", "spyglass: handing a record to its sinks failed")
            del job  # hold no recorder between jobs


_dispatcher = _Dispatcher()


def submit(job: Callable[[], object]) -> bool:
    """Run ``job()`` on the dispatcher thread, after what was submitted before.

    Called on the app's thread: never blocks. Returns ``False`` (and counts a drop)
    when the dispatcher's queue is full.
    """
    return _dispatcher.submit(job)


def deliver_record(channels: Sequence[_Channel], record: Record, app: App) -> None:
    """On the dispatcher: queue ``record`` for ``channels`` and every process-wide sink."""
    for channel in _targets(channels):
        channel.offer(_RECORD, record, app)


def submit_result(channels: Sequence[_Channel], result: FeedbackResult) -> bool:
    """From any thread: have the dispatcher queue ``result`` for ``channels`` and every
    process-wide sink (behind the records already submitted). Never blocks."""
    return _dispatcher.submit(functools.partial(_deliver_result, channels, result))


def _deliver_result(channels: Sequence[_Channel], result: FeedbackResult) -> None:
    for channel in _targets(channels):
        channel.offer(_RESULT, result)


def _targets(channels: Sequence[_Channel]) -> list[_Channel]:
    targets = list(channels)
    for channel in _process:
        if channel not in targets:
            targets.append(channel)
    return targets


# ------------------------------------------------------------------ flushing and exit


def wait_dispatched(timeout: float | None = None) -> bool:
    """Wait until the dispatcher has handled everything submitted so far (records built,
    put on sink queues); not for the sinks themselves. ``False`` on timeout."""
    if _dispatcher.thread is None or _dispatcher.thread is threading.current_thread():
        return True
    barrier = _Barrier(1, None if timeout is None else time.monotonic() + timeout)
    _dispatcher.submit(barrier.done, control=True)
    return barrier.wait()


def register_inline(sink: RecordSink) -> None:
    """Note a sink that its recorder calls where records are built (the feedback
    runner), so that :func:`flush` waits for the results it is still producing."""
    with _channels_lock:
        _inline.add(sink)


def flush(timeout: float | None = None) -> bool:
    """Deliver everything queued so far to every sink, and have each sink flush.

    Waits until the records submitted before this call, and the results of the
    feedbacks running on them, have reached every sink, and each sink's
    :meth:`~RecordSink.flush` has returned. A sink's own worker calling this does not
    wait for itself.

    Args:
        timeout: the most seconds to wait in all (``None``: until done).

    Returns:
        ``True`` if all of it was done in time (and every sink's flush said so),
        ``False`` on timeout.
    """
    return _each_channel(_FLUSH, None if timeout is None else time.monotonic() + timeout)


def flush_sink(sink: RecordSink, timeout: float | None = None) -> bool:
    """Wait until the records submitted so far reached ``sink`` and its ``flush`` returned.

    Unlike :func:`flush`, waits for this one sink only (not for running feedbacks).
    Returns ``False`` on timeout, or if the sink's flush said so.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    if not wait_dispatched(_remaining(deadline)):
        return False
    channel = channel_for(sink)
    if channel.on_worker():
        return bool(sink.flush(_remaining(deadline)))
    barrier = _Barrier(1, deadline)
    channel.offer(_FLUSH, barrier)
    return barrier.wait()


def shutdown(timeout: float | None = EXIT_TIMEOUT) -> bool:
    """Flush, then call the :meth:`~RecordSink.shutdown` of every sink not shut down
    yet (what exit does). A third of the time is kept for shutting down, so a sink
    that blocks does not keep the others from it.

    Args:
        timeout: the most seconds to wait in all.

    Returns:
        ``True`` if every sink was flushed and shut down in time.
    """
    start = time.monotonic()
    flushed = _each_channel(_FLUSH, None if timeout is None else start + timeout * 2 / 3)
    return _each_channel(_SHUTDOWN, None if timeout is None else start + timeout) and flushed


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _each_channel(kind: int, deadline: float | None) -> bool:
    dispatched = wait_dispatched(_remaining(deadline))
    if kind == _FLUSH:  # feedbacks still running: their results go to the dispatcher
        if not dispatched:
            return False
        with _channels_lock:
            inline = list(_inline)
        for sink in inline:
            try:
                if not sink.flush(_remaining(deadline)):
                    return False
            except Exception:  # noqa: BLE001 - a sink's failure never reaches the caller
                _once.log(f"sink {sink_name(sink)}", "spyglass: sink %s raised in flush", sink)
        if not wait_dispatched(_remaining(deadline)):
            return False
    with _channels_lock:
        channels = [c for c in _channels.values() if not (c.on_worker() or c in _shut)]
        if kind == _SHUTDOWN:
            _shut.update(channels)  # once per sink
    barrier = _Barrier(len(channels), deadline)
    for channel in channels:
        channel.offer(kind, barrier)
    return barrier.wait() and dispatched


_exit_registered = False


def _register_exit() -> None:
    global _exit_registered
    if not _exit_registered:
        _exit_registered = True
        atexit.register(_at_exit)


def _at_exit() -> None:
    if not shutdown(EXIT_TIMEOUT):
        logger.warning(
            "spyglass: record sinks did not finish within %g s at exit; what was still "
            "queued for them is lost",
            EXIT_TIMEOUT,
        )
    if _dropped:
        logger.warning(
            "spyglass: %d records and feedback results were dropped because a sink queue was full",
            _dropped,
        )


def _after_fork() -> None:
    """In a forked child the dispatcher and sink workers do not exist: start afresh."""
    global _dispatcher, _channels_lock, _registry_lock, _stats_lock
    _dispatcher = _Dispatcher()
    _channels_lock = threading.Lock()
    _registry_lock = threading.Lock()
    _stats_lock = threading.Lock()
    for channel in list(_channels.values()):
        channel._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
