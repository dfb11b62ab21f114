"""Arguments pass through untouched: config, callbacks, run_name, with_config, bind, bind_tools."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("numpy")

from _lc_apps import QUESTION, rag_chain
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import tool

from spyglass.adapters.langchain import TruChain


class Events(BaseCallbackHandler):
    """Collects what LangChain tells callbacks: run names, tags, metadata, model parameters."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, ...]] = []

    def on_chain_start(self, serialized: Any, inputs: Any, **kw: Any) -> None:
        self.seen.append(("chain", kw.get("name"), tuple(kw.get("tags") or ()), _meta(kw)))

    def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
        params = kw.get("invocation_params") or {}
        self.seen.append(
            ("model", kw.get("name"), tuple(kw.get("tags") or ()), repr(sorted(params.items())))
        )

    def on_retriever_start(self, serialized: Any, query: str, **kw: Any) -> None:
        self.seen.append(("retriever", kw.get("name"), tuple(kw.get("tags") or ()), _meta(kw)))

    def on_tool_start(self, serialized: Any, input_str: str, **kw: Any) -> None:
        self.seen.append(("tool", kw.get("name"), tuple(kw.get("tags") or ()), input_str))


def _meta(kw: dict[str, Any]) -> str:
    return repr(sorted((kw.get("metadata") or {}).items()))


def both_ways(make: Any, call: Any) -> tuple[Any, Any]:
    """(result, events) of ``call(app, handler)`` without and with recording, on fresh apps."""
    plain_app, plain_events = make(), Events()
    plain = call(plain_app, plain_events)
    app, events = make(), Events()
    with TruChain(app) as recording:
        recorded = call(app, events)
    assert 1 == len(recording.records)
    return (plain, sorted(plain_events.seen)), (recorded, sorted(events.seen))


def test_call_time_config_callbacks_and_run_name_pass_through():
    """invoke(q, config={callbacks, run_name, tags, metadata}): same result and same events."""
    plain, recorded = both_ways(
        rag_chain,
        lambda app, handler: app.invoke(
            QUESTION,
            config={
                "callbacks": [handler],
                "run_name": "my-rag",
                "tags": ["t1"],
                "metadata": {"user": "u"},
            },
        ),
    )
    assert plain == recorded
    assert ("chain", "my-rag", ("t1",), "[('user', 'u')]") in recorded[1]


def test_with_config_passes_through():
    """chain.with_config(run_name=..., tags=...): same result and same events."""

    def make():
        return rag_chain().with_config(run_name="configured", tags=["wc"])

    plain, recorded = both_ways(
        make, lambda app, handler: app.invoke(QUESTION, {"callbacks": [handler]})
    )
    assert plain == recorded
    assert any(event[:2] == ("chain", "configured") for event in recorded[1])


def test_bind_passes_model_parameters_through():
    """llm.bind(stop=...) inside a chain: the model sees the bound parameters as without spyglass."""

    def make():
        model = GenericFakeChatModel(messages=iter([AIMessage("bound answer")]))
        return model.bind(stop=["END"])

    # the message's id is a fresh run id each time; the rest must match
    plain, recorded = both_ways(
        make, lambda app, handler: app.invoke("q", {"callbacks": [handler]}).content
    )
    assert plain == recorded
    assert "END" in next(e[3] for e in recorded[1] if e[0] == "model")


def test_bind_tools_passes_tools_through_and_tools_run_the_same():
    """bind_tools(...) and tool.invoke(ToolCall): same tool calls, same ToolMessage."""

    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    class ToolModel(GenericFakeChatModel):
        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self.bind(tools=[t.name for t in tools], **kwargs)

    def make():
        call = {"name": "add", "args": {"a": 2, "b": 3}, "id": "c1", "type": "tool_call"}
        return ToolModel(messages=iter([AIMessage("", tool_calls=[call])])).bind_tools([add])

    def run(app: Any, handler: Any) -> Any:
        message = app.invoke("2+3?", {"callbacks": [handler]})
        result = add.invoke(message.tool_calls[0], {"callbacks": [handler]})
        return message.tool_calls, result.content, result.tool_call_id

    plain, recorded = both_ways(make, run)
    assert plain == recorded
    assert (
        [{"name": "add", "args": {"a": 2, "b": 3}, "id": "c1", "type": "tool_call"}],
        "5",
        "c1",
    ) == recorded[0]
