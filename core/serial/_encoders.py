"""The registry of JSON encoders for types `jsonify` does not know by itself.

This is the one place where adapters add their framework's types: ``plugins.py``
registers the answers of the ``spyglass_json_encoders`` hook here. Types are named by
class or by path (``"module:QualName"`` or ``"module.QualName"``), so an adapter can
register a framework's types without importing the framework; paths are matched
against each class of an object's ``__mro__``, most specific first.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from .._classpath import class_path

__all__ = ["encoder_for", "register_encoder", "unregister_encoder"]

# Weak by class: registering an encoder does not keep a class alive.
_by_class: weakref.WeakKeyDictionary[type, Callable[[Any], Any]] = weakref.WeakKeyDictionary()
_by_path: dict[str, Callable[[Any], Any]] = {}

# Types whose encoder failed (logged once each); reset when the registry changes.
failed_types: weakref.WeakSet[type] = weakref.WeakSet()

# Bumped on every change, so that caches keyed by type know to start over.
version = 0


def _changed() -> None:
    global version
    version += 1


def register_encoder(cls_or_path: type | str, fn: Callable[[Any], Any]) -> None:
    """Teach `jsonify` a type: its instances are serialised as ``jsonify(fn(obj))``.

    This is where adapters add framework types (``plugins.py`` registers the answers
    of the ``spyglass_json_encoders`` hook here). The most specific registration in
    ``type(obj).__mro__`` wins. `fn` should return plain data; whatever it returns is
    serialised in turn, with the same bounds. An encoder that raises, or returns an
    object of the same type, is logged once per type and the default form is used.

    Args:
        cls_or_path: a class, or its path as ``"module:QualName"`` or
            ``"module.QualName"`` -- a path lets adapters name a framework's types
            without importing the framework.
        fn: the encoder.

    Raises:
        TypeError: `cls_or_path` is neither a class nor a string, or `fn` is not callable.
        ValueError: the path has no module part.
    """
    if not callable(fn):
        raise TypeError(
            f"register_encoder: the encoder for {cls_or_path!r} must be callable, got {fn!r}."
        )
    if isinstance(cls_or_path, type):
        _by_class[cls_or_path] = fn
    elif isinstance(cls_or_path, str):
        if "." not in cls_or_path and ":" not in cls_or_path:
            raise ValueError(
                f"register_encoder: {cls_or_path!r} is not a class path; write it as "
                "'module:QualName' (e.g. 'langchain_core.documents.base:Document')."
            )
        _by_path[cls_or_path] = fn
    else:
        raise TypeError(
            "register_encoder: expected a class or a 'module:QualName' string, got "
            f"{cls_or_path!r}."
        )
    _changed()
    failed_types.clear()


def unregister_encoder(cls_or_path: type | str) -> None:
    """Remove a registration made by `register_encoder` (no error if there is none)."""
    if isinstance(cls_or_path, type):
        _by_class.pop(cls_or_path, None)
    else:
        _by_path.pop(cls_or_path, None)
    _changed()


def encoder_for(t: type) -> Callable[[Any], Any] | None:
    """The encoder registered for the most specific class of `t`'s MRO, if any."""
    if not (_by_class or _by_path):
        return None
    for klass in getattr(t, "__mro__", (t,)):
        found = _by_class.get(klass)
        if found is None and _by_path:
            found = _by_path.get(class_path(klass)) or _by_path.get(class_path(klass, "."))
        if found is not None:
            return found
    return None
