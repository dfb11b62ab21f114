"""``WithFeedbackFilterDocuments``: a vector-store retriever that keeps only relevant documents.

TruLens's ``trulens.apps.langchain.WithFeedbackFilterDocuments``, on
:class:`spyglass.core.guardrails.context_filter`: each document the wrapped retriever
finds is scored as ``feedback(query, doc.page_content)``, concurrently, and kept when
the score is strictly better than the threshold. Unlike TruLens, the kept documents
stay in the retriever's order, and ``ainvoke`` is filtered too.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import ConfigDict, PrivateAttr

from spyglass.core import context_filter

from ._framework import VectorStoreRetriever

__all__ = ["WithFeedbackFilterDocuments"]


def _page_content(doc: Any) -> Any:
    return getattr(doc, "page_content", doc)


class WithFeedbackFilterDocuments(VectorStoreRetriever):
    """A ``VectorStoreRetriever`` whose documents pass a feedback threshold.

    Usage::

        filtered = WithFeedbackFilterDocuments.of_retriever(
            retriever=vectorstore.as_retriever(), feedback=f_context_relevance, threshold=0.75
        )
        chain = {"context": filtered | format_docs, "question": RunnablePassthrough()} | ...

    Attributes:
        feedback: a ``Feedback`` or a function of ``(query, text)`` returning a number.
        threshold: the score a document must beat (strictly; below it when the
            feedback's ``higher_is_better`` is False).
        on_error: a document whose evaluation fails is ``"drop"``-ped (default) or
            ``"keep"``-t (see :class:`~spyglass.core.guardrails.context_filter`).
        timeout: seconds to wait for each evaluation, or None.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    feedback: Any
    threshold: float
    on_error: str = "drop"
    timeout: float | None = None

    _guard: context_filter | None = PrivateAttr(default=None)

    def __init__(self, feedback: Any, threshold: float, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, feedback=feedback, threshold=threshold, **kwargs)
        # Checks feedback, threshold and on_error now rather than at the first query.
        self._guard = context_filter(
            feedback,
            threshold,
            on_error=self.on_error,  # type: ignore[arg-type]
            timeout=self.timeout,
        )

    @staticmethod
    def of_retriever(
        retriever: VectorStoreRetriever,
        feedback: Any = None,
        threshold: float | None = None,
        **kwargs: Any,
    ) -> WithFeedbackFilterDocuments:
        """A filtered copy of ``retriever`` (same vector store, search type and arguments).

        Args:
            retriever: a ``VectorStoreRetriever`` (``vectorstore.as_retriever()``).
            feedback: the feedback scoring ``(query, text)``.
            threshold: the score to beat.
            **kwargs: ``on_error``, ``timeout``, or fields of the retriever to change.

        Raises:
            TypeError: ``retriever`` is not a ``VectorStoreRetriever``, or ``feedback``
                or ``threshold`` is missing.
        """
        if not isinstance(retriever, VectorStoreRetriever):
            raise TypeError(
                "WithFeedbackFilterDocuments.of_retriever needs a VectorStoreRetriever "
                f"(vectorstore.as_retriever()), got {type(retriever).__name__}"
            )
        if feedback is None or threshold is None:
            raise TypeError(
                "WithFeedbackFilterDocuments.of_retriever(retriever, feedback=..., "
                "threshold=...) needs both the feedback and the threshold"
            )
        fields = {name: getattr(retriever, name) for name in type(retriever).model_fields}
        fields.update(kwargs)
        return WithFeedbackFilterDocuments(feedback, threshold, **fields)

    def _filter(self, query: str, docs: list[Any]) -> list[Any]:
        assert self._guard is not None  # set by __init__
        return self._guard.filter(query, docs, text=_page_content)

    def _get_relevant_documents(self, query: str, *, run_manager: Any, **kwargs: Any) -> list[Any]:
        docs = super()._get_relevant_documents(query, run_manager=run_manager, **kwargs)
        return self._filter(query, docs)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: Any, **kwargs: Any
    ) -> list[Any]:
        docs = await super()._aget_relevant_documents(query, run_manager=run_manager, **kwargs)
        # Scored on a worker thread (which copies the context, so the evaluations are
        # recorded): the event loop is not blocked by the feedback.
        return await asyncio.to_thread(self._filter, query, docs)
