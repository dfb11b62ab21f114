"""TruLens OTEL-mode names: semconv constants and @instrument(span_type=, attributes=)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from conftest import by_path, finished

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import CallKind
from spyglass.otel import OTLPSink
from spyglass.otel.semconv.trace import BASE_SCOPE, ResourceAttributes, SpanAttributes, SpanType


def test_semconv_names_are_trulens_names() -> None:
    """The attribute names are TruLens's, all under ai.observability."""
    assert "ai.observability" == BASE_SCOPE
    assert "ai.observability.span_type" == SpanAttributes.SPAN_TYPE
    assert "ai.observability.record_root.input" == SpanAttributes.RECORD_ROOT.INPUT
    assert "ai.observability.retrieval.retrieved_contexts" == (
        SpanAttributes.RETRIEVAL.RETRIEVED_CONTEXTS
    )
    assert "ai.observability.cost.cost_currency" == SpanAttributes.COST.CURRENCY
    assert "ai.observability.app_name" == ResourceAttributes.APP_NAME
    assert "retrieval" == SpanType.RETRIEVAL == "retrieval"


class Pipeline:
    @instrument(span_type=SpanType.TOOL, attributes={"tool.query": "q", "tool.answer": "return"})
    def lookup(self, q: str) -> str:
        return q.upper()

    @instrument(span_type=CallKind.EMBEDDING, attributes=lambda ret, exc, **kw: 1 / 0)
    def embed(self, text: str) -> list[float]:
        return [0.5]

    @instrument(span_type="generation", attributes={"missing": "nope"})
    def generate(self, prompt: str) -> str:
        return prompt

    @instrument
    def run(self, q: str) -> str:
        self.embed(q)
        return self.generate(self.lookup(q))


def test_span_type_becomes_the_kind_and_attributes_reach_the_span(
    sink: OTLPSink, memory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """span_type sets the call's kind; attributes (dict or callable) are set on its span;
    a failing callable or an unknown parameter is logged once, never raised."""
    app = Pipeline()
    recorder = TruApp(app, sinks=[sink])
    kinds = {c["path"]: c["kind"] for c in recorder.instrumented()["components"]}
    assert "tool" == kinds["app"]  # the first mark of the class names the component
    with caplog.at_level(logging.WARNING), recorder:
        assert "HI" == app.run("hi")
        spans = finished(sink, memory)
    (lookup,) = by_path(spans, "app", "lookup")
    assert ("TOOL", "tool", "hi", "HI") == (
        lookup.attributes["openinference.span.kind"],
        lookup.attributes["spyglass.call.kind"],
        lookup.attributes["tool.query"],
        lookup.attributes["tool.answer"],
    )
    messages = [r.getMessage() for r in caplog.records if "@instrument" in r.getMessage()]
    assert 2 == len(messages), messages
    assert any("Pipeline.embed" in m and "ZeroDivisionError" in m for m in messages)
    assert any("Pipeline.generate" in m and "nope" in m for m in messages)


def test_bad_span_type_or_attributes_name_the_fix() -> None:
    """An unknown span type or an attributes value of the wrong type fails at decoration."""
    with pytest.raises(ValueError, match="retrieval"):
        instrument(span_type="retreival")
    with pytest.raises(TypeError, match="callable"):
        instrument(attributes=["x"])


def test_on_context_selects_the_retrieved_contexts() -> None:
    """Feedback.on_context(collect_list=...) reads the retrieval call's contexts: the list
    once, or each context with the results aggregated."""
    from _rag import DOCS, RAG

    from spyglass.core import Feedback

    seen: list[Any] = []

    def count(contexts: list[str]) -> float:
        seen.append(contexts)
        return float(len(contexts))

    def length(context: str) -> float:
        return len(context) / 100

    rag = RAG()
    recorder = TruApp(
        rag,
        feedbacks=[
            Feedback(count, name="count").on_context(collect_list=True),
            Feedback(length, name="length").on_context(collect_list=False),
        ],
    )
    with recorder as recording:
        rag.query("capital of France?")
    results = recording.get().wait_for_feedback_results()
    scores = {definition.name: result.result for definition, result in results.items()}
    assert [DOCS] == seen
    assert 2.0 == scores["count"]
    assert sum(len(d) for d in DOCS) / 100 / 2 == pytest.approx(scores["length"])


def test_on_context_without_a_retriever_says_how_to_select_it() -> None:
    """A recorder whose app has no known retriever rejects on_context, naming the fix."""
    from spyglass.core import Feedback, SelectorError

    def count(contexts: list[str]) -> float:
        return 0.0

    class Plain:
        @instrument
        def run(self, q: str) -> str:
            return q

    with pytest.raises(SelectorError, match="retriever=True"):
        TruApp(Plain(), feedbacks=[Feedback(count).on_context(collect_list=True)])
