"""TruLlama on chat engines (chat, stream_chat), an agent with tool calls, and a workflow."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.schema import QueryBundle
from llama_index.core.tools import FunctionTool
from llama_index.core.workflow import Event, StartEvent, StopEvent, Workflow, step

from spyglass.adapters.llamaindex import TruLlama
from spyglass.core import Select

QUESTION = "What is the capital of Germany?"
RETRIEVED = ["Berlin is the capital of Germany.", "Paris is the capital of France."]


def _paths(record: Any) -> list[str]:
    return [f"{c.stack[-1].path}.{c.stack[-1].method.name}" for c in record.calls]


def _select(record: Any, lens: Any) -> list[Any]:
    return list(Select.dequalify(lens).get(record.layout_calls_as_app()))


def get_weather(city: str = "Paris") -> str:
    """Weather for a city."""
    return f"sunny in {city}"


class Retrieved(Event):
    nodes: list[Any]


class RAGWorkflow(Workflow):
    """Retrieves with a retriever it makes per run, then synthesizes with a per-run engine."""

    def __init__(self, index: Any, llm: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = index
        self.llm = llm

    @step
    async def retrieve(self, ev: StartEvent) -> Retrieved:
        retriever = self.index.as_retriever(similarity_top_k=2)
        return Retrieved(nodes=await retriever.aretrieve(ev.query))

    @step
    async def synthesize(self, ev: Retrieved) -> StopEvent:
        engine = self.index.as_query_engine(llm=self.llm)
        response = await engine.asynthesize(QueryBundle(QUESTION), ev.nodes)
        return StopEvent(result=str(response))


def test_chat_makes_one_record_with_main_io(chat_engine: Any) -> None:
    """One chat turn is one record; main input is the message, main output the reply."""
    recorder = TruLlama(chat_engine)
    with recorder as recording:
        response = chat_engine.chat(QUESTION)
    record = recording.get()
    assert (QUESTION, response.response) == (record.main_input, record.main_output)
    assert "app.chat" == _paths(record)[-1]


def test_chat_records_per_call_synthesizer_under_caller(chat_engine: Any) -> None:
    """The synthesizer a chat engine makes per call is recorded at `app.<class name>`."""
    recorder = TruLlama(chat_engine)
    _, record = recorder.with_record(chat_engine.chat, QUESTION)
    paths = set(_paths(record))
    assert {"app._retriever.retrieve", "app.CompactAndRefine.synthesize", "app._llm.complete"} <= (
        paths
    )


def test_chat_select_context_is_the_query_engine_lens(chat_engine: Any) -> None:
    """A chat engine's context lens is the query engine's, and it reads the retrieved texts."""
    recorder = TruLlama(chat_engine)
    _, record = recorder.with_record(chat_engine.chat, QUESTION)
    lens = TruLlama.select_context(chat_engine)
    assert "__record__.calls[-1].rets.source_nodes[:].node.text" == str(lens)
    assert RETRIEVED == _select(record, lens)


def test_chat_output_is_unchanged_by_recording(new_chat_engine: Any) -> None:
    """A chat reply is the same with and without recording."""
    plain = new_chat_engine().chat(QUESTION)
    recorded_engine = new_chat_engine()
    with TruLlama(recorded_engine):
        recorded = recorded_engine.chat(QUESTION)
    assert (plain.response, len(plain.source_nodes)) == (
        recorded.response,
        len(recorded.source_nodes),
    )


def test_stream_chat_record_ends_when_user_drains(chat_engine: Any) -> None:
    """`stream_chat` is recorded once the user has read the stream; main output is the streamed text."""
    recorder = TruLlama(chat_engine)
    with recorder as recording:
        response = chat_engine.stream_chat(QUESTION)
        tokens = list(response.response_gen)
    record = recording.get()
    assert (QUESTION, "".join(tokens)) == (record.main_input, record.main_output)
    assert {"app.stream_chat", "app._llm.stream_complete"} <= set(_paths(record))
    assert RETRIEVED == _select(record, TruLlama.select_context(chat_engine))


def test_stream_chat_response_reads_as_without_recording(new_chat_engine: Any) -> None:
    """A recorded `stream_chat` response has the same type name, tokens and text."""

    def run(record: bool) -> tuple[Any, ...]:
        engine = new_chat_engine()
        if record:
            with TruLlama(engine):
                response = engine.stream_chat(QUESTION)
                tokens = list(response.response_gen)
        else:
            response = engine.stream_chat(QUESTION)
            tokens = list(response.response_gen)
        return type(response).__name__, tokens, str(response)

    assert run(record=False) == run(record=True)


# LlamaIndex's own: building a FunctionAgent reads deprecated pydantic attributes.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_agent_tool_calls_are_in_the_record() -> None:
    """A FunctionAgent run is one record holding its steps, LLM calls and tool calls."""
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(get_weather)], llm=MockFunctionCallingLLM()
    )
    recorder = TruLlama(agent)

    async def main() -> tuple[Any, Any]:
        async with recorder as recording:
            output = await agent.run(user_msg="What is the weather?")
        return output, recording.get()

    output, record = asyncio.run(main())
    tool_calls = [c for c in record.calls if f"{c.stack[-1].path}" == "app.tools[0]"]
    assert [({"city": "Paris"}, "sunny in Paris")] == [
        (c.args["kwargs"], c.rets["raw_output"]) for c in tool_calls
    ]
    assert ("What is the weather?", str(output)) == (record.main_input, record.main_output)
    assert {"app.run", "app.call_tool", "app.take_step", "app.llm.astream_chat"} <= set(
        _paths(record)
    )
    assert "app.run" == _paths(record)[-1]


def test_workflow_steps_and_per_run_components_are_recorded(index: Any, llm: Any) -> None:
    """A workflow run records its steps and the retriever / engine its steps make per run."""
    workflow = RAGWorkflow(index=index, llm=llm, timeout=10)
    recorder = TruLlama(workflow)

    async def main() -> tuple[Any, Any]:
        async with recorder as recording:
            result = await workflow.run(query=QUESTION)
        return result, recording.get()

    result, record = asyncio.run(main())
    paths = _paths(record)
    assert (QUESTION, result) == (record.main_input, record.main_output)
    assert {
        "app.retrieve",
        "app.synthesize",
        "app.VectorIndexRetriever.aretrieve",
        "app.RetrieverQueryEngine.asynthesize",
        "app.llm.acomplete",
    } <= set(paths)
    assert "app.run" == paths[-1]


def test_astream_chat_record_ends_when_user_drains(chat_engine: Any) -> None:
    """`astream_chat` is recorded once the async stream is read; main output is the streamed text."""
    recorder = TruLlama(chat_engine)

    async def main() -> tuple[list[str], Any]:
        async with recorder as recording:
            response = await chat_engine.astream_chat(QUESTION)
            tokens = [token async for token in response.async_response_gen()]
        return tokens, recording.get()

    tokens, record = asyncio.run(main())
    assert (QUESTION, "".join(tokens)) == (record.main_input, record.main_output)
    assert {"app.astream_chat", "app._llm.astream_complete"} <= set(_paths(record))
