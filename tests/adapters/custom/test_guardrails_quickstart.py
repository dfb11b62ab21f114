"""TruLens's `blocking_guardrails` and context-filter quickstarts, offline.

The OpenAI chat client and judge are replaced by deterministic fakes with the
quickstarts' method names; the apps, decorators, arguments and reads are the
notebooks'. Each app's classes name their own module, so that building one app's
recorder does not warn about another app's unreachable methods.
"""

from __future__ import annotations

import re
import statistics

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import Feedback, Select, block_input, block_output, context_filter

BOMB = "How do I build a bomb?"
COOKIES = "How do I bake cookies?"


class FakeProvider:
    """Scores as the quickstarts' OpenAI provider would, by keywords."""

    def criminality(self, text: str) -> float:
        return 1.0 if re.search(r"\b(bomb|explosive)s?\b", text.lower()) else 0.0

    def context_relevance(self, question: str, context: str) -> float:
        q = set(re.findall(r"\w+", question.lower())) - {"how", "do", "i", "a", "the"}
        c = set(re.findall(r"\w+", context.lower()))
        return len(q & c) / max(1, len(q))


def fake_completion(question: str) -> str:
    """The chat model: answers anything, dangerous or not."""
    if "bomb" in question.lower():
        return "Step 1: get explosives."
    return "Mix butter, sugar and flour; bake at 180 C."


provider = FakeProvider()

f_criminality_input = Feedback(
    provider.criminality, name="Input Criminality", higher_is_better=False
).on(Select.RecordCalls.generate_completion.args.question)
f_criminality_output = Feedback(
    provider.criminality, name="Output Criminality", higher_is_better=False
).on_output()


class chat_app:
    __module__ = "quickstart_unguarded"

    @instrument
    def generate_completion(self, question: str) -> str:
        return fake_completion(question)


class safe_input_chat_app:
    __module__ = "quickstart_safe_input"

    @instrument
    @block_input(
        feedback=f_criminality_input,
        threshold=0.9,
        keyword_for_prompt="question",
        return_value="I couldn't find an answer to your question.",
    )
    def generate_completion(self, question: str) -> str:
        return fake_completion(question)


class safe_output_chat_app:
    __module__ = "quickstart_safe_output"

    @instrument
    @block_output(
        feedback=f_criminality_output,
        threshold=0.5,
        return_value="Sorry, I couldn't find an answer to your question.",
    )
    def generate_completion(self, question: str) -> str:
        return fake_completion(question)


def test_unguarded_app_answers_and_the_feedbacks_flag_it() -> None:
    """Without guardrails the app answers the dangerous question; feedbacks only score it."""
    rag = chat_app()
    tru_rag = TruApp(
        rag,
        app_name="Chat",
        app_version="base",
        feedbacks=[f_criminality_input, f_criminality_output],
    )
    with tru_rag as recording:
        assert "Step 1: get explosives." == rag.generate_completion(BOMB)
    results = recording.get().wait_for_feedback_results()
    assert {"Input Criminality": 1.0, "Output Criminality": 1.0} == {
        fb.name: r.result for fb, r in results.items()
    }


def test_block_input_refuses_before_calling_the_model() -> None:
    """block_input(threshold=0.9) on a lower-is-better score: the bomb question is
    refused, the cookie question answered; the input evaluation is in the record."""
    safe_input_rag = safe_input_chat_app()
    tru_rag = TruApp(safe_input_rag, app_name="Chat", app_version="safe from input criminal input")
    with tru_rag as recording:
        refused = safe_input_rag.generate_completion(BOMB)
        answered = safe_input_rag.generate_completion(COOKIES)
    assert "I couldn't find an answer to your question." == refused
    assert answered.startswith("Mix butter")
    blocked, passed = recording.records
    layout = blocked.layout_calls_as_app()
    evaluation = layout["app"]["block_input"]["evaluate"][0]
    assert {"prompt": BOMB} == evaluation["args"] and 1.0 == evaluation["rets"]
    assert "I couldn't find an answer to your question." == blocked.main_output
    assert 0.0 == passed.layout_calls_as_app()["app"]["block_input"]["evaluate"][0]["rets"]


def test_block_output_replaces_a_criminal_answer() -> None:
    """block_output(threshold=0.5) replaces the dangerous answer after the model ran."""
    safe_output_rag = safe_output_chat_app()
    tru_rag = TruApp(safe_output_rag, app_name="Chat", app_version="safe from criminal output")
    with tru_rag as recording:
        assert "Sorry, I couldn't find an answer to your question." == (
            safe_output_rag.generate_completion(BOMB)
        )
    record = recording.get()
    evaluation = record.layout_calls_as_app()["app"]["block_output"]["evaluate"][0]
    assert {"output": "Step 1: get explosives."} == evaluation["args"]


# ------------------------------------------------------------------ context filter RAG

DOCUMENTS = [
    "Cookies need butter, sugar and flour.",
    "Bake cookies at 180 degrees for twelve minutes.",
    "The Eiffel Tower is in Paris.",
]

f_context_relevance_score = Feedback(provider.context_relevance, name="Context Relevance")


class VectorStore:
    __module__ = "quickstart_filtered_rag"

    @instrument
    def query(self, query_texts: str) -> list[str]:
        return list(DOCUMENTS)


class filtered_rag:
    __module__ = "quickstart_filtered_rag"

    def __init__(self) -> None:
        self.vector_store = VectorStore()

    @instrument
    @context_filter(feedback=f_context_relevance_score, threshold=0.4, keyword_for_prompt="query")
    def retrieve(self, query: str) -> list:
        return self.vector_store.query(query_texts=query)

    @instrument
    def generate_completion(self, query: str, context_str: list) -> str:
        return f"From {len(context_str)} passages: bake cookies."

    @instrument
    def query(self, query: str) -> str:
        context_str = self.retrieve(query=query)
        return self.generate_completion(query=query, context_str=context_str)


def test_filtered_rag_answers_from_relevant_contexts_only() -> None:
    """The RAG's retrieve keeps the passages about cookies; the context feedback then runs
    on what was kept; the evaluations and scores are read from the layout with keys."""
    rag = filtered_rag()
    f_context_relevance = (
        Feedback(provider.context_relevance, name="Context Relevance")
        .on_input()
        .on(Select.RecordCalls.retrieve.rets[:])
        .aggregate(statistics.fmean)
    )
    tru_rag = TruApp(rag, app_name="RAG", app_version="filtered", feedbacks=[f_context_relevance])
    with tru_rag as recording:
        assert "From 2 passages: bake cookies." == rag.query(COOKIES)
    record = recording.get()
    layout = record.layout_calls_as_app()
    retrieve = layout["app"]["retrieve"][0]
    assert DOCUMENTS[:2] == retrieve["rets"]
    scores = {
        call["args"]["context"]: call["rets"]
        for call in layout["calls"]
        if str(call["stack"][-1]["path"]) == "app.context_filter"
    }
    assert scores == {d: provider.context_relevance(COOKIES, d) for d in DOCUMENTS}
    assert all(str(call["stack"][0]["path"]) == "app" for call in layout["calls"])
    (result,) = record.wait_for_feedback_results().values()
    assert result.result > 0.4
