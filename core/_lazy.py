"""Lazy public exports for a package's ``__init__``.

A package lists its public names in a name -> defining-module map; each name is imported
on first use, so importing the package stays cheap and never imports a framework::

    __getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    namespace: dict[str, Any], exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of a package with lazy exports.

    Args:
        namespace: the package's ``globals()``; an imported name is stored there, so
            later lookups skip ``__getattr__``.
        exports: public name -> module that defines it.

    Returns:
        ``(__getattr__, __dir__)``, to assign at module level.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
