"""The walk of LangChain apps: paths read like the app, data is never followed."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("numpy")

from _lc_apps import DOCS, KeywordRetriever, rag_chain, vector_retriever
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.runnables import RunnableBranch, RunnableLambda

from spyglass.adapters.langchain._walk import children
from spyglass.core.plugins._walk import walk

MODEL = FakeListChatModel(responses=["global"])


def paths(app):
    return {str(path): type(obj).__name__ for path, obj in walk(app).found.values()}


def test_rag_chain_paths_read_like_the_app():
    """The RAG chain's components are at the paths LCEL composition gives them."""
    assert {
        "app": "RunnableSequence",
        "app.first": "RunnableParallel",
        "app.first.steps__.context": "RunnableSequence",
        "app.first.steps__.context.first": "VectorStoreRetriever",
        "app.first.steps__.context.first.vectorstore": "InMemoryVectorStore",
        "app.first.steps__.context.first.vectorstore.embedding": "DeterministicFakeEmbedding",
        "app.first.steps__.context.last": "RunnableLambda",
        "app.first.steps__.question": "RunnablePassthrough",
        "app.middle[0]": "ChatPromptTemplate",
        "app.middle[1]": "FakeListChatModel",
        "app.last": "StrOutputParser",
    } == paths(rag_chain())


def test_vector_store_contents_and_documents_are_not_followed():
    """The walk stops at the vector store's embedding: its stored documents are data."""
    retriever = vector_retriever()
    store = retriever.vectorstore
    assert ["embedding"] == [str(lens) for lens, _ in children(store)]
    assert [] == children(KeywordRetriever(docs=DOCS))


def test_lambda_closures_and_named_globals_are_followed():
    """A lambda's closure variables and the globals it names are components at <lambda>.<name>."""
    retriever = KeywordRetriever(docs=DOCS)

    def answer(question: str) -> str:
        docs = retriever.invoke(question)
        return MODEL.invoke(docs[0].page_content).content

    found = paths(RunnableLambda(answer))
    assert {"app.retriever": "KeywordRetriever", "app.MODEL": "FakeListChatModel"} == {
        k: v for k, v in found.items() if k != "app"
    }


def test_helper_functions_are_followed_two_levels():
    """A node function's helper (and its closure) is searched too, placed on the holder."""
    retriever = KeywordRetriever(docs=DOCS)

    def fetch(q: str):
        return retriever.invoke(q)

    def node(q: str):
        return fetch(q)

    assert "app.retriever" in paths(RunnableLambda(node))


def test_branch_conditions_and_runnables_get_indexed_paths():
    """RunnableBranch: each (condition, runnable) pair is at branches[i][0|1], then default."""
    branch = RunnableBranch(
        (lambda x: "weather" in x, RunnableLambda(lambda x: "tool")),
        RunnableLambda(lambda x: "rag"),
    )
    found = paths(branch)
    assert {
        "app.branches[0][0]": "RunnableLambda",
        "app.branches[0][1]": "RunnableLambda",
        "app.default": "RunnableLambda",
    } == {k: v for k, v in found.items() if k != "app"}


def test_bindings_retries_and_fallbacks_reach_the_inner_model():
    """bind/with_retry/with_fallbacks keep the inner model reachable at bound/runnable/fallbacks."""
    model, backup = FakeListChatModel(responses=["a"]), FakeListChatModel(responses=["b"])
    app = model.bind(stop=["x"]).with_retry().with_fallbacks([backup])
    found = paths(app)
    assert "FakeListChatModel" == found["app.runnable.bound.bound"]
    assert "FakeListChatModel" == found["app.fallbacks[0]"]


def test_children_leaves_other_frameworks_to_the_default_walk():
    """Objects that are not LangChain components are not answered (None)."""
    assert children(object()) is None
    assert children({"a": 1}) is None
