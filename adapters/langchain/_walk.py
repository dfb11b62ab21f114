"""The children of LangChain and LangGraph objects, for the walk that finds components.

Answers the ``spyglass_component_children`` hook. A child is a *component* (a
``Runnable``, a ``VectorStore`` or an ``Embeddings``), found in:

- declared pydantic fields, in declaration order (``first``, ``middle[1]``, ``last``;
  ``steps__.context``; ``bound``; ``branches[0][1]``; ``runnable``/``fallbacks[0]``);
- pydantic private attributes and plain attributes (``RunnableLambda``,
  ``InMemoryVectorStore.embedding``, ``ToolNode.tools_by_name.get_weather``);
- a compiled LangGraph graph's nodes, at ``nodes.<node name>`` (the node's body;
  LangGraph's own plumbing, the ``__start__`` node and channel writers, is left out);
- the closures of functions held by components (a ``RunnableLambda``'s function, a
  graph node's function, a ``StructuredTool``'s function): their free variables and
  the globals they name, when those are components (or lists, tuples or dicts of
  components), at ``<holder path>.<variable name>``; functions they call in turn are
  followed the same way, two levels deep. A bound method's ``__self__`` counts as the
  attribute's value.

Nothing else is followed: documents, vector-store contents, clients, callbacks and
configuration are data, not components. Properties are never evaluated and no user
code is called (values are read from ``__dict__``).
"""

from __future__ import annotations

import functools
import inspect
import logging
import types
from collections.abc import Iterator
from typing import Any

from spyglass.core import Lens
from spyglass.core.plugins import instance_attributes

from . import _framework as fw

__all__ = ["children", "is_component"]

logger = logging.getLogger(__name__)

# Functions met through closures are followed this many levels deep (node -> helper).
_FUNCTION_DEPTH = 2
# Containers are searched this deep for components (a list of (condition, runnable) tuples).
_CONTAINER_DEPTH = 3
# Graph nodes that are LangGraph's own plumbing, not the user's.
_PLUMBING_NODES = frozenset({"__start__"})


def is_component(obj: Any) -> bool:
    """Whether ``obj`` is a LangChain component the adapter instruments."""
    return fw.is_instance(obj, *fw.COMPONENT_BASES)


def children(obj: Any) -> list[tuple[Lens, Any]] | None:
    """The component children of a LangChain object, or ``None`` if it is not one.

    Args:
        obj: an object met by the walk.

    Returns:
        ``(relative lens, child)`` pairs in a stable order, or ``None`` for objects of
        other frameworks (the core's default walk, or another adapter, handles them).
    """
    if fw.is_instance(obj, fw.PREGEL):
        return list(_graph_nodes(obj))
    if fw.is_instance(obj, fw.PREGEL_NODE):
        bound = _attribute(obj, "bound")
        return [(Lens()["bound"], bound)] if is_component(bound) else []
    if not is_component(obj):
        return None
    found: list[tuple[Lens, Any]] = []
    for name, value in _attributes(obj):
        found.extend(_components_in(Lens()[name], value, _CONTAINER_DEPTH, _FUNCTION_DEPTH))
    return found


def _graph_nodes(graph: Any) -> Iterator[tuple[Lens, Any]]:
    nodes = _attribute(graph, "nodes")
    if not isinstance(nodes, dict):
        return
    for name, node in nodes.items():
        if not isinstance(name, str) or name in _PLUMBING_NODES:
            continue
        # The node body stands for the node: `app.nodes.retrieve`, not `...retrieve.bound`.
        bound = _attribute(node, "bound") if fw.is_instance(node, fw.PREGEL_NODE) else node
        if is_component(bound):
            yield Lens()["nodes"][name], bound


def _attribute(obj: Any, name: str) -> Any:
    """``obj.name`` read from its ``__dict__`` (no properties, no ``__getattr__``)."""
    try:
        return vars(obj).get(name)
    except TypeError:
        return None


def _attributes(obj: Any) -> Iterator[tuple[str, Any]]:
    """Declared fields first (in order), then private and plain attributes; no dunders."""
    for name, value in instance_attributes(obj):
        if not name.startswith("__"):
            yield name, value


def _components_in(
    lens: Lens, value: Any, container_depth: int, function_depth: int
) -> Iterator[tuple[Lens, Any]]:
    """Components in one attribute value: itself, container items, function closures."""
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return
    if is_component(value):
        yield lens, value
        return
    if isinstance(value, (list, tuple)):
        if container_depth > 0:
            for i, item in enumerate(value):
                yield from _components_in(lens[i], item, container_depth - 1, function_depth)
        return
    if isinstance(value, dict):
        if container_depth > 0:
            for key, item in value.items():
                if isinstance(key, str):
                    yield from _components_in(lens[key], item, container_depth - 1, function_depth)
        return
    if function_depth > 0:
        yield from _closure_components(lens, value, function_depth)


def _closure_components(lens: Lens, value: Any, function_depth: int) -> Iterator[tuple[Lens, Any]]:
    """Components a function reaches through its closure cells and named globals.

    They are placed on the component that holds the function, named by variable
    (``app.nodes.retrieve.retriever``), whatever attribute holds the function.
    """
    if isinstance(value, types.MethodType):
        owner = value.__self__
        if is_component(owner):
            yield lens, owner
        return
    if isinstance(value, functools.partial):
        yield from _closure_components(lens, value.func, function_depth)
        for i, arg in enumerate(value.args):
            yield from _components_in(lens[i], arg, 1, 0)
        return
    if not isinstance(value, types.FunctionType) or fw.is_langchain_module(
        getattr(value, "__module__", None) or ""
    ):
        return
    base = Lens()
    try:
        found = inspect.getclosurevars(value)
    except Exception:  # a function whose code cannot be inspected: no closure to follow
        logger.debug("spyglass cannot read the closure of %r", value, exc_info=True)
        return
    for scope in (found.nonlocals, found.globals):
        for name, item in scope.items():
            if isinstance(item, (types.ModuleType, type)):
                continue
            if isinstance(item, (types.FunctionType, functools.partial)):
                if function_depth > 1:
                    yield from _closure_components(base[name], item, function_depth - 1)
                continue
            yield from _components_in(base[name], item, _CONTAINER_DEPTH, 0)
