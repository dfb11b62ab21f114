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

import sys
from collections.abc import Iterator

from spyglass.core.plugins import CallKind, InstrumentSpec

__all__ = ["STATIC_SPECS", "WORKFLOW_BASE", "instrument_specs", "workflow_specs"]

_QUERY_ENGINE = "llama_index.core.base.base_query_engine:BaseQueryEngine"
_RETRIEVER = "llama_index.core.base.base_retriever:BaseRetriever"
_CHAT_ENGINE = "llama_index.core.chat_engine.types:BaseChatEngine"
_BASE_LLM = "llama_index.core.base.llms.base:BaseLLM"
_LLM = "llama_index.core.llms.llm:LLM"
_EMBEDDING = "llama_index.core.base.embeddings.base:BaseEmbedding"
_POSTPROCESSOR = "llama_index.core.postprocessor.types:BaseNodePostprocessor"
_SYNTHESIZER = "llama_index.core.response_synthesizers.base:BaseSynthesizer"
_TOOL = "llama_index.core.tools.types:BaseTool"
_AGENT = "llama_index.core.agent.workflow.base_agent:BaseWorkflowAgent"

#: The module and class every workflow (and agent) derives from.
WORKFLOW_BASE = ("workflows.workflow", "Workflow")

STATIC_SPECS: tuple[InstrumentSpec, ...] = (
    InstrumentSpec(
        _QUERY_ENGINE,
        ("query", "aquery", "_query", "_aquery", "synthesize", "asynthesize"),
        kind=CallKind.QUERY_ENGINE,
        eager=True,
    ),
    InstrumentSpec(
        _RETRIEVER,
        ("retrieve", "aretrieve", "_retrieve", "_aretrieve"),
        kind=CallKind.RETRIEVER,
        eager=True,
    ),
    InstrumentSpec(
        _CHAT_ENGINE,
        ("chat", "achat", "stream_chat", "astream_chat"),
        kind=CallKind.CHAT_ENGINE,
        eager=True,
    ),
    InstrumentSpec(
        _BASE_LLM,
        (
            "chat",
            "complete",
            "stream_chat",
            "stream_complete",
            "achat",
            "acomplete",
            "astream_chat",
            "astream_complete",
        ),
        kind=CallKind.LLM,
        eager=True,
        reports_cost=True,  # the requests; see _cost.py
    ),
    InstrumentSpec(
        _LLM,
        ("predict", "apredict", "stream", "astream", "predict_and_call", "apredict_and_call"),
        kind=CallKind.LLM,
        eager=True,
    ),
    InstrumentSpec(
        _EMBEDDING,
        (
            "get_query_embedding",
            "aget_query_embedding",
            "get_text_embedding",
            "aget_text_embedding",
            "get_text_embedding_batch",
            "aget_text_embedding_batch",
        ),
        kind=CallKind.EMBEDDING,
        eager=True,
    ),
    InstrumentSpec(
        _POSTPROCESSOR,
        ("postprocess_nodes", "apostprocess_nodes"),
        kind=CallKind.RERANKER,
        eager=True,
    ),
    InstrumentSpec(
        _SYNTHESIZER,
        ("synthesize", "asynthesize"),
        kind=CallKind.SYNTHESIZER,
        eager=True,
    ),
    InstrumentSpec(_TOOL, ("call", "acall"), kind=CallKind.TOOL, eager=True),
    InstrumentSpec(
        _AGENT,
        ("take_step", "handle_tool_call_results", "finalize"),
        kind=CallKind.AGENT,
        eager=True,
    ),
)


def _subclasses(cls: type) -> Iterator[type]:
    seen: set[type] = set()
    stack = [cls]
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
    module_name, class_name = WORKFLOW_BASE
    module = sys.modules.get(module_name)
    base = getattr(module, class_name, None) if module is not None else None
    if not isinstance(base, type):
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
