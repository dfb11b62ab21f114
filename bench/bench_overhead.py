"""Overhead of spyglass's instrumentation per call, against a plain method and bare wrapt.

Run: ``.venv/bin/python bench/bench_overhead.py [--repeats 7]``

In one process and one run, for records of 10, 100, 1,000 and 10,000 calls (a root
method calling an instrumented leaf method N times), it times per leaf call:

- ``plain``: the uninstrumented method;
- ``wrapt pass-through``: a bare ``wrapt.FunctionWrapper`` that only calls through
  (on the leaf and, as spyglass does, on the root);
- ``wrapt append (floor)``: a bare wrapt wrapper that appends a tuple per call, the
  least any recorder can do;
- ``spyglass idle``: spyglass's wrapper with no recording active;
- ``spyglass recording``: inside ``with recorder:``, per call, what the app's thread
  pays (the calls and the roots' ends; no feedbacks, so records are built on read);
- ``record build, on read``: the first read of the recording, which builds its
  records (binding, serialising, building ``RecordAppCall``s), per call;
- ``recording + build``: the two together: a recorded call whose record is read.

and, with tracemalloc, the memory held per recorded call: while the root runs (raw
call objects) and by the finished ``Record``. The payload is one small int per call.

Targets: idle ≤ 1.2× wrapt pass-through; recording on the app's thread
≤ 10 µs per call, flat from 10 to 10,000 calls (met by the build too); ≤ 1 KiB held per call beyond its payload.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import wrapt

from spyglass.core.plugins import _manager as plugins
from spyglass.core.plugins._specs import InstrumentSpec
from spyglass.core.plugins.hookspecs import hookimpl
from spyglass.core.recording._app import App

SIZES = (10, 100, 1_000, 10_000)


def make_classes() -> tuple[type, type]:
    """A fresh (Leaf, Root) pair; each mode patches its own copy."""

    class Leaf:
        def step(self, x: int) -> int:
            return x

    class Root:
        def __init__(self) -> None:
            self.leaf = Leaf()
            self.on_end: Callable[[], None] | None = None  # memory probe

        def run(self, n: int) -> int:
            step = self.leaf.step
            for i in range(n):
                step(i)
            if self.on_end is not None:
                self.on_end()
            return n

    return Leaf, Root


def roots_per_sample(n: int) -> int:
    """Root calls per timing sample, so that small records are timed over many calls."""
    return max(1, 5_000 // n)


def time_loop(root: Any, n: int, repeats: int) -> float:
    """Median µs per leaf call of root.run(n)."""
    k = roots_per_sample(n)
    root.run(n)  # warm up
    samples = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter_ns()
        for _ in range(k):
            root.run(n)
        samples.append((time.perf_counter_ns() - t0) / (k * n) / 1000)
    return statistics.median(samples)


def passthrough(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    return wrapped(*args, **kwargs)


def floor_wrapper(log: list[Any]) -> Callable[..., Any]:
    now = time.perf_counter_ns

    def append(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        log.append((instance, args, kwargs, now()))
        return wrapped(*args, **kwargs)

    return append


class BenchPlugin:
    def __init__(self, specs: list[InstrumentSpec]) -> None:
        self.specs = specs

    @hookimpl
    def spyglass_instrument_specs(self) -> list[InstrumentSpec]:
        return self.specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    repeats = parser.parse_args().repeats

    rows: dict[str, dict[int, float]] = {}

    # plain
    _, Root = make_classes()
    rows["plain"] = {n: time_loop(Root(), n, repeats) for n in SIZES}

    # bare wrapt pass-through
    Leaf, Root = make_classes()
    wrapt.wrap_function_wrapper(Leaf, "step", passthrough)
    wrapt.wrap_function_wrapper(Root, "run", passthrough)  # as spyglass wraps the root too
    rows["wrapt pass-through"] = {n: time_loop(Root(), n, repeats) for n in SIZES}

    # bare wrapt appending a tuple (the floor)
    Leaf, Root = make_classes()
    log: list[Any] = []
    wrapt.wrap_function_wrapper(Leaf, "step", floor_wrapper(log))
    wrapt.wrap_function_wrapper(Root, "run", floor_wrapper(log))
    floor = {}
    root = Root()
    for n in SIZES:
        k = roots_per_sample(n)
        samples = []
        for _ in range(repeats):
            log.clear()
            gc.collect()
            t0 = time.perf_counter_ns()
            for _ in range(k):
                root.run(n)
            samples.append((time.perf_counter_ns() - t0) / (k * n) / 1000)
        floor[n] = statistics.median(samples)
    rows["wrapt append (floor)"] = floor

    # spyglass
    with warnings.catch_warnings():  # broken test plugins in a dev venv warn on first load
        warnings.simplefilter("ignore")
        plugins.get_plugin_manager()
    Leaf, Root = make_classes()
    name = plugins.register_plugin(
        BenchPlugin([InstrumentSpec(Leaf, ("step",)), InstrumentSpec(Root, ("run",))]), name="bench"
    )
    try:
        app = Root()
        recorder = App(app, selector_nocheck=True)
        rows["spyglass idle"] = {n: time_loop(app, n, repeats) for n in SIZES}

        app_thread: dict[int, float] = {}
        build: dict[int, float] = {}
        total: dict[int, float] = {}
        with recorder:
            app.run(10)  # warm up
        for n in SIZES:
            k = roots_per_sample(n)
            a_samples, b_samples, t_samples = [], [], []
            for _ in range(repeats):
                gc.collect()
                t0 = time.perf_counter_ns()
                with recorder as rec:
                    for _ in range(k):
                        app.run(n)
                t1 = time.perf_counter_ns()
                records = rec.records  # the first read builds the records
                t2 = time.perf_counter_ns()
                assert [n + 1] * k == [len(r.calls) for r in records]
                del rec, records
                per_call = k * (n + 1) * 1000
                a_samples.append((t1 - t0) / per_call)
                b_samples.append((t2 - t1) / per_call)
                t_samples.append((t2 - t0) / per_call)
            app_thread[n] = statistics.median(a_samples)
            build[n] = statistics.median(b_samples)
            total[n] = statistics.median(t_samples)
        rows["spyglass recording"] = app_thread
        rows["  record build, on read"] = build
        rows["  recording + build"] = total

        memory = measure_memory(recorder, app, 10_000)
    finally:
        plugins.unregister_plugin(name)

    print_table(rows)
    print()
    print("Memory per recorded call (10,000 calls; payload: one small int arg and ret):")
    print(f"  raw calls held while the root runs : {memory['raw']:8.0f} B")
    print(f"  finished Record, held afterwards   : {memory['record']:8.0f} B")


def measure_memory(recorder: App, app: Any, n: int) -> dict[str, float]:
    """Bytes per call: raw call objects during the root, and the built Record."""
    seen: dict[str, int] = {}
    app.on_end = lambda: seen.__setitem__("end", tracemalloc.get_traced_memory()[0])
    gc.collect()
    tracemalloc.start()
    try:
        with recorder as rec:
            seen["start"] = tracemalloc.get_traced_memory()[0]
            app.run(n)
        record = rec.get()
        del rec
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
        del record
        gc.collect()
        freed = held - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        app.on_end = None
    return {"raw": (seen["end"] - seen["start"]) / (n + 1), "record": freed / (n + 1)}


def print_table(rows: dict[str, dict[int, float]]) -> None:
    base = rows["wrapt pass-through"]
    head = "".join(f"{n:>16,}" for n in SIZES)
    print("Median µs per instrumented call (ratio to the bare wrapt pass-through), by record size")
    print(f"{'mode':<26}{head}")
    for mode, values in rows.items():
        cells = "".join(f"{values[n]:>8.3f} ({values[n] / base[n]:>4.1f}x)" for n in SIZES)
        print(f"{mode:<26}{cells}")


if __name__ == "__main__":
    main()
