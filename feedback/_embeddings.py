"""`Embeddings`: distances between a query and a document in an embedding model's space."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import PrivateAttr

from spyglass.core import Cost, report_cost
from spyglass.providers import Provider

__all__ = ["Embeddings"]


class Embeddings(Provider):
    """Embedding distances (TruLens's names) over a LangChain or LlamaIndex embedding model.

    Args:
        embed_model: a LangChain ``Embeddings`` (``embed_query`` / ``embed_documents``)
            or a LlamaIndex ``BaseEmbedding`` (``get_query_embedding`` /
            ``get_text_embedding``).

    Each method embeds the query as a query and the document as a text and returns a
    distance: 0 for identical vectors, so lower is better (build the feedback with
    ``higher_is_better=False``). The model is not stored with a feedback definition.
    """

    _model: Any = PrivateAttr(default=None)

    def __init__(self, embed_model: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if embed_model is None:
            raise TypeError(
                "Embeddings(embed_model=...) needs a LangChain or LlamaIndex embedding model."
            )
        if not (hasattr(embed_model, "get_query_embedding") or hasattr(embed_model, "embed_query")):
            raise TypeError(
                f"{type(embed_model).__name__} is not an embedding model: expected a LangChain "
                "Embeddings (embed_query) or a LlamaIndex BaseEmbedding (get_query_embedding)."
            )
        self._model = embed_model

    def _vectors(self, query: str, document: str) -> tuple[list[float], list[float]]:
        model = self._model
        if model is None:
            raise RuntimeError(
                "This Embeddings was loaded from stored data, which does not hold the model; "
                "build it with Embeddings(embed_model=...) in the evaluating process."
            )
        if hasattr(model, "get_query_embedding"):  # LlamaIndex
            q, d = model.get_query_embedding(query), model.get_text_embedding(document)
        else:  # LangChain
            q, d = model.embed_query(query), model.embed_documents([document])[0]
        report_cost(Cost(n_embedding_requests=2, n_embeddings=2))
        if len(q) != len(d):
            raise ValueError(f"Embeddings of different sizes: {len(q)} and {len(d)}.")
        return [float(x) for x in q], [float(x) for x in d]

    def cosine_distance(self, query: str, document: str) -> float:
        """``1 - cos(query, document)``, in [0, 2]."""
        q, d = self._vectors(query, document)
        norms = _norm(q) * _norm(d)
        if norms == 0:
            raise ValueError("Cannot take the cosine distance of a zero vector.")
        # Clamped: rounding can put identical vectors a hair below 0.
        return min(2.0, max(0.0, 1.0 - sum(a * b for a, b in zip(q, d)) / norms))

    def euclidean_distance(self, query: str, document: str) -> float:
        """The straight-line (L2) distance."""
        q, d = self._vectors(query, document)
        return math.sqrt(sum((a - b) ** 2 for a, b in zip(q, d)))

    def manhattan_distance(self, query: str, document: str) -> float:
        """The sum of absolute differences (L1)."""
        q, d = self._vectors(query, document)
        return sum(abs(a - b) for a, b in zip(q, d))


def _norm(v: Sequence[float]) -> float:
    return math.sqrt(sum(x * x for x in v))
