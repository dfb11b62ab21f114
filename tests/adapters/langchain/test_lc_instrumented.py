"""What TruChain instruments, and how it says so (issue 5, must-show 6)."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("numpy")

import wrapt
from _lc_apps import UsageFakeChatModel, rag_chain
from langchain_core.language_models import BaseChatModel, SimpleChatModel
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    FakeMessagesListChatModel,
)
from langchain_core.messages import AIMessage

from spyglass.adapters.langchain import TruChain

COMPONENTS = [
    ("RunnableSequence", "chain", "app"),
    ("RunnableParallel", "chain", "app.first"),
    ("RunnableSequence", "chain", "app.first.steps__.context"),
    ("VectorStoreRetriever", "retriever", "app.first.steps__.context.first"),
    ("InMemoryVectorStore", "vector store", "app.first.steps__.context.first.vectorstore"),
    (
        "DeterministicFakeEmbedding",
        "embedding",
        "app.first.steps__.context.first.vectorstore.embedding",
    ),
    ("RunnableLambda", "chain", "app.first.steps__.context.last"),
    ("RunnablePassthrough", "chain", "app.first.steps__.question"),
    ("ChatPromptTemplate", "prompt", "app.middle[0]"),
    ("FakeListChatModel", "chat model", "app.middle[1]"),
    ("StrOutputParser", "parser", "app.last"),
]


def test_print_instrumented_lists_each_component_with_its_path(capsys):
    """print_instrumented: one line per component of the RAG chain, with kind and path."""
    TruChain(rag_chain()).print_instrumented()
    out = capsys.readouterr().out
    lines = re.findall(
        r"^\t(\w+) \(([\w ]+)\) at 0x[0-9a-f]+ with path __app__\.(\S+)$", out, re.MULTILINE
    )
    assert COMPONENTS == lines
    assert out.startswith("Components:\n\tTruChain (recorder) at 0x")


def test_print_instrumented_lists_methods_per_object_with_paths(capsys):
    """The methods block names each wrapped function under its object, with the object's path."""
    TruChain(rag_chain()).print_instrumented_methods()
    out = capsys.readouterr().out
    assert "\t<function VectorStoreRetriever._get_relevant_documents at 0x" in out
    assert "> with path __app__.app.first.steps__.context.first\n" in out
    assert "\t<function FakeListChatModel._stream at 0x" in out


def test_instrumented_says_why_base_stubs_are_not_wrapped():
    """instrumented() lists the skipped base-class defaults with the reason."""
    recorder = TruChain(rag_chain())
    skipped = {(s["class"], s["name"]): s["reason"] for s in recorder.instrumented()["skipped"]}
    reason = skipped[("langchain_core.language_models.chat_models.SimpleChatModel", "_agenerate")]
    assert "twice" in reason


def test_base_chat_model_stream_stubs_keep_their_identity():
    """BaseChatModel._stream/_astream are never wrapped: LangChain compares them by identity."""
    model = FakeMessagesListChatModel(responses=[AIMessage("x")])  # defines neither
    TruChain(model)
    TruChain(UsageFakeChatModel())  # defines _stream, inherits _astream
    assert not isinstance(BaseChatModel.__dict__["_stream"], wrapt.FunctionWrapper)
    assert not isinstance(BaseChatModel.__dict__["_astream"], wrapt.FunctionWrapper)
    assert type(model)._stream is BaseChatModel._stream
    assert type(model)._astream is BaseChatModel._astream


def test_concrete_model_methods_are_wrapped_where_defined():
    """A model's own _generate/_stream are wrapped on the class that defines them."""
    TruChain(FakeListChatModel(responses=["x"]))
    assert isinstance(SimpleChatModel.__dict__["_generate"], wrapt.FunctionWrapper)
    assert isinstance(FakeListChatModel.__dict__["_stream"], wrapt.FunctionWrapper)
    assert not isinstance(SimpleChatModel.__dict__["_agenerate"], wrapt.FunctionWrapper)


def test_streaming_decision_is_unchanged_by_instrumentation():
    """A model without its own _stream still streams through invoke (one chunk), as without spyglass."""
    model = FakeMessagesListChatModel(responses=[AIMessage("one two")])
    plain = [c.content for c in model.stream("q")]
    recorder = TruChain(model)
    with recorder:
        recorded = [c.content for c in model.stream("q")]
    assert ["one two"] == plain == recorded
