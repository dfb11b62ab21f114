"""Benchmark: `Record.get(lens)` on a 100-call record, against a plain list comprehension.

The record has a root call `app.respond` and 100 calls of `app.retriever.retrieve`, each
returning 3 documents. For each selector the table shows the median time of the first
`get` on a fresh record (which builds the cached layout), of a warm `get`, and of a
list comprehension that computes the same value directly from `record.calls`.
Target: a `Record.get` on a 100-call record takes at most 1 ms.

`Record.get` returns exactly one value, so multi-valued selectors end in `.collect()`.

Run: ``.venv/bin/python bench/bench_record_get.py``
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from spyglass.core import Lens, Perf, Record, RecordAppCall, RecordAppCallMethod, Select
from spyglass.core.serial._pyschema import Class, Method, Module, Obj

N_CALLS = 100
TARGET_US = 1000.0
T0 = datetime(2024, 1, 1)


def _frame(path: str, cls: str, method: str) -> RecordAppCallMethod:
    obj = Obj(cls=Class(name=cls, module=Module(module_name="bench")), id=1)
    return RecordAppCallMethod(path=Lens.of_string(path), method=Method(obj=obj, name=method))


def build_record() -> Record:
    """A root call and N_CALLS retrieve calls, 3 documents each."""
    root = _frame("app", "App", "respond")
    retrieve = _frame("app.retriever", "Retriever", "retrieve")
    calls = [
        RecordAppCall(
            stack=[root, retrieve],
            args={"query": f"q{i}", "k": 3},
            rets=[f"doc {i}.{j}" for j in range(3)],
            perf=Perf(start_time=T0, end_time=T0 + timedelta(microseconds=i + 1)),
            pid=1,
            tid=1,
        )
        for i in range(N_CALLS)
    ]
    calls.append(
        RecordAppCall(
            stack=[root],
            args={"q": "q"},
            rets="answer",
            perf=Perf(start_time=T0, end_time=T0 + timedelta(seconds=1)),
            pid=1,
            tid=1,
        )
    )
    return Record(app_id="bench", main_input="q", main_output="answer", calls=calls)


def _is_retrieve(call: RecordAppCall) -> bool:
    # The cheapest test that tells the retrieve calls apart in this record.
    return call.stack[-1].method.name == "retrieve"


CASES: list[tuple[str, Lens, Callable[[Record], Any]]] = [
    (
        "RecordCalls.retriever.retrieve.rets.collect()",
        Select.RecordCalls.retriever.retrieve.rets.collect(),
        lambda r: [c.rets for c in r.calls if _is_retrieve(c)],
    ),
    (
        "RecordCalls.retriever.retrieve[:].rets[:].collect()",
        Select.RecordCalls.retriever.retrieve[:].rets[:].collect(),
        lambda r: [d for c in r.calls if _is_retrieve(c) for d in c.rets],
    ),
    (
        "RecordCalls.retriever.retrieve[-1].rets",
        Select.RecordCalls.retriever.retrieve[-1].rets,
        lambda r: [c for c in r.calls if _is_retrieve(c)][-1].rets,
    ),
    (
        "RecordOutput",
        Select.RecordOutput,
        lambda r: r.main_output,
    ),
]


def _median_us(fn: Callable[[], Any], loops: int, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter_ns() - start) / loops / 1000)
    return statistics.median(samples)


def _cold_median_us(lens: Lens, repeats: int) -> float:
    records = [build_record() for _ in range(repeats)]
    samples = []
    for record in records:
        start = time.perf_counter_ns()
        record.get(lens)
        samples.append((time.perf_counter_ns() - start) / 1000)
    return statistics.median(samples)


def main() -> None:
    """Run every case and print a table of medians (µs) and ratios."""
    record = build_record()
    for _, lens, direct in CASES:  # same answers, checked before timing
        assert record.get(lens) == direct(record), lens

    header = (
        f"{'selector':<55} {'cold get':>10} {'warm get':>10} {'list comp':>10} {'warm/comp':>10}"
    )
    print(f"Record.get on a {N_CALLS + 1}-call record (medians, µs; target ≤ {TARGET_US:.0f} µs)")
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, lens, direct in CASES:
        cold = _cold_median_us(lens, repeats=51)
        warm = _median_us(lambda lens=lens: record.get(lens), loops=200, repeats=21)
        comp = _median_us(lambda direct=direct: direct(record), loops=200, repeats=21)
        worst = max(worst, cold, warm)
        print(f"{name:<55} {cold:>10.1f} {warm:>10.1f} {comp:>10.1f} {warm / comp:>9.1f}x")
    print(f"\nslowest get: {worst:.1f} µs -> {'OK' if worst <= TARGET_US else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
