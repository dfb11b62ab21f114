"""Errors: the record is kept with the error, the app's exception is unchanged (must-show 3)."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("numpy")

from _lc_apps import QUESTION, calls_at, rag_chain
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    FakeListChatModelError,
)
from langchain_core.tools import tool

from spyglass.adapters.langchain import TruChain

RAISED: list[BaseException] = []


def broken_weather(city: str) -> str:
    """A weather tool whose service is down."""
    error = ConnectionError(f"weather service down for {city}")
    RAISED.append(error)
    raise error


def broken_tool(name: str = "broken_weather"):
    return tool(name)(broken_weather)


def failing_chain():
    return rag_chain(llm=FakeListChatModel(responses=["Paris."], error_on_chunk_number=2))


def test_model_failing_mid_stream_keeps_the_record_with_the_error():
    """A model that fails at its third chunk: the record has main_error and the partial stream."""
    chain = failing_chain()
    recorder = TruChain(chain)
    received = []
    with recorder as recording, pytest.raises(FakeListChatModelError):
        received.extend(chain.stream(QUESTION))
    record = recording.get()
    (model_stream,) = calls_at(record, "app.middle[1]", "_stream")
    assert (["P", "a"], None) == (received, record.main_output)
    assert record.main_error is not None
    assert 2 == len(model_stream.rets)
    assert model_stream.error is not None


def test_model_failing_mid_stream_raises_the_same_as_without_recording():
    """The exception type, message and the chunks received are the same recorded or not."""

    def run(chain):
        received = []
        try:
            received.extend(chain.stream(QUESTION))
        except FakeListChatModelError as exc:
            return received, type(exc), str(exc)
        return received, None, None

    plain = run(failing_chain())
    chain = failing_chain()
    with TruChain(chain):
        recorded = run(chain)
    assert plain == recorded


def test_tool_that_raises_keeps_the_record_and_the_same_exception_object():
    """A tool that raises: record kept with main_error; the very exception object propagates."""
    RAISED.clear()
    weather = broken_tool()
    recorder = TruChain(weather)
    with recorder as recording, pytest.raises(ConnectionError) as caught:
        weather.invoke({"city": "Paris"})
    record = recording.get()
    (run,) = calls_at(record, "app", "_run")
    assert caught.value is RAISED[0]
    assert ("weather service down for Paris", "Paris") == (run.error, record.main_input)
    assert record.main_error is not None


def test_tool_error_inside_an_agent_is_recorded_on_the_tool_call():
    """In a ReAct agent whose ToolNode re-raises, the tool's _run call carries the error."""
    pytest.importorskip("langgraph")
    from _lg_apps import react_agent
    from langchain_core.messages import HumanMessage

    RAISED.clear()
    # the scripted model asks for get_weather
    agent = react_agent(tools=[broken_tool("get_weather")], handle_tool_errors=False)
    recorder = TruChain(agent)
    with recorder as recording, pytest.raises(ConnectionError) as caught:
        agent.invoke({"messages": [HumanMessage("weather in Paris?")]})
    record = recording.get()
    (run,) = calls_at(record, "app.nodes.tools._tools_by_name.get_weather", "_run")
    assert caught.value is RAISED[0]
    assert "weather service down for Paris" == run.error
    assert record.main_error is not None
