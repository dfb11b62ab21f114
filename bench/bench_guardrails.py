"""Cost of a ``context_filter`` against filtering by hand, in one run.

Eight contexts are filtered with the same judge two ways:

- **baseline**: the loop a user writes without a guardrail,
  ``[c for c in contexts if judge(query, c) > threshold]`` (one judge call at a time);
- **guarded**: the same retrieval under ``@context_filter(judge, threshold)``, which
  scores the contexts concurrently (and, inside a recording, records each evaluation).

With a judge that answers at once, the ratio is the guardrail's own cost (a worker pool
per call); with a judge that waits 5 ms (a remote model), it shows what running the
evaluations concurrently buys. Figures are ratios to the baseline of the same run.

Run: ``.venv/bin/python bench/bench_guardrails.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import context_filter

CONTEXTS = [f"context number {i}" for i in range(8)]
THRESHOLD = 0.5


def instant(query: str, context: str) -> float:
    return 1.0 if int(context.rsplit(" ", 1)[1]) % 2 else 0.0


def remote(query: str, context: str) -> float:
    time.sleep(0.005)
    return instant(query, context)


def by_hand(judge: Callable[[str, str], float]) -> Callable[[str], list[str]]:
    def retrieve(query: str) -> list[str]:
        return [c for c in CONTEXTS if judge(query, c) > THRESHOLD]

    return retrieve


def guarded(judge: Callable[[str, str], float]) -> Callable[[str], list[str]]:
    @context_filter(judge, THRESHOLD, keyword_for_prompt="query")
    def retrieve(query: str) -> list[str]:
        return CONTEXTS

    return retrieve


class Retriever:
    def __init__(self, judge: Callable[[str, str], float]) -> None:
        self.retrieve_fn = guarded(judge)

    @instrument
    def retrieve(self, query: str) -> list[str]:
        return self.retrieve_fn(query)


def per_call(fn: Callable[[], Any], n: int) -> float:
    for _ in range(max(1, n // 10)):
        fn()
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n)
    return statistics.median(samples)


def measure(name: str, judge: Callable[[str, str], float], n: int) -> None:
    base = per_call(lambda: by_hand(judge)("q"), n)
    plain = guarded(judge)
    guard = per_call(lambda: plain("q"), n)
    retriever = Retriever(judge)
    recorder = TruApp(retriever)

    def recorded() -> None:
        with recorder as recording:
            retriever.retrieve("q")
        recording.get()

    rec = per_call(recorded, n)
    assert by_hand(judge)("q") == plain("q")
    print(
        f"{name}: by hand {base * 1e3:.3f} ms; context_filter {guard * 1e3:.3f} ms "
        f"({guard / base:.2f}x); recorded, record built {rec * 1e3:.3f} ms ({rec / base:.2f}x)"
    )


def main() -> None:
    measure("instant judge", instant, 300)
    measure("5 ms judge", remote, 10)


if __name__ == "__main__":
    main()
