"""The machinery behind :mod:`spyglass.core.sinks`: the dispatcher thread, one bounded
queue and worker thread per sink, the process-wide registry, drops counted, flushing and
the bounded drain at exit (how they fit: the package's docstring)."""

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
from typing import TYPE_CHECKING, Any

from .._log_once import LogOnce
from .._redact import guard
from ._protocols import RecordSink, check_sink, sink_name

if TYPE_CHECKING:
    from ..recording._app import App
    from ..schema._feedback import FeedbackResult
    from ..schema._record import Record

logger = guard(logging.getLogger("spyglass.core.sinks"))  # secrets redacted in its lines
_once = LogOnce(logger)

QUEUE_SIZE = 2048
"""How many records and results one sink's queue holds; past this they are dropped."""

DISPATCH_QUEUE_SIZE = 4096
"""How many finished top-level calls wait for the dispatcher; past this they are dropped."""

EXIT_TIMEOUT = 3.0
"""The most seconds spent at interpreter exit delivering what is queued and shutting down."""


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

    __slots__ = ("__weakref__", "_done", "_lock", "_queue", "_retire", "_thread", "name", "sink")

    def __init__(self, sink: RecordSink) -> None:
        self.sink = sink
        self.name = sink_name(sink)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._queue: queue.SimpleQueue[tuple[int, Any, Any]] = queue.SimpleQueue()
        self._retire = [True]  # shut the sink down at exit once the channel is gone
        self._when_gone()
        self._start()

    def _when_gone(self) -> None:
        # The worker ends after what is queued; the sink is retired, to be shut down at
        # exit (a recorder is freed as soon as the user drops it, before exit).
        self._done = threading.Event()
        finalizer = weakref.finalize(self, _gone, self._queue, self.sink, self._done, self._retire)
        finalizer.atexit = False

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
                args=(self.sink, self.name, self._queue, self._done),
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
        self._when_gone()


# id(sink) -> (sink, its last worker's end) for sinks whose channel went before exit
# (every recorder using them was dropped): `shutdown` shuts them down, once. Written
# from finalizers, so without a lock (one dict operation each).
_retired: dict[int, tuple[RecordSink, threading.Event]] = {}


def _gone(
    items: queue.SimpleQueue[tuple[int, Any, Any]],
    sink: RecordSink,
    done: threading.Event,
    retire: list[bool],
) -> None:
    items.put((_STOP, None, None))
    if retire[0]:
        _retired[id(sink)] = (sink, done)


def _work(
    sink: RecordSink,
    name: str,
    items: queue.SimpleQueue[tuple[int, Any, Any]],
    done: threading.Event,
) -> None:
    """A sink's worker: call the sink for each item, until its channel is gone."""
    get = items.get
    while True:
        kind, a, b = get()
        if kind == _STOP:
            done.set()
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
            _retired.pop(id(sink), None)  # in use again: its new channel shuts it down
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
        for channel in _process:
            if channel.sink is sink:
                channel._retire[0] = False  # not shut down when its channel goes, either
        _process = tuple(c for c in _process if c.sink is not sink)


def process_sinks() -> list[RecordSink]:
    """The sinks added with :func:`add_sink`, in the order they were added."""
    return [c.sink for c in _process]


def active() -> bool:
    """Whether any process-wide sink is added (then every record goes to the dispatcher)."""
    return bool(_process)


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
    deadline = None if timeout is None else start + timeout
    shut = _each_channel(_SHUTDOWN, deadline)
    return _shut_retired(deadline) and shut and flushed


def _shut_retired(deadline: float | None) -> bool:
    """Shut down the retired sinks, each once its last worker delivered what was queued."""
    ok = True
    for key in list(_retired):
        entry = _retired.pop(key, None)
        if entry is None:
            continue
        sink, done = entry
        if not done.wait(_remaining(deadline)):
            ok = False  # still delivering: never call shutdown() alongside on_record()
            continue
        try:
            sink.shutdown()
        except Exception:  # noqa: BLE001 - a sink's failure never reaches the caller
            ok = False
            _once.log(f"sink {sink_name(sink)}", "spyglass: sink %s raised in shutdown", sink)
    return ok


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
            for channel in channels:
                channel._retire[0] = False  # nor again when its channel goes
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
