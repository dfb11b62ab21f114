"""Lazy public exports for a package's ``__init__``.

A package lists its public names in a name -> defining-module map; each name is imported
on first use, so importing the package stays cheap and never imports a framework::

    __getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)

A name the package lacks raises ``AttributeError`` (``ImportError`` from ``from package
import name``), with advice when it is a known TruLens name (:mod:`._advice`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

from ._advice import missing_name_error

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
            # A TruLens name we lack gets advice (see _advice); others the usual error.
            raise missing_name_error(package, name, sys._getframe(1))
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
