"""Main input and output rules for LangChain and LangGraph roots (TruChain §3.3 + state + streams)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from langchain_core.documents import Document
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.prompt_values import ChatPromptValue
from langchain_core.runnables import Runnable, RunnableLambda

from spyglass.adapters.langchain._main_io import main_input, main_output

APP = RunnableLambda(lambda x: x)


def bind(method: Any, *args: Any, **kwargs: Any) -> inspect.BoundArguments:
    return inspect.signature(method).bind(APP, *args, **kwargs)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("What is a lens?", "What is a lens?"),
        (HumanMessage("from a message"), "from a message"),
        ({"question": "from a state", "k": 2}, "from a state"),
        (
            {
                "messages": [
                    SystemMessage("be brief"),
                    HumanMessage("hi"),
                    AIMessage("hello"),
                    HumanMessage("last"),
                ]
            },
            "last",
        ),
        ([("system", "be brief"), ("user", "tuple question")], "tuple question"),
        ([{"role": "user", "content": "dict question"}], "dict question"),
        (
            ChatPromptValue(messages=[SystemMessage("s"), HumanMessage("prompt question")]),
            "prompt question",
        ),
        (["first", "second"], "first"),
        ({"name": "add", "args": {"a": 1}, "id": "c", "type": "tool_call"}, {"a": 1}),
        ({}, None),
        (42, 42),
    ],
)
def test_main_input_rules(value, expected):
    """The main input of invoke(input) follows the TruChain rules, plus states and chat histories."""
    assert expected == main_input(APP, Runnable.invoke, bind(Runnable.invoke, value))


def test_main_input_of_batch_is_one_per_input():
    """batch(inputs): the list of each input's main input."""
    bindings = bind(Runnable.batch, ["a", {"question": "b"}])
    assert ["a", "b"] == main_input(APP, Runnable.batch, bindings)


def test_main_input_of_a_stream_of_inputs_is_not_consumed():
    """transform(iterator): the input stream is not read (it belongs to the app)."""
    stream = iter(["a", "b"])
    assert "(a stream of inputs)" == main_input(
        APP, Runnable.transform, bind(Runnable.transform, stream)
    )
    assert ["a", "b"] == list(stream)


@pytest.mark.parametrize(
    ("input_value", "ret", "expected"),
    [
        ("q", "plain", "plain"),
        ("q", AIMessage("an answer"), "an answer"),
        (
            "q",
            AIMessage([{"type": "text", "text": "block "}, {"type": "text", "text": "answer"}]),
            "block answer",
        ),
        ("q", [Document(page_content="d1"), Document(page_content="d2")], "d1\n\nd2"),
        ({"question": "q"}, {"question": "q", "context": ["c"], "answer": "a"}, "a"),
        ({"question": "q"}, {"question": "q", "context": "c", "summary": "s"}, "s"),
        (
            {"messages": [HumanMessage("q")]},
            {"messages": [HumanMessage("q"), AIMessage("reply")]},
            "reply",
        ),
        ("q", {"context": "c", "question": "q"}, "q"),
        ("q", {}, ""),
        ("q", None, None),
    ],
)
def test_main_output_rules(input_value, ret, expected):
    """The main output of invoke follows the TruChain rules, plus graph states and documents."""
    assert expected == main_output(
        APP, Runnable.invoke, bind(Runnable.invoke, input_value), ret, False
    )


def test_streamed_message_chunks_are_joined():
    """A streamed model's chunks join into its text."""
    chunks = [AIMessageChunk(content="Par"), AIMessageChunk(content="is.")]
    assert "Paris." == main_output(APP, Runnable.stream, bind(Runnable.stream, "q"), chunks, True)


def test_streamed_mapping_chunks_are_added_up():
    """Streamed dict chunks (a parallel's output) are added up the way LangChain does."""
    from langchain_core.runnables.utils import AddableDict

    chunks = [AddableDict(answer="Par"), AddableDict(answer="is."), AddableDict(sources="x")]
    bindings = bind(Runnable.stream, {"question": "q"})
    assert "Paris." == main_output(APP, Runnable.stream, bindings, chunks, True)


def test_main_io_never_raise_and_leave_unknown_apps_alone():
    """A value whose attributes raise gives None; an app that is not a Runnable is not answered."""

    class Hostile:
        def __getattribute__(self, name: str) -> Any:
            raise RuntimeError(name)

    bindings = bind(Runnable.invoke, "q")
    assert main_output(APP, Runnable.invoke, bindings, Hostile(), False) is None
    assert main_input(object(), Runnable.invoke, bindings) is None
    assert main_output(object(), Runnable.invoke, bindings, "x", False) is None
