"""The contract suite on the LlamaIndex adapter: a query engine on `MockLLM`.

The index is ``tests/adapters/llamaindex/_li_apps.build_index`` (three one-sentence
documents, a deterministic embedding). ``query`` returns a ``Response``, compared by
its text and its source texts; the streaming engine returns a ``StreamingResponse``,
whose ``response_gen`` is the stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from _li_apps import build_index
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.llms.types import CompletionResponse
from llama_index.core.base.response.schema import Response
from llama_index.core.llms import MockLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.query_engine import RetrieverQueryEngine

from spyglass.adapters.llamaindex import TruLlama
from spyglass.testing import AdapterContract

FAIL = "explode"
INDEX = build_index()


class FailingMockLLM(MockLLM):
    """`MockLLM`, except for a prompt that says "explode": then a completion raises, and
    a streamed completion raises after its first chunk."""

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        if FAIL in prompt:
            raise RuntimeError("the mock LLM refuses to explode")
        return super().complete(prompt, formatted=formatted, **kwargs)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> Iterator[CompletionResponse]:
        chunks = super().stream_complete(prompt, formatted=formatted, **kwargs)

        def gen() -> Iterator[CompletionResponse]:
            for i, chunk in enumerate(chunks):
                if i == 1 and FAIL in prompt:
                    raise RuntimeError("the mock LLM's connection dropped")
                yield chunk

        return gen()


def engine(streaming: bool = False) -> Any:
    return INDEX.as_query_engine(
        llm=FailingMockLLM(max_tokens=4), similarity_top_k=2, streaming=streaming
    )


class TestLlamaIndexAdapter(AdapterContract):
    example_inputs = ("What is the capital of Germany?", "Which river flows through Paris?")
    recorder_class = TruLlama
    instrumented_methods = (
        (BaseQueryEngine, "query"),
        (BaseQueryEngine, "aquery"),
        (RetrieverQueryEngine, "_query"),
    )

    def make_app(self) -> Any:
        return engine()

    def make_stream_app(self) -> Any:
        return engine(streaming=True)

    def call(self, app: Any, input: Any) -> Any:
        return app.query(input)

    def acall(self, app: Any, input: Any) -> Any:
        return app.aquery(input)

    def stream(self, app: Any, input: Any) -> Any:
        return app.query(input).response_gen

    def failing_input(self) -> Any:
        return f"Please {FAIL}."

    def failing_stream_input(self) -> Any:
        return f"Please {FAIL} midway."

    def normalise(self, result: Any) -> Any:
        assert isinstance(result, Response)
        return result.response, [n.node.get_content() for n in result.source_nodes]

    def expected_main_output(self, input: Any, result: Any) -> Any:
        return result.response
