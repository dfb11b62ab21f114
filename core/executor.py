"""A thread pool that runs each task in a copy of its submitter's context.

spyglass keeps recording state in :mod:`contextvars` only. Framework thread pools
(LangChain's ``RunnableParallel``, LlamaIndex) already copy the context into their
workers, so their calls nest under the right parent. A plain
:class:`concurrent.futures.ThreadPoolExecutor` does not: its workers run in their own
context and see no recording. Use :class:`ContextThreadPoolExecutor` for your own
thread pools instead; spyglass never patches :mod:`threading` or
:mod:`concurrent.futures`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["ContextThreadPoolExecutor"]

T = TypeVar("T")


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A ``ThreadPoolExecutor`` whose tasks run in a copy of the submitter's context.

    The context is copied at each :meth:`submit` (and so for each item of ``map``),
    so a task sees the recording that was active where it was submitted, and two
    tasks never share context-variable changes.

    Usage::

        from spyglass.core import ContextThreadPoolExecutor

        with recorder as recording, ContextThreadPoolExecutor(4) as pool:
            answers = list(pool.map(app.respond, questions))
        len(recording.records) == len(questions)
    """

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Schedule ``fn(*args, **kwargs)`` to run in a copy of the current context.

        Args:
            fn: the callable.
            *args: its positional arguments.
            **kwargs: its keyword arguments.

        Returns:
            A future for its result.
        """
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
