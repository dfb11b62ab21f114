"""spyglass.feedback: GroundTruthAgreement and Embeddings, with TruLens's names."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from llama_index.core.embeddings import MockEmbedding

from spyglass.core import Feedback, FeedbackResultStatus
from spyglass.feedback import Embeddings, GroundTruthAgreement
from spyglass.providers import NotBuiltError
from spyglass.providers.huggingface.provider import Dummy

GOLDEN = [
    {"query": "What is 2+2?", "expected_response": "4", "expected_score": 0.8},
    {"query": "Capital of France?", "expected_response": "Paris"},
]


@pytest.mark.parametrize("golden", [GOLDEN, pd.DataFrame(GOLDEN)], ids=["list", "dataframe"])
def test_agreement_measure(golden: object) -> None:
    agreement = GroundTruthAgreement(golden, provider=Dummy())
    score, meta = agreement.agreement_measure("What is 2+2?", "four")
    assert 0.0 <= score <= 1.0
    assert "4" == meta["ground_truth_response"] and meta["reason"]


def test_absolute_error() -> None:
    agreement = GroundTruthAgreement(GOLDEN)
    error, meta = agreement.absolute_error("What is 2+2?", "4", 0.5)
    assert (pytest.approx(0.3), {"expected score": "0.8"}) == (error, meta)


def test_a_prompt_without_golden_answer_is_skipped() -> None:
    f = Feedback(GroundTruthAgreement(GOLDEN, provider=Dummy()).agreement_measure)
    result = f.run(prompt="Unknown?", response="x")
    assert FeedbackResultStatus.SKIPPED == result.status and "Unknown?" in result.error


def test_agreement_without_provider_says_how_to_fix_it() -> None:
    result = Feedback(GroundTruthAgreement(GOLDEN).agreement_measure).run(
        prompt="What is 2+2?", response="4"
    )
    assert FeedbackResultStatus.FAILED == result.status and "provider=" in result.error


def test_bad_golden_set() -> None:
    with pytest.raises(TypeError, match="list of dicts or a pandas DataFrame"):
        GroundTruthAgreement({"query": "x"})
    with pytest.raises(ValueError, match="no `query`"):
        GroundTruthAgreement([{"expected_response": "x"}])


def test_not_built_metrics() -> None:
    with pytest.raises(NotBuiltError, match="agreement_measure"):
        GroundTruthAgreement(GOLDEN).bert_score("q", "r")
    with pytest.raises(NotBuiltError):
        from spyglass.feedback import GroundTruthAggregator  # noqa: F401


@pytest.mark.parametrize(
    "model",
    [DeterministicFakeEmbedding(size=16), MockEmbedding(embed_dim=16)],
    ids=["langchain", "llamaindex"],
)
def test_embedding_distances(model: object) -> None:
    embeddings = Embeddings(embed_model=model)
    same = embeddings.cosine_distance("hello", "hello")
    assert 0.0 == pytest.approx(same, abs=1e-9)
    for name in ("cosine_distance", "euclidean_distance", "manhattan_distance"):
        value = getattr(embeddings, name)("hello", "other words")
        assert isinstance(value, float) and value >= 0.0 and not math.isnan(value)


def test_embedding_distances_by_hand() -> None:
    """The distances of two known vectors."""

    class Fixed(DeterministicFakeEmbedding):
        def embed_query(self, text: str) -> list[float]:
            return [1.0, 0.0]

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [[0.0, 2.0] for _ in texts]

    e = Embeddings(embed_model=Fixed(size=2))
    assert (1.0, math.sqrt(5), 3.0) == (
        e.cosine_distance("q", "d"),
        e.euclidean_distance("q", "d"),
        e.manhattan_distance("q", "d"),
    )
    result = Feedback(e.cosine_distance, higher_is_better=False).run(query="q", document="d")
    assert (1.0, 2) == (result.result, result.cost.n_embeddings)


def test_not_an_embedding_model() -> None:
    with pytest.raises(TypeError, match="not an embedding model"):
        Embeddings(embed_model=object())
