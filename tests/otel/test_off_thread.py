"""The app's thread only hands records over: spans are made and encoded on other threads."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from _rag import RAG
from conftest import finished
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from spyglass.adapters.custom import TruApp
from spyglass.core import Feedback, add_sink, remove_sink
from spyglass.otel import OTLPSink


class _Threads:
    """The threads each step ran on (the thread objects: an ended thread's id is reused)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[str, set[threading.Thread]] = {}

    def note(self, step: str) -> None:
        with self.lock:
            self.seen.setdefault(step, set()).add(threading.current_thread())


class _EncodingMemory(InMemorySpanExporter):
    """Keeps the spans and encodes them as the OTLP/HTTP exporter does, noting the thread."""

    def __init__(self, threads: _Threads) -> None:
        super().__init__()
        self.threads = threads

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        self.threads.note("export")
        assert encode_spans(spans).SerializePartialToString()
        return super().export(spans)


class _NotingSink(OTLPSink):
    """An OTLPSink noting the threads its methods run on."""

    def __init__(self, threads: _Threads) -> None:
        super().__init__(exporter=_EncodingMemory(threads))
        self.threads = threads

    def on_record(self, record: Any, app: Any) -> None:
        self.threads.note("on_record")
        super().on_record(record, app)

    def on_feedback_result(self, result: Any) -> None:
        self.threads.note("on_feedback_result")
        super().on_feedback_result(result)


def _one_word(text: str) -> float:
    return float(len(text.split()) == 1)


@pytest.fixture(params=["one recorder", "every recorder"])
def noting(request: Any) -> Iterator[tuple[_NotingSink, list[Any]]]:
    """A noting sink given to one recorder (``sinks=``) or added for every recorder, as
    ``spyglass.otel.export`` adds its sink."""
    sink = _NotingSink(_Threads())
    if request.param == "one recorder":
        yield sink, [sink]
    else:
        add_sink(sink)
        try:
            yield sink, []
        finally:
            remove_sink(sink)
    sink.shutdown()


def test_spans_are_never_made_or_encoded_on_the_apps_threads(
    noting: tuple[_NotingSink, list[Any]],
) -> None:
    """on_record, on_feedback_result and the export never run on a thread the app calls from."""
    sink, given = noting
    threads = sink.threads
    rag = RAG()
    recorder = TruApp(rag, sinks=given, feedbacks=[Feedback(_one_word).on_output()])
    app_threads = {threading.current_thread()}

    def calls(n: int) -> None:
        app_threads.add(threading.current_thread())
        for _ in range(n):
            assert "Paris." == rag.query("capital of France?")

    with recorder as recording:
        calls(20)
        # a thread of the app's own, in the recording's context
        worker = threading.Thread(target=contextvars.copy_context().run, args=(calls, 20))
        worker.start()
        worker.join()
    for record in recording.records:
        record.wait_for_feedback_results()
    memory = sink.exporter.exporter
    spans = finished(sink, memory)  # type: ignore[arg-type]

    assert 40 == len(recording.records)
    assert 40 * 4 + 40 == len(spans)  # a root and 3 calls per record, an evaluation each
    assert {"on_record", "on_feedback_result", "export"} <= set(threads.seen)
    for step, seen in threads.seen.items():
        assert not seen & app_threads, f"{step} ran on an app thread"
