"""TruLens OTEL-mode arguments of ``@instrument``: ``span_type=`` and ``attributes=``.

Kept apart from the ``@instrument`` registry (:mod:`._instrument`), which only records
*which* methods are marked; this module records, for the methods marked with these
arguments:

- ``span_type``: what the component is. It becomes the call's kind (a
  `spyglass.core.CallKind`), which ``print_instrumented`` shows and exporters map to
  span kinds. TruLens's ``SpanType`` values are accepted (``"retrieval"``,
  ``"generation"``, ...; ``spyglass.otel.semconv.trace.SpanType``), and so are
  ``CallKind`` members and values.
- ``attributes``: ``(ret, exception, *args, **kwargs) -> dict`` or TruLens's dict
  ``{attribute name: parameter name or "return"}``. It is evaluated on the recorded call
  (its JSON arguments and return value), off the app's thread, when an exporter writes
  the call (``spyglass.otel``); what it returns is set on the call's span. A callable
  that raises, or a parameter name the method does not have, is logged once and
  skipped; it never reaches the app (TruLens raised ``KeyError`` from the user's call).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from spyglass.core import CallKind

__all__ = [
    "kind_of_span_type",
    "mark_span",
    "span_attributes",
    "span_kind",
    "span_of",
    "span_type_kind",
]

logger = logging.getLogger(__name__)

# TruLens SpanType values (1.x and 2.x) -> CallKind
_SPAN_TYPES: dict[str, CallKind] = {
    "unknown": CallKind.CUSTOM,
    "record_root": CallKind.CUSTOM,
    "retrieval": CallKind.RETRIEVER,
    "reranking": CallKind.RERANKER,
    "generation": CallKind.LLM,
    "embedding": CallKind.EMBEDDING,
    "tool": CallKind.TOOL,
    "tool_invocation": CallKind.TOOL,
    "agent": CallKind.AGENT,
    "agent_invocation": CallKind.AGENT,
    "graph_node": CallKind.GRAPH_NODE,
    "graph_task": CallKind.GRAPH_NODE,
    "workflow_step": CallKind.WORKFLOW_STEP,
}

Attributes = Callable[..., Any] | Mapping[str, str]

# class -> {method name: (kind or None, attributes or None)}; weak, as the main registry.
_marks: weakref.WeakKeyDictionary[type, dict[str, tuple[CallKind | None, Attributes | None]]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()
_failed: set[tuple[str, str]] = set()


def kind_of_span_type(span_type: object) -> CallKind:
    """The `CallKind` of a TruLens span type, or of a ``CallKind`` (or its value).

    Raises:
        ValueError: neither; the message lists what is accepted.
    """
    value = getattr(span_type, "value", span_type)
    if isinstance(value, str) and value in _SPAN_TYPES:
        return _SPAN_TYPES[value]
    try:
        return CallKind(value)
    except ValueError:
        raise ValueError(
            f"@instrument(span_type={span_type!r}): not a span type; use a SpanType "
            f"({', '.join(sorted(_SPAN_TYPES))}) or a CallKind"
        ) from None


def check_attributes(attributes: object) -> Attributes | None:
    """``attributes`` if it is a callable or a dict of str to str, else a TypeError."""
    if attributes is None or callable(attributes):
        return attributes
    if isinstance(attributes, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        return dict(attributes)
    raise TypeError(
        f"@instrument(attributes={attributes!r}): give a callable "
        "(ret, exception, *args, **kwargs) -> dict, or a dict {attribute: parameter name or "
        "'return'}"
    )


def span_of(span_type: object, attributes: object) -> tuple[CallKind | None, Any] | None:
    """``(kind, attributes)`` for ``@instrument(span_type=..., attributes=...)``, checked;
    ``None`` when neither is given.

    Raises:
        ValueError: an unknown span type.
        TypeError: ``attributes`` is neither a callable nor a dict of str.
    """
    if span_type is None and attributes is None:
        return None
    kind = None if span_type is None else kind_of_span_type(span_type)
    return kind, check_attributes(attributes)


def mark_span(cls: type, name: str, kind: CallKind | None, attributes: Attributes | None) -> None:
    """Remember the span type (as a kind) and the attributes of ``cls.name``."""
    with _lock:
        _marks.setdefault(cls, {})[name] = (kind, attributes)
        _found.clear()


def span_kind(cls: type, name: str) -> CallKind | None:
    """The kind ``cls.name`` was marked with (``span_type=``), if any."""
    with _lock:
        return _marks.get(cls, {}).get(name, (None, None))[0]


# (module, qualname, method, field) -> what _find answered; emptied when a mark is added.
_found: dict[tuple[str, str, str, int], Any] = {}


def _find(module: str, qualname: str, name: str, field: int) -> Any:
    key = (module, qualname, name, field)
    if key in _found:
        return _found[key]
    answer = None
    with _lock:
        for cls, methods in list(_marks.items()):
            entry = methods.get(name)
            if entry is None or entry[field] is None:
                continue
            # The recorded class is the one defining the method: the marked class or a base.
            if any(c.__module__ == module and c.__qualname__ == qualname for c in cls.__mro__):
                answer = entry[field]
                break
        _found[key] = answer
    return answer


def span_type_kind(module: str, qualname: str, name: str) -> CallKind | None:
    """The kind ``@instrument(span_type=...)`` gave the method ``qualname.name`` of
    ``module`` (as a record names it: the class defining the method), if any.

    Exporters ask this first: a span type names one method, while a component's kind
    comes from the first mark of its class.
    """
    kind: CallKind | None = _find(module, qualname, name, 0)
    return kind


def span_attributes(
    module: str, qualname: str, name: str, args: Any, rets: Any, error: str | None
) -> dict[str, Any] | None:
    """The attributes ``@instrument(attributes=...)`` gives a recorded call of ``qualname.name``.

    Args:
        module, qualname: the class that defines the method (as the record names it).
        name: the method.
        args: the call's recorded arguments (parameter name -> JSON value).
        rets: its recorded return value.
        error: its error message, if it raised.

    Returns:
        The attributes, or ``None`` when the method has none (or they failed; logged once).
    """
    spec = _find(module, qualname, name, 1)
    if spec is None:
        return None
    kwargs = args if isinstance(args, dict) else {}
    try:
        if callable(spec):
            exception = RuntimeError(error) if error is not None else None
            positional = args if isinstance(args, list) else []
            result = spec(rets, exception, *positional, **kwargs)
        else:
            result = {
                attribute: rets if param == "return" else kwargs[param]
                for attribute, param in spec.items()
            }
        if not isinstance(result, Mapping):
            raise TypeError(f"it returned {type(result).__name__}, not a dict")
        return dict(result)
    except Exception as exc:  # noqa: BLE001 - a user's callable never breaks an export
        key = (f"{module}.{qualname}", name)
        if key not in _failed:
            _failed.add(key)
            logger.warning(
                "spyglass: the attributes of @instrument on %s.%s failed (%r); the call is "
                "exported without them (logged once per method)",
                qualname,
                name,
                exc,
            )
        return None
