"""Classes by path, and values cached per class without keeping a class alive.

Adapters name framework classes by path (``"module:QualName"``) so that spyglass never
imports a framework to test an object against it: an object of a class cannot exist
before the class's module is imported, so a path whose module is not in
``sys.modules`` matches nothing. The core (instrument specs, encoders) and the
adapters resolve and match paths with these functions only.

What spyglass decides once per class (how to serialise its instances, whether the walk
enters them, what a call returning one is) is kept in a :class:`ClassCache`, which
never keeps a class alive: a class defined in a function, a test or a notebook cell is
collected as if spyglass had never seen it.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Callable, Container
from typing import Any, TypeVar

__all__ = ["ClassCache", "class_path", "mro_match", "resolve_class"]

V = TypeVar("V")

# Py_TPFLAGS_HEAPTYPE: set on every class made at run time (by a class statement, by
# type(), by an extension's PyType_FromSpec); the others are static and never freed.
_HEAP_TYPE = 1 << 9


def class_path(cls: type, sep: str = ":") -> str:
    """The path of ``cls``: ``"module:QualName"`` (``sep`` between the two)."""
    return f"{cls.__module__}{sep}{cls.__qualname__}"


def resolve_class(path: str | type) -> type | None:
    """The class named by ``path``, if its module is already imported; never imports.

    Args:
        path: ``"module:QualName"``, a dotted ``"module.QualName"`` (the longest
            imported module prefix is the module), or a class, returned as it is.

    Returns:
        The class, or ``None`` when its module is not imported or the name is not a class.
    """
    if isinstance(path, type):
        return path
    if ":" in path:
        module_name, qualname = path.split(":", 1)
    else:
        parts = path.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            if ".".join(parts[:cut]) in sys.modules:
                module_name, qualname = ".".join(parts[:cut]), ".".join(parts[cut:])
                break
        else:
            return None
    obj: Any = sys.modules.get(module_name)
    for part in qualname.split("."):
        if obj is None:
            return None
        obj = getattr(obj, part, None)
    return obj if isinstance(obj, type) else None


def mro_match(cls: type, paths: Container[str]) -> str | None:
    """The path of the first class of ``cls``'s MRO that is in ``paths``, else ``None``.

    ``paths`` is usually a set of paths or a dict keyed by them, so the most specific
    registered base of ``cls`` wins.
    """
    for klass in cls.__mro__:
        path = f"{klass.__module__}:{klass.__qualname__}"
        if path in paths:
            return path
    return None


class ClassCache(dict[type, V]):
    """A value computed once per class, held without keeping the class alive.

    Usage::

        _leaf = ClassCache(lambda cls: issubclass(cls, (str, bytes)))
        _leaf[type(obj)]          # computed on first use, then looked up

    ``cache[cls]`` gives ``compute(cls)``, computed the first time ``cls`` is asked
    for. The interpreter's own classes (``int``, ``dict``, the classes C extensions
    define statically) are never freed, so they are the dict's own keys: a hit costs
    one dict lookup, and ``cache.get(cls)`` answers for them without computing (a
    fast path for hot code, ``None`` for any other class). Every other class is held
    through a weak reference whose callback drops its value when the class is
    collected. ``clear()`` forgets everything. ``compute`` must depend on the class
    alone: two threads may compute one class's value at once, and either answer is kept.

    For the hottest code, ``cache.by_id`` holds every value computed so far, of any
    class, keyed by ``id(cls)``: ``cache.by_id.get(id(cls))`` answers without a Python
    call (``None`` when not computed yet; then ask ``cache[cls]``). Ids are safe keys:
    a static class is never freed, and a collected class's entry is dropped while it
    is being freed, before its id can be another object's.

    Args:
        compute: the value for a class.
    """

    __slots__ = ("_compute", "_refs", "by_id")

    def __init__(self, compute: Callable[[type], V]) -> None:
        super().__init__()
        self._compute = compute
        # id(class) -> value, for every class computed so far; and id(class) -> the
        # weak reference that drops it, for classes that can be freed. The callback
        # runs while the class is being freed, before its id can be another object's.
        self.by_id: dict[int, V] = {}
        self._refs: dict[int, weakref.ref[type]] = {}

    def __missing__(self, cls: type) -> V:
        try:
            return self.by_id[id(cls)]
        except KeyError:
            value = self[cls] = self._compute(cls)
            return value

    def __setitem__(self, cls: type, value: V) -> None:
        """Set the value for ``cls`` (held weakly unless it is one of the interpreter's)."""
        by_id, key = self.by_id, id(cls)
        if not cls.__flags__ & _HEAP_TYPE:
            super().__setitem__(cls, value)
            by_id[key] = value
            return
        refs = self._refs
        if key not in refs:
            refs[key] = weakref.ref(cls, lambda _: (by_id.pop(key, None), refs.pop(key, None)))
        by_id[key] = value

    def clear(self) -> None:
        """Forget every value (each is computed again on next use)."""
        super().clear()
        self.by_id.clear()
        self._refs.clear()

    def __repr__(self) -> str:
        return f"ClassCache({self._compute!r}, {len(self.by_id)} classes)"
