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

The last line times ``recording.get()`` alone (thread CPU of the reading thread,
median over every read): the build itself, without what other jobs on the machine do to
the chain's thread pool, which the process-CPU difference above also holds.

Targets: construction ≤ 20 ms; recorded ≤ 1.15× plain; recorded+read (the record
built) ≤ 1.25× plain.

Figures, before (main at fe14e25) and after the build work of the ``buildperf`` branch,
two back-to-back pairs of runs of this script (defaults) at 19:50-19:52 UTC on the
shared 2-CPU machine, load average 0.7-0.9 (two other sessions' jobs running); CPU
ratios to plain:

==========  ========  ========  =============  =============  =====================
run         plain µs  recorded  recorded+read  build (diff.)  ``get()`` alone
==========  ========  ========  =============  =============  =====================
before 1    2730      1.111x    1.538x         +1005 µs       695 µs (0.255x plain)
after 1     3401      1.185x    1.423x         +787 µs        674 µs (0.198x plain)
before 2    2472      1.171x    1.468x         +598 µs        592 µs (0.239x plain)
after 2     3458      1.140x    1.446x         +723 µs        757 µs (0.219x plain)
==========  ========  ========  =============  =============  =====================

The machine's speed moved by a third between runs a minute apart, so the ratios, not
the µs, are the comparable figures, and even they move by ±0.05x from run to run. The
load-proof measures of the same build (the chain's recorded calls rebuilt 180 times):
instructions per build under valgrind's callgrind 1.98 M before, 1.50 M after (-24 %);
Python opcodes 29,177 -> 22,029, Python-level calls 582 -> 355, C calls 1,129 -> 825.
Four interleaved pairs of ``get()``-alone / plain-invoke CPU: 0.217-0.230x before,
0.179-0.201x after (-15 %; the build runs with caches the chain has just evicted, so
fewer instructions save less time). ``recorded`` is unchanged (recorded / idle CPU,
three interleaved pairs: 1.05-1.07x before, 1.04-1.07x after).

The recorded+read target (≤ 1.25x) is not met: it needs the build at about 0.13x a plain
invoke, half of what it cost before, and this work took a quarter of its instructions
off.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import sys
import threading
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


# Thread CPU of each `recording.get()` of the recorded+read blocks, in µs.
BUILDS: list[float] = []
# The config every invoke gets (``--max-concurrency``); None: LangChain's default.
CONFIG: dict[str, Any] | None = None
# Threads started, per mode (see `count_threads`).
STARTED: dict[str, int] = {}
_MODE = ["plain"]


def block(chain: Any, recorder: TruChain | None, n: int, read: bool = False) -> tuple[float, float]:
    """Mean µs per invoke over ``n`` calls, as (wall time, CPU time of the process), recorded
    when ``recorder`` is given, and each record read, so built, when ``read`` (the thread
    CPU of each read is added to `BUILDS`).

    CPU time counts every thread of this process (the chain's thread pool included) and
    nothing of other processes, so it is what spyglass adds, whatever else the machine runs.
    """
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    config = CONFIG
    if recorder is None:
        for _ in range(n):
            chain.invoke(QUESTION, config)
    elif read:
        for _ in range(n):
            with recorder as recording:
                chain.invoke(QUESTION, config)
            b0 = time.thread_time()
            recording.get()
            BUILDS.append((time.thread_time() - b0) * 1e6)
    else:
        for _ in range(n):
            with recorder:
                chain.invoke(QUESTION, config)
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
            _MODE[0] = kind
            if kind == "plain":
                instrument.unwrap_all()
                times["plain"].append(block(chain, None, per_block))
                recorder = TruChain(chain)  # wraps the classes again
            elif kind == "idle":
                times["idle"].append(block(chain, None, per_block))
            else:
                times[kind].append(block(chain, recorder, per_block, read=kind == "recorded+read"))
    return times


def count_threads() -> None:
    """Count the threads started (LangChain's executor workers) per mode, in `STARTED`."""
    start = threading.Thread.start

    def counting_start(thread: threading.Thread) -> None:
        STARTED[_MODE[0]] = STARTED.get(_MODE[0], 0) + 1
        start(thread)

    threading.Thread.start = counting_start  # type: ignore[method-assign]


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
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=None,
        help="invoke with config={'max_concurrency': N}: 1 runs RunnableParallel's steps "
        "on one worker thread in every mode (see the module docstring)",
    )
    args = parser.parse_args()
    global CONFIG
    if args.max_concurrency is not None:
        CONFIG = {"max_concurrency": args.max_concurrency}
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

    count_threads()
    times = invoke_overhead(args.blocks, args.per_block)
    print(
        f"\nRAG chain invoke (config={CONFIG}), {args.blocks} interleaved blocks x "
        f"{args.per_block} calls (µs per call; ratios: median of the per-block ratios to plain)"
    )
    print(f"  {'':14s} {'wall':>9s} {'ratio':>7s} {'CPU':>9s} {'ratio':>7s} {'threads':>8s}")
    ratios: dict[str, tuple[float, float]] = {}
    for kind, samples in times.items():
        wall = statistics.median(w / p[0] for (w, _), p in zip(samples, times["plain"]))
        cpu = statistics.median(c / p[1] for (_, c), p in zip(samples, times["plain"]))
        ratios[kind] = (wall, cpu)
        threads = STARTED.get(kind, 0) / (len(samples) * args.per_block)
        print(
            f"  {kind:14s} {statistics.median(w for w, _ in samples):9.0f} {wall:6.3f}x "
            f"{statistics.median(c for _, c in samples):9.0f} {cpu:6.3f}x {threads:8.2f}"
        )
    for kind, target in (("recorded", 1.15), ("recorded+read", 1.25)):
        wall, cpu = ratios[kind]
        print(f"{kind} / plain: wall {wall:.3f}x, CPU {cpu:.3f}x   target <= {target}x")
    build = statistics.median(c for _, c in times["recorded+read"]) - statistics.median(
        c for _, c in times["recorded"]
    )
    print(f"building the record when it is read: +{build:.0f} µs CPU per record")
    # The build alone, on the reading thread: steadier than the difference above, which
    # also holds what the machine's other jobs do to the chain's own threads.
    get = statistics.median(BUILDS)
    plain_cpu = statistics.median(c for _, c in times["plain"])
    print(
        f"recording.get() alone: {get:.0f} µs thread CPU per record (median of {len(BUILDS)}), "
        f"{get / plain_cpu:.3f}x a plain invoke's CPU"
    )


if __name__ == "__main__":
    main()
