"""TruLlama on a LlamaIndex RAG query engine: construction time, and recorded vs plain ``query``.

Run: ``.venv/bin/python bench/bench_llamaindex.py [--blocks 21] [--per-block 40] [--profile]``

The app is the offline RAG app of the tests: a ``VectorStoreIndex``
over three documents with a hashed bag-of-words embedding, queried through
``index.as_query_engine(llm=MockLLM(max_tokens=16), similarity_top_k=2)``. One
process, one run:

- **construction**: ``TruLlama(engine)`` on a freshly built engine, first in the
  process (the plugin manager is already loaded; the classes get wrapped, eager specs
  included) and then the median of repeats (the wrap table already holds them);
- **query**: paired, interleaved blocks of ``per_block`` calls each, in a rotating
  order, of
  ``plain`` (spyglass's patches removed: the app as it is without spyglass),
  ``idle`` (patched, no recording active) and
  ``recorded`` (``with recorder: engine.query(q)`` per call: one record per query,
  no feedbacks, so the record is built only when read, and here it is not) and
  ``recorded+read`` (the same, then ``recording.get()``: the record is built);
  the medians of the per-block means, and the median of the per-pair ratios.

Targets: construction ≤ 20 ms; recorded ≤ 1.15× plain.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "adapters" / "llamaindex"))

from _li_apps import QUESTION, build_index
from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM

from spyglass.adapters.llamaindex import TruLlama
from spyglass.core.instrument import _wrap as instrument
from spyglass.core.plugins import _manager as plugins


def build_engine(index: VectorStoreIndex) -> Any:
    return index.as_query_engine(llm=MockLLM(max_tokens=16), similarity_top_k=2)


def construction(index: VectorStoreIndex, repeats: int) -> tuple[float, float]:
    """(first construction, median of later ones), in ms."""
    instrument.unwrap_all()
    engine = build_engine(index)
    t0 = time.perf_counter()
    TruLlama(engine)
    first = (time.perf_counter() - t0) * 1e3
    samples = []
    for _ in range(repeats):
        engine = build_engine(index)
        gc.collect()
        t0 = time.perf_counter()
        TruLlama(engine)
        samples.append((time.perf_counter() - t0) * 1e3)
    return first, statistics.median(samples)


def _block(engine: Any, recorder: TruLlama | None, n: int, read: bool = False) -> float:
    """Mean µs per query over ``n`` queries (each record read when ``read``)."""
    t0 = time.perf_counter()
    if recorder is None:
        for _ in range(n):
            engine.query(QUESTION)
    elif read:
        for _ in range(n):
            with recorder as recording:
                engine.query(QUESTION)
            recording.get()
    else:
        for _ in range(n):
            with recorder:
                engine.query(QUESTION)
    return (time.perf_counter() - t0) * 1e6 / n


def paired(index: VectorStoreIndex, blocks: int, per_block: int) -> dict[str, list[float]]:
    """Per-block mean µs per query of each mode, interleaved, rotating order."""
    engine = build_engine(index)
    modes = ["plain", "idle", "recorded", "recorded+read"]
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    calls_per_record = 0
    for b in range(blocks + 1):  # block 0 warms up and is dropped
        order = modes[b % 4 :] + modes[: b % 4]
        for mode in order:
            if mode == "plain":
                instrument.unwrap_all()
                recorder = None
            else:
                recorder = TruLlama(engine)  # (re)wraps the classes
            gc.collect()
            mean = _block(
                engine,
                recorder if mode.startswith("recorded") else None,
                per_block,
                read=mode == "recorded+read",
            )
            if b:
                times[mode].append(mean)
            if mode == "recorded" and not calls_per_record and recorder is not None:
                with recorder as recording:
                    engine.query(QUESTION)
                calls_per_record = len(recording.get().calls)
    times["calls_per_record"] = [float(calls_per_record)]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=21)
    parser.add_argument("--per-block", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=21, help="construction repeats")
    parser.add_argument("--profile", action="store_true", help="profile recorded queries")
    args = parser.parse_args()

    index = build_index()
    t0 = time.perf_counter()
    plugins.get_plugin_manager()
    load_ms = (time.perf_counter() - t0) * 1e3
    first, warm = construction(index, args.repeats)
    times = paired(index, args.blocks, args.per_block)

    plain = statistics.median(times["plain"])
    idle = statistics.median(times["idle"])
    recorded = statistics.median(times["recorded"])
    ratio_idle = statistics.median(i / p for i, p in zip(times["idle"], times["plain"]))
    ratio_rec = statistics.median(r / p for r, p in zip(times["recorded"], times["plain"]))
    read = statistics.median(times["recorded+read"])
    ratio_read = statistics.median(r / p for r, p in zip(times["recorded+read"], times["plain"]))
    n_calls = int(times["calls_per_record"][0])

    print(f"TruLlama, RAG query engine, {args.blocks} blocks x {args.per_block} queries")
    print(f"{'measure':<44}{'value':>12}{'target':>12}")
    print(f"{'plugin manager load (once per process)':<44}{load_ms:>10.1f}ms")
    print(f"{'construction, first (wraps the classes)':<44}{first:>10.1f}ms{'<= 20 ms':>12}")
    print(f"{'construction, median of repeats':<44}{warm:>10.2f}ms{'<= 20 ms':>12}")
    print(f"{'query, plain (no spyglass patches)':<44}{plain:>10.0f}us")
    print(f"{'query, idle (patched, not recording)':<44}{idle:>10.0f}us")
    print(f"{'query, recorded (one record per query)':<44}{recorded:>10.0f}us")
    print(f"{'query, recorded, record read (built) after':<44}{read:>10.0f}us")
    print(f"{'recorded calls per record':<44}{n_calls:>12d}")
    print(f"{'ratio idle / plain (median of pairs)':<44}{ratio_idle:>11.3f}x")
    print(f"{'ratio recorded / plain (median of pairs)':<44}{ratio_rec:>11.3f}x{'<= 1.15x':>12}")
    print(f"{'ratio recorded+read / plain (median of pairs)':<44}{ratio_read:>11.3f}x")
    per_call = (recorded - plain) / n_calls if n_calls else float("nan")
    print(f"{'added per recorded call, app thread':<44}{per_call:>10.1f}us")
    build = (read - recorded) / n_calls if n_calls else float("nan")
    print(f"{'record build on read, per call':<44}{build:>10.1f}us")

    if args.profile:
        engine = build_engine(index)
        recorder = TruLlama(engine)
        profiler = cProfile.Profile()
        profiler.enable()
        _block(engine, recorder, 200)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
