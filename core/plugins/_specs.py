"""What an adapter declares about itself and about the framework it instruments.

These are plain, frozen data. An adapter returns them from its hooks
(:mod:`spyglass.core.plugins.hookspecs`); the core reads them. Classes are named by
*path* strings (``"langchain_core.runnables.base:Runnable"``, or the dotted
``"langchain_core.runnables.base.Runnable"``) and resolved lazily, only once
their module has been imported by the user's app, so an adapter never imports
a framework that is not installed or not in use.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["OMIT", "AdapterInfo", "CallKind", "InstrumentSpec"]


class CallKind(str, enum.Enum):
    """What an instrumented component is: one vocabulary for every adapter.

    ``print_instrumented`` shows it, and exporters map it to their span kinds
    (OpenInference's ``LLM``, ``RETRIEVER``, ``TOOL``, ...). A member compares equal
    to its value, so ``CallKind.RETRIEVER == "retriever"``.
    """

    LLM = "llm"
    CHAT_MODEL = "chat model"
    RETRIEVER = "retriever"
    EMBEDDING = "embedding"
    RERANKER = "reranker"
    TOOL = "tool"
    AGENT = "agent"
    CHAIN = "chain"
    PROMPT = "prompt"
    PARSER = "parser"
    GRAPH = "graph"
    GRAPH_NODE = "graph node"
    QUERY_ENGINE = "query_engine"
    CHAT_ENGINE = "chat_engine"
    SYNTHESIZER = "synthesizer"
    WORKFLOW = "workflow"
    WORKFLOW_STEP = "step"
    VECTOR_STORE = "vector store"
    CUSTOM = "custom"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def _missing_(cls, value: object) -> CallKind:
        valid = ", ".join(repr(k.value) for k in cls)
        raise ValueError(
            f"{value!r} is not a CallKind; use one of {valid} (CallKind.CUSTOM if none fits)"
        )


class _Omit:
    """The type of `OMIT`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = _Omit()
"""Returned by an ``InstrumentSpec.arg_forms`` function: leave the parameter out."""


@dataclass(frozen=True)
class AdapterInfo:
    """Who an adapter is and which framework versions it supports.

    Attributes:
        name: short adapter name, as listed in ``SPYGLASS_DISABLE_ADAPTERS``
            (``"langchain"``, ``"llamaindex"``, ``"custom"``).
        requires: requirement strings (PEP 508, e.g. ``"langchain-core>=1.0,<2"``)
            that must all be installed for the adapter to be active. A missing
            distribution makes the adapter inactive without a warning; an installed
            one outside the range gives one warning and the adapter is skipped.
        optional: requirement strings for distributions the adapter also supports
            when present (e.g. ``"langgraph>=1.0,<2"``); one outside its range gives
            one warning but does not disable the adapter.
        description: one line for ``print_instrumented`` and error messages.
    """

    name: str
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class InstrumentSpec:
    """Which methods of which class to instrument, declared as data.

    For every object the walk reaches whose class has ``class_path`` in its MRO,
    each name in ``methods`` is wrapped on the class that *defines* it (the first
    class in the object's MRO with the name in its ``__dict__``), once per
    ``(class, method)``.

    Attributes:
        class_path: the class, as ``"module:QualName"`` or ``"module.QualName"``, or
            the class object itself (for user classes, e.g. from ``@instrument``).
        methods: method names to wrap.
        kind: what such a component is, a `CallKind` (its value, such as
            ``"retriever"``, is accepted too); shown by ``print_instrumented`` and
            read by exporters.
        skip_defined_on: class paths whose *own* definition of a listed method must
            never be wrapped, because the framework compares it by identity
            (LangChain's ``BaseChatModel._stream``). The method is still wrapped on
            concrete subclasses that override it. Reported as skipped, with ``reason``.
        reason: why ``skip_defined_on`` applies, for ``instrumented()``.
        eager: also wrap the methods on ``class_path`` itself and on its already
            imported subclasses when a recorder is built, even if the walk reaches
            no instance: for objects a framework creates per call.
        omit_args: parameter names of these methods that are framework plumbing
            (LangChain's ``run_manager``), left out of the recorded ``args``.
        arg_forms: ``(parameter name, function)`` pairs: the recorded value of that
            parameter is ``function(value)`` (LangChain's ``config`` without its
            callback plumbing and defaults), or the parameter is left out when the
            function returns `OMIT`. Applied when the record is built, to the value
            the call got; a function that raises leaves the value as it was.
        reports_cost: calls of these methods report usage (a model's request); the
            core asks ``spyglass_call_cost`` for them, and only for them.
        exclude: class paths of framework plumbing that shares wrapped methods with
            real components (LangGraph's ``ChannelWrite`` is a ``RunnableCallable``):
            their instances are never components and their calls are never
            recorded; calls made inside them attach to the nearest recorded caller.
            Applies to every recorder, whichever spec declares it.
        adapter: the adapter's name; filled in by the registry if left empty.
    """

    class_path: str | type
    methods: tuple[str, ...]
    kind: CallKind = CallKind.CUSTOM
    skip_defined_on: tuple[str, ...] = ()
    reason: str = ""
    eager: bool = False
    omit_args: tuple[str, ...] = ()
    arg_forms: tuple[tuple[str, Callable[[Any], Any]], ...] = ()
    reports_cost: bool = False
    exclude: tuple[str, ...] = ()
    adapter: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # A kind given as its value ("retriever") becomes the member; a typo fails here,
        # naming the valid kinds, instead of reaching exporters as an unknown kind.
        if not isinstance(self.kind, CallKind):
            object.__setattr__(self, "kind", CallKind(self.kind))
