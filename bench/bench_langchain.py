"""TruChain on the LangChain RAG chain: construction time, and recorded vs plain ``invoke``.

Run: ``.venv/bin/python bench/bench_langchain.py [--blocks 21] [--per-block 30] [--profile]``

The chain is the offline RAG chain of the tests (`tests/adapters/langchain/_lc_apps.py`):
``{"context": retriever | format_docs, "question": passthrough} | prompt | model | parser``
over an ``InMemoryVectorStore`` with ``DeterministicFakeEmbedding`` and a
``FakeListChatModel``. One process, one run:

- **construction**: ``TruChain(chain)`` on a freshly built chain, first (the classes
  get wrapped) and then the median of repeats (the wrap table already holds them);
- **invoke**: paired, interleaved blocks of ``per_block`` calls each, in a rotating
  order, of
  ``plain`` (spyglass's patches removed: the app as it is without spyglass),
  ``idle`` (patched, no recording active),
  ``recorded`` (``with recorder: chain.invoke(q)`` per call, no feedbacks, so the
  record is built only when read, and here it is not) and
  ``recorded+read`` (the same, then ``recording.get()``: the record is built);
  the medians of the per-block means, and the median of the per-pair ratios, in wall
  time and in CPU time of the process (all its threads, nothing of other processes).

LangChain's ``RunnableParallel`` starts a thread pool per call, so wall timings are
noisy (±20-30 % on 2 CPUs, whether or not other jobs run); the CPU ratios are the
steadier measure of what recording adds.

Targets: construction ≤ 20 ms; recorded ≤ 1.15× plain; recorded+read (the record
built) ≤ 1.25× plain.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "adapters" / "langchain"))

from _lc_apps import QUESTION, rag_chain

from spyglass.adapters.langchain import TruChain
from spyglass.core.instrument import _wrap as instrument
from spyglass.core.plugins import _manager as plugins


def construction(repeats: int) -> tuple[float, float]:
    """(first construction, median of later ones), in ms."""
    instrument.unwrap_all()
    chain = rag_chain()
    t0 = time.perf_counter()
    TruChain(chain)
    first = (time.perf_counter() - t0) * 1e3
    samples = []
    for _ in range(repeats):
        chain = rag_chain()
        gc.collect()
        t0 = time.perf_counter()
        TruChain(chain)
        samples.append((time.perf_counter() - t0) * 1e3)
    return first, statistics.median(samples)


def block(chain: Any, recorder: TruChain | None, n: int, read: bool = False) -> tuple[float, float]:
    """Mean µs per invoke over ``n`` calls, as (wall time, CPU time of the process), recorded
    when ``recorder`` is given, and each record read, so built, when ``read``.

    CPU time counts every thread of this process (the chain's thread pool included) and
    nothing of other processes, so it is what spyglass adds, whatever else the machine runs.
    """
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    if recorder is None:
        for _ in range(n):
            chain.invoke(QUESTION)
    elif read:
        for _ in range(n):
            with recorder as recording:
                chain.invoke(QUESTION)
            recording.get()
    else:
        for _ in range(n):
            with recorder:
                chain.invoke(QUESTION)
    return (time.perf_counter() - t0) / n * 1e6, (time.process_time() - c0) / n * 1e6


def invoke_overhead(blocks: int, per_block: int) -> dict[str, list[tuple[float, float]]]:
    chain = rag_chain()
    recorder = TruChain(chain)
    for _ in range(3):  # warm up every path
        chain.invoke(QUESTION)
        with recorder:
            chain.invoke(QUESTION)
    modes = ["plain", "idle", "recorded", "recorded+read"]
    times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
    for i in range(blocks):
        for kind in modes[i % 4 :] + modes[: i % 4]:
            if kind == "plain":
                instrument.unwrap_all()
                times["plain"].append(block(chain, None, per_block))
                recorder = TruChain(chain)  # wraps the classes again
            elif kind == "idle":
                times["idle"].append(block(chain, None, per_block))
            else:
                times[kind].append(block(chain, recorder, per_block, read=kind == "recorded+read"))
    return times


def profile(n: int) -> None:
    chain = rag_chain()
    recorder = TruChain(chain)
    with recorder:
        chain.invoke(QUESTION)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        with recorder:
            chain.invoke(QUESTION)
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats("spyglass", 25)
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=21)
    parser.add_argument("--per-block", type=int, default=30)
    parser.add_argument("--construct-repeats", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="profile recorded invokes instead")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plugins.get_plugin_manager()
    if args.profile:
        profile(args.per_block * 10)
        return

    first, later = construction(args.construct_repeats)
    print("TruChain construction on the RAG chain (11 components)")
    print(f"  first (wraps the classes): {first:8.2f} ms")
    print(f"  later (median of {args.construct_repeats}):   {later:8.2f} ms   target <= 20 ms")

    times = invoke_overhead(args.blocks, args.per_block)
    print(
        f"\nRAG chain invoke, {args.blocks} interleaved blocks x {args.per_block} calls "
        "(µs per call; ratios: median of the per-block ratios to plain)"
    )
    print(f"  {'':14s} {'wall':>9s} {'ratio':>7s} {'CPU':>9s} {'ratio':>7s}")
    ratios: dict[str, tuple[float, float]] = {}
    for kind, samples in times.items():
        wall = statistics.median(w / p[0] for (w, _), p in zip(samples, times["plain"]))
        cpu = statistics.median(c / p[1] for (_, c), p in zip(samples, times["plain"]))
        ratios[kind] = (wall, cpu)
        print(
            f"  {kind:14s} {statistics.median(w for w, _ in samples):9.0f} {wall:6.3f}x "
            f"{statistics.median(c for _, c in samples):9.0f} {cpu:6.3f}x"
        )
    for kind, target in (("recorded", 1.15), ("recorded+read", 1.25)):
        wall, cpu = ratios[kind]
        print(f"{kind} / plain: wall {wall:.3f}x, CPU {cpu:.3f}x   target <= {target}x")
    build = statistics.median(c for _, c in times["recorded+read"]) - statistics.median(
        c for _, c in times["recorded"]
    )
    print(f"building the record when it is read: +{build:.0f} µs CPU per record")


if __name__ == "__main__":
    main()
