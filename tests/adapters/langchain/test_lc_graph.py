"""LangGraph: a two-node RAG graph and a tool-calling ReAct agent (issue 5, must-show 2)."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("langgraph")
pytest.importorskip("numpy")

from _lc_apps import calls_at, top_frames
from _lg_apps import rag_graph, react_agent
from langchain_core.messages import HumanMessage

from spyglass.adapters.langchain import TruChain
from spyglass.core import Select

QUESTION = {"question": "What is the capital of France?"}


def test_graph_nodes_and_their_components_are_recorded_at_node_paths():
    """Each node's body is at app.nodes.<name>; what its function uses sits under it."""
    graph = rag_graph()
    _, record = TruChain(graph).with_record(graph.invoke, QUESTION)
    frames = set(top_frames(record))
    expected = {
        "app.invoke",
        "app.nodes.retrieve.invoke",
        "app.nodes.retrieve.retriever.invoke",
        "app.nodes.retrieve.retriever._get_relevant_documents",
        "app.nodes.generate.invoke",
        "app.nodes.generate.gen_chain.invoke",
        "app.nodes.generate.gen_chain.middle[0]._generate",
    }
    assert expected == expected & frames


def test_graph_main_input_and_output_come_from_the_state():
    """A state dict's question is the main input; the new key (answer) the main output."""
    graph = rag_graph()
    answer, record = TruChain(graph).with_record(graph.invoke, QUESTION)
    assert ("Paris (from graph).", QUESTION["question"], "Paris (from graph).") == (
        answer["answer"],
        record.main_input,
        record.main_output,
    )


@pytest.mark.parametrize("mode", ["values", "updates", "messages"])
def test_streamed_graph_main_output_is_the_final_answer(mode):
    """A graph streamed in values, updates or messages mode gives the answer as main output."""
    graph = rag_graph()
    recorder = TruChain(graph)
    with recorder as recording:
        chunks = list(graph.stream(QUESTION, stream_mode=mode))
    record = recording.get()
    assert chunks
    assert (QUESTION["question"], "Paris (from graph).") == (record.main_input, record.main_output)


def test_graph_select_context_reads_the_node_retriever():
    """select_context finds the retriever a node's function closes over, and its lens selects."""
    graph = rag_graph()
    _, record = TruChain(graph).with_record(graph.invoke, QUESTION)
    lens = TruChain.select_context(graph)
    assert Select.RecordCalls.nodes.retrieve.retriever.invoke.rets[:].page_content == lens
    assert 2 == len(list(lens.get({"__record__": record.layout_calls_as_app()})))


def test_agent_model_and_tool_calls_are_recorded():
    """A ReAct agent's two model calls and its tool call are in the record, with arguments."""
    agent = react_agent()
    _, record = TruChain(agent).with_record(
        agent.invoke, {"messages": [HumanMessage("weather in Paris?")]}
    )
    generates = calls_at(record, "app.nodes.agent.model.bound", "_generate")
    (tool_run,) = calls_at(record, "app.nodes.tools._tools_by_name.get_weather", "_run")
    assert 2 == len(generates)
    assert ({"city": "Paris"}, "It is sunny in Paris.") == (tool_run.args["kwargs"], tool_run.rets)
    tool_call = generates[0].rets["generations"][0]["message"]["tool_calls"][0]
    assert {
        "name": "get_weather",
        "args": {"city": "Paris"},
        "id": "call_1",
        "type": "tool_call",
    } == tool_call


def test_agent_main_input_and_output_come_from_the_messages_state():
    """A messages state: the last human message in, the last AI message's text out."""
    agent = react_agent()
    _, record = TruChain(agent).with_record(
        agent.invoke, {"messages": [HumanMessage("weather in Paris?")]}
    )
    assert ("weather in Paris?", "It is sunny in Paris.") == (record.main_input, record.main_output)


def test_print_instrumented_lists_graph_nodes_with_paths(capsys):
    """print_instrumented shows node bodies at app.nodes.<name> and the tool under its node."""
    TruChain(react_agent()).print_instrumented_components()
    out = capsys.readouterr().out
    for line in (
        "CompiledStateGraph (graph) at 0x",
        "with path __app__.app.nodes.agent\n",
        "FakeToolChatModel (chat model) at 0x",
        "StructuredTool (tool) at 0x",
        "with path __app__.app.nodes.tools._tools_by_name.get_weather\n",
    ):
        assert line in out


def test_channel_writes_are_not_recorded():
    """LangGraph's ChannelWrite plumbing is neither a component nor a recorded call."""
    graph = rag_graph()
    recorder = TruChain(graph)
    _, record = recorder.with_record(graph.invoke, QUESTION)
    classes = {call.stack[-1].method.obj.cls.name for call in record.calls}
    paths = {str(call.stack[-1].path) for call in record.calls}
    assert {"CompiledStateGraph", "RunnableCallable"} <= classes  # the instances' classes
    assert set() == {p for p in paths if "ChannelWrite" in p}
    assert [] == [c for c in recorder.instrumented()["components"] if "ChannelWrite" in str(c)]


def test_langgraph_internals_are_left_out_of_recorded_configs():
    """Node calls get LangGraph's `__pregel_*` configurable keys: never recorded."""
    graph = rag_graph()
    _, record = TruChain(graph).with_record(graph.invoke, QUESTION)
    configs = [call.args["config"] for call in record.calls if "config" in call.args]
    assert configs  # nodes get LangGraph's metadata (langgraph_node, ...)
    assert all(not key.startswith("__") for c in configs for key in c.get("configurable", {}))
    (node,) = calls_at(record, "app.nodes.retrieve", "invoke")
    assert "retrieve" == node.args["config"]["metadata"]["langgraph_node"]
