"""Offline LlamaIndex apps for the TruLlama tests.

Everything is passed explicitly (``llm=``, ``embed_model=``): ``Settings`` globals are
never read or set. The embedding is a hashed bag of words, so retrieval is
deterministic (``MockEmbedding`` ties every score and picks sources at random).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.llms.types import (
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms import CustomLLM, MockLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.memory import ChatMemoryBuffer

QUESTION = "What is the capital of Germany?"

TEXTS = (
    "Paris is the capital of France.",
    "Berlin is the capital of Germany.",
    "The Seine flows through Paris.",
)


class HashBagEmbedding(BaseEmbedding):
    """Words hashed into `dim` buckets, L2-normalised: similar texts get similar vectors."""

    dim: int = 32

    def _vec(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for word in text.lower().replace(".", " ").replace("?", " ").split():
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norm = math.sqrt(sum(x * x for x in vector)) or 1.0
        return [x / norm for x in vector]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vec(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vec(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vec(query)


class UsageLLM(CustomLLM):
    """A completion LLM that answers `answer` and reports OpenAI-style usage in `raw`."""

    answer: str = "Berlin it is."

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="usage-llm", num_output=16, context_window=4096)

    def _usage(self, prompt: str) -> dict[str, Any]:
        p, c = len(prompt.split()), len(self.answer.split())
        return {"usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}}

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self.answer, raw=self._usage(prompt))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            text = ""
            for i, word in enumerate(self.answer.split(" ")):
                delta = word if i == 0 else " " + word
                text += delta
                yield CompletionResponse(text=text, delta=delta)
            yield CompletionResponse(text=text, delta="", raw=self._usage(prompt))

        return gen()


@pytest.fixture(scope="session")
def index() -> VectorStoreIndex:
    """A vector index over three one-sentence documents."""
    docs = [Document(text=t, metadata={"src": str(i)}) for i, t in enumerate(TEXTS)]
    return VectorStoreIndex.from_documents(docs, embed_model=HashBagEmbedding())


@pytest.fixture
def llm() -> MockLLM:
    """A MockLLM answering 'text text text text' (it reports no usage)."""
    return MockLLM(max_tokens=4)


@pytest.fixture
def query_engine(index: VectorStoreIndex, llm: MockLLM) -> Any:
    return index.as_query_engine(llm=llm, similarity_top_k=2)


@pytest.fixture
def streaming_engine(index: VectorStoreIndex, llm: MockLLM) -> Any:
    return index.as_query_engine(llm=llm, similarity_top_k=2, streaming=True)


def make_chat_engine(index: VectorStoreIndex, llm: Any) -> Any:
    """A condense-plus-context chat engine with an in-process memory.

    The default memory of 0.14 keeps history in an aiosqlite database whose connection
    LlamaIndex never closes (a ResourceWarning at garbage collection), so the tests
    pass a ``ChatMemoryBuffer``.
    """
    return index.as_chat_engine(
        chat_mode="condense_plus_context",
        llm=llm,
        similarity_top_k=2,
        memory=ChatMemoryBuffer.from_defaults(token_limit=3000),
    )


@pytest.fixture
def sync_event_loop() -> Iterator[None]:
    """An event loop for LlamaIndex's sync-over-async helpers, closed afterwards.

    Sync chat calls run coroutines with ``asyncio.get_event_loop()``, which creates a
    loop that nobody closes (a ResourceWarning when a later ``asyncio.run`` drops
    it); this one is closed when the test ends.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture
def chat_engine(index: VectorStoreIndex, llm: MockLLM, sync_event_loop: None) -> Any:
    return make_chat_engine(index, llm)


@pytest.fixture
def new_chat_engine(index: VectorStoreIndex, llm: MockLLM, sync_event_loop: None) -> Any:
    """A factory of fresh chat engines (empty memory)."""
    return lambda: make_chat_engine(index, llm)


@pytest.fixture
def dispatcher_handlers() -> Iterator[Any]:
    """LlamaIndex's root dispatcher; handlers a test adds are removed afterwards."""
    root = get_dispatcher()
    spans, events = list(root.span_handlers), list(root.event_handlers)
    yield root
    root.span_handlers[:] = spans
    root.event_handlers[:] = events


@pytest.fixture
def usage_llm() -> UsageLLM:
    """A completion LLM that reports token usage."""
    return UsageLLM()


@pytest.fixture
def embedding() -> HashBagEmbedding:
    return HashBagEmbedding()
