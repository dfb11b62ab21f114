"""Class paths: naming a class by ``"module:QualName"`` and finding it, without importing.

Adapters name framework classes by path so that spyglass never imports a framework
to test an object against it: an object of a class cannot exist before the class's
module is imported, so a path whose module is not in ``sys.modules`` matches nothing.
The core (instrument specs, encoders) and the adapters resolve and match paths with
these functions only.
"""

from __future__ import annotations

import sys
from collections.abc import Container
from typing import Any

__all__ = ["class_path", "mro_match", "resolve_class"]


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
