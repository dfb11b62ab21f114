"""Offline LangChain and LangGraph apps for the adapter tests, built from langchain-core fakes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

QUESTION = "What is the capital of France?"

DOCS = [
    Document(page_content="Paris is the capital of France.", metadata={"src": "a"}),
    Document(page_content="Berlin is the capital of Germany.", metadata={"src": "b"}),
    Document(page_content="The Seine flows through Paris.", metadata={"src": "c"}),
]

PROMPT = ChatPromptTemplate.from_messages(
    [("system", "Answer using only this context:\n{context}"), ("human", "{question}")]
)


def format_docs(docs: list[Document]) -> str:
    return "\n".join(d.page_content for d in docs)


def vector_retriever() -> Any:
    """A VectorStoreRetriever over DOCS (DeterministicFakeEmbedding, InMemoryVectorStore)."""
    store = InMemoryVectorStore(embedding=DeterministicFakeEmbedding(size=16))
    store.add_documents([Document(page_content=d.page_content, metadata=d.metadata) for d in DOCS])
    return store.as_retriever(search_kwargs={"k": 2})


class KeywordRetriever(BaseRetriever):
    """Returns the documents sharing the most words with the query."""

    docs: list[Document]
    k: int = 2

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        def words(text: str) -> set[str]:
            return set(re.findall(r"\w+", text.lower()))

        q = words(query)
        return sorted(self.docs, key=lambda d: -len(q & words(d.page_content)))[: self.k]


def rag_chain(llm: Any = None, retriever: Any = None) -> Any:
    """``{"context": retriever | format_docs, "question": passthrough} | prompt | llm | parser``."""
    retriever = retriever if retriever is not None else vector_retriever()
    llm = llm if llm is not None else FakeListChatModel(responses=["Paris."])
    return (
        {"context": retriever | RunnableLambda(format_docs), "question": RunnablePassthrough()}
        | PROMPT
        | llm
        | StrOutputParser()
    )


class UsageFakeChatModel(BaseChatModel):
    """A fake chat model that reports usage_metadata on invoke and on stream."""

    reply: str = "Paris is the capital."
    model_name: str = "fake-gpt"

    @property
    def _llm_type(self) -> str:
        return "usage-fake"

    def _usage(self, messages: list[Any]) -> dict[str, int]:
        n_in = sum(len(str(m.content).split()) for m in messages)
        n_out = len(self.reply.split())
        return {"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out}

    def _generate(
        self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        msg = AIMessage(self.reply, usage_metadata=self._usage(messages))  # type: ignore[arg-type]
        return ChatResult(generations=[ChatGeneration(message=msg)])

    def _stream(
        self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> Iterator[ChatGenerationChunk]:
        for word in self.reply.split(" "):
            yield ChatGenerationChunk(message=AIMessageChunk(content=word + " "))
        # usage on a final empty chunk, as providers do
        yield ChatGenerationChunk(
            message=AIMessageChunk(content="", usage_metadata=self._usage(messages))  # type: ignore[arg-type]
        )


def calls_at(record: Any, path: str, method: str) -> list[Any]:
    """The record's calls whose top frame is ``method`` on the component at ``path``."""
    return [
        c
        for c in record.calls
        if str(c.stack[-1].path) == path and c.stack[-1].method.name == method
    ]


def top_frames(record: Any) -> list[str]:
    """Each call's top frame as ``path.method``, in record order."""
    return [f"{c.stack[-1].path}.{c.stack[-1].method.name}" for c in record.calls]
