"""The seed page's flow, as written, on a LangChain RAG chain (issue 5, must-show 5)."""

from __future__ import annotations

import statistics

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("numpy")

from _lc_apps import QUESTION, rag_chain

from spyglass.adapters.langchain import TruChain
from spyglass.core import Feedback, FeedbackMode, FeedbackResultStatus, Select


def mentions_paris(text: str) -> float:
    """1.0 when the text mentions Paris."""
    return 1.0 if "Paris" in text else 0.0


def context_relevance(question: str, context: str) -> float:
    """Share of the question's capitalised words found in the context."""
    words = {w.strip("?") for w in question.split() if w[:1].isupper()}
    return sum(w in context for w in words) / len(words)


def test_with_record_and_layout_calls_as_app_indexed_by_path():
    """with_record(chain.invoke, q) gives (response, record); the layout is indexed by path."""
    my_llm_app = rag_chain()
    tru_recorder = TruChain(my_llm_app, app_name="ChatApplication", app_version="Chain1")
    response, tru_record = tru_recorder.with_record(my_llm_app.invoke, QUESTION)
    json_like = tru_record.layout_calls_as_app()
    retrieval = json_like["app"]["first"]["steps__"]["context"]["first"]["invoke"][0]
    assert "Paris." == response
    assert QUESTION == retrieval.args["input"]
    assert "Paris." == json_like["app"]["invoke"][0].rets
    assert ("ChatApplication", "Chain1") == (tru_recorder.app_name, tru_recorder.app_version)


def test_feedbacks_on_select_context_and_on_output_are_evaluated():
    """Feedbacks selected with TruChain.select_context(chain) and .on_output() give results."""
    chain = rag_chain()
    f_context = (
        Feedback(context_relevance, name="Context Relevance")
        .on_input()
        .on(TruChain.select_context(chain))
        .aggregate(statistics.fmean)
    )
    f_answer = Feedback(mentions_paris, name="Mentions Paris").on_output()
    recorder = TruChain(
        chain,
        app_name="ChatApplication",
        app_version="Chain1",
        feedbacks=[f_context, f_answer],
        feedback_mode=FeedbackMode.WITH_APP,
    )
    _, record = recorder.with_record(chain.invoke, QUESTION)
    results = {
        definition.name: (result.status, result.result)
        for definition, result in record.wait_for_feedback_results().items()
    }
    # the question's capitalised words are What and France; one retrieved document
    # ("The Seine flows through Paris.") has neither, the other has France: mean 1/4
    assert {
        "Context Relevance": (FeedbackResultStatus.DONE, 0.25),
        "Mentions Paris": (FeedbackResultStatus.DONE, 1.0),
    } == results


def test_a_selector_on_a_misspelt_path_is_refused_at_construction():
    """A feedback whose selector names no component of the chain fails when the recorder is built."""
    from spyglass.core.errors import SelectorError

    chain = rag_chain()
    wrong = Feedback(mentions_paris).on(Select.RecordCalls.first.steps__.contxt.first.invoke.rets)
    with pytest.raises(SelectorError):
        TruChain(chain, feedbacks=[wrong])
