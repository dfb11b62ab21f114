"""The one place that imports LangChain (``langchain_core``) and LangGraph.

Importing this module imports ``langchain_core`` and its ``Runnable``, or raises
:class:`~spyglass.core.MissingDependencyError` with the ``pip install`` line.
Every other class the adapter tests against is looked up in ``sys.modules`` by
:func:`loaded`, never imported: an object of a class cannot exist before its module
is imported, so an ``isinstance`` test against a class whose module is not loaded
is answered ``False`` without paying for the import (``langgraph`` alone takes a
second to import).
"""

from __future__ import annotations

import weakref
from typing import Any

from spyglass.core import MissingDependencyError
from spyglass.core.plugins import ClassCache, resolve_class

from ._paths import (
    AI_MESSAGE,
    BASE_MESSAGE,
    CHAT_MODEL,
    COMPONENT_BASES,
    DOCUMENT,
    EMBEDDINGS,
    LLM,
    PREGEL,
    PREGEL_NODE,
    PROMPT_VALUE,
    RETRIEVER,
    RUNNABLE,
    VECTOR_STORE,
)

try:
    import langchain_core
    from langchain_core.runnables.base import Runnable
    from langchain_core.vectorstores import VectorStoreRetriever  # loaded with Runnable anyway
except ImportError as exc:  # pragma: no cover - the adapter's tests need langchain_core
    raise MissingDependencyError(
        "spyglass's LangChain adapter (TruChain) needs langchain-core 1.x; install it with "
        "`pip install 'spyglass[langchain]'`"
    ) from exc

__all__ = [
    "AI_MESSAGE",
    "BASE_MESSAGE",
    "CHAT_MODEL",
    "COMPONENT_BASES",
    "DOCUMENT",
    "EMBEDDINGS",
    "LLM",
    "PREGEL",
    "PREGEL_NODE",
    "PROMPT_VALUE",
    "RETRIEVER",
    "RUNNABLE",
    "VECTOR_STORE",
    "Runnable",
    "VectorStoreRetriever",
    "is_instance",
    "is_langchain_module",
    "langchain_core",
    "loaded",
]

# path -> a weak reference to its class: a class that goes away (a module reloaded) is
# resolved again. Plain dict reads and calls of the reference: `loaded` runs several times
# per record build.
_resolved: dict[str, weakref.ref[type]] = {}


def loaded(path: str) -> type | None:
    """The class at ``path`` if its module is already imported, else ``None``."""
    ref = _resolved.get(path)
    if ref is not None:
        found = ref()
        if found is not None:
            return found
    cls = resolve_class(path)
    if cls is not None:
        _resolved[path] = weakref.ref(cls)
    return cls


# class -> {path: whether the class derives from the class at path}. LangChain's bases
# are ABCs, whose isinstance runs Python code on every call; the record build asks
# several times per record.
_derives: ClassCache[dict[str, bool]] = ClassCache(lambda cls: {})


def is_instance(obj: Any, *paths: str) -> bool:
    """``isinstance(obj, <any class of paths>)``, for classes whose module is loaded."""
    cls = type(obj)
    if cls is not obj.__class__:  # a proxy that reports another class: ask isinstance
        return any((base := loaded(path)) is not None and isinstance(obj, base) for path in paths)
    verdicts = _derives.by_id.get(id(cls))
    if verdicts is None:
        verdicts = _derives[cls]
    for path in paths:
        verdict = verdicts.get(path)
        if verdict is None:
            base = loaded(path)
            if base is None:
                continue  # not imported yet: no object can be one (not kept: it may be later)
            verdict = verdicts[path] = issubclass(cls, base)
        if verdict:
            return True
    return False


def is_langchain_module(module_name: str) -> bool:
    """Whether a module belongs to LangChain or LangGraph (their code is not the user's)."""
    return module_name.startswith(("langchain", "langgraph", "langsmith"))
