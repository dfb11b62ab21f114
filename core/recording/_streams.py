"""The one stream proxy: keeping a call open while what it returned is consumed.

A call that returns a generator, an async generator or an awaitable is not over when it
returns: it ends when the stream ends or the awaitable is done. The core's lazy results
(:mod:`spyglass.core.recording._calls`) and the objects that carry a stream which
adapters hand over (:class:`StreamTee`, for the ``spyglass_stream_wrapper`` hook) use
the same proxies:

- :func:`proxy_generator` hands out a generator's (or any iterator's) items unchanged,
  and passes ``send()``, ``throw()`` and ``close()`` on; :func:`proxy_async_generator`
  does the same for async generators and async iterators. Each step of the stream runs
  with the call that returned it as the current recording state, so calls made while an
  item is produced (LlamaIndex calls its LLM on the first ``next``) nest under that
  call, in the reader's context otherwise (other context variables are the reader's).
- :func:`proxy_awaitable` awaits with the call current and settles it with the result.

A proxy reports to a *sink*: ``sink.add(item)`` for each item, ``sink.ended(error, why)``
when the stream ends: exhausted (``error`` and ``why`` ``None``), failed (the error,
which propagates unchanged), closed early by the reader (``why`` is
:data:`CLOSED`) or collected unfinished (:data:`COLLECTED`, see :func:`end_when_collected`).
A sink may be told more than once (a proxy closed while being collected, several proxies
of one stream); only the first end counts, which is the sink's to keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Protocol

from ..instrument._context import _STATE, RecordingState

__all__ = [
    "CLOSED",
    "COLLECTED",
    "StreamSink",
    "StreamTee",
    "end_when_collected",
    "proxy_async_generator",
    "proxy_awaitable",
    "proxy_generator",
    "stream_note",
]

logger = logging.getLogger("spyglass.core.recording")

CLOSED = "was closed early"
"""``why`` a stream ended when its reader closed it before the end."""
COLLECTED = "was garbage-collected before it finished"
"""``why`` a stream ended when it was collected unfinished."""


class StreamSink(Protocol):
    """What a proxy reports to: each item, then (at least once) how the stream ended."""

    def add(self, item: Any) -> None:
        """One item the stream handed out."""

    def ended(self, error: BaseException | None, why: str | None) -> None:
        """The stream ended: with ``error``, or early (``why``), or exhausted (both ``None``)."""


def stream_note(why: str, count: int) -> str:
    """The note a call records for a stream that ended early: what happened, after how much."""
    return f"the stream {why}, after {count} item{'s' if count != 1 else ''}"


# ------------------------------------------------------------------------ proxies


def proxy_generator(
    gen: Iterator[Any], current: RecordingState | None, sink: StreamSink
) -> Generator[Any, Any, Any]:
    """Hand out ``gen``'s items with ``current`` as the recording state around each step.

    ``gen`` may be a generator (``send`` and ``throw`` pass through, the return value is
    returned) or any iterator (what is thrown in ends it with that error).
    """
    send: Callable[[Any], Any]
    throw: Callable[[BaseException], Any]
    if isinstance(gen, Generator):
        send, throw = gen.send, gen.throw
    else:
        send, throw = (lambda _: next(gen)), _raise
    add = sink.add
    step = send
    value: Any = None
    while True:
        token = _STATE.set(current)
        try:
            item = step(value)
        except BaseException as exc:
            _STATE.reset(token)
            if _finished(sink, exc, StopIteration):
                return getattr(exc, "value", None)
            raise
        _STATE.reset(token)
        add(item)
        try:
            value = yield item
            step = send
        except GeneratorExit:
            with _closing(current, sink):
                close = getattr(gen, "close", None)
                # A source already running is being closed by whoever runs it.
                if close is not None and not getattr(gen, "gi_running", False):
                    close()
            raise
        except BaseException as exc:  # noqa: BLE001 - thrown in by the reader: passed on
            step, value = throw, exc


async def proxy_async_generator(
    agen: AsyncIterator[Any], current: RecordingState | None, sink: StreamSink
) -> AsyncGenerator[Any, Any]:
    """The async twin of :func:`proxy_generator`, for async generators and iterators."""
    asend: Callable[[Any], Awaitable[Any]]
    athrow: Callable[[BaseException], Awaitable[Any]]
    if isinstance(agen, AsyncGenerator):
        asend, athrow = agen.asend, agen.athrow
    else:
        asend, athrow = (lambda _: agen.__anext__()), _araise
    add = sink.add
    step = asend
    value: Any = None
    while True:
        token = _STATE.set(current)
        try:
            item = await step(value)
        except BaseException as exc:
            _STATE.reset(token)
            if _finished(sink, exc, StopAsyncIteration):
                return
            raise
        _STATE.reset(token)
        add(item)
        try:
            value = yield item
            step = asend
        except GeneratorExit:
            with _closing(current, sink):
                await _aclose_source(agen)
            raise
        except BaseException as exc:  # noqa: BLE001 - thrown in by the reader: passed on
            step, value = athrow, exc


async def proxy_awaitable(
    awaitable: Awaitable[Any],
    current: RecordingState | None,
    settle: Callable[[Any, BaseException | None], Any],
) -> Any:
    """Await ``awaitable`` with ``current`` as the recording state.

    ``settle(result, None)`` gives what the awaiter gets (the result, or a wrapped
    form of it); on failure ``settle(None, error)`` is told and the error propagates.
    """
    token = _STATE.set(current)
    try:
        ret = await awaitable
    except BaseException as exc:
        _STATE.reset(token)
        settle(None, exc)
        raise
    _STATE.reset(token)
    return settle(ret, None)


def _finished(sink: StreamSink, exc: BaseException, stop: type[BaseException]) -> bool:
    """Tell ``sink`` how a step that raised ``exc`` ended the stream: normally when ``exc``
    is the stream's ``stop``; otherwise with ``exc``, which the proxy raises again."""
    stopped = isinstance(exc, stop)
    sink.ended(None if stopped else exc, None)
    return stopped


@contextlib.contextmanager
def _closing(current: RecordingState | None, sink: StreamSink) -> Iterator[None]:
    """Close the source with ``current`` as the recording state; the stream ended early."""
    token = _STATE.set(current)
    try:
        yield
    finally:
        _STATE.reset(token)
        sink.ended(None, CLOSED)


async def _aclose_source(agen: Any) -> None:
    """Close the source of a proxy that is being closed, unless someone else is.

    A stream abandoned mid-iteration is closed by whoever gets there first: its
    reader's ``aclose()``, the event loop's finalizer of the proxy, and the loop's
    finalizer of the source itself (it became unreachable with the proxy). Closing a
    source that is already closing raises "asynchronous generator is already running"
    -- which the loop would log as an error of the proxy -- so a source that is running
    is left to the closer that runs it, and that error is not passed on; so is a
    source that the loop's finalizer already took over (proxy and source were collected
    together: each gets its own closing task, and the proxy's must not race the source's).
    """
    aclose = getattr(agen, "aclose", None)
    if aclose is None or getattr(agen, "ag_running", False) or _loop_closes(agen):
        return
    try:
        await aclose()
    except RuntimeError as exc:
        if "already running" not in str(exc):
            raise


def _loop_closes(agen: Any) -> bool:
    """Whether the running asyncio loop has taken ``agen`` over to close it.

    asyncio keeps every async generator it has seen start in ``loop._asyncgens`` (a
    weak set) until its finalizer hands the generator a closing task (it was collected)
    or the loop shuts down. A generator missing from it is being closed by the loop, or
    never started (closing it would do nothing). Loops without that set (other event
    loops) answer False: the proxy closes its source itself.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    known = getattr(loop, "_asyncgens", None)
    return known is not None and agen not in known


def _raise(exc: BaseException) -> Any:
    raise exc


async def _araise(exc: BaseException) -> Any:
    raise exc


def end_when_collected(obj: Any, sink: StreamSink) -> None:
    """End ``sink`` (``why`` :data:`COLLECTED`) when ``obj`` is garbage-collected.

    For a proxy, or for the object that carries a stream: a stream nobody reads to its
    end still ends its call. Objects that cannot be weakly referenced are left alone.
    """
    try:
        finalizer = weakref.finalize(obj, sink.ended, None, COLLECTED)
    except TypeError:  # not weak-referenceable
        return
    finalizer.atexit = False


# ------------------------------------------------------------------------ StreamTee


class StreamTee:
    """Keeps a call open while an object it returned streams: for ``spyglass_stream_wrapper``.

    Make it inside the hook's ``wrap(ret, finish)``, where the call that returned ``ret``
    is the current call, and hand the app ``tee.proxy(stream)`` in place of the object's
    stream. The proxy passes every item through unchanged and runs each step of the
    stream with that call current, so calls the stream makes while it is read nest
    under it. When the stream ends (exhausted, failed, closed early, or collected unread)
    the tee calls ``finish(value(items), error, note)`` once: the call is over, and
    records ``value(items)`` as what it returned. Several proxies (views of one stream)
    may share a tee; the first end counts.

    Usage::

        def wrap(resp, finish):
            tee = StreamTee(finish, lambda items: Completed("".join(items)))
            resp.stream = tee.proxy(resp.stream)
            return resp

    Args:
        finish: the ``finish`` that ``wrap`` was given.
        value: what the call records as its return value, made from the list of items
            streamed; the list itself by default (and when ``value`` raises).

    Attributes:
        items: the items streamed so far.
    """

    __slots__ = ("__weakref__", "_current", "_done", "_finish", "_lock", "_value", "items")

    def __init__(
        self, finish: Callable[..., None], value: Callable[[list[Any]], Any] = list
    ) -> None:
        self._current = _STATE.get()
        self._finish = finish
        self._value = value
        self._lock = threading.Lock()
        self._done = False
        self.items: list[Any] = []

    def proxy(self, stream: Any) -> Any:
        """A proxy of ``stream`` (an iterator or async iterator) to hand the app instead.

        Returns:
            A generator, or an async generator for an async ``stream``; its call ends
            with the tee if it is collected unfinished.
        """
        proxy: Any
        if hasattr(stream, "__anext__"):
            proxy = proxy_async_generator(stream, self._current, self)
        else:
            proxy = proxy_generator(iter(stream), self._current, self)
        end_when_collected(proxy, self)
        return proxy

    def end(self, error: BaseException | None = None) -> None:
        """End the call now (e.g. there is nothing to stream), with ``error`` if given."""
        self.ended(error, None)

    def end_when_collected(self, obj: Any) -> None:
        """End the call when ``obj`` (the object that carries the stream) is collected."""
        end_when_collected(obj, self)

    def add(self, item: Any) -> None:
        """Keep one streamed item (the sink side, told by the proxies)."""
        self.items.append(item)

    def ended(self, error: BaseException | None, why: str | None) -> None:
        """The stream ended (the sink side): finish the call, once."""
        with self._lock:
            if self._done:
                return
            self._done = True
        try:
            value = self._value(self.items)
        except Exception:
            logger.debug("spyglass could not build a streamed call's value", exc_info=True)
            value = list(self.items)
        note = None if why is None else stream_note(why, len(self.items))
        self._finish(value, error, note)
