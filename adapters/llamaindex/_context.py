"""Where the retrieved context of a LlamaIndex app is in its records (``select_context``).

- A query engine or a chat engine: its root call returns a response whose
  ``source_nodes`` are the retrieved nodes, so the context is
  ``Select.RecordCall.rets.source_nodes[:].node.text`` — the same lens for both
  (TruLens's ``TruLlama.select_context``), and for streamed responses too (their
  call returns the completed response, see :mod:`._stream`).
- A retriever: its root call returns the nodes:
  ``Select.RecordCall.rets[:].node.text``.
- Anything else (a workflow, an agent): the one retriever the component walk finds,
  at ``Select.RecordCalls.<its path>.retrieve.rets[:].node.text``; none or several
  raise :class:`~spyglass.core.SelectorError` naming what was found.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from spyglass.core import Lens, Select, SelectorError

from . import _classes as c
from ._walk import children_of, is_llama_type

__all__ = ["select_context_of", "select_source_nodes_of"]

_MAX_VISITS = 2_000


def _retrievers(app: Any) -> list[Lens]:
    """Paths (from ``app``) of the retrievers the walk reaches, outermost first."""
    found: list[Lens] = []
    seen = {id(app)}
    todo: deque[tuple[Lens, Any]] = deque([(Lens(), app)])
    while todo and len(seen) < _MAX_VISITS:
        path, obj = todo.popleft()
        if path and c.is_a(type(obj), c.RETRIEVER):
            found.append(path)
            continue  # a retriever's own retrievers are its business
        for step, child in children_of(obj) or ():
            if id(child) not in seen:
                seen.add(id(child))
                todo.append((path + step, child))
    return found


def select_source_nodes_of(app: Any) -> Lens | None:
    """The lens to the retrieved ``NodeWithScore`` objects of an engine's root call."""
    if c.is_a(type(app), c.QUERY_ENGINE, c.CHAT_ENGINE):
        return Select.RecordCall.rets.source_nodes[:]
    if c.is_a(type(app), c.RETRIEVER):
        return Select.RecordCall.rets[:]
    return None


def select_context_of(app: Any) -> Lens | None:
    """The lens to the retrieved context's text, or ``None`` if ``app`` is not LlamaIndex's.

    Raises:
        SelectorError: a LlamaIndex app in which no single retriever is found.
    """
    if not is_llama_type(type(app)):
        return None
    nodes = select_source_nodes_of(app)
    if nodes is not None:
        return nodes.node.text
    paths = _retrievers(app)
    kind = type(app).__name__
    if len(paths) == 1:
        return Select.RecordCalls + paths[0] + Lens().retrieve.rets[:].node.text
    if not paths:
        raise SelectorError(
            f"Cannot find a retriever in this {kind}: its retrievers are made per call, so "
            "their path is only known from a record. Select the context yourself, e.g. "
            "Select.RecordCalls.<path>.retrieve.rets[:].node.text, reading the path from "
            "record.layout_calls_as_app()."
        )
    listed = ", ".join(f"`{Select.RecordCalls + p}`" for p in paths)
    raise SelectorError(
        f"This {kind} has {len(paths)} retrievers ({listed}); select the context of one: "
        "Select.RecordCalls.<path>.retrieve.rets[:].node.text"
    )
