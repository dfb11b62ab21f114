"""TruLlama: errors inside a retriever, the seed page's feedback flow, print_instrumented."""

from __future__ import annotations

import re
import statistics
from typing import Any

import pytest
from pydantic import Field

pytest.importorskip("llama_index.core")

from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from spyglass.adapters.llamaindex import TruLlama
from spyglass.core import Feedback, FeedbackMode, FeedbackResultStatus, Select

QUESTION = "What is the capital of Germany?"


class RetrieverDown(Exception):
    """What the failing retriever raises."""


class FailingRetriever(BaseRetriever):
    """A retriever whose backend is down."""

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        raise RetrieverDown(f"index unavailable for {query_bundle.query_str!r}")


class EventNames(BaseEventHandler):
    """Keeps the class names of the LlamaIndex events it sees."""

    names: list[str] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "EventNames"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.names.append(type(event).__name__)


def overlap(question: str, context: str) -> float:
    """Share of the question's words found in the context."""
    q = {w.strip("?.,").lower() for w in question.split()}
    c = {w.strip("?.,").lower() for w in context.split()}
    return len(q & c) / len(q)


def grounded(contexts: list[str], answer: str) -> float:
    """1.0 when some context is given for the answer (a stand-in for an LLM judge)."""
    return 1.0 if contexts and answer else 0.0


# ----------------------------------------------------------------------------- errors


def test_error_in_retriever_keeps_record_and_exception(llm: Any) -> None:
    """A retriever error gives a record with main_error and the failing call; the same exception propagates."""
    engine = RetrieverQueryEngine.from_args(retriever=FailingRetriever(), llm=llm)
    recorder = TruLlama(engine)
    with pytest.raises(RetrieverDown) as raised, recorder as recording:
        engine.query(QUESTION)
    record = recording.get()
    failing = [c for c in record.calls if c.stack[-1].method.name == "_retrieve"]
    assert (QUESTION, None) == (record.main_input, record.main_output)
    assert record.main_error is not None
    assert [str(raised.value)] == [c.error for c in failing]
    assert str(raised.value) == record.calls[-1].error


def test_error_object_is_unchanged(llm: Any) -> None:
    """The exception the app sees is the very object the retriever raised, with its traceback."""
    seen: list[BaseException] = []

    class Spy(FailingRetriever):
        def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
            try:
                super()._retrieve(query_bundle)
            except RetrieverDown as exc:
                seen.append(exc)
                raise
            return []

    engine = RetrieverQueryEngine.from_args(retriever=Spy(), llm=llm)
    with pytest.raises(RetrieverDown) as raised, TruLlama(engine):
        engine.query(QUESTION)
    assert [raised.value] == seen


# --------------------------------------------------------------------------- feedback


def test_seed_flow_with_feedbacks_on_select_context(query_engine: Any) -> None:
    """The seed page's flow: feedbacks on `TruLlama.select_context(app)` evaluate on each record."""
    context = TruLlama.select_context(query_engine)
    f_context_relevance = (
        Feedback(overlap, name="Context Relevance")
        .on_input()
        .on(context)
        .aggregate(statistics.fmean)
    )
    f_groundedness = Feedback(grounded, name="Groundedness").on(context.collect()).on_output()
    recorder = TruLlama(
        query_engine,
        app_name="ChatApplication",
        app_version="Chain1",
        feedbacks=[f_context_relevance, f_groundedness],
        feedback_mode=FeedbackMode.WITH_APP,
    )
    response, record = recorder.with_record(query_engine.query, QUESTION)
    results = {d.name: r for d, r in record.wait_for_feedback_results().items()}
    expected_relevance = statistics.fmean(
        overlap(QUESTION, n.node.text) for n in response.source_nodes
    )
    assert {"Context Relevance", "Groundedness"} == set(results)
    assert [FeedbackResultStatus.DONE] * 2 == [r.status for r in results.values()]
    assert (expected_relevance, 1.0) == (
        results["Context Relevance"].result,
        results["Groundedness"].result,
    )


def test_seed_flow_layout_reaches_retriever_args(query_engine: Any) -> None:
    """`layout_calls_as_app()` mirrors the engine: the retriever's query is at its documented path."""
    recorder = TruLlama(query_engine)
    _, record = recorder.with_record(query_engine.query, QUESTION)
    layout = record.layout_calls_as_app()
    lens = Select.RecordCalls._retriever.retrieve.args.str_or_query_bundle.query_str
    assert [QUESTION] == list(Select.dequalify(lens).get(layout))
    retrieve_calls = layout["app"]["_retriever"]["retrieve"]
    assert 1 == len(retrieve_calls)


# ---------------------------------------------------------------- print_instrumented


def test_print_instrumented_lists_components_with_paths(
    query_engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """`print_instrumented()` lists each component of a query engine with its path and kind."""
    TruLlama(query_engine).print_instrumented()
    out = capsys.readouterr().out
    components = re.findall(
        r"^\t(\w+) \((\w+)\) at 0x[0-9a-f]+ with path (\S+)$", out, re.MULTILINE
    )
    assert [
        ("TruLlama", "recorder", "__app__"),
        ("RetrieverQueryEngine", "query_engine", "__app__.app"),
        ("VectorIndexRetriever", "retriever", "__app__.app._retriever"),
        ("HashBagEmbedding", "embedding", "__app__.app._retriever._embed_model"),
        ("CompactAndRefine", "synthesizer", "__app__.app._response_synthesizer"),
        ("MockLLM", "llm", "__app__.app._response_synthesizer._llm"),
    ] == components
    assert out.startswith("Components:\n")
    assert "\nMethods:\n" in out
    methods = re.findall(r"^\t(<.*?>) with path \S+$", out, re.MULTILINE)
    assert methods and all(m.startswith("<function ") for m in methods), methods


def test_instrumented_methods_include_llm_chat_and_complete(query_engine: Any) -> None:
    """LLM `chat` and `complete` are instrumented (TruLens lost them to the chat-engine entry)."""
    methods = TruLlama(query_engine).instrumented()["methods"]
    llm_methods = {m["name"] for m in methods if m["path"] == "app._response_synthesizer._llm"}
    assert {"chat", "complete", "stream_complete", "acomplete", "predict"} <= llm_methods


# ------------------------------------------------------ LlamaIndex's own instrumentation


def test_llamaindex_dispatcher_keeps_working(query_engine: Any, dispatcher_handlers: Any) -> None:
    """LlamaIndex's event handlers see the same events with and without recording."""
    handler = EventNames()
    dispatcher_handlers.add_event_handler(handler)
    query_engine.query(QUESTION)
    plain = list(handler.names)
    handler.names.clear()
    with TruLlama(query_engine):
        query_engine.query(QUESTION)
    assert "QueryStartEvent" in plain
    assert plain == handler.names


def test_llamaindex_spans_are_the_same_with_recording(
    query_engine: Any, dispatcher_handlers: Any
) -> None:
    """LlamaIndex's span handlers see the same spans, same nesting, with and without recording."""
    from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler

    def spans() -> list[tuple[str, str | None]]:
        handler = SimpleSpanHandler()
        dispatcher_handlers.add_span_handler(handler)
        try:
            query_engine.query(QUESTION)
        finally:
            dispatcher_handlers.span_handlers.remove(handler)

        def name(span_id: str | None) -> str | None:
            return None if span_id is None else span_id.rsplit("-", 5)[0]

        return sorted((name(s.id_), name(s.parent_id)) for s in handler.completed_spans)

    plain = spans()
    with TruLlama(query_engine):
        recorded = spans()
    assert ("RetrieverQueryEngine.query", None) in plain
    assert plain == recorded
