"""Scoring values with a feedback function for a guardrail.

A guardrail asks a feedback function for one score per value (``feedback(prompt,
context)`` for a context filter, ``feedback(text)`` for a block). Each question is a
call of a guard's ``evaluate`` method, which the core wraps for recording on first use:
inside a recording it is a recorded call (arguments and score, or the error) nested
under the guarded method, at the guarded method's component path plus the guard's class
name (``app.retriever.context_filter.evaluate``).

Several values are scored at once on one shared
:class:`~spyglass.core.ContextThreadPoolExecutor` (of :data:`MAX_WORKERS` threads), so the
calls nest under the caller's recorded call. An evaluation that times out keeps its
thread until it returns: give slow judges a ``timeout=`` and a client timeout of their
own.
"""

from __future__ import annotations

import logging
import math
import numbers
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, TimeoutError as FutureTimeout
from typing import Any, Literal

from .._log_once import LogOnce
from ..errors import SpyglassError
from ..executor import ContextThreadPoolExecutor
from ..instrument import _wrap

__all__ = [
    "MAX_WORKERS",
    "GuardrailError",
    "OnBlockError",
    "OnFilterError",
    "as_score",
    "higher_is_better",
    "name_of",
    "new_log",
    "record_evaluations",
    "score_all",
]

logger = logging.getLogger("spyglass.core.guardrails")

# At most this many evaluations run at once, for all guardrails of the process (TruLens
# started one thread per value, per call).
MAX_WORKERS = 16


class GuardrailError(SpyglassError, ValueError):
    """A feedback function gave a guardrail something that is not a score.

    Raised inside an evaluation, so it is what the recorded ``evaluate`` call shows as its
    error; the guardrail's ``on_error`` rule then applies (it never reaches the app).
    """


def new_log() -> LogOnce:
    """A guard's own log of failures: each kind of failure is logged in full once per guard."""
    return LogOnce(logger)


def higher_is_better(feedback: Any) -> bool:
    """The feedback's direction: its ``higher_is_better``, True when unset or a plain function."""
    value = getattr(feedback, "higher_is_better", None)
    return True if value is None else bool(value)


def name_of(feedback: Any) -> str:
    """The feedback's name, for messages."""
    name = getattr(feedback, "name", None) or getattr(feedback, "__name__", None)
    return str(name or repr(feedback))


def as_score(value: Any, feedback: Any) -> float:
    """``value`` as a score: a real number, or the number of a ``(number, dict)`` pair.

    Raises:
        GuardrailError: anything else (a bool, a string, a dict of scores, NaN).
    """
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict):
        value = value[0]  # a *_with_cot_reasons answer: the score and its reasons
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        score = float(value)
        if not math.isnan(score):
            return score
    raise GuardrailError(
        f"guardrail feedback {name_of(feedback)} returned {value!r}; a guardrail needs a "
        "number (or a (number, dict) pair) to compare with its threshold"
    )


def record_evaluations(guard_class: type) -> None:
    """Have the core record calls of ``guard_class.evaluate`` (idempotent, cheap when done).

    Checked on every guarded call rather than once at import, so that
    ``spyglass.core.uninstrument()`` only pauses it until the next guarded call.
    """
    if not _wrap.is_wrapped(guard_class, "evaluate"):
        _wrap.wrap_method(guard_class, "evaluate", "guardrail", "spyglass.core.guardrails")


def score_all(
    evaluate: Callable[..., float],
    arguments: Sequence[tuple[Any, ...]],
    *,
    timeout: float | None,
    guard: str,
    log: LogOnce,
) -> list[float | None]:
    """``evaluate(*args)`` for each tuple of ``arguments``, concurrently, in their order.

    Returns:
        The scores in the order of ``arguments``; ``None`` where the evaluation raised,
        returned no score or did not finish within ``timeout`` seconds (each logged once
        per guard, naming it).
    """
    if not arguments:
        return []
    if (len(arguments) == 1 and timeout is None) or _on_worker():
        # One value needs no thread; on a guardrail worker (a guarded function called by
        # a feedback), waiting on the shared pool could wait for ourselves: run here.
        futures = [_run_here(evaluate, args) for args in arguments]
    else:
        pool = _shared_pool()
        futures = [pool.submit(evaluate, *args) for args in arguments]
    return [_result(future, timeout, guard, log) for future in futures]


_pool: ContextThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_worker = threading.local()


def _mark_worker() -> None:
    _worker.busy = True


def _on_worker() -> bool:
    return getattr(_worker, "busy", False)


def _shared_pool() -> ContextThreadPoolExecutor:
    """One pool for every guardrail, made on first use (a pool per call cost ~1 ms)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ContextThreadPoolExecutor(
                    max_workers=MAX_WORKERS,
                    thread_name_prefix="spyglass-guardrail",
                    initializer=_mark_worker,
                )
    return _pool


def _run_here(evaluate: Callable[..., float], args: tuple[Any, ...]) -> Future[float]:
    # One value: no thread (and no thread hand-off) at all.
    future: Future[float] = Future()
    try:
        future.set_result(evaluate(*args))
    except Exception as exc:  # noqa: BLE001 - handed to the caller's failure rule
        future.set_exception(exc)
    return future


def _result(future: Future[float], timeout: float | None, guard: str, log: LogOnce) -> float | None:
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        future.cancel()
        log.log(
            "timeout",
            "spyglass guardrail %s: an evaluation took longer than %s s; its on_error rule applies",
            guard,
            timeout,
            level=logging.WARNING,
            exc_info=False,
        )
    except Exception as exc:  # noqa: BLE001 - a failing evaluation never crashes the app
        log.log(
            type(exc).__name__,
            "spyglass guardrail %s: an evaluation failed (%s: %s); its on_error rule applies",
            guard,
            type(exc).__name__,
            exc,
            level=logging.WARNING,
            exc_info=False,
        )
    return None


OnFilterError = Literal["keep", "drop"]
OnBlockError = Literal["block", "pass"]
