"""Databases for the dashboard's tests, filled by recording real example apps.

``fill(session)`` records a custom app, a LangChain chain and a LlamaIndex query engine,
two versions each, on the same questions, with plain-function feedbacks (one of them
explaining its score), and waits until everything is stored. ``XSS`` payloads go into
app names, inputs, outputs and reasons when asked.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import MockLLM

from spyglass.adapters.custom import TruApp, instrument
from spyglass.adapters.langchain import TruChain
from spyglass.adapters.llamaindex import TruLlama
from spyglass.core import Feedback

XSS_SCRIPT = "<script>window.__xss = 1</script>"
XSS_IMG = '"><img src=x onerror="window.__xss = 2">'
XSS = XSS_SCRIPT + XSS_IMG
QUESTIONS = ["What is the capital of France?", "Where does the Seine flow?"]
REASON = "The answer names the city the context gives"


class RAG:
    """A custom app: retrieve context, then answer from it."""

    def __init__(self, style: str) -> None:
        self.style = style

    @instrument
    def retrieve(self, query: str) -> list[str]:
        return [f"Context for {query}", "Paris is the capital of France."]

    @instrument
    def generate(self, query: str, context: list[str]) -> str:
        return f"{self.style}: {query} -> {context[-1]}"

    @instrument
    def respond(self, query: str) -> str:
        return self.generate(query, self.retrieve(query))


def answer_length(response: str) -> float:
    """The answer's length over 100, at most 1."""
    return min(1.0, len(str(response)) / 100)


def make_grounded(reason: str):
    def grounded(response: str) -> tuple[float, dict[str, Any]]:
        """1.0 when the answer mentions Paris, with a reason."""
        score = 1.0 if "Paris" in str(response) else 0.25
        return score, {"reason": f"{reason}: {str(response)[:60]}"}

    return grounded


def _feedbacks(reason: str) -> list[Feedback]:
    return [
        Feedback(answer_length, name="length").on_output(),
        Feedback(make_grounded(reason), name="grounded").on_output(),
    ]


def fill(session: Any, xss: bool = False) -> dict[str, list[str]]:
    """Record the three example apps, two versions each; returns app_id -> record ids."""
    tag = XSS if xss else ""
    questions = [q + tag for q in QUESTIONS]
    reason = REASON + tag
    out: dict[str, list[str]] = {}

    for version, style in (("v1", "short"), ("v2", "long answer" + tag)):
        rag = RAG(style)
        recorder = TruApp(
            rag, app_name="custom rag" + tag, app_version=version, feedbacks=_feedbacks(reason)
        )
        with recorder as recording:
            for q in questions:
                rag.respond(q)
        out[recorder.app_id] = [r.record_id for r in recording.records]

    prompt = ChatPromptTemplate.from_messages([("human", "{question}")])
    for version, answer in (("v1", "Paris."), ("v2", "It is Paris, on the Seine." + tag)):
        chain = prompt | FakeListChatModel(responses=[answer]) | StrOutputParser()
        recorder = TruChain(
            chain, app_name="langchain" + tag, app_version=version, feedbacks=_feedbacks(reason)
        )
        with recorder as recording:
            for q in questions:
                chain.invoke({"question": q})
        out[recorder.app_id] = [r.record_id for r in recording.records]

    docs = [Document(text=t) for t in ("Paris is the capital of France.", "The Seine flows.")]
    index = VectorStoreIndex.from_documents(docs, embed_model=MockEmbedding(embed_dim=8))
    for version, top_k in (("v1", 1), ("v2", 2)):
        engine = index.as_query_engine(llm=MockLLM(max_tokens=8), similarity_top_k=top_k)
        recorder = TruLlama(
            engine, app_name="llamaindex" + tag, app_version=version, feedbacks=_feedbacks(reason)
        )
        with recorder as recording:
            for q in questions:
                engine.query(q)
        out[recorder.app_id] = [r.record_id for r in recording.records]
        for record in recording.records:
            record.wait_for_feedback_results(feedback_timeout=30)
    assert session.flush(60), "the store did not take every record within 60 s"
    return out
