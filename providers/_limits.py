"""How many judge calls a provider has in flight, and when a failed one is retried.

:class:`Limiter` bounds the requests in flight per provider (``max_concurrency``)
across threads *and* event loops: sync callers wait on a lock, async callers on a
future of their own loop, both in one FIFO queue, so a provider used from a feedback
thread pool and from ``asyncio.gather`` at once still never exceeds its limit.

:func:`retry_delay` says whether an error is worth retrying and after how long:
rate limits (429) and server errors (5xx) are, honouring the ``Retry-After`` header;
timeouts and dropped connections are; anything else (a bad request, a wrong key) is not.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

__all__ = ["Limiter", "retry_delay"]

# Longest wait between attempts when the server does not say (seconds).
MAX_BACKOFF = 30.0
# A Retry-After longer than this is not waited for: the call fails instead.
MAX_RETRY_AFTER = 120.0


class Limiter:
    """At most `limit` holders at a time, for threads and coroutines alike (FIFO)."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {limit}.")
        self.limit = limit
        self._lock = threading.Lock()
        self._held = 0
        # waiters: threading.Lock (held, released to wake) or (loop, Future)
        self._waiters: collections.deque[Any] = collections.deque()

    @property
    def in_flight(self) -> int:
        """How many holders there are now."""
        return self._held

    def _release(self) -> None:
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if isinstance(waiter, tuple):
                    loop, fut = waiter
                    if loop.is_closed():
                        continue
                    # The slot passes to the waiter directly: _held stays the same.
                    loop.call_soon_threadsafe(_wake, fut)
                    return
                waiter.release()
                return
            self._held -= 1

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold a slot for the ``with`` block, waiting for one if all are taken."""
        with self._lock:
            if self._held < self.limit and not self._waiters:
                self._held += 1
                waiter = None
            else:
                waiter = threading.Lock()
                waiter.acquire()
                self._waiters.append(waiter)
        if waiter is not None:
            waiter.acquire()  # released by _release, which hands us its slot
        try:
            yield
        finally:
            self._release()

    @contextlib.asynccontextmanager
    async def ahold(self) -> AsyncIterator[None]:
        """Hold a slot for the ``async with`` block, waiting without blocking the loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._held < self.limit and not self._waiters:
                self._held += 1
                fut = None
            else:
                fut = loop.create_future()
                self._waiters.append((loop, fut))
        if fut is not None:
            try:
                await fut
            except asyncio.CancelledError:
                with self._lock:
                    try:
                        self._waiters.remove((loop, fut))
                        cancelled_before_wake = True
                    except ValueError:  # woken already: the slot is ours, give it back
                        cancelled_before_wake = False
                if not cancelled_before_wake:
                    self._release()
                raise
        try:
            yield
        finally:
            self._release()


def _wake(fut: asyncio.Future[None]) -> None:
    # A waiter cancelled after the hand-over gives the slot back itself (ahold).
    if not fut.done():
        fut.set_result(None)


def _header(exc: BaseException, name: str) -> str | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        value = headers.get(name)
    except Exception:  # noqa: BLE001 - an odd headers object: no header
        return None
    return str(value) if value is not None else None


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def retry_delay(exc: BaseException, attempt: int, transient: tuple[type, ...] = ()) -> float | None:
    """Seconds to wait before retrying after `exc`, or ``None`` not to retry.

    Args:
        exc: the error of the failed attempt.
        attempt: how many attempts failed so far (1 after the first).
        transient: more exception types that are worth retrying (a backend's
            timeout and connection errors).
    """
    status = _status(exc)
    retryable = (
        status == 429
        or (status is not None and status >= 500)
        or isinstance(exc, (TimeoutError, ConnectionError) + transient)
    )
    if not retryable:
        return None
    after = _header(exc, "retry-after")
    if after is not None:
        try:
            seconds = float(after)
        except ValueError:
            seconds = None  # an HTTP date: fall back to backoff
        if seconds is not None:
            return None if seconds > MAX_RETRY_AFTER else max(0.0, seconds)
    base = min(MAX_BACKOFF, 0.5 * 2.0 ** (attempt - 1))
    return base * (0.5 + random.random() / 2)  # jitter: spread clients that failed together
