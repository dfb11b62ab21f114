"""The object walk that finds an app's components and gives each its path.

The walk starts at the wrapped app, at path ``app``, and visits children depth
first, in attribute order. For each object it asks the adapters first (the
``spyglass_component_children`` hook; ``[]`` stops the walk there) and otherwise
takes :func:`default_children`:

- a pydantic model: its fields (from ``obj.__dict__``, in declaration order), its
  private attributes (``__pydantic_private__``) and extra fields, then any other
  instance attribute; a plain object: ``vars(obj)`` (both read by
  :func:`instance_attributes`, which adapters use for the same reading);
- a list or tuple: its elements, at ``[i]``;
- a dict: its values under string keys, at ``[key]``.

The walk is safe on any object graph: cycle-safe by ``id()`` (an object reached
twice keeps its first path; later paths are listed as aliases), bounded in depth
(:data:`MAX_DEPTH`), in objects (:data:`MAX_NODES`) and in children per container
(:data:`MAX_CHILDREN`); it never evaluates properties, never calls ``__getattr__``
or any other user code, and never follows into data: strings, bytes, numbers,
enums, dates, modules, classes, functions, locks, threads, loggers, files, numpy
and pandas objects and the like are leaves.
"""

from __future__ import annotations

import datetime
import enum
import functools
import logging
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .._classpath import ClassCache
from .._log_once import LogOnce
from ..lens._lens import Lens
from ._manager import call_first_named, report_fault

__all__ = [
    "MAX_CHILDREN",
    "MAX_DEPTH",
    "MAX_NODES",
    "Walk",
    "default_children",
    "instance_attributes",
    "walk",
]

logger = logging.getLogger(__name__)
_problems = LogOnce(logger)  # an adapter's bad answer repeats for every object of a class

MAX_DEPTH = 32
"""Objects deeper than this many steps below the app are not visited."""
MAX_NODES = 10_000
"""At most this many objects are visited per walk."""
MAX_CHILDREN = 1_000
"""At most this many elements of one list, tuple or dict are visited."""

_ATOMS: frozenset[type] = frozenset(
    {str, bytes, bytearray, memoryview, int, float, complex, bool, type(None), range, slice}
)
_LEAF_TYPES: tuple[type, ...] = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.CodeType,
    types.FrameType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    property,
    staticmethod,
    classmethod,
    enum.Enum,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    set,
    frozenset,
    logging.Logger,
)
# Top-level modules whose objects are data, clients or runtime machinery, never components.
_LEAF_MODULES: frozenset[str] = frozenset(
    {
        "numpy",
        "pandas",
        "torch",
        "tensorflow",
        "jax",
        "scipy",
        "pyarrow",
        "polars",
        "threading",
        "_thread",
        "queue",
        "multiprocessing",
        "concurrent",
        "asyncio",
        "contextvars",
        "weakref",
        "_weakrefset",
        "io",
        "_io",
        "socket",
        "ssl",
        "sqlite3",
        "logging",
        "re",
        "decimal",
        "uuid",
        "pathlib",
        "httpx",
        "httpcore",
        "requests",
        "urllib3",
        "aiohttp",
        "tiktoken",
        "tokenizers",
        "pydantic",
        "pydantic_core",
        "wrapt",
    }
)


def _is_leaf_type(tp: type) -> bool:
    module = getattr(tp, "__module__", None) or ""
    return bool(
        issubclass(tp, _LEAF_TYPES)
        or issubclass(tp, tuple(_ATOMS))
        or module.partition(".")[0] in _LEAF_MODULES
    )


_leaf_types = ClassCache(_is_leaf_type)


def is_leaf(obj: Any) -> bool:
    """Whether the walk stops at ``obj`` (it is data, not a component)."""
    tp = type(obj)
    return tp in _ATOMS or _leaf_types[tp]


@functools.lru_cache(maxsize=4096)
def _step(key: str | int) -> Lens:
    """The one-step relative lens for an attribute/key name or an index (cached)."""
    return Lens()[key]


def default_children(obj: Any) -> list[tuple[Lens, Any]]:
    """The children of ``obj`` by the default rules (see the module docstring).

    Adapters that only add to these call it and extend the answer. Leaves (see
    :func:`is_leaf`) are left out; nothing is evaluated (no properties, no
    ``__getattr__``).

    Args:
        obj: any object.

    Returns:
        ``(relative_lens, child)`` pairs: ``(Lens().name, value)``,
        ``(Lens()[i], element)`` or ``(Lens()[key], value)``.
    """
    tp = type(obj)
    if tp is list or tp is tuple or isinstance(obj, (list, tuple)):
        return [
            (_step(i), child) for i, child in enumerate(obj[:MAX_CHILDREN]) if not is_leaf(child)
        ]
    if isinstance(obj, dict):
        out = []
        for key, child in list(dict.items(obj))[:MAX_CHILDREN]:
            if isinstance(key, str) and not is_leaf(child):
                out.append((_step(key), child))
        return out
    return [(_step(name), value) for name, value in instance_attributes(obj) if not is_leaf(value)]


def instance_attributes(obj: Any) -> list[tuple[str, Any]]:
    """An object's attributes, read without running any of its code: the walk's reader.

    A pydantic model gives its fields first, in declaration order, then its private
    attributes (``__pydantic_private__``) and extra fields (``__pydantic_extra__``),
    then any other entry of its ``__dict__``; any other object gives its ``__dict__``.
    Each string name once, where it is first found. Values are read with
    ``object.__getattribute__``, so no property, ``__getattr__`` or descriptor runs;
    an object without a ``__dict__`` has no attributes.

    Args:
        obj: any object.

    Returns:
        ``(name, value)`` pairs, in that order.
    """
    try:
        attributes = object.__getattribute__(obj, "__dict__")
    except (AttributeError, TypeError):
        return []
    if not isinstance(attributes, dict):
        return []
    named: list[tuple[str, Any]] = []
    seen: set[str] = set()
    fields = getattr(type(obj), "__pydantic_fields__", None)
    if isinstance(fields, dict):
        for name in fields:
            if name in attributes:
                named.append((name, attributes[name]))
                seen.add(name)
        for extra_name in ("__pydantic_private__", "__pydantic_extra__"):
            try:
                extra = object.__getattribute__(obj, extra_name)
            except AttributeError:
                continue
            if isinstance(extra, dict):
                for name, value in extra.items():
                    if isinstance(name, str) and name not in seen:
                        named.append((name, value))
                        seen.add(name)
    for name, value in list(attributes.items()):
        if isinstance(name, str) and name not in seen:
            named.append((name, value))
    return named


@dataclass
class Walk:
    """What a walk found.

    Attributes:
        found: ``id(obj) -> (path, obj)`` for every object visited, in walk order.
        aliases: ``id(obj) -> [other paths]`` for objects reached more than once.
        truncated: why the walk stopped early (node or depth bound), or ``None``.
    """

    found: dict[int, tuple[Lens, Any]] = field(default_factory=dict)
    aliases: dict[int, list[Lens]] = field(default_factory=dict)
    truncated: str | None = None


def walk(root: Any, path: Lens | None = None) -> Walk:
    """Walk the object graph from ``root``, assigning each object its first path.

    Args:
        root: the wrapped app.
        path: the root's path; ``Lens().app`` by default.

    Returns:
        A :class:`Walk`. Never raises because of the objects it meets.
    """
    result = Walk()
    start = Lens().app if path is None else path
    found = result.found
    # depth-first, children in order: push them reversed
    stack: list[tuple[Lens, Any, int]] = [(start, root, 0)]
    while stack:
        where, obj, depth = stack.pop()
        key = id(obj)
        if key in found:
            result.aliases.setdefault(key, []).append(where)
            continue
        if len(found) >= MAX_NODES:
            result.truncated = f"stopped after {MAX_NODES} objects (MAX_NODES)"
            break
        found[key] = (where, obj)
        if depth >= MAX_DEPTH:
            result.truncated = f"objects deeper than {MAX_DEPTH} steps were not visited (MAX_DEPTH)"
            continue
        children = _children(obj)
        for relative, child in reversed(children):
            stack.append((where + relative, child, depth + 1))
    if result.truncated:
        logger.info(
            "spyglass's walk of %s %s; components past that are not instrumented by path "
            "(their calls are still recorded under their caller)",
            type(root).__name__,
            result.truncated,
        )
    return result


def _children(obj: Any) -> list[tuple[Lens, Any]]:
    answer: Iterable[tuple[Lens, Any]] | None = None
    plugin: str | None = None
    try:
        plugin, answer = call_first_named("spyglass_component_children", obj=obj)
    except Exception:
        logger.debug("spyglass_component_children failed for %r", type(obj), exc_info=True)
    if answer is not None:
        try:
            children = []
            for relative, child in answer:
                if not isinstance(relative, Lens):
                    _problems.log(
                        f"children of {type(obj).__qualname__}",
                        "an adapter's spyglass_component_children answer for %s gave a path "
                        "that is not a Lens (%r); that child is left out",
                        type(obj).__qualname__,
                        relative,
                        level=logging.WARNING,
                        exc_info=False,
                    )
                elif not is_leaf(child):
                    children.append((relative, child))
            return children
        except Exception as exc:  # noqa: BLE001 - a plugin's fault is logged once, by name
            report_fault(plugin, "spyglass_component_children", exc)
    try:
        return default_children(obj)
    except Exception:
        logger.debug("default_children failed for %r", type(obj), exc_info=True)
        return []
