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
from spyglass.core.plugins import resolve_class

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

# path -> class, weak: a class that goes away (a module reloaded) is resolved again.
_resolved: weakref.WeakValueDictionary[str, type] = weakref.WeakValueDictionary()


def loaded(path: str) -> type | None:
    """The class at ``path`` if its module is already imported, else ``None``."""
    found = _resolved.get(path)
    if found is not None:
        return found
    cls = resolve_class(path)
    if cls is not None:
        _resolved[path] = cls
    return cls


def is_instance(obj: Any, *paths: str) -> bool:
    """``isinstance(obj, <any class of paths>)``, for classes whose module is loaded."""
    for path in paths:
        cls = loaded(path)
        if cls is not None and isinstance(obj, cls):
            return True
    return False


def is_langchain_module(module_name: str) -> bool:
    """Whether a module belongs to LangChain or LangGraph (their code is not the user's)."""
    return module_name.startswith(("langchain", "langgraph", "langsmith"))
