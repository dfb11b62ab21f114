"""``WithFeedbackFilterNodes``: a query engine that answers from relevant nodes only.

TruLens's ``trulens.apps.llamaindex.guardrails.WithFeedbackFilterNodes``, on
:class:`spyglass.core.guardrails.context_filter`: the nodes the wrapped engine
retrieves are scored as ``feedback(query, node text)``, concurrently, and those
strictly better than the threshold are synthesized into the response. Unlike TruLens,
the filter sits in ``retrieve``/``aretrieve``, so ``query``, ``aquery`` and streaming
engines are all filtered, and the nodes keep the retriever's order.
"""

from __future__ import annotations

import asyncio
from typing import Any

from spyglass.core import context_filter

from ._framework import QueryBundle, RetrieverQueryEngine

__all__ = ["WithFeedbackFilterNodes"]


def _text(node: Any) -> Any:
    inner = getattr(node, "node", node)
    get_text = getattr(inner, "get_text", None)
    return get_text() if callable(get_text) else inner


class WithFeedbackFilterNodes(RetrieverQueryEngine):
    """A ``RetrieverQueryEngine`` whose retrieved nodes pass a feedback threshold.

    Usage::

        engine = index.as_query_engine()
        filtered = WithFeedbackFilterNodes(engine, feedback=f_context_relevance, threshold=0.75)
        response = filtered.query("What did the author do growing up?")

    Args:
        query_engine: a ``RetrieverQueryEngine`` (``index.as_query_engine()``); its
            retriever, response synthesizer, node postprocessors and callback manager
            are used.
        feedback: a ``Feedback`` or a function of ``(query, text)`` returning a number.
        threshold: the score a node must beat (strictly; below it when the feedback's
            ``higher_is_better`` is False).
        on_error: a node whose evaluation fails is ``"drop"``-ped (default) or
            ``"keep"``-t (see :class:`~spyglass.core.guardrails.context_filter`).
        timeout: seconds to wait for each evaluation, or None.

    Raises:
        TypeError: ``query_engine`` is not a ``RetrieverQueryEngine``.
    """

    def __init__(
        self,
        query_engine: RetrieverQueryEngine,
        feedback: Any,
        threshold: float,
        *,
        on_error: str = "drop",
        timeout: float | None = None,
    ) -> None:
        if not isinstance(query_engine, RetrieverQueryEngine):
            raise TypeError(
                "WithFeedbackFilterNodes needs a RetrieverQueryEngine "
                f"(index.as_query_engine()), got {type(query_engine).__name__}"
            )
        self.query_engine = query_engine
        self.feedback = feedback
        self.threshold = threshold
        self.context_filter = context_filter(
            feedback,
            threshold,
            on_error=on_error,  # type: ignore[arg-type]
            timeout=timeout,
        )
        super().__init__(
            retriever=query_engine.retriever,
            response_synthesizer=query_engine._response_synthesizer,
            node_postprocessors=query_engine._node_postprocessors,
            callback_manager=query_engine.callback_manager,
        )

    def _filter(self, query_bundle: QueryBundle, nodes: list[Any]) -> list[Any]:
        return self.context_filter.filter(query_bundle.query_str, nodes, text=_text)

    def retrieve(self, query_bundle: QueryBundle) -> list[Any]:
        """The wrapped engine's nodes for the query that pass the threshold, in order."""
        return self._filter(query_bundle, super().retrieve(query_bundle))

    async def aretrieve(self, query_bundle: QueryBundle) -> list[Any]:
        """As :meth:`retrieve`; the scoring runs on a worker thread."""
        nodes = await super().aretrieve(query_bundle)
        return await asyncio.to_thread(self._filter, query_bundle, nodes)
