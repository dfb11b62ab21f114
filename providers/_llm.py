"""`LLMProvider`: an LLM as judge, with TruLens's method names, on any model.

Backends subclass it and implement one method, ``_complete(ask) -> Completion`` (and
optionally ``_acomplete``); everything else is here: the concurrency limit, timeouts,
retries with backoff honouring ``Retry-After``, token and USD cost reported to the
feedback being evaluated (:func:`spyglass.core.report_cost`), and the judge methods
(:mod:`spyglass.providers._judges`).

Every judge method has an ``async`` twin named with an ``a`` in front
(``acontext_relevance_with_cot_reasons``), added to each subclass automatically.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from pydantic import PrivateAttr

from spyglass.core import ContextThreadPoolExecutor, Cost, report_cost

from ._answers import Ask, Completion
from ._errors import JudgeRequestError
from ._judges import JudgeMethods, judge_signature
from ._limits import Limiter, retry_delay
from ._plans import Plan
from ._prices import price_of
from ._provider import Provider

__all__ = ["LLMProvider"]

logger = logging.getLogger(__name__)


class LLMProvider(JudgeMethods, Provider):
    """Base of the LLM judge providers (``OpenAI``, ``Langchain``, ``LlamaIndex``, ``Dummy``).

    Attributes:
        model_engine: the model that judges.
        max_concurrency: requests this provider has in flight at most, across threads
            and event loops.
        timeout: seconds one request may take.
        max_retries: retries of a request that failed with a rate limit (429), a
            server error (5xx), a timeout or a dropped connection; other errors fail
            at once. ``Retry-After`` is honoured.
        max_statements_per_call: statements judged together in one groundedness call.
    """

    model_engine: str
    max_concurrency: int = 8
    timeout: float = 60.0
    max_retries: int = 4
    max_statements_per_call: int = 20

    _limiter: Limiter | None = PrivateAttr(default=None)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _add_async_twins(cls)

    # ------------------------------------------------------------- backends

    def _complete(self, ask: Ask) -> Completion:
        """Ask the model once (no retries: the caller retries). Backends implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _complete().")

    async def _acomplete(self, ask: Ask) -> Completion:
        """Ask the model once, asynchronously; by default `_complete` in a worker thread."""
        return await asyncio.to_thread(self._complete, ask)

    def _transient_errors(self) -> tuple[type, ...]:
        """Backend exception types worth retrying besides 429/5xx (timeouts, connections)."""
        return (asyncio.TimeoutError,)

    # --------------------------------------------------------------- engine

    def limiter(self) -> Limiter:
        """The provider's concurrency limiter (``max_concurrency`` slots)."""
        if self._limiter is None:
            self._limiter = Limiter(self.max_concurrency)
        return self._limiter

    def _priced(self, cost: Cost) -> Cost:
        price = price_of(self.model_engine)
        if price is None or not cost.n_tokens:
            return cost
        usd = (cost.n_prompt_tokens * price[0] + cost.n_completion_tokens * price[1]) / 1e6
        return cost.model_copy(update={"cost": usd})

    def _give_up(self, exc: BaseException, attempt: int, delay: float | None) -> BaseException:
        if delay is None and attempt == 1:
            return exc  # not retryable: the backend's own error says it best
        return JudgeRequestError(
            f"{type(self).__name__}({self.model_engine!r}): the judge request failed "
            f"{attempt} time(s); last error: {type(exc).__name__}: {exc}"
        )

    def _failed_attempt(self, exc: BaseException, attempt: int) -> float:
        """Seconds to wait before the next attempt; raises when there is none."""
        report_cost(Cost(n_requests=1))  # failed attempts count: no hidden retries
        delay = retry_delay(exc, attempt, self._transient_errors())
        if delay is None or attempt > self.max_retries:
            raise self._give_up(exc, attempt, delay) from exc
        logger.info(
            "%s: judge request failed (%s: %s); retry %d of %d in %.2f s",
            type(self).__name__,
            type(exc).__name__,
            exc,
            attempt,
            self.max_retries,
            delay,
        )
        return delay

    def _ask(self, ask: Ask) -> Completion:
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.limiter().hold():
                    answer = self._complete(ask)
            except Exception as exc:  # noqa: BLE001 - classified by _failed_attempt
                time.sleep(self._failed_attempt(exc, attempt))
                continue
            report_cost(self._priced(answer.cost))
            return answer

    async def _aask(self, ask: Ask) -> Completion:
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self.limiter().ahold():
                    answer = await asyncio.wait_for(self._acomplete(ask), self.timeout)
            except Exception as exc:  # noqa: BLE001 - classified by _failed_attempt
                await asyncio.sleep(self._failed_attempt(exc, attempt))
                continue
            report_cost(self._priced(answer.cost))
            return answer

    def _run_plan(self, plan: Plan) -> Any:
        """Drive a plan, sending each step's requests in parallel threads."""
        try:
            asks = next(plan)
            while True:
                if len(asks) == 1:
                    answers = [self._ask(asks[0])]
                else:
                    workers = min(len(asks), self.max_concurrency)
                    with ContextThreadPoolExecutor(workers, "spyglass-judge") as pool:
                        answers = list(pool.map(self._ask, asks))
                asks = plan.send(answers)
        except StopIteration as stop:
            return stop.value

    async def _arun_plan(self, plan: Plan) -> Any:
        """Drive a plan, sending each step's requests concurrently on this loop."""
        try:
            asks = next(plan)
            while True:
                answers = list(await asyncio.gather(*(self._aask(a) for a in asks)))
                asks = plan.send(answers)
        except StopIteration as stop:
            return stop.value


def _add_async_twins(cls: type) -> None:
    """Give `cls` an ``a<name>`` coroutine method for each judge method it lacks one for."""
    for name in dir(cls):
        method = getattr(cls, name, None)
        plan = getattr(method, "_spyglass_plan", None)
        if plan is None:
            continue
        existing = getattr(cls, "a" + name, None)
        # Keep an async method the class wrote itself; replace a twin of another plan
        # (a subclass that overrides a judge method gets the twin of its override).
        if existing is None or getattr(existing, "_spyglass_twin_of", plan) is not plan:
            setattr(cls, "a" + name, _async_twin(name, plan))


def _async_twin(name: str, plan: Callable[..., Plan]) -> Callable[..., Any]:
    @functools.wraps(plan)
    async def twin(self: LLMProvider, *args: Any, **kwargs: Any) -> Any:
        return await self._arun_plan(plan(self, *args, **kwargs))

    twin.__name__ = "a" + name
    twin.__qualname__ = twin.__qualname__.rsplit(".", 1)[0] + ".a" + name
    twin.__doc__ = f"The ``async`` form of :meth:`{name}` (same arguments and result)."
    twin._spyglass_twin_of = plan  # type: ignore[attr-defined]
    twin.__signature__ = judge_signature(plan)  # type: ignore[attr-defined]
    return twin


_add_async_twins(LLMProvider)
