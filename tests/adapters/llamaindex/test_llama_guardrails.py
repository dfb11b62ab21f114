"""WithFeedbackFilterNodes: a query engine answering from the nodes a feedback keeps."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from spyglass.adapters.llamaindex import TruLlama, WithFeedbackFilterNodes
from spyglass.core import Feedback

QUESTION = "What is the capital of Germany?"


def mentions_germany(query: str, text: str) -> float:
    return 1.0 if "Germany" in text else 0.0


def test_query_synthesizes_from_the_kept_nodes_only(query_engine: Any) -> None:
    """Of the two nodes retrieved, only the one scoring above the threshold is a source;
    the evaluations are recorded calls with their scores."""
    assert 2 == len(query_engine.query(QUESTION).source_nodes)  # unfiltered
    filtered = WithFeedbackFilterNodes(
        query_engine, feedback=Feedback(mentions_germany), threshold=0.5
    )
    recorder = TruLlama(filtered)
    with recorder as recording:
        response = filtered.query(QUESTION)
    assert ["Berlin is the capital of Germany."] == [
        n.node.get_text() for n in response.source_nodes
    ]
    record = recording.get()
    scores = sorted(
        (c.args["context"], c.rets) for c in record.calls if c.stack[-1].method.name == "evaluate"
    )
    assert 2 == len(scores)
    assert ("Berlin is the capital of Germany.", 1.0) in scores
    paths = {str(c.stack[-1]) for c in record.calls if c.stack[-1].method.name == "evaluate"}
    assert {"app.context_filter.evaluate"} == paths


def test_aquery_is_filtered_too(query_engine: Any) -> None:
    """The async path keeps the same nodes."""
    filtered = WithFeedbackFilterNodes(query_engine, mentions_germany, 0.5)
    response = asyncio.run(filtered.aquery(QUESTION))
    assert ["Berlin is the capital of Germany."] == [
        n.node.get_text() for n in response.source_nodes
    ]


def test_needs_a_retriever_query_engine() -> None:
    """Anything but a RetrieverQueryEngine is refused, naming what is needed."""
    with pytest.raises(TypeError, match="needs a RetrieverQueryEngine"):
        WithFeedbackFilterNodes(object(), mentions_germany, 0.5)  # type: ignore[arg-type]
