"""The feedback pool: worker threads shared fairly between recorders, never blocking exit.

Feedback functions are user code: some are slow (a judge model behind a slow network),
some never return. Two rules keep them from hurting anything else:

Fair shares. Each recorder (each `FeedbackRunner`) submits to its own queue; idle
workers take work from the queues in turn (round robin), and no queue may use more
than its share of the workers (``workers // owners with work``, at least one) while
another has work waiting, nor more than ``workers`` ever. So one recorder's slow feedback holds at most its share of
the threads, and a recorder whose queue has work always gets a worker: if every
worker is taken when a queue that has nothing running gets work, one more thread is
started for it (up to `MAX_THREADS`).

Exit. Workers are daemon threads, so a feedback that never returns cannot keep the
interpreter alive. At exit, pending feedback gets a grace period to finish (default
`DEFAULT_EXIT_GRACE` seconds; ``SPYGLASS_FEEDBACK_EXIT_GRACE`` or
`set_exit_grace`), then whatever is still queued or running is abandoned with one
warning that says how many evaluations were lost.

Tasks run in a copy of the submitter's context, as in
:class:`~spyglass.core.executor.ContextThreadPoolExecutor`.
"""

from __future__ import annotations

import atexit
import collections
import contextvars
import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from .._redact import guard

__all__ = [
    "DEFAULT_EXIT_GRACE",
    "EXIT_GRACE_ENV",
    "MAX_THREADS",
    "FairPool",
    "set_exit_grace",
]

logger = guard(logging.getLogger("spyglass.core.feedback._runner"))

EXIT_GRACE_ENV = "SPYGLASS_FEEDBACK_EXIT_GRACE"
DEFAULT_EXIT_GRACE = 5.0
"""Seconds pending feedback may still take at interpreter exit."""
MAX_THREADS = 64
"""The most worker threads one pool starts, however many recorders wait."""

_Task = tuple[contextvars.Context, Callable[..., Any], tuple[Any, ...]]
_grace: float | None = None


def set_exit_grace(seconds: float) -> None:
    """How long pending feedback may still run at interpreter exit before it is abandoned.

    Args:
        seconds: at least 0; overrides ``SPYGLASS_FEEDBACK_EXIT_GRACE``.

    Raises:
        ValueError: ``seconds`` is negative or not a number.
    """
    global _grace
    value = float(seconds)
    if not value >= 0:
        raise ValueError(f"set_exit_grace: expected seconds >= 0, got {seconds!r}.")
    _grace = value


def exit_grace() -> float:
    """The grace in force: `set_exit_grace`'s, else the environment's, else the default."""
    if _grace is not None:
        return _grace
    raw = os.environ.get(EXIT_GRACE_ENV, "").strip()
    if raw:
        try:
            value = float(raw)
            if value >= 0:
                return value
        except ValueError:
            pass
        logger.warning(
            "%s=%r is not a number of seconds >= 0; using %s",
            EXIT_GRACE_ENV,
            raw,
            DEFAULT_EXIT_GRACE,
        )
    return DEFAULT_EXIT_GRACE


class FairPool:
    """Worker threads that run tasks from per-owner queues in turn (rules above).

    Args:
        workers: the threads shared between owners.
        name: prefix of the threads' names.
    """

    def __init__(self, workers: int, name: str = "spyglass-feedback") -> None:
        self.workers = max(1, workers)
        self._name = name
        self._cv = threading.Condition()
        # owner -> its queued tasks; the order is the round robin's
        self._queues: collections.OrderedDict[Hashable, collections.deque[_Task]] = (
            collections.OrderedDict()
        )
        self._running: collections.Counter[Hashable] = collections.Counter()
        self._threads = 0
        self._idle = 0
        self._closed = False

    # -------------------------------------------------------------- submitting

    def submit(self, owner: Hashable, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` for ``owner``, to run in a copy of the current context.

        Raises:
            RuntimeError: the pool is closed (the interpreter is exiting).
        """
        task = (contextvars.copy_context(), fn, args)
        with self._cv:
            if self._closed:
                raise RuntimeError("the feedback pool is closed: the interpreter is exiting")
            queue = self._queues.get(owner)
            if queue is None:
                queue = self._queues[owner] = collections.deque()
            queue.append(task)
            self._cv.notify()
            # Idle workers not yet awake count as taken: each serves one queued task.
            queued = sum(map(len, self._queues.values()))
            if self._idle >= queued:
                return
            if self._threads < self.workers or (
                # Every worker is taken, by others over their share: one more thread,
                # so that this owner gets its share now, not when a slow task ends.
                self._threads < MAX_THREADS and self._running[owner] + len(queue) <= self._share()
            ):
                self._start()

    def _start(self) -> None:
        self._threads += 1
        self._idle += 1  # a starting thread will take a queued task: count it as idle
        thread = threading.Thread(
            target=self._work, name=f"{self._name}-{self._threads}", daemon=True
        )
        thread.start()

    # -------------------------------------------------------------- working

    def _next(self) -> tuple[Hashable, _Task] | None:
        """The next task: the first queue in turn still under its share (held lock)."""
        queues = self._queues
        if not queues:
            return None
        share = self._share()
        for owner in list(queues):
            queue = queues[owner]
            running = self._running[owner]
            # Over its share only while nobody else waits, and never over `workers`:
            # threads started for other owners' shares are never all taken by one.
            if running < share or (len(queues) == 1 and running < self.workers):
                task = queue.popleft()
                del queues[owner]  # to the end of the round robin, if it has more
                if queue:
                    queues[owner] = queue
                return owner, task
        return None

    def _share(self) -> int:
        """How many tasks each owner with work may run at once (held lock)."""
        owners = len(self._queues) + sum(1 for o in self._running if o not in self._queues)
        return max(1, self.workers // max(1, owners))

    def _work(self) -> None:
        cv = self._cv
        with cv:
            self._idle -= 1  # started: counted as idle again only while it waits
        while True:
            with cv:
                picked = self._next()
                while picked is None:
                    self._idle += 1
                    cv.wait()
                    self._idle -= 1
                    picked = self._next()
                owner, (context, fn, args) = picked
                self._running[owner] += 1
            try:
                context.run(fn, *args)
            except BaseException:
                logger.exception("spyglass: a feedback task failed outside its error handling")
            finally:
                with cv:
                    self._running[owner] -= 1
                    if not self._running[owner]:
                        del self._running[owner]
                    cv.notify_all()  # a waiter at exit, or a worker held back by shares

    # -------------------------------------------------------------- state

    def pending(self) -> int:
        """Tasks queued or running."""
        with self._cv:
            return sum(map(len, self._queues.values())) + sum(self._running.values())

    def close(self, grace: float) -> int:
        """Stop taking tasks; wait up to ``grace`` seconds for those queued or running.

        Returns:
            How many tasks were abandoned (still queued or running after the grace).
        """
        deadline = time.monotonic() + grace
        with self._cv:
            self._closed = True
            while True:
                left = sum(map(len, self._queues.values())) + sum(self._running.values())
                remaining = deadline - time.monotonic()
                if not left or remaining <= 0:
                    break
                self._cv.wait(remaining)
            self._queues.clear()
            return left


_pools: list[FairPool] = []


def register_for_exit(pool: FairPool) -> FairPool:
    """Close ``pool`` at interpreter exit, with the grace in force (see the docstring)."""
    _pools.append(pool)
    return pool


@atexit.register
def _close_at_exit() -> None:
    grace = exit_grace()
    for pool in _pools:
        abandoned = pool.close(grace)
        if abandoned:
            logger.warning(
                "spyglass abandoned %d feedback evaluation(s) still pending at exit after "
                "waiting %.1f s for them (set %s or spyglass.core.feedback.set_exit_grace "
                "to wait longer)",
                abandoned,
                grace,
                EXIT_GRACE_ENV,
            )
