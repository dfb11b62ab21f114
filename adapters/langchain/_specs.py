"""What the LangChain adapter instruments, declared as data.

Each :class:`~spyglass.core.adapter.InstrumentSpec` names a LangChain base class by
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
  user-facing ``config`` of ``invoke`` and friends is kept.
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

from spyglass.core.adapter import InstrumentSpec

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

_BASE_CHAT = "langchain_core.language_models.chat_models:BaseChatModel"
_SIMPLE_CHAT = "langchain_core.language_models.chat_models:SimpleChatModel"
_BASE_LLM = "langchain_core.language_models.llms:BaseLLM"
_CHANNEL_WRITE = "langgraph.pregel._write:ChannelWrite"

# LangChain's callback plumbing, passed to every model, retriever and tool call.
_PLUMBING = ("run_manager",)

_STUB_REASON = (
    "LangChain compares the base class's own {names} by identity to tell whether a model "
    "streams natively, or only re-runs _generate in a thread from it; only a concrete "
    "model's own definition is wrapped"
)

# The most specific specs first: where several match one object, the first names its kind.
SPECS: tuple[InstrumentSpec, ...] = (
    InstrumentSpec(
        _BASE_CHAT,
        ("_generate", "_stream", "_astream"),
        kind="chat model",
        skip_defined_on=(_BASE_CHAT,),
        reason=_STUB_REASON.format(names="_stream/_astream"),
        omit_args=_PLUMBING,
        reports_cost=True,
    ),
    InstrumentSpec(
        _BASE_CHAT,
        ("_agenerate",),
        kind="chat model",
        skip_defined_on=(_BASE_CHAT, _SIMPLE_CHAT),
        reason="the default _agenerate only runs _generate in a thread; wrapping it would "
        "record one request twice",
        omit_args=_PLUMBING,
        reports_cost=True,
    ),
    InstrumentSpec(
        _BASE_LLM,
        ("_generate", "_agenerate", "_stream", "_astream"),
        kind="llm",
        skip_defined_on=(_BASE_LLM,),
        reason=_STUB_REASON.format(names="_stream/_astream"),
        omit_args=_PLUMBING,
        reports_cost=True,
    ),
    InstrumentSpec(
        "langchain_core.retrievers:BaseRetriever",
        ("_get_relevant_documents", "_aget_relevant_documents"),
        kind="retriever",
        omit_args=_PLUMBING,
    ),
    InstrumentSpec(
        "langchain_core.tools.base:BaseTool", ("_run", "_arun"), kind="tool", omit_args=_PLUMBING
    ),
    InstrumentSpec("langgraph.pregel.main:Pregel", RUNNABLE_METHODS, kind="graph"),
    InstrumentSpec(
        "langgraph._internal._runnable:RunnableCallable",
        RUNNABLE_METHODS,
        kind="graph node",
        # Writes a node's output to the graph's channels after each node: plumbing.
        exclude=(_CHANNEL_WRITE,),
    ),
    InstrumentSpec(
        "langchain_core.prompts.base:BasePromptTemplate", RUNNABLE_METHODS, kind="prompt"
    ),
    InstrumentSpec(
        "langchain_core.output_parsers.base:BaseOutputParser", RUNNABLE_METHODS, kind="parser"
    ),
    InstrumentSpec("langchain_core.runnables.base:Runnable", RUNNABLE_METHODS, kind="runnable"),
    InstrumentSpec(
        "langchain_core.vectorstores.base:VectorStore",
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
        kind="vector store",
    ),
    InstrumentSpec(
        "langchain_core.embeddings.embeddings:Embeddings",
        ("embed_documents", "embed_query", "aembed_documents", "aembed_query"),
        kind="embedding",
    ),
)
