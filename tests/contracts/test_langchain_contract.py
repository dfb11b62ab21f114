"""The contract suite on the LangChain adapter: a RAG chain on `FakeListChatModel`.

The chain is ``tests/adapters/langchain/_lc_apps.rag_chain`` (an in-memory vector
retriever, a prompt, a fake chat model, a string parser). Its model is a
`FakeListChatModel` that fails on demand, so that a failing call and a stream failing
after its first chunk can be checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from _lc_apps import rag_chain
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.runnables import RunnableSequence

from spyglass.adapters.langchain import TruChain
from spyglass.testing import AdapterContract

FAIL = "explode"


class FailingFakeListChatModel(FakeListChatModel):
    """`FakeListChatModel`, except for a prompt that says "explode": then ``invoke``
    raises, and a stream raises after its first chunk."""

    def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
        if FAIL in str(messages[-1].content):
            raise RuntimeError("the fake model refuses to explode")
        return super()._call(messages, *args, **kwargs)

    def _stream(
        self, messages: list[BaseMessage], *args: Any, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        for i, chunk in enumerate(super()._stream(messages, *args, **kwargs)):
            if i == 1 and FAIL in str(messages[-1].content):
                raise RuntimeError("the fake model's connection dropped")
            yield chunk


class TestLangChainAdapter(AdapterContract):
    example_inputs = ("What is the capital of France?", "Which river flows through Paris?")
    recorder_class = TruChain
    instrumented_methods = (
        (RunnableSequence, "invoke"),
        (RunnableSequence, "ainvoke"),
        (RunnableSequence, "stream"),
        (RunnableSequence, "astream"),
        (FailingFakeListChatModel, "_generate"),
        (FailingFakeListChatModel, "_stream"),
    )

    def make_app(self) -> Any:
        return rag_chain(llm=FailingFakeListChatModel(responses=["Paris is the capital."]))

    def call(self, app: Any, input: Any) -> Any:
        return app.invoke(input)

    def acall(self, app: Any, input: Any) -> Any:
        return app.ainvoke(input)

    def stream(self, app: Any, input: Any) -> Any:
        return app.stream(input)

    def astream(self, app: Any, input: Any) -> Any:
        return app.astream(input)

    def failing_input(self) -> Any:
        return f"Please {FAIL}."

    def failing_stream_input(self) -> Any:
        return f"Please {FAIL} midway."
