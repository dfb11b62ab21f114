"""Building the record of a call whose argument is huge, against the same call with a
small argument and against copying the kept part by hand, in one run.

A recorded call holds references only; the cost of a huge value is paid when its record
is built (here: on first read). The serialiser keeps ``max_items`` (10,000) elements of
a collection and a marker with the true length, so building a record for a call whose
argument is a million-element list should cost about what its 10,000 kept elements cost:
proportional to what is kept, not to the input.

Columns (median of several runs, ms): the record build (``recording.get()``), the build
for the same call with a 3-element list, and ``json.dumps`` of the first 10,000 elements
(what a record keeps, serialised by the standard library: a floor for any serialiser).
Also a million-key dict, a million-element set and a 5 MB exception message.

Target (issue 12): the million-element list builds in <= 50 ms.
Run: ``.venv/bin/python bench/bench_huge.py``.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from spyglass.adapters.custom import TruApp, instrument

N = 1_000_000
KEPT = 10_000
RUNS = 7
TARGET_MS = 50.0


class App:
    @instrument
    def respond(self, value: Any) -> int:
        return 1

    @instrument
    def fail(self, depth: int) -> None:
        if depth:
            self.fail(depth - 1)
        raise ValueError("m" * 5_000_000)


def build_ms(recorder: TruApp, call: Callable[[], Any]) -> float:
    """Median time to build the record of ``call()`` (the call itself is not timed)."""
    samples = []
    for _ in range(RUNS):
        with recorder as recording:
            try:
                call()
            except ValueError:
                pass
        gc.collect()
        t0 = time.perf_counter()
        recording.get()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def floor_ms(value: list[int]) -> float:
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        json.dumps(value[:KEPT])
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    app = App()
    recorder = TruApp(app, app_name="bench-huge")
    big = list(range(N))
    small_ms = build_ms(recorder, lambda: app.respond([1, 2, 3]))
    floor = floor_ms(big)
    rows = [
        ("1,000,000-element list", build_ms(recorder, lambda: app.respond(big))),
        ("1,000,000-key dict", build_ms(recorder, lambda: app.respond(dict.fromkeys(big, 0)))),
        ("1,000,000-element set", build_ms(recorder, lambda: app.respond(set(big)))),
        ("5 MB exception, 6 calls deep", build_ms(recorder, lambda: app.fail(5))),
    ]
    print(f"record build for a call with a huge argument (median of {RUNS}; ms)")
    print(f"baseline: same call, 3-element list     {small_ms:8.2f}")
    print(f"floor: json.dumps of the {KEPT:,} kept     {floor:8.2f}")
    for name, ms in rows:
        print(f"{name:40} {ms:8.2f}   ({ms / floor:5.1f}x the floor)")
    verdict = "ok" if rows[0][1] <= TARGET_MS else "MISSED"
    print(f"target: million-element list <= {TARGET_MS:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
