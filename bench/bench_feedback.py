"""Time from the end of a root call to a trivial feedback's result being ready.

For each feedback mode, a small recorded app (a root method calling one instrumented
retriever) is called many times. The root method stamps ``perf_counter_ns()`` as its
last statement; the benchmark stamps again once the feedback's result is available to
the caller (``record.feedback_results[0].result()`` returned). The difference covers
building the record, scheduling the feedback, laying the record out, selecting the
argument, evaluating, aggregating and handing the result over (for WITH_APP_THREAD,
across threads). ``NONE`` shows the same span with no feedback: the record alone.

Target: <= 2 ms. Run: ``.venv/bin/python bench/bench_feedback.py``.
"""

from __future__ import annotations

import gc
import statistics
import time

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core.feedback._feedback import Feedback
from spyglass.core.schema._enums import FeedbackMode

N = 2000
WARMUP = 200

_end_ns = 0


class Retriever:
    @instrument
    def retrieve(self, query: str) -> list[str]:
        return ["Paris is the capital of France.", "France is in Europe."]


class App:
    def __init__(self) -> None:
        self.retriever = Retriever()

    @instrument
    def respond(self, question: str) -> str:
        global _end_ns
        docs = self.retriever.retrieve(question)
        out = docs[0]
        _end_ns = time.perf_counter_ns()
        return out


def trivial(text: str) -> float:
    return 1.0


def measure(mode: FeedbackMode, with_feedback: bool = True) -> list[float]:
    app = App()
    feedbacks = [Feedback(trivial).on_output()] if with_feedback else []
    recorder = TruApp(app, feedbacks=feedbacks, feedback_mode=mode)
    samples: list[float] = []
    for i in range(N + WARMUP):
        with recorder as recording:
            app.respond("Where is Paris?")
        record = recording.get()
        if with_feedback:
            result = record.feedback_results[0].result(timeout=10)
            assert result.status.value == "done", result
        ready = time.perf_counter_ns()
        if i >= WARMUP:
            samples.append((ready - _end_ns) / 1000.0)
        if i % 500 == 499:
            recorder.wait_for_feedback_results()  # collect, as an app would; not timed
    recorder.wait_for_feedback_results()
    return samples


def main() -> None:
    gc.collect()
    rows = [
        ("NONE (record only, no feedback)", measure(FeedbackMode.NONE, with_feedback=False)),
        ("WITH_APP", measure(FeedbackMode.WITH_APP)),
        ("WITH_APP_THREAD", measure(FeedbackMode.WITH_APP_THREAD)),
    ]
    print(f"record end -> trivial feedback result ready ({N} root calls each; µs)")
    print(f"{'mode':34} {'median':>9} {'p90':>9} {'min':>9}")
    for name, samples in rows:
        samples.sort()
        p90 = samples[int(len(samples) * 0.9)]
        print(f"{name:34} {statistics.median(samples):9.1f} {p90:9.1f} {samples[0]:9.1f}")
    print("target: median <= 2000 µs")


if __name__ == "__main__":
    main()
