"""What a feedback's evaluation cost: implementations report it, the result adds it up.

A feedback implementation that calls a paid service (an LLM judge, an embedding model)
reports each call's :class:`~spyglass.core.Cost` with :func:`report_cost`.
:meth:`spyglass.core.Feedback.run` opens a tally around its evaluation and puts the sum
on :attr:`FeedbackResult.cost <spyglass.core.FeedbackResult.cost>`::

    from spyglass.core import Cost, report_cost

    def my_judge(text: str) -> float:
        answer = client.complete(text)
        report_cost(Cost.one_completion(answer.prompt_tokens, answer.completion_tokens,
                                        answer.total_tokens))
        return answer.score

The tally lives in a context variable, so it follows the evaluation into asyncio tasks
and into :class:`~spyglass.core.ContextThreadPoolExecutor` workers; a report made
outside any evaluation is ignored. This is how core learns about costs without knowing
any provider.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator

from ..schema._measures import Cost

__all__ = ["CostTally", "cost_tally", "report_cost"]


class CostTally:
    """The costs reported during one evaluation, added up (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = Cost()

    def add(self, cost: Cost) -> None:
        """Add one reported cost."""
        with self._lock:
            self._total = self._total + cost

    @property
    def total(self) -> Cost:
        """The sum of every cost reported so far."""
        with self._lock:
            return self._total.model_copy()


_current: contextvars.ContextVar[CostTally | None] = contextvars.ContextVar(
    "spyglass_feedback_cost", default=None
)


def report_cost(cost: Cost) -> None:
    """Add `cost` to the evaluation running in this context (ignored outside one).

    Args:
        cost: what one call made by a feedback implementation cost.
    """
    tally = _current.get()
    if tally is not None:
        tally.add(cost)


@contextlib.contextmanager
def cost_tally() -> Iterator[CostTally]:
    """Collect the costs reported inside the ``with`` block into a new tally."""
    tally = CostTally()
    token = _current.set(tally)
    try:
        yield tally
    finally:
        _current.reset(token)
