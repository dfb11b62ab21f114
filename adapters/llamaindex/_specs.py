"""What TruLlama instruments, as data.

Each :class:`~spyglass.core.InstrumentSpec` names a LlamaIndex base class by path
and the methods to record on it and on its subclasses. The core wraps each method
on the class that *defines* it, so ``RetrieverQueryEngine._query`` and
``BaseQueryEngine.query`` are both recorded for one query engine.

Most specs are ``eager``: LlamaIndex builds objects per call (the synthesizer of a
chat engine, the retriever and query engine a workflow step makes from an index),
and those objects are never reached by the walk. Eager specs wrap the methods on
the base and on every subclass already imported when a recorder is built, so such
calls are still recorded, nested under their caller.

LLM methods are listed on ``BaseLLM`` **and** ``LLM`` separately from chat engines
(TruLens merged both under one ``chat`` entry, so LLM calls were lost).

LlamaIndex wraps many of these methods with its own ``dispatcher.span`` (a wrapt
decorator); spyglass's class-level wrapper sits on top of it, so LlamaIndex's
instrumentation (span and event handlers) keeps working and sees the same calls.

Workflows and agents have no fixed method names: their steps are whatever
``@step`` methods a subclass defines. :func:`workflow_specs` lists them for every
``Workflow`` subclass imported so far (``FunctionAgent``, ``ReActAgent``, the
user's own workflows), plus ``run``.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.core.plugins import CallKind, InstrumentSpec, resolve_class

from . import _classes as c

__all__ = ["STATIC_SPECS", "instrument_specs", "workflow_specs"]


def _eager(
    path: str, methods: tuple[str, ...], kind: CallKind, reports_cost: bool = False
) -> InstrumentSpec:
    """An eager spec: ``methods`` are wrapped on ``path`` and its imported subclasses."""
    return InstrumentSpec(path, methods, kind=kind, eager=True, reports_cost=reports_cost)


_QUERY = ("query", "aquery", "_query", "_aquery", "synthesize", "asynthesize")
# The LLM requests (they report cost, see _cost.py): sync, then async.
_REQUESTS = (
    *("chat", "complete", "stream_chat", "stream_complete"),
    *("achat", "acomplete", "astream_chat", "astream_complete"),
)
_PREDICT = ("predict", "apredict", "stream", "astream", "predict_and_call", "apredict_and_call")
_EMBED = (
    *("get_query_embedding", "aget_query_embedding", "get_text_embedding"),
    *("aget_text_embedding", "get_text_embedding_batch", "aget_text_embedding_batch"),
)

STATIC_SPECS: tuple[InstrumentSpec, ...] = (
    _eager(c.QUERY_ENGINE, _QUERY, CallKind.QUERY_ENGINE),
    _eager(c.RETRIEVER, ("retrieve", "aretrieve", "_retrieve", "_aretrieve"), CallKind.RETRIEVER),
    _eager(c.CHAT_ENGINE, ("chat", "achat", "stream_chat", "astream_chat"), CallKind.CHAT_ENGINE),
    _eager(c.BASE_LLM, _REQUESTS, CallKind.LLM, reports_cost=True),
    _eager(c.LLM, _PREDICT, CallKind.LLM),
    _eager(c.EMBEDDING, _EMBED, CallKind.EMBEDDING),
    _eager(c.POSTPROCESSOR, ("postprocess_nodes", "apostprocess_nodes"), CallKind.RERANKER),
    _eager(c.SYNTHESIZER, ("synthesize", "asynthesize"), CallKind.SYNTHESIZER),
    _eager(c.TOOL, ("call", "acall"), CallKind.TOOL),
    _eager(c.AGENT, ("take_step", "handle_tool_call_results", "finalize"), CallKind.AGENT),
)


def _subclasses(cls: type) -> Iterator[type]:
    seen: set[type] = set()
    stack = [cls]
    sub: type
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                yield sub


def _step_names(cls: type) -> tuple[str, ...]:
    """The ``@step`` methods a workflow class defines itself (not inherited ones)."""
    return tuple(
        name
        for name, value in vars(cls).items()
        if callable(value) and hasattr(value, "_step_config")
    )


def workflow_specs() -> list[InstrumentSpec]:
    """Specs for ``Workflow.run`` and the ``@step`` methods of every imported workflow class.

    Returns ``[]`` until the workflows package is imported (a class that is not
    imported has no instances to record).
    """
    base = resolve_class(c.WORKFLOW)
    if base is None:
        return []
    specs = [InstrumentSpec(base, ("run",), kind=CallKind.WORKFLOW)]
    for cls in _subclasses(base):
        names = _step_names(cls)
        if names:
            specs.append(InstrumentSpec(cls, names, kind=CallKind.WORKFLOW_STEP, eager=True))
    return specs


def instrument_specs() -> list[InstrumentSpec]:
    """Everything TruLlama instruments: the static specs and the workflow steps."""
    return [*STATIC_SPECS, *workflow_specs()]
