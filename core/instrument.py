"""The wrap table: which class methods spyglass has wrapped, and how to undo it.

A method is wrapped **on the class that defines it** (``cls.__dict__[name]``), once
per ``(class, name)``, with one :class:`wrapt.FunctionWrapper` whose wrapper has the
usual ``(wrapped, instance, args, kwargs)`` signature. The wrapper reads one context
variable; when no recording is active in the current context it calls straight
through, so an instrumented class costs next to nothing outside recordings. The
patch is shared by every recorder (and idempotent): nothing else is mutated per
recorder.

wrapt keeps what the framework checks at run time: ``inspect.signature``,
``inspect.iscoroutinefunction``, ``isgeneratorfunction`` and ``isasyncgenfunction``
answer as for the original. Identity does not survive a patch (``cls.m is f``
becomes false), which is why adapters list base-class stubs compared by identity in
``InstrumentSpec.skip_defined_on``.

Supported: plain functions defined in a class body, sync or async, generators and
async generators, on plain and pydantic classes. Not wrapped (reported as skipped,
with the reason): ``staticmethod``/``classmethod`` objects, properties and any other
descriptor, and builtins.

:func:`unwrap` / :func:`uninstrument` put the identical original object back
(``cls.__dict__[name] is original``).
"""

from __future__ import annotations

import logging
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import wrapt

from spyglass.core import recording

__all__ = [
    "WrappedMethod",
    "is_wrapped",
    "uninstrument",
    "unwrap",
    "unwrap_all",
    "why_not_wrappable",
    "wrap_method",
    "wrapped_methods",
]

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class WrappedMethod:
    """One entry of the wrap table: a method spyglass wrapped on its defining class.

    Attributes:
        cls: the class whose ``__dict__`` holds the wrapper.
        name: the method's name.
        original: the object that was in ``cls.__dict__[name]`` (restored on unwrap).
        wrapper: the ``wrapt.FunctionWrapper`` installed in its place.
        kind: what the component is (from the ``InstrumentSpec``), e.g. ``"retriever"``.
        adapter: the adapter that asked for it.
        site: the per-method data the recording logic reads (signature cache, ...).
    """

    cls: type
    name: str
    original: Any
    wrapper: Any
    kind: str
    adapter: str
    site: recording.CallSite = field(repr=False)


_lock = threading.RLock()
_table: dict[tuple[type, str], WrappedMethod] = {}


def _make_wrapper(site: recording.CallSite) -> Callable[..., Any]:
    """The wrapt wrapper for one method: one context-variable read, one branch."""
    current = recording.current_state
    record = recording.record_call

    def spyglass_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        state = current()
        if state is None:
            return wrapped(*args, **kwargs)
        return record(site, state, wrapped, instance, args, kwargs)

    return spyglass_wrapper


def why_not_wrappable(cls: type, name: str) -> str | None:
    """Say why ``cls.__dict__[name]`` cannot be wrapped, or ``None`` if it can.

    Args:
        cls: the class that defines the method.
        name: the method's name.
    """
    try:
        value = cls.__dict__[name]
    except (KeyError, AttributeError, TypeError):
        return f"{_qualname(cls)} does not define {name!r} itself"
    if isinstance(value, wrapt.FunctionWrapper):
        return None  # ours (idempotent) or someone else's wrapt wrapper: wrap_method decides
    if isinstance(value, staticmethod):
        return "staticmethods are not instrumented (no instance to place the call at)"
    if isinstance(value, classmethod):
        return "classmethods are not instrumented (no instance to place the call at)"
    if isinstance(value, property):
        return "properties are not instrumented"
    if not isinstance(value, types.FunctionType):
        return f"{type(value).__name__} objects are not instrumented (only plain functions)"
    return None


def wrap_method(cls: type, name: str, kind: str = "component", adapter: str = "") -> bool:
    """Wrap ``cls.__dict__[name]`` for recording, once.

    Args:
        cls: the class that defines the method (first in the MRO with the name in
            its ``__dict__``). Wrap on the defining class, never on a subclass that
            merely inherits the method.
        name: the method's name.
        kind: what such a component is, shown by ``print_instrumented``.
        adapter: the adapter that asked for it.

    Returns:
        ``True`` if the method is wrapped now (also when it already was), ``False``
        when it cannot be wrapped (see :func:`why_not_wrappable`; logged at DEBUG).
    """
    key = (cls, name)
    with _lock:
        entry = _table.get(key)
        if entry is not None:
            if cls.__dict__.get(name) is entry.wrapper:
                return True
            # Someone replaced our wrapper (a reload, another tool): forget the old entry.
            entry.site.enabled = False
            del _table[key]
        reason = why_not_wrappable(cls, name)
        if reason is not None:
            logger.debug("spyglass does not wrap %s.%s: %s", _qualname(cls), name, reason)
            return False
        original = cls.__dict__[name]
        site = recording.CallSite(cls, name, original)
        wrapper = wrapt.FunctionWrapper(original, _make_wrapper(site))
        try:
            setattr(cls, name, wrapper)
        except (TypeError, AttributeError) as exc:  # builtin or frozen classes
            logger.debug("spyglass cannot patch %s.%s: %s", _qualname(cls), name, exc)
            return False
        _table[key] = WrappedMethod(cls, name, original, wrapper, kind, adapter, site)
        return True


def is_wrapped(cls: type, name: str) -> bool:
    """Whether spyglass's wrapper is in ``cls.__dict__[name]`` now."""
    entry = _table.get((cls, name))
    return entry is not None and cls.__dict__.get(name) is entry.wrapper


def wrapped_methods() -> list[WrappedMethod]:
    """Every entry of the wrap table, in the order the methods were wrapped."""
    with _lock:
        return list(_table.values())


def entry_for(cls: type, name: str) -> WrappedMethod | None:
    """The wrap-table entry of ``(cls, name)``, if spyglass wrapped it."""
    return _table.get((cls, name))


def unwrap(cls: type, name: str) -> bool:
    """Put the original ``cls.__dict__[name]`` back, identical to what it was.

    If another tool has since replaced spyglass's wrapper, that tool's object is left
    in place (restoring ours would remove theirs) and our wrapper is disabled.

    Returns:
        ``True`` if an original was restored.
    """
    with _lock:
        entry = _table.pop((cls, name), None)
        if entry is None:
            return False
        entry.site.enabled = False
        if cls.__dict__.get(name) is not entry.wrapper:
            logger.warning(
                "spyglass did not restore %s.%s: something else replaced its wrapper since; "
                "spyglass's wrapper is disabled instead",
                _qualname(cls),
                name,
            )
            return False
        setattr(cls, name, entry.original)
        return True


def unwrap_all() -> int:
    """Un-instrument everything: restore every wrapped method to its original.

    Recorders built before keep working as plain objects but record nothing until
    a new recorder wraps the methods again.

    Returns:
        How many methods were restored.
    """
    with _lock:
        keys = list(_table)
    return sum(unwrap(cls, name) for cls, name in keys)


uninstrument = unwrap_all
"""Alias of :func:`unwrap_all`, for symmetry with OpenTelemetry instrumentors."""


def _qualname(cls: Any) -> str:
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', cls)}"
