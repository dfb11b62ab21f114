"""TruLlama on a query engine: query, aquery and a streamed query the user drains."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from spyglass.adapters.llamaindex import TruLlama
from spyglass.core import Select

QUESTION = "What is the capital of Germany?"
RETRIEVED = ["Berlin is the capital of Germany.", "Paris is the capital of France."]


def _select(record: Any, lens: Any) -> list[Any]:
    """Every value `lens` selects in `record` (a `__record__` lens, as feedbacks use)."""
    return list(Select.dequalify(lens).get(record.layout_calls_as_app()))


def _paths(record: Any) -> list[str]:
    return [f"{c.stack[-1].path}.{c.stack[-1].method.name}" for c in record.calls]


def test_query_makes_one_record_with_main_io(query_engine: Any) -> None:
    """One query is one record; main input is the query text, main output the answer."""
    recorder = TruLlama(query_engine)
    with recorder as recording:
        response = query_engine.query(QUESTION)
    record = recording.get()
    assert (QUESTION, response.response) == (record.main_input, record.main_output)
    assert None is record.main_error


def test_query_output_is_unchanged_by_recording(index: Any, llm: Any) -> None:
    """The response (text and sources) is the same with and without recording."""
    plain_engine = index.as_query_engine(llm=llm, similarity_top_k=2)
    plain = plain_engine.query(QUESTION)
    recorded_engine = index.as_query_engine(llm=llm, similarity_top_k=2)
    recorder = TruLlama(recorded_engine)
    with recorder:
        recorded = recorded_engine.query(QUESTION)
    assert (plain.response, [n.node.text for n in plain.source_nodes]) == (
        recorded.response,
        [n.node.text for n in recorded.source_nodes],
    )


def test_query_records_components_at_their_paths(query_engine: Any) -> None:
    """The record holds the engine, retriever, embedding, synthesizer and LLM calls at their paths."""
    recorder = TruLlama(query_engine)
    _, record = recorder.with_record(query_engine.query, QUESTION)
    paths = set(_paths(record))
    expected = {
        "app.query",
        "app._query",
        "app._retriever.retrieve",
        "app._retriever._retrieve",
        "app._retriever._embed_model.get_query_embedding",
        "app._response_synthesizer.synthesize",
        "app._response_synthesizer._llm.predict",
        "app._response_synthesizer._llm.complete",
    }
    assert expected == expected & paths
    assert "app.query" == _paths(record)[-1]


def test_retriever_nodes_at_documented_path(query_engine: Any) -> None:
    """The retrieved node texts are at `RecordCalls._retriever.retrieve.rets[:].node.text`."""
    recorder = TruLlama(query_engine)
    _, record = recorder.with_record(query_engine.query, QUESTION)
    lens = Select.RecordCalls._retriever.retrieve.rets[:].node.text
    assert RETRIEVED == _select(record, lens)


def test_select_context_reads_source_nodes(query_engine: Any) -> None:
    """`TruLlama.select_context(engine)` selects the retrieved texts in a query's record."""
    recorder = TruLlama(query_engine)
    _, record = recorder.with_record(query_engine.query, QUESTION)
    lens = TruLlama.select_context(query_engine)
    assert "__record__.calls[-1].rets.source_nodes[:].node.text" == str(lens)
    assert RETRIEVED == _select(record, lens)


def test_query_bundle_main_input_is_text_not_embedding(query_engine: Any) -> None:
    """A QueryBundle gives its query text as main input; its embedding is never recorded."""
    from llama_index.core.schema import QueryBundle

    bundle = QueryBundle(QUESTION, embedding=[0.25] * 32)
    recorder = TruLlama(query_engine)
    _, record = recorder.with_record(query_engine.query, bundle)
    assert QUESTION == record.main_input
    root_args = record.calls[-1].args["str_or_query_bundle"]
    assert (QUESTION, 32, False) == (
        root_args["query_str"],
        root_args["embedding_dim"],
        "embedding" in root_args,
    )


def test_two_queries_make_two_records(query_engine: Any) -> None:
    """Each top-level query is its own record."""
    recorder = TruLlama(query_engine)
    with recorder as recording:
        query_engine.query(QUESTION)
        query_engine.query("Where does the Seine flow?")
    assert [QUESTION, "Where does the Seine flow?"] == [r.main_input for r in recording.records]


def test_aquery_makes_one_record(query_engine: Any) -> None:
    """`aquery` is one record ending with the real response, with the async components."""
    recorder = TruLlama(query_engine)

    async def main() -> tuple[Any, Any]:
        async with recorder as recording:
            response = await query_engine.aquery(QUESTION)
        return response, recording.get()

    response, record = asyncio.run(main())
    paths = _paths(record)
    assert (QUESTION, response.response) == (record.main_input, record.main_output)
    assert "app.aquery" == paths[-1]
    assert {"app._aquery", "app._retriever.aretrieve"} <= set(paths)


def test_streamed_query_record_ends_when_user_drains(streaming_engine: Any) -> None:
    """A streamed query is recorded when the user has drained `response_gen`, with the streamed text."""
    recorder = TruLlama(streaming_engine)
    with recorder as recording:
        response = streaming_engine.query(QUESTION)
        assert 0 == len(recording.records)
        tokens = list(response.response_gen)
    record = recording.get()
    assert ("".join(tokens), QUESTION) == (record.main_output, record.main_input)
    assert "app.query" == _paths(record)[-1]


def test_streamed_query_records_lazy_llm_calls_inside(streaming_engine: Any) -> None:
    """The LLM stream LlamaIndex starts while the user reads is recorded in the same record."""
    recorder = TruLlama(streaming_engine)
    with recorder as recording:
        list(streaming_engine.query(QUESTION).response_gen)
    record = recording.get()
    assert 1 == len(recording.records)
    assert "app._response_synthesizer._llm.stream_complete" in _paths(record)


def test_streamed_query_leaves_response_as_without_recording(index: Any, llm: Any) -> None:
    """With recording, a drained streaming response reads exactly as without it."""

    def run(record: bool) -> tuple[Any, ...]:
        engine = index.as_query_engine(llm=llm, similarity_top_k=2, streaming=True)
        if record:
            with TruLlama(engine):
                response = engine.query(QUESTION)
                tokens = list(response.response_gen)
        else:
            response = engine.query(QUESTION)
            tokens = list(response.response_gen)
        return tokens, response.response_txt, str(response), len(response.source_nodes)

    assert run(record=False) == run(record=True)


def test_streamed_query_select_context(streaming_engine: Any) -> None:
    """`select_context` also reads the sources of a streamed query's record."""
    recorder = TruLlama(streaming_engine)
    with recorder as recording:
        list(streaming_engine.query(QUESTION).response_gen)
    assert RETRIEVED == _select(recording.get(), TruLlama.select_context(streaming_engine))


def test_retriever_app(index: Any) -> None:
    """A retriever records `retrieve`; main output is the texts; context lens reads them."""
    retriever = index.as_retriever(similarity_top_k=2)
    recorder = TruLlama(retriever)
    nodes, record = recorder.with_record(retriever, QUESTION)
    assert (QUESTION, "\n\n".join(RETRIEVED)) == (record.main_input, record.main_output)
    assert RETRIEVED == [n.node.text for n in nodes]
    lens = TruLlama.select_context(retriever)
    assert RETRIEVED == _select(record, lens)


def test_cost_counts_reported_tokens(index: Any, usage_llm: Any) -> None:
    """Token usage an LLM reports is summed into `Record.cost`, once per request."""
    engine = index.as_query_engine(llm=usage_llm, similarity_top_k=1)
    recorder = TruLlama(engine)
    _, record = recorder.with_record(engine.query, QUESTION)
    llm_calls = [c for c in record.calls if c.stack[-1].method.name == "complete"]
    prompt_tokens = sum(c.rets["raw"]["usage"]["prompt_tokens"] for c in llm_calls)
    assert (len(llm_calls), prompt_tokens, 3 * len(llm_calls)) == (
        record.cost.n_requests,
        record.cost.n_prompt_tokens,
        record.cost.n_completion_tokens,
    )


def test_cost_unknown_is_not_counted(query_engine: Any) -> None:
    """MockLLM reports no usage: the record's cost counts no request and no tokens."""
    recorder = TruLlama(query_engine)
    _, record = recorder.with_record(query_engine.query, QUESTION)
    assert (0, 0) == (record.cost.n_requests, record.cost.n_tokens)


def test_with_record_on_app_calls_query(query_engine: Any) -> None:
    """`with_record(engine, q)` calls the engine's `query`."""
    recorder = TruLlama(query_engine)
    response, record = recorder.with_record(query_engine, QUESTION)
    assert ("app.query", response.response) == (_paths(record)[-1], record.main_output)


def test_streamed_aquery_record_ends_when_user_drains(streaming_engine: Any) -> None:
    """A streamed `aquery` is recorded when the async stream is drained, LLM stream inside."""
    recorder = TruLlama(streaming_engine)

    async def main() -> tuple[list[str], int, Any]:
        async with recorder as recording:
            response = await streaming_engine.aquery(QUESTION)
            before = len(recording.records)
            tokens = [token async for token in response.async_response_gen()]
        return tokens, before, recording.get()

    tokens, before, record = asyncio.run(main())
    paths = _paths(record)
    assert (0, "".join(tokens)) == (before, record.main_output)
    assert ("app.aquery", True) == (
        paths[-1],
        "app._response_synthesizer._llm.astream" in paths,
    )


def test_streamed_query_closed_early_keeps_what_was_streamed(streaming_engine: Any) -> None:
    """A stream closed after one token gives a record whose main output is that token."""
    recorder = TruLlama(streaming_engine)
    with recorder as recording:
        stream = streaming_engine.query(QUESTION).response_gen
        first = next(stream)
        stream.close()
    assert [first] == [r.main_output for r in recording.records]


def test_streamed_query_llm_stream_nests_under_synthesizer(streaming_engine: Any) -> None:
    """The LLM stream started while the user reads is nested under the synthesizer that made it."""
    recorder = TruLlama(streaming_engine)
    with recorder as recording:
        list(streaming_engine.query(QUESTION).response_gen)
    stacks = [
        [f"{frame.path}.{frame.method.name}" for frame in c.stack]
        for c in recording.get().calls
        if c.stack[-1].method.name == "stream_complete"
    ]
    assert [
        [
            "app.query",
            "app._query",
            "app._response_synthesizer.synthesize",
            "app._response_synthesizer._llm.stream",
            "app._response_synthesizer._llm.stream_complete",
        ]
    ] == stacks
