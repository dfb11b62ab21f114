"""Records become OpenTelemetry spans: tree, kinds, attributes, times (in-memory exporter)."""

from __future__ import annotations

from typing import Any

import pytest
from _rag import DOCS, RAG
from conftest import by_path, finished, ns, tree

from spyglass.adapters.custom import TruApp
from spyglass.core import Feedback
from spyglass.otel import OTLPSink
from spyglass.otel.semconv.trace import SpanAttributes


def _record_root(spans: list[Any]) -> Any:
    (root,) = [s for s in spans if s.attributes.get("spyglass.span") == "record"]
    return root


def test_custom_rag_tree_kinds_and_times(sink: OTLPSink, memory: Any) -> None:
    """A custom RAG record is one trace: the app call, then its calls nested as they ran."""
    rag = RAG()
    recorder = TruApp(rag, app_name="rag", app_version="v2", sinks=[sink])
    with recorder as recording:
        assert rag.query("capital of France?") == "Paris."
    record = recording.get()
    spans = finished(sink, memory)

    assert [
        "rag [CHAIN]",
        "  RAG.query [CHAIN]",
        "    retrieval Retriever [RETRIEVER]",
        "    text_completion Generator [LLM]",
    ] == tree(spans)
    assert {s.context.trace_id for s in spans} == {int(record.record_id[-32:], 16)}
    root = _record_root(spans)
    assert "capital of France?" == root.attributes["input.value"]
    assert "Paris." == root.attributes["output.value"]
    assert "text/plain" == root.attributes["output.mime_type"]
    assert (ns(record.perf.start_time), ns(record.perf.end_time)) == (
        root.start_time,
        root.end_time,
    )
    for call in record.calls:
        (span,) = [s for s in spans if s.attributes.get("spyglass.call.id") == call.call_id]
        assert (ns(call.perf.start_time), ns(call.perf.end_time)) == (
            span.start_time,
            span.end_time,
        )
        assert str(call.stack[-1].path) == span.attributes["spyglass.call.path"]

    (retrieve,) = by_path(spans, "app.retriever", "retrieve")
    assert "retriever" == retrieve.attributes["spyglass.call.kind"]
    assert "retrieval" == retrieve.attributes["gen_ai.operation.name"]
    assert (
        "Paris is the capital of France."
        == retrieve.attributes["retrieval.documents.0.document.content"]
    )
    assert tuple(DOCS) == retrieve.attributes[SpanAttributes.RETRIEVAL.RETRIEVED_CONTEXTS]
    # attributes= of @instrument, evaluated on the recorded call
    assert "capital of France?" == retrieve.attributes[SpanAttributes.RETRIEVAL.QUERY_TEXT]
    assert 2 == retrieve.attributes["custom.hits"]
    (generate,) = by_path(spans, "app.generator", "generate")
    assert "generation" == generate.attributes[SpanAttributes.SPAN_TYPE]
    assert generate.attributes["custom.prompt"].endswith("capital of France?")
    for span in spans:
        assert "rag" == span.resource.attributes["service.name"]
        assert "v2" == span.resource.attributes["service.version"]
        assert record.record_id == span.attributes["spyglass.record.id"]
        assert recorder.app_id == span.attributes["spyglass.app.id"]
        assert "rag" == span.attributes["spyglass.app.name"]


def test_error_sets_status_and_exception_event(sink: OTLPSink, memory: Any) -> None:
    """A call that raised has an ERROR status and an exception event; the app still raises."""
    rag = RAG()
    recorder = TruApp(rag, sinks=[sink])
    with recorder, pytest.raises(ValueError, match="refused"):
        rag.generator.generate("fail")
    spans = finished(sink, memory)
    for span in spans:
        assert "ERROR" == span.status.status_code.name
        assert "the model refused" == span.status.description
        (event,) = span.events
        assert ("exception", "the model refused") == (
            event.name,
            event.attributes["exception.message"],
        )
    assert "ValueError" == _record_root(spans).events[0].attributes["exception.type"]


def test_streamed_call_span_covers_the_whole_stream(sink: OTLPSink, memory: Any) -> None:
    """A generator's span lasts until the stream is exhausted and holds every item."""
    rag = RAG()
    recorder = TruApp(rag, app_name="stream", sinks=[sink])
    with recorder as recording:
        assert "Paris." == "".join(rag.query_stream("capital of France?"))
    record = recording.get()
    spans = finished(sink, memory)
    (stream,) = by_path(spans, "app.generator", "stream")
    (query,) = by_path(spans, "app", "query_stream")
    # three pauses of 20 ms happen while the stream is consumed, after the call returned
    assert stream.end_time - stream.start_time >= 3 * 20_000_000
    assert query.start_time <= stream.start_time and stream.end_time <= query.end_time
    assert '["Par", "is", "."]' == stream.attributes["output.value"]
    assert _record_root(spans).attributes["output.value"] == record.main_output == "Paris."


def test_feedback_results_join_the_records_trace(sink: OTLPSink, memory: Any) -> None:
    """Each feedback result is a gen_ai.evaluation.result event under the record's root span."""

    def brevity(text: str) -> dict[str, Any] | float:
        return 0.75, {"reason": "short enough"}  # type: ignore[return-value]

    rag = RAG()
    recorder = TruApp(rag, sinks=[sink], feedbacks=[Feedback(brevity).on_output()])
    with recorder as recording:
        rag.query("capital of France?")
    record = recording.get()
    record.wait_for_feedback_results()
    spans = finished(sink, memory)
    root = _record_root(spans)
    (evaluation,) = [s for s in spans if s.attributes.get("spyglass.span") == "feedback"]
    assert root.context.trace_id == evaluation.context.trace_id
    assert root.context.span_id == evaluation.parent.span_id
    (event,) = evaluation.events
    assert "gen_ai.evaluation.result" == event.name
    assert {
        "gen_ai.evaluation.name": "brevity",
        "gen_ai.evaluation.score.value": 0.75,
        "gen_ai.evaluation.explanation": "short enough",
        "spyglass.feedback.status": "done",
    } == dict(event.attributes)
    assert 0.75 == evaluation.attributes[SpanAttributes.EVAL_ROOT.SCORE]


def test_long_values_are_truncated_with_a_marker(memory: Any) -> None:
    """An attribute beyond the length limit is cut, ending with a marker, never rejected."""
    sink = OTLPSink(exporter=memory, max_attribute_length=200)
    try:
        rag = RAG()
        with TruApp(rag, sinks=[sink]):
            rag.generator.generate("x" * 5000)
        spans = finished(sink, memory)
    finally:
        sink.shutdown()
    value = spans[0].attributes["input.value"]
    assert len(value) <= 200
    assert value.startswith("xxx")
    assert value.endswith("truncated 4800 characters]") or "truncated" in value


def test_bad_arguments_name_the_fix() -> None:
    """An unknown protocol or a tiny length limit is an error that says what to give."""
    with pytest.raises(ValueError, match="http/protobuf"):
        OTLPSink(protocol="smoke-signals")
    with pytest.raises(ValueError, match="at least 64"):
        OTLPSink(max_attribute_length=3)


@pytest.mark.parametrize(
    ("sampler", "kept"), [("always_on", 5), ("always_off", 0), ("parentbased_always_off", 0)]
)
def test_the_environments_sampler_applies(
    sampler: str, kept: int, memory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OTEL_TRACES_SAMPLER applies as a tracer's would: a dropped trace loses its record's
    spans and its feedback results' spans alike."""
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", sampler)
    sink = OTLPSink(exporter=memory)

    def length(text: str) -> float:
        return float(len(text))

    try:
        rag = RAG()
        recorder = TruApp(rag, sinks=[sink], feedbacks=[Feedback(length).on_output()])
        with recorder as recording:
            for _ in range(5):
                rag.query("capital of France?")
        for record in recording.records:
            assert [1.0 * len("Paris.")] == [
                f.result().result for f in record.feedback_results
            ]  # evaluated and delivered to the sink, which drops it
        spans = finished(sink, memory)
    finally:
        sink.shutdown()
    assert 5 * kept == len(spans)  # a root, 3 calls and an evaluation per kept record


def test_traceidratio_keeps_about_its_ratio(memory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's ratio sampler reads the low 64 bits of the trace id: made from a uuid4
    record id, they are random, so a ratio of 0.5 keeps about half the records."""
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.5")
    sink = OTLPSink(exporter=memory)
    try:
        rag = RAG()
        with TruApp(rag, sinks=[sink]):
            for _ in range(400):
                rag.query("capital of France?")
        spans = finished(sink, memory)
    finally:
        sink.shutdown()
    kept = len({span.context.trace_id for span in spans})
    # Binomial(400, 0.5): outside 130..270 once in about 10**12 runs.
    assert 130 <= kept <= 270, kept


def test_attribute_count_limit_keeps_the_first(
    memory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT the first attributes (the app's and record's
    ids) are kept and the rest counted as dropped."""
    monkeypatch.setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "6")
    sink = OTLPSink(exporter=memory)
    try:
        rag = RAG()
        with TruApp(rag, sinks=[sink]) as recording:
            rag.query("capital of France?")
        spans = finished(sink, memory)
    finally:
        sink.shutdown()
    record = recording.get()
    for span in spans:
        assert 6 == len(span.attributes)
        assert record.record_id == span.attributes["spyglass.record.id"]
        assert span.dropped_attributes > 0


def test_exception_event_is_at_the_calls_end(sink: OTLPSink, memory: Any) -> None:
    """A recorded error's event carries the time the call ended, not the export's."""
    rag = RAG()
    with TruApp(rag, sinks=[sink]), pytest.raises(ValueError):
        rag.generator.generate("fail")
    for span in finished(sink, memory):
        assert [span.end_time] == [event.timestamp for event in span.events]
