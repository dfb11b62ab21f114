"""to_record: exported spans read back give the original record; foreign traces become records."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from _rag import RAG
from conftest import finished

from spyglass.adapters.custom import TruApp
from spyglass.core import CallKind, Feedback, Select
from spyglass.otel import OTLPSink, to_record


def _shape(record: Any, kinds: dict[str, str]) -> Counter[tuple[str, str, str, int]]:
    """Each call as (path, method, kind, depth), counted."""
    return Counter(
        (str(c.stack[-1].path), c.stack[-1].method.name, kinds[c.call_id], len(c.stack))
        for c in record.calls
    )


def _original_kinds(record: Any, recorder: Any) -> dict[str, str]:
    by_path = {c["path"]: c["kind"] for c in recorder.instrumented()["components"]}
    return {c.call_id: by_path[str(c.stack[-1].path)] for c in record.calls}


def _pairs(record: Any, back: Any) -> list[tuple[Any, Any]]:
    theirs = {c.call_id: c for c in back.calls}
    return [(c, theirs[c.call_id]) for c in record.calls]


def _check_round_trip(record: Any, recorder: Any, spans: list[Any]) -> Any:
    back = to_record(spans)
    assert record.record_id == back.record_id
    assert record.app_id == back.app_id
    assert record.main_input == back.main_input
    assert record.main_output == back.main_output
    assert _shape(record, _original_kinds(record, recorder)) == _shape(
        back, back.meta["call_kinds"]
    )
    for mine, theirs in (
        (record.perf, back.perf),
        *((a.perf, b.perf) for a, b in _pairs(record, back)),
    ):
        # span times are whole nanoseconds; a float of epoch seconds may move the µs by one
        assert abs((mine.start_time - theirs.start_time).total_seconds()) <= 1e-6
        assert abs((mine.end_time - theirs.end_time).total_seconds()) <= 1e-6
    return back


def test_custom_record_round_trip(sink: OTLPSink, memory: Any) -> None:
    """A custom app's record: input, output, calls with their args, returns and kinds."""
    rag = RAG()
    recorder = TruApp(rag, app_name="rag", sinks=[sink])
    with recorder as recording:
        rag.query("capital of France?")
    record = recording.get()
    back = _check_round_trip(record, recorder, finished(sink, memory))
    assert [(c.args, c.rets) for c in record.calls] == [(c.args, c.rets) for c in back.calls]
    # lenses read the record read back as the original
    lens = Select.RecordCalls.retriever.retrieve.rets
    assert record.get(lens) == back.get(lens)


def test_langchain_record_round_trip(sink: OTLPSink, memory: Any) -> None:
    """The LangChain RAG record read back from its spans."""
    pytest.importorskip("langchain_core")
    from _lc_apps import QUESTION, rag_chain

    from spyglass.adapters.langchain import TruChain

    chain = rag_chain()
    recorder = TruChain(chain, sinks=[sink])
    with recorder as recording:
        chain.invoke(QUESTION)
    _check_round_trip(recording.get(), recorder, finished(sink, memory))


def test_llamaindex_record_round_trip(sink: OTLPSink, memory: Any) -> None:
    """The LlamaIndex query engine's record read back from its spans."""
    pytest.importorskip("llama_index.core")
    from _li_apps import QUESTION, UsageLLM, build_index

    from spyglass.adapters.llamaindex import TruLlama

    engine = build_index().as_query_engine(llm=UsageLLM(), similarity_top_k=2)
    recorder = TruLlama(engine, sinks=[sink])
    with recorder as recording:
        engine.query(QUESTION)
    _check_round_trip(recording.get(), recorder, finished(sink, memory))


def test_a_record_read_back_exports_the_same_kinds(sink: OTLPSink, memory: Any) -> None:
    """Exporting a record made by to_record gives the same span kinds (no recorder needed)."""
    rag = RAG()
    with TruApp(rag, sinks=[sink]) as recording:
        rag.query("capital of France?")
    recording.get()
    first = finished(sink, memory)
    memory.clear()
    again = OTLPSink(exporter=memory)
    try:
        again.on_record(to_record(first), app=None)
        second = finished(again, memory)
    finally:
        again.shutdown()

    def kinds(spans: list[Any]) -> list[tuple[str, Any, Any]]:
        return sorted(
            (
                s.name,
                s.attributes.get("openinference.span.kind"),
                s.attributes.get("spyglass.call.kind"),
            )
            for s in spans
            if s.attributes.get("spyglass.span") == "call"
        )

    assert kinds(first) == kinds(second)


def test_a_foreign_openinference_trace_becomes_a_record() -> None:
    """Spans another tool made (OpenInference / GenAI attributes) become a record to evaluate."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("openinference.instrumentation.langchain")
    with tracer.start_as_current_span(
        "RetrievalQA",
        attributes={"openinference.span.kind": "CHAIN", "input.value": "Where is Paris?",
                    "output.value": "In France."},
    ):  # fmt: skip
        with tracer.start_as_current_span(
            "VectorStoreRetriever",
            attributes={
                "openinference.span.kind": "RETRIEVER",
                "input.value": "Where is Paris?",
                "output.value": '["Paris is in France."]',
                "output.mime_type": "application/json",
                "retrieval.documents.0.document.content": "Paris is in France.",
            },
        ):
            pass
        with tracer.start_as_current_span(
            "chat gpt-4o",
            attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                        "gen_ai.output.messages": '[{"role": "assistant", "content": "In France."}]'},
        ):  # fmt: skip
            pass
    provider.shutdown()

    record = to_record(memory.get_finished_spans(), app_id="their-app")
    assert ("their-app", "Where is Paris?", "In France.") == (
        record.app_id,
        record.main_input,
        record.main_output,
    )
    assert [
        ("app", "chain"),
        ("app.VectorStoreRetriever", "retriever"),
        ("app.chat_gpt_4o", "chat model"),
    ] == sorted((str(c.stack[-1].path), record.meta["call_kinds"][c.call_id]) for c in record.calls)
    retriever = next(c for c in record.calls if str(c.stack[-1].path) == "app.VectorStoreRetriever")
    assert ["Paris is in France."] == retriever.rets
    assert CallKind.RETRIEVER == record.meta["call_kinds"][retriever.call_id]

    def mentions_france(text: str) -> float:
        return float("France" in text)

    result = Feedback(mentions_france).on_output().run(record=record)
    assert 1.0 == result.result


def test_to_record_names_the_fix_for_bad_input(memory: Any) -> None:
    """No spans, or spans of several traces, is a ValueError saying what to pass."""
    with pytest.raises(ValueError, match="none were given"):
        to_record([])
    sink = OTLPSink(exporter=memory)
    try:
        rag = RAG()
        with TruApp(rag, sinks=[sink]):
            rag.query("one")
            rag.query("two")
        spans = finished(sink, memory)
    finally:
        sink.shutdown()
    with pytest.raises(ValueError, match="Group them by span.context.trace_id"):
        to_record(spans)
