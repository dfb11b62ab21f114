"""Three LLM-judge feedbacks on a record, against an OpenAI-compatible server on loopback.

The app is TruLens's quickstart RAG shape (one retrieval of two contexts, one answer),
recorded with TruCustomApp and the quickstart's three feedbacks (context relevance per
context, groundedness on all contexts, answer relevance) on an ``OpenAI`` provider
pointed at the test server (``tests/providers/_judge_server.py``: a real uvicorn server
that answers each request after 10 ms).

It reports, in one run:

- **judge calls**: requests the server received per record, against the calls the
  feedbacks need (2 + 1 + 1): duplicates or hidden retries would show as more;
- **wall time to all results**: from the app call's start until every feedback result
  of its record is ready (feedback runs in the background pool, WITH_APP_THREAD);
- **overhead per feedback beyond the judge call**: the time of ``feedback.run(record)``
  minus the time the bare ``openai`` SDK takes to send the same requests (the
  baseline, replayed from what the server received), per feedback.

Run: ``.venv/bin/python bench/bench_providers.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import openai

from spyglass.adapters.custom import TruCustomApp, instrument
from spyglass.core import Feedback
from spyglass.providers.openai import OpenAI

# The judge server lives with the provider tests; the benchmark reuses it as is.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "providers"))
from _judge_server import JudgeServer

RECORDS = 30
WARMUP = 3


class Retriever:
    @instrument(retriever=True)
    def retrieve(self, query: str) -> list[str]:
        return ["Paris is the capital of France.", "France is in Europe."]


class RAG:
    def __init__(self) -> None:
        self.retriever = Retriever()

    @instrument
    def query(self, query: str) -> str:
        self.retriever.retrieve(query)
        return "The capital of France is Paris. It is in Europe."


def feedbacks(provider: OpenAI, rag: RAG) -> list[Feedback]:
    context = TruCustomApp.select_context(rag)
    return [
        Feedback(provider.context_relevance_with_cot_reasons, name="Context Relevance")
        .on_input()
        .on(context)
        .aggregate(np.mean),
        Feedback(provider.groundedness_measure_with_cot_reasons, name="Groundedness")
        .on(context.collect())
        .on_output(),
        Feedback(provider.relevance_with_cot_reasons, name="Answer Relevance").on_input_output(),
    ]


def main() -> None:
    server = JudgeServer()
    server.start()
    try:
        run(server)
    finally:
        server.stop()


def run(server: JudgeServer) -> None:
    provider = OpenAI(base_url=server.base_url, api_key="sk-bench")
    rag = RAG()
    fbs = feedbacks(provider, rag)
    recorder = TruCustomApp(rag, feedbacks=fbs)

    # --- wall time to all results, and judge calls per record
    walls: list[float] = []
    calls: list[int] = []
    for i in range(RECORDS + WARMUP):
        server.reset()
        start = time.perf_counter()
        with recorder as recording:
            rag.query(f"What is the capital of France? ({i})")
        record = recording.get()
        results = record.wait_for_feedback_results()
        wall = time.perf_counter() - start
        assert all(r.status.value == "done" for r in results.values()), results
        if i >= WARMUP:
            walls.append(wall)
            calls.append(server.requests)
            bodies = [str(b["messages"]) for b in server.bodies]
            assert len(bodies) == len(set(bodies)), "a judge request was sent twice"

    # --- overhead per feedback: feedback.run vs the bare SDK sending the same requests
    bare = openai.OpenAI(base_url=server.base_url, api_key="sk-bench", max_retries=0)
    per_feedback: dict[str, list[float]] = {fb.name: [] for fb in fbs}
    baseline: dict[str, list[float]] = {fb.name: [] for fb in fbs}
    for i in range(RECORDS + WARMUP):
        for fb in fbs:
            server.reset()
            start = time.perf_counter()
            result = fb.run(record=record)
            ours = time.perf_counter() - start
            assert result.status.value == "done", result.error
            sent = list(server.bodies)
            start = time.perf_counter()
            for body in sent:
                bare.chat.completions.create(**body)
            theirs = time.perf_counter() - start
            if i >= WARMUP:
                per_feedback[fb.name].append(ours)
                baseline[fb.name].append(theirs)
    bare.close()
    provider.close()

    expected = 2 + 1 + 1
    print(f"records: {RECORDS}, three LLM feedbacks each, judge server answering in ~10 ms")
    print(
        f"judge calls per record: expected {expected}, made min {min(calls)} / max "
        f"{max(calls)} (no duplicates, no hidden retries: {set(calls) == {expected}})"
    )
    print(
        f"wall time, app call start -> all 3 results ready: median "
        f"{statistics.median(walls) * 1e3:.1f} ms, p90 "
        f"{sorted(walls)[int(len(walls) * 0.9)] * 1e3:.1f} ms"
    )
    print("per feedback: feedback.run vs bare openai SDK sending the same requests (median)")
    for name, samples in per_feedback.items():
        ours = statistics.median(samples) * 1e3
        theirs = statistics.median(baseline[name]) * 1e3
        print(
            f"  {name:<18} {ours:7.2f} ms vs {theirs:7.2f} ms: overhead {ours - theirs:+6.2f} ms "
            f"({ours / theirs:.2f}x)"
        )


if __name__ == "__main__":
    main()
