"""``TruLlama``: the recorder for LlamaIndex apps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spyglass.core import App, Lens, Select
from spyglass.core.plugins import invalidate_instrument_specs, mro_match

from . import _classes as c, _context

__all__ = ["TruLlama"]


class TruLlama(App):
    """Records a LlamaIndex query engine, chat engine, retriever, workflow or agent.

    Usage::

        from spyglass.adapters.llamaindex import TruLlama

        query_engine = index.as_query_engine(llm=llm, similarity_top_k=2)
        recorder = TruLlama(query_engine, app_name="rag", app_version="v1",
                            feedbacks=[f_context_relevance])
        with recorder as recording:
            query_engine.query("What is the capital of France?")
        record = recording.get()

        response, record = recorder.with_record(query_engine.query, "What is ...?")
        TruLlama.select_context(query_engine)  # for feedback selectors

    Components are found on LlamaIndex's private attributes, so paths read
    ``app._retriever``, ``app._response_synthesizer._llm``,
    ``app._node_postprocessors[0]``. Objects LlamaIndex makes per call (the
    synthesizer of a chat engine, the retriever a workflow step builds) are
    recorded under their caller, at the caller's path plus their class name
    (``app.CompactAndRefine``).

    Streaming: ``query`` with ``streaming=True`` and ``stream_chat`` return a response
    whose stream the user reads; the call, and its record, stay open until the
    stream ends, and the main output is the streamed text. A ``Workflow.run``
    (agents included) is recorded until its handler's result is ready.

    Main input / output follow TruLens's TruLlama rules (the query text, never a
    ``QueryBundle``'s embedding; the message; ``Response.response``); see
    :mod:`spyglass.adapters.llamaindex._main_io`.

    Args:
        app: a LlamaIndex query engine, chat engine, retriever, ``Workflow`` or agent.
        **kwargs: the options of :class:`spyglass.core.App` (``app_name``,
            ``app_version``, ``feedbacks``, ``feedback_mode``, ``main_method``, ...).

    Raises:
        MissingDependencyError: ``llama-index-core`` is not installed.
        TypeError: ``app`` is not a LlamaIndex object.
    """

    def __init__(self, app: Any, **kwargs: Any) -> None:
        from . import _framework  # noqa: F401 - the pip message
        from ._walk import is_llama_type

        if not is_llama_type(type(app)):
            kind = type(app)
            raise TypeError(
                f"TruLlama records LlamaIndex apps (query engines, chat engines, retrievers, "
                f"workflows, agents), not {kind.__module__}.{kind.__qualname__}; for your own "
                "classes use spyglass.adapters.custom.TruCustomApp"
            )
        # Workflow steps are specs per class: pick up workflow classes defined since
        # the last recorder was built.
        invalidate_instrument_specs()
        super().__init__(app, **kwargs)

    def default_main_method(self) -> Callable[..., Any]:
        """``query``, ``chat``, ``retrieve`` or ``run``, by the kind of app."""
        base = mro_match(type(self.app), c.MAIN_METHODS)
        if base is None:
            return super().default_main_method()
        return getattr(self.app, c.MAIN_METHODS[base])  # type: ignore[no-any-return]

    @classmethod
    def select_source_nodes(cls, app: Any = None) -> Lens:
        """The lens to the retrieved ``NodeWithScore`` items of an engine's root call.

        ``Select.RecordCall.rets.source_nodes[:]`` for query and chat engines (the
        default when ``app`` is not given), ``Select.RecordCall.rets[:]`` for a
        retriever.
        """
        found = _context.select_source_nodes_of(app) if app is not None else None
        return found if found is not None else Select.RecordCall.rets.source_nodes[:]
