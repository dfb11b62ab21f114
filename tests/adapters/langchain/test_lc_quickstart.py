"""TruLens's `langchain_quickstart`, offline: a RAG chain, its feedbacks, a filtered retriever,
and the layout read with dict keys; plus a LangGraph node under `@instrument`.

The quickstart's OpenAI judge is replaced by `WordJudge`, a deterministic judge with the
same method names (`context_relevance`, `relevance_with_cot_reasons`).
"""

from __future__ import annotations

import asyncio
import re
import statistics
import typing
from typing import Any, Literal, TypedDict

import pytest
from _lc_apps import PROMPT, format_docs, vector_retriever
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.vectorstores import VectorStoreRetriever
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command

from spyglass.adapters.custom import instrument
from spyglass.adapters.langchain import TruChain, WithFeedbackFilterDocuments
from spyglass.core import Feedback

QUESTION = "What is the capital of France?"


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower())) - {"the", "is", "of", "what", "through"}


class WordJudge:
    """Scores by shared words, as a provider scores by asking a model."""

    def context_relevance(self, question: str, context: str) -> float:
        return len(_words(question) & _words(context)) / max(1, len(_words(question)))

    def relevance_with_cot_reasons(
        self, prompt: str, response: str
    ) -> tuple[float, dict[str, str]]:
        return 1.0 if "Paris" in response else 0.0, {"reason": "mentions Paris"}


provider = WordJudge()


def rag_chain(retriever: Any) -> Any:
    llm = FakeListChatModel(responses=["Paris is the capital."])
    return (
        {"context": retriever | RunnableLambda(format_docs), "question": RunnablePassthrough()}
        | PROMPT
        | llm
        | StrOutputParser()
    )


def test_quickstart_rag_with_feedbacks() -> None:
    """The quickstart's recorder, feedbacks and `wait_for_feedback_results().items()`."""
    chain = rag_chain(vector_retriever())
    context = TruChain.select_context(chain)
    f_answer_relevance = Feedback(
        provider.relevance_with_cot_reasons, name="Answer Relevance"
    ).on_input_output()
    f_context_relevance = (
        Feedback(provider.context_relevance, name="Context Relevance")
        .on_input()
        .on(context)
        .aggregate(statistics.fmean)
    )
    tru_recorder = TruChain(
        chain,
        app_name="ChatApplication",
        app_version="Chain1",
        feedbacks=[f_answer_relevance, f_context_relevance],
    )
    with tru_recorder as recording:
        assert "Paris is the capital." == chain.invoke(QUESTION)
    rec = recording.get()
    results = {fb.name: result.result for fb, result in rec.wait_for_feedback_results().items()}
    assert 1.0 == results["Answer Relevance"]
    assert 0.0 < results["Context Relevance"] <= 1.0


def test_quickstart_filtered_retriever_and_call_stack_display() -> None:
    """`WithFeedbackFilterDocuments.of_retriever(retriever=, feedback=, threshold=)` keeps
    only relevant documents, in the retriever's order, in a chain; the quickstart's
    `display_call_stack` reads the layout with keys."""
    retriever = vector_retriever()
    f_context_relevance_score = Feedback(provider.context_relevance)
    filtered_retriever = WithFeedbackFilterDocuments.of_retriever(
        retriever=retriever, feedback=f_context_relevance_score, threshold=0.5
    )
    assert isinstance(filtered_retriever, VectorStoreRetriever)
    assert retriever.vectorstore is filtered_retriever.vectorstore
    assert retriever.search_kwargs == filtered_retriever.search_kwargs
    unfiltered = [d.page_content for d in retriever.invoke(QUESTION)]
    kept = [d.page_content for d in filtered_retriever.invoke(QUESTION)]
    assert [text for text in unfiltered if provider.context_relevance(QUESTION, text) > 0.5] == kept
    assert ["Paris is the capital of France."] == kept

    chain = rag_chain(filtered_retriever)
    tru_recorder = TruChain(chain, app_name="ChatApplication_Filtered", app_version="Chain1")
    with tru_recorder as recording:
        chain.invoke(QUESTION)
    last_record = recording.records[-1]
    json_like = last_record.layout_calls_as_app()

    # The quickstart's display_call_stack, without ipytree.
    lines = [
        f"Record ID: {json_like['record_id']}",
        f"Main Input: {json_like['main_input']}",
        f"Main Output: {json_like['main_output']}",
    ]
    for call in json_like["calls"]:
        for step in call["stack"]:
            lines.append(f"Step: {step['path']}")
            if "expanded" in step:
                lines.extend(f"Expanded: {s['path']}" for s in step["expanded"])
    assert f"Main Input: {QUESTION}" in lines
    assert "Step: app.first.steps__.context.first" in lines
    assert "Step: app.first.steps__.context.first.context_filter" in lines

    evaluations = [
        (c["args"]["context"], c["rets"])
        for c in json_like["calls"]
        if c["stack"][-1]["method"].name == "evaluate"
    ]
    assert sorted(evaluations) == sorted(
        (text, provider.context_relevance(QUESTION, text)) for text in unfiltered
    )
    retrieved = json_like["app"]["first"]["steps__"]["context"]["first"]["invoke"][0]["rets"]
    assert kept == [doc["page_content"] for doc in retrieved]


def test_filtered_retriever_filters_ainvoke_too() -> None:
    """The async path is filtered as well (TruLens filtered only the sync one)."""
    filtered = WithFeedbackFilterDocuments.of_retriever(
        vector_retriever(), feedback=provider.context_relevance, threshold=0.5
    )
    docs = asyncio.run(filtered.ainvoke(QUESTION))
    assert ["Paris is the capital of France."] == [d.page_content for d in docs]


def test_of_retriever_needs_a_vector_store_retriever_and_both_arguments() -> None:
    """Wrong retriever type or a missing feedback/threshold is named."""
    with pytest.raises(TypeError, match="needs a VectorStoreRetriever"):
        WithFeedbackFilterDocuments.of_retriever(
            RunnablePassthrough(), provider.context_relevance, 0.5
        )
    with pytest.raises(TypeError, match="needs both the feedback and the threshold"):
        WithFeedbackFilterDocuments.of_retriever(
            vector_retriever(), feedback=provider.context_relevance
        )


# ------------------------------------------------------------------ LangGraph node


class State(TypedDict):
    x: int


@instrument
def route(state: State) -> Command[Literal["double", "__end__"]]:
    goto = "double" if state["x"] < 10 else "__end__"
    return Command(goto=goto, update={"x": state["x"] + 1})


def double(state: State) -> State:
    return {"x": state["x"] * 2}


def test_instrumented_langgraph_node_keeps_its_command_edges() -> None:
    """@instrument on a node returning Command[Literal[...]] leaves the annotation readable
    (typing.get_type_hints), so LangGraph draws the node's edges; TruChain records it."""
    hints = typing.get_type_hints(route)
    assert Command[Literal["double", "__end__"]] == hints["return"]

    graph = StateGraph(State)
    graph.add_node("route", route)
    graph.add_node("double", double)
    graph.add_edge(START, "route")
    graph.add_edge("double", "route")
    app = graph.compile()
    edges = {(e.source, e.target) for e in app.get_graph().edges}
    assert {("route", "double"), ("route", END)} <= edges

    recorder = TruChain(app)
    with recorder as recording:
        assert {"x": 11} == app.invoke({"x": 1})
    record = recording.get()
    assert 11 == record.main_output  # the main output rule reads the one value
    assert "route" in record.layout_calls_as_app()["app"]["nodes"]
