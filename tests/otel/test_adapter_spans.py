"""The RAG examples of the LangChain and LlamaIndex adapters as spans (in-memory exporter)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_matches_record, by_path, finished, tree

from spyglass.otel import OTLPSink
from spyglass.otel.semconv.trace import SpanAttributes


def test_langchain_rag(sink: OTLPSink, memory: Any) -> None:
    """A LangChain RAG chain: chains, retriever, embedding, chat model with tokens."""
    pytest.importorskip("langchain_core")
    from _lc_apps import QUESTION, UsageFakeChatModel, rag_chain

    from spyglass.adapters.langchain import TruChain

    chain = rag_chain(llm=UsageFakeChatModel())
    with TruChain(chain, app_name="lc-rag", app_version="1", sinks=[sink]) as recording:
        assert "Paris is the capital." == chain.invoke(QUESTION)
    record = recording.get()
    spans = finished(sink, memory)

    lines = tree(spans)
    assert lines[:3] == [
        "lc-rag [CHAIN]",
        "  RunnableSequence.invoke [CHAIN]",
        "    RunnableParallel.invoke [CHAIN]",
    ]
    assert lines[-4:] == [
        "    ChatPromptTemplate.invoke [CHAIN]",
        "    chat UsageFakeChatModel [LLM]",
        "      chat UsageFakeChatModel [LLM]",
        "    StrOutputParser.invoke [CHAIN]",
    ]
    # the parallel branches run on threads: their order varies, their nesting does not
    assert sorted(lines[3:-4]) == sorted(
        [
            "      RunnableSequence.invoke [CHAIN]",
            "        retrieval VectorStoreRetriever [RETRIEVER]",
            "          retrieval VectorStoreRetriever [RETRIEVER]",
            "            retrieval InMemoryVectorStore [RETRIEVER]",
            "              retrieval InMemoryVectorStore [RETRIEVER]",
            "                embeddings DeterministicFakeEmbedding [EMBEDDING]",
            "        RunnableLambda.invoke [CHAIN]",
            "      RunnablePassthrough.invoke [CHAIN]",
        ]
    )
    assert_matches_record(record, spans)
    kinds = {
        (s.attributes["spyglass.call.path"], s.attributes["spyglass.call.kind"])
        for s in spans
        if s.attributes.get("spyglass.span") == "call"
    }
    assert {
        ("app", "chain"),
        ("app.first.steps__.context.first", "retriever"),
        ("app.first.steps__.context.first.vectorstore.embedding", "embedding"),
        ("app.middle[0]", "prompt"),
        ("app.middle[1]", "chat model"),
        ("app.last", "parser"),
    } <= kinds
    (invoke, generate) = by_path(spans, "app.middle[1]")
    assert "chat" == invoke.attributes["gen_ai.operation.name"]
    assert generate.parent.span_id == invoke.context.span_id
    assert (22, 4) == (
        invoke.attributes["gen_ai.usage.input_tokens"],
        invoke.attributes["gen_ai.usage.output_tokens"],
    )
    assert 26 == invoke.attributes["llm.token_count.total"]
    root = next(s for s in spans if s.attributes.get("spyglass.span") == "record")
    assert (26, 22, 4) == (
        root.attributes[SpanAttributes.COST.NUM_TOKENS],
        root.attributes[SpanAttributes.COST.NUM_PROMPT_TOKENS],
        root.attributes[SpanAttributes.COST.NUM_COMPLETION_TOKENS],
    )
    assert "Paris is the capital." in invoke.attributes["output.value"]
    retriever = by_path(spans, "app.first.steps__.context.first", "invoke")[0]
    assert "RETRIEVER" == retriever.attributes["openinference.span.kind"]
    assert "retrieval" == retriever.attributes[SpanAttributes.SPAN_TYPE]
    assert QUESTION == retriever.attributes["input.value"]
    assert retriever.attributes["retrieval.documents.1.document.content"] in {
        "Paris is the capital of France.",
        "The Seine flows through Paris.",
        "Berlin is the capital of Germany.",
    }


def _llama_engine(streaming: bool) -> Any:
    pytest.importorskip("llama_index.core")
    from _li_apps import UsageLLM, build_index

    return build_index().as_query_engine(llm=UsageLLM(), similarity_top_k=2, streaming=streaming)


EXPECTED_LLAMA_TREE = [
    "li [CHAIN]",
    "  RetrieverQueryEngine.query [CHAIN]",
    "    RetrieverQueryEngine._query [CHAIN]",
    "      retrieval VectorIndexRetriever [RETRIEVER]",
    "        retrieval VectorIndexRetriever [RETRIEVER]",
    "          embeddings HashBagEmbedding [EMBEDDING]",
    "      CompactAndRefine.synthesize [CHAIN]",
    "        text_completion UsageLLM [LLM]",
    "          text_completion UsageLLM [LLM]",
]


def test_llamaindex_rag(sink: OTLPSink, memory: Any) -> None:
    """A LlamaIndex query engine: retriever with scored documents, LLM with usage."""
    engine = _llama_engine(streaming=False)
    from _li_apps import QUESTION

    from spyglass.adapters.llamaindex import TruLlama

    with TruLlama(engine, app_name="li", sinks=[sink]) as recording:
        engine.query(QUESTION)
    record = recording.get()
    spans = finished(sink, memory)
    assert EXPECTED_LLAMA_TREE == tree(spans)
    assert_matches_record(record, spans)
    retriever = next(s for s in spans if s.name == "retrieval VectorIndexRetriever")
    assert (
        "Berlin is the capital of Germany."
        == retriever.attributes["retrieval.documents.0.document.content"]
    )
    assert 0 < retriever.attributes["retrieval.documents.0.document.score"] <= 1
    # two spans of that name: the LLM's public method and, inside it, UsageLLM's own
    llm = next(
        s
        for s in spans
        if s.name == "text_completion UsageLLM" and "gen_ai.usage.input_tokens" in s.attributes
    )
    assert (41, 3) == (
        llm.attributes["gen_ai.usage.input_tokens"],
        llm.attributes["gen_ai.usage.output_tokens"],
    )


def test_llamaindex_streamed_llm_span_covers_the_stream(sink: OTLPSink, memory: Any) -> None:
    """A streaming query: the LLM's spans end when the stream is consumed, holding every chunk."""
    engine = _llama_engine(streaming=True)
    from _li_apps import QUESTION

    from spyglass.adapters.llamaindex import TruLlama

    with TruLlama(engine, app_name="li", sinks=[sink]) as recording:
        response = engine.query(QUESTION)
        chunks = list(response.response_gen)
    record = recording.get()
    spans = finished(sink, memory)
    assert EXPECTED_LLAMA_TREE == tree(spans)
    assert_matches_record(record, spans)
    assert ["Berlin", " it", " is.", ""] == chunks
    stream = next(s for s in spans if s.name == "text_completion UsageLLM")  # the outer one
    assert '["Berlin", " it", " is.", ""]' == stream.attributes["output.value"]
    root = next(s for s in spans if s.attributes.get("spyglass.span") == "record")
    assert "Berlin it is." == root.attributes["output.value"]
    assert stream.end_time <= root.end_time
