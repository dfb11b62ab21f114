"""TruLens's ``trulens.feedback`` names: ground-truth agreement and embedding distances.

Usage::

    from spyglass.feedback import Embeddings, GroundTruthAgreement

    golden = [{"query": "What is 2+2?", "expected_response": "4"}]
    f_agreement = Feedback(GroundTruthAgreement(golden, provider=provider)
                           .agreement_measure).on_input_output()
    f_distance = Feedback(Embeddings(embed_model=embeddings).cosine_distance,
                          higher_is_better=False).on_input_output()

Public names: :class:`GroundTruthAgreement`, :class:`Embeddings`, and
:class:`~spyglass.providers.LLMProvider` (as in TruLens). TruLens's
``GroundTruthAggregator`` and the BERTScore/BLEU/ROUGE/retrieval metrics are not
built; using them raises :class:`~spyglass.providers.NotBuiltError`.
"""

from __future__ import annotations

from typing import Any

from spyglass.providers import LLMProvider, not_built

from ._embeddings import Embeddings
from ._groundtruth import GroundTruthAgreement

__all__ = ["Embeddings", "GroundTruthAgreement", "LLMProvider"]


def __getattr__(name: str) -> Any:
    if name == "GroundTruthAggregator":
        raise not_built(
            "trulens.feedback.GroundTruthAggregator",
            "an aggregator function of your own (e.g. one computing scikit-learn's "
            "metrics against your labels) passed to Feedback(...).aggregate(...)",
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
