"""TruLens's quickstart feedback definitions work unchanged on the OpenAI-compatible test
server: scores, reasons and token usage land in the record's feedback results."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from spyglass.adapters.custom import TruCustomApp, instrument
from spyglass.core import Feedback, FeedbackResultStatus, Select

CONTEXTS = ["Paris is the capital of France.", "Bananas are yellow when ripe."]


class Retriever:
    @instrument(retriever=True)
    def retrieve(self, query: str) -> list[str]:
        return list(CONTEXTS)


class RAG:
    def __init__(self) -> None:
        self.retriever = Retriever()

    @instrument
    def query(self, query: str) -> str:
        contexts = self.retriever.retrieve(query)
        return f"The capital of France is Paris. {contexts[0]}"


def scorer(messages: list[dict[str, Any]]) -> int:
    """The judge: the relevant context scores 3, the other 0; statements 2; answers 3."""
    system, user = messages[0]["content"], messages[-1]["content"]
    if "SEARCH RESULT" in system:
        return 3 if "Paris" in user.split("SEARCH RESULT:")[-1] else 0
    if "fact checker" in system:
        return 2
    return 3


@pytest.mark.parametrize("context_lens", ["select_context", "lens"])
def test_quickstart_feedbacks_on_the_test_server(
    judge_server: Any, make_judge: Any, context_lens: str
) -> None:
    """Context relevance (per context, mean), groundedness (all contexts), answer relevance."""
    judge_server.scorer = scorer
    provider = make_judge(model_engine="gpt-4o-mini")
    rag = RAG()
    context = (
        TruCustomApp.select_context(rag)
        if context_lens == "select_context"
        else Select.RecordCalls.retriever.retrieve.rets[:]
    )
    # The three definitions exactly as TruLens's quickstart writes them.
    f_groundedness = (
        Feedback(provider.groundedness_measure_with_cot_reasons, name="Groundedness")
        .on(context.collect())
        .on_output()
    )
    f_answer_relevance = Feedback(
        provider.relevance_with_cot_reasons, name="Answer Relevance"
    ).on_input_output()
    f_context_relevance = (
        Feedback(provider.context_relevance_with_cot_reasons, name="Context Relevance")
        .on_input()
        .on(context)
        .aggregate(np.mean)
    )
    tru_rag = TruCustomApp(
        rag,
        app_name="RAG",
        app_version="base",
        feedbacks=[f_groundedness, f_answer_relevance, f_context_relevance],
    )
    with tru_rag as recording:
        rag.query("What is the capital of France?")
    record = recording.get()
    results = {fb.name: res for fb, res in record.wait_for_feedback_results().items()}

    assert {name: FeedbackResultStatus.DONE for name in results} == {
        name: r.status for name, r in results.items()
    }, {name: r.error for name, r in results.items()}
    assert {"Groundedness": 2 / 3, "Answer Relevance": 1.0, "Context Relevance": 0.5} == {
        name: pytest.approx(r.result) for name, r in results.items()
    }
    relevance = results["Context Relevance"]
    assert [1.0, 0.0] == [c.ret for c in relevance.calls]
    assert CONTEXTS == [c.args["context"] for c in relevance.calls]
    assert all(c.meta["reason"] for r in results.values() for c in r.calls)
    grounded = results["Groundedness"].calls[0]
    assert CONTEXTS == grounded.args["source"]
    assert "STATEMENT 1: The capital of France is Paris." in grounded.meta["reason"]
    assert "Supporting Evidence: evidence 1" in grounded.meta["reason"]
    # Token usage on every result; one request per judged combination, none repeated.
    assert {"Groundedness": 1, "Answer Relevance": 1, "Context Relevance": 2} == {
        name: r.cost.n_requests for name, r in results.items()
    }
    assert all(r.cost.n_tokens > 0 and r.cost.cost > 0 for r in results.values())
    assert 4 == judge_server.requests
