"""TruLlama's pieces on their own: plugin loading, walk, main I/O, JSON, cost, recognition."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from llama_index.core.base.llms.types import ChatMessage, CompletionResponse, MessageRole
from llama_index.core.base.response.schema import Response
from llama_index.core.llms import MockLLM
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from spyglass.adapters.llamaindex import TruLlama, _cost, _main_io, _plugin, _walk
from spyglass.core import SelectorError, jsonify, plugins


def _bind(func: Any, *args: Any, **kwargs: Any) -> inspect.BoundArguments:
    return inspect.signature(func).bind(None, *args, **kwargs)


def test_plugin_module_imports_no_llamaindex() -> None:
    """Importing the adapter's plugin and package does not import LlamaIndex."""
    code = (
        "import sys, json, spyglass.adapters.llamaindex._plugin, spyglass.adapters.llamaindex; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('llama_index'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert [] == json.loads(out.stdout)


def test_adapter_is_active_with_its_declared_range() -> None:
    """The plugin registers as `llamaindex` and declares llama-index-core 0.14 once."""
    infos = {info.name: info for info in plugins.active_adapters()}
    assert ("llama-index-core>=0.14,<0.15",) == infos["llamaindex"].requires


def test_wrap_app_picks_trullama(query_engine: Any) -> None:
    """`wrap_app` gives a TruLlama for a query engine."""
    assert TruLlama is type(plugins.wrap_app(query_engine))


def test_recorder_class_only_for_llamaindex_apps(query_engine: Any, index: Any) -> None:
    """Engines, retrievers and workflows are TruLlama apps; an LLM or a plain object is not."""
    answers = [
        _plugin.spyglass_recorder_class(app=app)
        for app in (query_engine, index.as_retriever(), MockLLM(), object())
    ]
    assert [TruLlama, TruLlama, None, None] == answers


def test_trullama_rejects_other_objects() -> None:
    """TruLlama on a non-LlamaIndex object raises a TypeError naming it and the alternative."""
    with pytest.raises(TypeError, match=r"builtins\.dict.*TruCustomApp"):
        TruLlama({"not": "llama"})


def test_walk_follows_private_attributes_not_data(query_engine: Any) -> None:
    """The walk visits the engine's private components, never its index data."""
    children = {str(lens): type(obj).__name__ for lens, obj in _walk.children_of(query_engine)}
    retriever = query_engine._retriever
    retriever_children = [str(lens) for lens, _ in _walk.children_of(retriever)]
    assert {"_retriever": "VectorIndexRetriever", "_response_synthesizer": "CompactAndRefine"} == {
        k: v for k, v in children.items() if k in ("_retriever", "_response_synthesizer")
    }
    assert ["_vector_store", "_embed_model", "_index"] == retriever_children
    assert [] == _walk.children_of(retriever._index._storage_context)
    assert _walk.children_of(object()) is None


def test_main_input_rules() -> None:
    """Main input: query text (never an embedding), message text, last chat message, prompt."""

    def query(self: Any, str_or_query_bundle: Any) -> None: ...
    def chat(self: Any, message: Any, chat_history: Any = None) -> None: ...
    def llm_chat(self: Any, messages: Any) -> None: ...
    def complete(self: Any, prompt: Any) -> None: ...

    app = MockLLM()
    bundle = QueryBundle("q?", embedding=[0.5] * 8)
    messages = [ChatMessage(role=MessageRole.SYSTEM, content="s"), ChatMessage(content="hi")]
    answers = [
        _main_io.main_input(app, query, _bind(query, "q?")),
        _main_io.main_input(app, query, _bind(query, bundle)),
        _main_io.main_input(app, chat, _bind(chat, ChatMessage(content="m"))),
        _main_io.main_input(app, llm_chat, _bind(llm_chat, messages)),
        _main_io.main_input(app, llm_chat, _bind(llm_chat, [])),
        _main_io.main_input(app, complete, _bind(complete, "p")),
        _main_io.main_input(app, MockLLM.complete, _bind(MockLLM.complete, "p2")),
        _main_io.main_input(app, MockLLM.chat, _bind(MockLLM.chat, messages)),
        _main_io.main_input(object(), query, _bind(query, "q?")),
    ]
    assert ["q?", "q?", "m", "hi", None, "p", "p2", "hi", None] == answers


def test_main_output_rules() -> None:
    """Main output: response text, completion text, retrieved texts; else the default rules."""
    nodes = [NodeWithScore(node=TextNode(text=t), score=1.0) for t in ("a", "b")]
    answers = [
        _main_io.main_output(Response("r", source_nodes=nodes)),
        _main_io.main_output(CompletionResponse(text="c")),
        _main_io.main_output(nodes),
        _main_io.main_output({"x": 1}),
        _main_io.main_output([]),
    ]
    assert ["r", "c", "a\n\nb", None, None] == answers


def test_json_of_nodes_and_query_bundles_is_readable_and_has_no_vectors() -> None:
    """Nodes and query bundles serialise to id / text / metadata, vectors as their size only."""
    node = TextNode(text="t", id_="n1", metadata={"k": "v"}, embedding=[0.1] * 64)
    data = jsonify([NodeWithScore(node=node, score=0.5), QueryBundle("q", embedding=[0.2] * 64)])
    assert [
        {
            "node": {"id_": "n1", "text": "t", "metadata": {"k": "v"}, "embedding_dim": 64},
            "score": 0.5,
        },
        {"query_str": "q", "embedding_dim": 64},
    ] == data


def test_json_of_messages_and_responses() -> None:
    """Chat messages give role and content; responses give text and sources, not node-id metadata."""
    node = NodeWithScore(node=TextNode(text="t", id_="n1"), score=1.0)
    response = Response("r", source_nodes=[node], metadata={"n1": {}})
    assert [
        {"role": "user", "content": "hi"},
        {"response": "r", "source_nodes": [{"node": {"id_": "n1", "text": "t"}, "score": 1.0}]},
    ] == jsonify([ChatMessage(content="hi"), response])


def test_cost_reads_usage_and_skips_unknown() -> None:
    """Usage in `raw` becomes a Cost; no usage, or a non-request method, gives None."""
    usage = {"usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}}
    llm = MockLLM()
    cost = _cost.call_cost(llm, "complete", CompletionResponse(text="x", raw=usage))
    assert cost is not None
    assert (1, 5, 2, 7) == (
        cost.n_requests,
        cost.n_prompt_tokens,
        cost.n_completion_tokens,
        cost.n_tokens,
    )
    assert _cost.call_cost(llm, "complete", CompletionResponse(text="x")) is None
    assert _cost.call_cost(llm, "predict", CompletionResponse(text="x", raw=usage)) is None


def test_cost_of_stream_reads_last_chunk_with_usage() -> None:
    """A streamed call's usage comes from the chunk that carries it; chunks are counted."""
    usage = {"usage": {"input_tokens": 3, "output_tokens": 4}}
    chunks = [CompletionResponse(text="a", delta="a"), CompletionResponse(text="a", raw=usage)]
    cost = _cost.call_cost(MockLLM(), "stream_complete", chunks)
    assert cost is not None
    assert (3, 4, 7, 2) == (
        cost.n_prompt_tokens,
        cost.n_completion_tokens,
        cost.n_tokens,
        cost.n_stream_chunks,
    )


def test_custom_llm_generic_chat_is_not_counted_twice(usage_llm: Any) -> None:
    """CustomLLM's generic `chat` delegates to `complete`: only `complete` reports the request."""
    usage = {"usage": {"prompt_tokens": 1, "completion_tokens": 1}}
    assert _cost.call_cost(usage_llm, "chat", CompletionResponse(text="x", raw=usage)) is None


def test_select_context_for_a_workflow_without_retriever_explains() -> None:
    """A workflow whose retrievers are made per run: SelectorError saying how to select."""
    from llama_index.core.workflow import StartEvent, StopEvent, Workflow, step

    class Echo(Workflow):
        @step
        async def echo(self, ev: StartEvent) -> StopEvent:
            return StopEvent(result=ev.get("x"))

    with pytest.raises(SelectorError, match="Cannot find a retriever in this Echo"):
        TruLlama.select_context(Echo())
