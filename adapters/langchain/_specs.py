"""What the LangChain adapter instruments, declared as data.

Each :class:`~spyglass.core.InstrumentSpec` names a LangChain base class by
path and the methods to wrap on the class that *defines* them in a reached object's
MRO. ``print_instrumented()`` / ``instrumented()`` read these to say why a method
was or was not wrapped. Nothing here imports LangChain.

- Every ``Runnable``'s entry points (``invoke``, ``ainvoke``, ``stream``, ``astream``,
  ``transform``, ``atransform``, ``batch``, ``abatch``): LCEL sequences, parallels,
  lambdas, branches, bindings, retries, fallbacks, prompts, parsers, LangGraph graphs
  and their nodes. LCEL streaming runs through ``transform`` (an output parser is
  only ever called through it while streaming), so it cannot be left out.
- Where the work happens: retrievers' ``_get_relevant_documents`` /
  ``_aget_relevant_documents``; chat models' and LLMs' ``_generate``, ``_agenerate``,
  ``_stream``, ``_astream``; tools' ``_run`` / ``_arun``; vector stores'
  ``similarity_search*``; embeddings' ``embed_*``.
- Only the model methods (``_generate``, ``_agenerate``, ``_stream``, ``_astream``)
  say ``reports_cost``: the core asks for usage only about those calls.
- ``run_manager`` arguments (the callback plumbing LangChain passes to ``_generate``,
  ``_get_relevant_documents``, ``_run``, ...) are left out of recorded ``args``; the
  ``config`` of ``invoke`` and friends is recorded with what the user set only
  (:mod:`spyglass.adapters.langchain._config`).
- LangGraph's ``ChannelWrite`` (a ``RunnableCallable`` that writes each node's
  output to the channels) is excluded (``exclude``): not a component, its calls not
  recorded. Edge routers are plain ``RunnableCallable`` objects like node bodies,
  so they are still recorded (at ``app.RunnableCallable``).
- Never the base-class defaults of the models: LangChain compares
  ``BaseChatModel._stream``/``_astream`` and ``BaseLLM._stream``/``_astream`` by
  identity to decide whether a model streams natively (a wrapper would make every
  model look like it does), and the default ``_agenerate`` of ``BaseChatModel``,
  ``SimpleChatModel`` and ``BaseLLM`` only runs ``_generate`` in a thread, so
  wrapping it would record (and count the tokens of) one request twice.
"""

from __future__ import annotations

from spyglass.core.plugins import CallKind, InstrumentSpec

from ._config import recorded_config
from ._paths import (
    CHANNEL_WRITE,
    CHAT_MODEL,
    EMBEDDINGS,
    LLM,
    OUTPUT_PARSER,
    PREGEL,
    PROMPT_TEMPLATE,
    RETRIEVER,
    RUNNABLE,
    RUNNABLE_CALLABLE,
    SIMPLE_CHAT_MODEL,
    TOOL,
    VECTOR_STORE,
)

__all__ = ["RUNNABLE_METHODS", "SPECS"]

RUNNABLE_METHODS = (
    "invoke",
    "ainvoke",
    "stream",
    "astream",
    "transform",
    "atransform",
    "batch",
    "abatch",
)

# LangChain's callback plumbing, passed to every model, retriever and tool call.
_PLUMBING = ("run_manager",)
# The Runnable entry points' config, recorded without LangChain's defaults and internals.
_CONFIG = (("config", recorded_config),)

_STUB_REASON = (
    "LangChain compares the base class's own _stream/_astream by identity to tell whether a "
    "model streams natively, or only re-runs _generate in a thread from it; only a concrete "
    "model's own definition is wrapped"
)
_THREAD_REASON = (
    "the default _agenerate only runs _generate in a thread; wrapping it would record one "
    "request twice"
)


def _model(
    base: str, methods: tuple[str, ...], kind: CallKind, skip_on: tuple[str, ...], reason: str
) -> InstrumentSpec:
    """A spec for a model's request methods: they report cost, and their ``run_manager``
    is left out; the base classes' own defaults (``skip_on``) are never wrapped."""
    return InstrumentSpec(
        base,
        methods,
        kind=kind,
        skip_defined_on=skip_on,
        reason=reason,
        omit_args=_PLUMBING,
        reports_cost=True,
    )


# The most specific specs first: where several match one object, the first names its kind.
SPECS: tuple[InstrumentSpec, ...] = (
    _model(
        CHAT_MODEL,
        ("_generate", "_stream", "_astream"),
        CallKind.CHAT_MODEL,
        (CHAT_MODEL,),
        _STUB_REASON,
    ),
    _model(
        CHAT_MODEL,
        ("_agenerate",),
        CallKind.CHAT_MODEL,
        (CHAT_MODEL, SIMPLE_CHAT_MODEL),
        _THREAD_REASON,
    ),
    _model(
        LLM, ("_generate", "_agenerate", "_stream", "_astream"), CallKind.LLM, (LLM,), _STUB_REASON
    ),
    InstrumentSpec(
        RETRIEVER,
        ("_get_relevant_documents", "_aget_relevant_documents"),
        kind=CallKind.RETRIEVER,
        omit_args=_PLUMBING,
    ),
    InstrumentSpec(TOOL, ("_run", "_arun"), kind=CallKind.TOOL, omit_args=_PLUMBING),
    InstrumentSpec(PREGEL, RUNNABLE_METHODS, kind=CallKind.GRAPH, arg_forms=_CONFIG),
    InstrumentSpec(
        RUNNABLE_CALLABLE,
        RUNNABLE_METHODS,
        kind=CallKind.GRAPH_NODE,
        arg_forms=_CONFIG,
        # Writes a node's output to the graph's channels after each node: plumbing.
        exclude=(CHANNEL_WRITE,),
    ),
    InstrumentSpec(PROMPT_TEMPLATE, RUNNABLE_METHODS, kind=CallKind.PROMPT, arg_forms=_CONFIG),
    InstrumentSpec(OUTPUT_PARSER, RUNNABLE_METHODS, kind=CallKind.PARSER, arg_forms=_CONFIG),
    InstrumentSpec(RUNNABLE, RUNNABLE_METHODS, kind=CallKind.CHAIN, arg_forms=_CONFIG),
    InstrumentSpec(
        VECTOR_STORE,
        (
            "similarity_search",
            "similarity_search_with_score",
            "similarity_search_with_relevance_scores",
            "similarity_search_by_vector",
            "asimilarity_search",
            "asimilarity_search_with_score",
            "asimilarity_search_with_relevance_scores",
            "asimilarity_search_by_vector",
        ),
        kind=CallKind.VECTOR_STORE,
    ),
    InstrumentSpec(
        EMBEDDINGS,
        ("embed_documents", "embed_query", "aembed_documents", "aembed_query"),
        kind=CallKind.EMBEDDING,
    ),
)
