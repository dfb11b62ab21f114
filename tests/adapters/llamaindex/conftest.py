"""Fixtures of offline LlamaIndex apps for the TruLlama tests (the apps are in _li_apps.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from _li_apps import HashBagEmbedding, UsageLLM, build_index
from llama_index.core import VectorStoreIndex
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms import MockLLM
from llama_index.core.memory import ChatMemoryBuffer


@pytest.fixture(scope="session")
def index() -> VectorStoreIndex:
    """A vector index over three one-sentence documents."""
    return build_index()


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
