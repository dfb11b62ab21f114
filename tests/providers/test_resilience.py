"""Concurrency limits, retries with backoff honouring Retry-After, timeouts, bad answers:
a judge that fails does not take down other feedbacks, and nothing is retried in hiding."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from spyglass.core import Feedback, FeedbackResultStatus
from spyglass.providers import Limiter
from spyglass.providers.langchain import Langchain


def test_fifty_feedbacks_through_a_rate_limit(judge_server: Any, make_judge: Any) -> None:
    """429 with Retry-After for the first second: all 50 complete, never more than
    max_concurrency requests in flight, and every attempt is counted in the costs."""
    judge_server.failure, judge_server.fail_for, judge_server.retry_after = "429", 1.0, "1"
    provider = make_judge(max_concurrency=4, max_retries=5)
    feedback = Feedback(provider.relevance)
    with ThreadPoolExecutor(16) as pool:
        results = list(
            pool.map(lambda i: feedback.run(prompt=f"question {i}", response="answer"), range(50))
        )
    assert [FeedbackResultStatus.DONE] * 50 == [r.status for r in results], results[0].error
    assert {2 / 3} == {r.result for r in results}
    assert 1 <= judge_server.max_in_flight <= 4
    assert judge_server.requests == sum(r.cost.n_requests for r in results)
    assert 50 == sum(r.cost.n_successful_requests for r in results)
    assert judge_server.requests > 50  # the 429s happened and were retried


def test_async_judges_share_the_limit(judge_server: Any, make_judge: Any) -> None:
    """Coroutines on an event loop and threads together stay within max_concurrency."""
    judge_server.failure, judge_server.fail_for = "429", 0.5
    provider = make_judge(max_concurrency=3, max_retries=5)

    async def many() -> list[float]:
        try:
            return list(
                await asyncio.gather(*(provider.arelevance(f"q{i}", "a") for i in range(20)))
            )
        finally:
            await provider.aclose()

    threads = [threading.Thread(target=provider.relevance, args=("t", "a")) for _ in range(5)]
    for t in threads:
        t.start()
    scores = asyncio.run(many())
    for t in threads:
        t.join()
    assert [2 / 3] * 20 == scores
    assert judge_server.max_in_flight <= 3


def test_limiter_never_exceeds_its_limit_across_threads_and_loops() -> None:
    limiter = Limiter(2)
    seen: list[int] = []
    lock = threading.Lock()

    def hold() -> None:
        with limiter.hold():
            with lock:
                seen.append(limiter.in_flight)
            time.sleep(0.005)

    async def ahold() -> None:
        async with limiter.ahold():
            with lock:
                seen.append(limiter.in_flight)
            await asyncio.sleep(0.005)

    async def loop() -> None:
        await asyncio.gather(*(ahold() for _ in range(20)))

    threads = [threading.Thread(target=hold) for _ in range(20)]
    threads.append(threading.Thread(target=asyncio.run, args=(loop(),)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 40 == len(seen) and max(seen) <= 2
    assert 0 == limiter.in_flight


def test_server_error_is_retried_with_backoff(judge_server: Any, make_judge: Any) -> None:
    judge_server.failure, judge_server.fail_for = "500", 0.3
    result = Feedback(make_judge(max_retries=6).relevance).run(prompt="q", response="a")
    assert (FeedbackResultStatus.DONE, 2 / 3) == (result.status, result.result)
    assert result.cost.n_requests == judge_server.requests >= 2


def test_giving_up_says_how_often_it_tried(judge_server: Any, make_judge: Any) -> None:
    judge_server.failure = "500"
    result = Feedback(make_judge(max_retries=1).relevance).run(prompt="q", response="a")
    assert FeedbackResultStatus.FAILED == result.status
    assert "JudgeRequestError" in result.error and "failed 2 time(s)" in result.error
    assert (2, 2) == (judge_server.requests, result.cost.n_requests)


def test_retry_after_beyond_the_limit_is_not_waited_for(judge_server: Any, make_judge: Any) -> None:
    judge_server.failure, judge_server.retry_after = "429", "3600"
    started = time.monotonic()
    result = Feedback(make_judge().relevance).run(prompt="q", response="a")
    assert FeedbackResultStatus.FAILED == result.status
    assert time.monotonic() - started < 5 and 1 == judge_server.requests


def test_timeout(judge_server: Any, make_judge: Any) -> None:
    """A request slower than `timeout` fails (here without retries) instead of hanging."""
    judge_server.failure, judge_server.slow_seconds = "slow", 3.0
    started = time.monotonic()
    result = Feedback(make_judge(timeout=0.3, max_retries=0).relevance).run(
        prompt="q", response="a"
    )
    assert FeedbackResultStatus.FAILED == result.status
    assert "Timeout" in result.error
    assert time.monotonic() - started < 2.5


def test_async_timeout(judge_server: Any, make_judge: Any) -> None:
    judge_server.failure, judge_server.slow_seconds = "slow", 3.0
    provider = make_judge(timeout=0.3, max_retries=0)

    async def judge() -> float:
        try:
            return float(await provider.arelevance("q", "a"))
        finally:
            await provider.aclose()

    with pytest.raises(Exception, match="(?i)time"):
        asyncio.run(judge())


def test_malformed_response_fails_once(judge_server: Any, make_judge: Any) -> None:
    """A body that is not JSON is not retried: the failure names it."""
    judge_server.failure = "malformed"
    result = Feedback(make_judge().relevance).run(prompt="q", response="a")
    assert FeedbackResultStatus.FAILED == result.status
    assert 1 == judge_server.requests


def test_a_failing_judge_leaves_other_feedbacks_alone(judge_server: Any, make_judge: Any) -> None:
    good = Feedback(make_judge().relevance, name="good")
    bad = Feedback(Langchain(chain=FakeListChatModel(responses=["no idea"])).relevance, name="bad")
    results = [fb.run(prompt="q", response="a") for fb in (bad, good)]
    assert [FeedbackResultStatus.FAILED, FeedbackResultStatus.DONE] == [r.status for r in results]
