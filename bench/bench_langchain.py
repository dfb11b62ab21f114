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
  the medians of the per-block means, and the median of the per-pair ratios.

LangChain's ``RunnableParallel`` starts a thread pool per call, so single timings are
noisy (±20-30 % on 2 CPUs); only paired ratios are meaningful.

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


def block(chain: Any, recorder: TruChain | None, n: int, read: bool = False) -> float:
    """Mean µs per invoke over ``n`` calls (recorded when ``recorder`` is given, and
    each record read, so built, when ``read``)."""
    gc.collect()
    if recorder is None:
        t0 = time.perf_counter()
        for _ in range(n):
            chain.invoke(QUESTION)
        return (time.perf_counter() - t0) / n * 1e6
    if read:
        t0 = time.perf_counter()
        for _ in range(n):
            with recorder as recording:
                chain.invoke(QUESTION)
            recording.get()
        return (time.perf_counter() - t0) / n * 1e6
    t0 = time.perf_counter()
    for _ in range(n):
        with recorder:
            chain.invoke(QUESTION)
    return (time.perf_counter() - t0) / n * 1e6


def invoke_overhead(blocks: int, per_block: int) -> dict[str, list[float]]:
    chain = rag_chain()
    recorder = TruChain(chain)
    for _ in range(3):  # warm up every path
        chain.invoke(QUESTION)
        with recorder:
            chain.invoke(QUESTION)
    modes = ["plain", "idle", "recorded", "recorded+read"]
    times: dict[str, list[float]] = {mode: [] for mode in modes}
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
    plain = times["plain"]
    print(
        f"\nRAG chain invoke, {args.blocks} interleaved blocks x {args.per_block} calls (µs per call)"
    )
    print(f"  {'':14s} {'median':>9s} {'min':>9s} {'ratio':>7s}")
    for kind, samples in times.items():
        ratios = [s / p for s, p in zip(samples, plain)]
        print(
            f"  {kind:14s} {statistics.median(samples):9.0f} {min(samples):9.0f} "
            f"{statistics.median(ratios):6.3f}x"
        )
    ratio = statistics.median(r / p for r, p in zip(times["recorded"], plain))
    extra = statistics.median(times["recorded"]) - statistics.median(plain)
    print(f"\nrecorded / plain: {ratio:.3f}x (+{extra:.0f} µs per invoke)   target <= 1.15x")
    read = statistics.median(r / p for r, p in zip(times["recorded+read"], plain))
    print(f"recorded+read / plain: {read:.3f}x   target <= 1.25x")
    build = statistics.median(times["recorded+read"]) - statistics.median(times["recorded"])
    print(f"building the record when it is read: +{build:.0f} µs per record")


if __name__ == "__main__":
    main()
