"""Which children of a LlamaIndex object the component walk visits.

LlamaIndex keeps components on private attributes: plain classes (query engines,
retrievers, synthesizers, chat engines) in ``vars(obj)`` (``_retriever``,
``_response_synthesizer``, ``_node_postprocessors``), pydantic ones (LLMs,
embeddings, agents) in their fields and in ``__pydantic_private__``. So a
component's children are its plain attributes, its pydantic fields and its
pydantic private attributes, each at ``parent_path.<attribute name>``, lists as
``[i]`` and string-keyed dicts as ``[key]``; e.g. ``app._retriever._embed_model``,
``app._node_postprocessors[0]``.

The walk never goes into data: documents and nodes, index structures, document /
index / chat stores, storage contexts, vector-store contents, callback managers,
workflow contexts and events are never visited. Vector stores, memories, prompts
and node parsers are listed as components but not walked into. Objects of other
libraries found on a LlamaIndex object (HTTP clients, tokenizers, file systems)
are not followed either; the user's own objects are.

Classes are recognised by the ``module:QualName`` of the classes in their MRO, so
nothing here imports LlamaIndex; the verdict is cached per type.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
from typing import Any

from spyglass.core import Lens
from spyglass.core.plugins import ClassCache, class_path, instance_attributes, mro_match

from . import _classes as c

__all__ = ["children_of", "is_llama_type"]

# Never visited: they hold data, not components.
_DATA = frozenset(
    {
        c.BASE_NODE,
        c.NODE_WITH_SCORE,
        c.QUERY_BUNDLE,
        c.RELATED_NODE_INFO,
        c.MEDIA_RESOURCE,
        c.CHAT_MESSAGE,
        c.CHAT_RESPONSE,
        c.COMPLETION_RESPONSE,
        c.LLM_METADATA,
        c.RESPONSE,
        c.STREAMING_RESPONSE,
        c.ASYNC_STREAMING_RESPONSE,
        c.AGENT_CHAT_RESPONSE,
        c.STREAMING_AGENT_CHAT_RESPONSE,
        c.DOCUMENT_STORE,
        c.INDEX_STORE,
        c.KV_STORE,
        c.STORAGE_CONTEXT,
        c.CHAT_STORE,
        c.INDEX_STRUCT,
        c.GRAPH_STORE,
        c.PROPERTY_GRAPH_STORE,
        c.CALLBACK_MANAGER,
        c.PROMPT_HELPER,
        c.TOOL_OUTPUT,
        c.TOOL_METADATA,
        c.EVENT,
        c.WORKFLOW_CONTEXT,
        c.WORKFLOW_HANDLER,
    }
)

# Listed as components, never walked into (contents, clients, templates).
_LEAVES = frozenset(
    {c.PYDANTIC_VECTOR_STORE, c.VECTOR_STORE, c.MEMORY, c.PROMPT, c.TRANSFORM_COMPONENT}
)

# Walked after their siblings: a retriever's own `_embed_model` and `_vector_store`
# then get the short path (`app._retriever._embed_model`), not one through its index.
_LAST = frozenset({c.INDEX})

# Attribute names that hold bookkeeping, never components.
_SKIP_NAMES = frozenset(
    {"callback_manager", "_callback_manager", "object_map", "_object_map", "_kwargs"}
)

# Other libraries whose objects LlamaIndex components hold (clients, tokenizers, file
# systems): not the user's components, so not followed.
_FOREIGN = frozenset(
    {
        "anyio",
        "asyncio",
        "concurrent",
        "fsspec",
        "httpx",
        "logging",
        "networkx",
        "nltk",
        "numpy",
        "openai",
        "pandas",
        "pydantic",
        "queue",
        "sqlalchemy",
        "tenacity",
        "threading",
        "tiktoken",
        "tokenizers",
        "transformers",
        "weakref",
        "wrapt",
    }
)

_MAX_ITEMS = 64  # list / dict entries looked at per attribute

_DATA_V, _LEAF_V, _WALK_V, _OTHER_V = "data", "leaf", "walk", "other"
_SCALARS = (str, bytes, int, float, bool, type(None))
_NOT_OBJECTS = (type, types.ModuleType, functools.partial)


def _verdict_of(cls: type) -> str:
    verdict = _OTHER_V
    for klass in cls.__mro__:
        path = class_path(klass)
        if path in _DATA:
            return _DATA_V
        if path in _LEAVES:
            return _LEAF_V
        if verdict == _OTHER_V and klass.__module__.startswith(c.MODULE_PREFIXES):
            verdict = _WALK_V  # keep looking: a data / leaf base decides first
    return verdict


# Per class: what the walk does with its objects, and whether they are walked last.
_verdict = ClassCache(_verdict_of)
_goes_last = ClassCache(lambda cls: mro_match(cls, _LAST) is not None)


def is_llama_type(cls: type) -> bool:
    """Whether ``cls`` is a LlamaIndex class or derives from one."""
    verdict = _verdict.by_id.get(id(cls))  # without a Python call, for classes seen before
    return (verdict if verdict is not None else _verdict[cls]) != _OTHER_V


def _followed(value: Any) -> bool:
    """Whether the walk should visit ``value`` found on a LlamaIndex object."""
    if isinstance(value, _SCALARS) or inspect.isroutine(value) or isinstance(value, _NOT_OBJECTS):
        return False
    cls = type(value)
    verdict = _verdict[cls]
    if verdict == _DATA_V:
        return False
    if verdict != _OTHER_V:
        return True
    module = cls.__module__
    if module == "builtins":
        return False
    top = module.partition(".")[0]
    return top not in _FOREIGN and top not in sys.stdlib_module_names


def children_of(obj: Any) -> list[tuple[Lens, Any]] | None:
    """The walk's children of ``obj`` if it is a LlamaIndex object, else ``None``.

    Returns ``[]`` for data and for components that are not walked into.
    """
    verdict = _verdict[type(obj)]
    if verdict == _OTHER_V:
        return None
    if verdict != _WALK_V:
        return []
    # Workflow internals (runtime, locks, step registry) sit on private names; a
    # workflow's components are its public attributes and pydantic fields.
    public_only = c.is_a(type(obj), c.WORKFLOW)
    found: list[tuple[Lens, Any]] = []
    later: list[tuple[Lens, Any]] = []
    for name, value in instance_attributes(obj):
        if name in _SKIP_NAMES or public_only and name.startswith("_"):
            continue
        if isinstance(value, (list, tuple)):
            found.extend(
                (Lens()[name][i], item)
                for i, item in enumerate(value[:_MAX_ITEMS])
                if _followed(item)
            )
        elif isinstance(value, dict):
            found.extend(
                (Lens()[name][key], item)
                for key, item in list(value.items())[:_MAX_ITEMS]
                if isinstance(key, str) and _followed(item)
            )
        elif _followed(value):
            (later if _goes_last[type(value)] else found).append((Lens()[name], value))
    return found + later
