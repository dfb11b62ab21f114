"""What exporting records as OTLP spans costs, on the app's thread and in the background.

Run: ``.venv/bin/python bench/bench_otel.py [--records 2000] [--repeats 5]``

One process, one run, a small custom RAG app (a root call, a retriever, an LLM and a
tool: 4 recorded calls, 5 spans per record):

- ``app's thread``: per record, the wall time of the app's call loop, for the
  plain app, the app recorded with no sink (the baseline), and the app recorded with
  a do-nothing sink (records built by the dispatcher, in the background), and the app
  recorded with an ``OTLPSink`` (records also turned into spans and encoded, in the
  background). What the app's thread pays is the hand-off, plus whatever the
  background threads take from it through the GIL while the app's loop is CPU-bound.
  The export cost is the OTLP row less the baseline, per record (target ≤ 20 µs).
- ``background``: per span, turning built records into spans (``OTLPSink.on_record``) and
  encoding them as an OTLP ``ExportTraceServiceRequest``, as the HTTP exporter does before
  sending (the network itself is the back-end's cost, not spyglass's).

Medians over ``--repeats``; ratios are against the recorded baseline of the same run.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import RecordSink, sinks
from spyglass.otel import OTLPSink
from spyglass.otel.semconv.trace import SpanType


class Retriever:
    @instrument(span_type=SpanType.RETRIEVAL)
    def retrieve(self, query: str) -> list[str]:
        return ["Paris is the capital of France.", "The Seine flows through Paris."]


class LLM:
    @instrument(span_type=SpanType.GENERATION)
    def generate(self, prompt: str) -> str:
        return "Paris."


class Tool:
    @instrument(span_type=SpanType.TOOL)
    def lookup(self, word: str) -> str:
        return word.upper()


class RAG:
    def __init__(self) -> None:
        self.retriever = Retriever()
        self.llm = LLM()
        self.tool = Tool()

    @instrument
    def query(self, question: str) -> str:
        context = self.retriever.retrieve(question)
        self.tool.lookup("paris")
        return self.llm.generate(f"{context} {question}")


class EncodingExporter(SpanExporter):
    """Encodes each batch as the OTLP/HTTP exporter does, then drops it (no network)."""

    def __init__(self) -> None:
        self.spans = 0
        self.bytes = 0

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        self.bytes += len(encode_spans(spans).SerializePartialToString())
        self.spans += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return


class NullSink(RecordSink):
    """Receives records and does nothing with them."""


def app_thread(mode: str, n: int) -> float:
    """µs per record of the app's call loop in ``mode``."""
    rag = RAG()
    if mode == "plain":
        start = time.perf_counter_ns()
        for _ in range(n):
            rag.query("capital of France?")
        return (time.perf_counter_ns() - start) / n / 1000
    sink: Any = None
    if mode == "otlp":
        sink = OTLPSink(exporter=EncodingExporter())
    elif mode == "sink":
        sink = NullSink()  # records are built in the background, then dropped
    recorder = TruApp(rag, sinks=[sink] if sink else [])
    with recorder as recording:
        rag.query("warm-up")
        start = time.perf_counter_ns()
        for _ in range(n):
            rag.query("capital of France?")
        elapsed = time.perf_counter_ns() - start
    sinks.flush(timeout=120)
    if sink is not None:
        sink.flush(timeout=120)
        sink.shutdown()
    del recording
    return elapsed / n / 1000


def background(n: int) -> tuple[float, float, int]:
    """(µs per span to make spans, µs per span to encode them, bytes per span)."""
    rag = RAG()
    recorder = TruApp(rag)
    with recorder as recording:
        for _ in range(n):
            rag.query("capital of France?")
    records = recording.records  # built here, not timed
    exporter = EncodingExporter()
    sink = OTLPSink(exporter=exporter, schedule_delay=3600)
    spans = sum(len(r.calls) + 1 for r in records)
    start = time.perf_counter_ns()
    for record in records:
        sink.on_record(record, recorder)
    made = time.perf_counter_ns()
    sink._processor.force_flush()  # encode everything queued, on this thread
    done = time.perf_counter_ns()
    assert exporter.spans == spans, (exporter.spans, spans)
    sink.shutdown()
    return (made - start) / spans / 1000, (done - made) / spans / 1000, exporter.bytes // spans


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n = args.records
    runs: dict[str, list[float]] = {"plain": [], "recorded": [], "sink": [], "otlp": []}
    bg: list[tuple[float, float, int]] = []
    for _ in range(args.repeats):
        for mode, samples in runs.items():
            gc.collect()
            samples.append(app_thread(mode, n))
        gc.collect()
        bg.append(background(n))
    med = {mode: statistics.median(v) for mode, v in runs.items()}
    base = med["recorded"]
    print(
        f"app's thread, µs per record ({n} records x {args.repeats} runs, median; 4 calls/record)"
    )
    print(f"{'mode':34} {'µs':>9} {'× recorded':>11}")
    for mode, label in (
        ("plain", "plain app (not recorded)"),
        ("recorded", "recorded, no sink (baseline)"),
        ("sink", "recorded + a do-nothing sink"),
        ("otlp", "recorded + OTLPSink"),
    ):
        print(f"{label:34} {med[mode]:9.1f} {med[mode] / base:11.2f}")
    print(f"{'OTLP export vs no sink':34} {med['otlp'] - base:9.1f}   (target <= 20 µs)")
    print(f"{'OTLP export vs do-nothing sink':34} {med['otlp'] - med['sink']:9.1f}")
    make = statistics.median(b[0] for b in bg)
    encode = statistics.median(b[1] for b in bg)
    size = statistics.median(b[2] for b in bg)
    print("background, µs per span (5 spans per record)")
    print(f"{'record -> spans (OTLPSink.on_record)':34} {make:9.1f}")
    print(f"{'spans -> OTLP protobuf':34} {encode:9.1f}   ({size} bytes per span)")
    print(f"{'total per span':34} {make + encode:9.1f}")


if __name__ == "__main__":
    main()
