"""Content-derived ids, computed exactly as TruLens computes them (as TruLens 1.x).

`recursive_hash` is an md5 over a JSON-like value:

- a ``list``: the hashes of its elements, **sorted**, concatenated and hashed, so the
  order of a list does not change its hash;
- a ``dict``: ``f"{key}:{recursive_hash(value)},"`` for each key in sorted order,
  concatenated and hashed (``ignore_none=True`` leaves out keys whose value is ``None``);
- anything else: the md5 of ``str(value)``, so ``5`` and ``"5"`` hash alike, and a
  tuple hashes as its ``str`` (TruLens hashes only lists element-wise).

These rules are kept bit for bit so that ids match those of stored TruLens data, e.g.
``app_id_of("default_app", "base") == "app_hash_baf7b2cb6402e84fa3b0b3a028d4bf65"``.
"""

from __future__ import annotations

import hashlib
from typing import Any

__all__ = ["app_id_of", "obj_id_of_obj", "recursive_hash"]


def _md5(text: str) -> str:
    # Not a security use: the ids only need to be stable and match TruLens.
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _sort_key(key: Any) -> tuple[str, str]:
    # Keys of mixed types cannot be compared; order by type name, then text.
    return (type(key).__name__, str(key))


def recursive_hash(value: Any, ignore_none: bool = False) -> str:
    """Hash a JSON-like value to an md5 hex digest (rules in the module docstring).

    Args:
        value: the value, normally the output of ``jsonify`` or ``model_dump``.
        ignore_none: leave out dict entries whose value is ``None``, at every level.

    Returns:
        A 32-character hex digest.
    """
    if isinstance(value, list):
        return _md5("".join(sorted(recursive_hash(item, ignore_none) for item in value)))
    if isinstance(value, dict):
        try:
            keys = sorted(value)
        except TypeError:
            keys = sorted(value, key=_sort_key)
        parts = [
            f"{key}:{recursive_hash(value[key], ignore_none)},"
            for key in keys
            if not (ignore_none and value[key] is None)
        ]
        return _md5("".join(parts))
    return _md5(str(value))


def obj_id_of_obj(obj: Any, prefix: str) -> str:
    """The id ``f"{prefix}_hash_{recursive_hash(obj)}"`` of a JSON-like object.

    Args:
        obj: the JSON of the object (e.g. a ``model_dump`` with its own id left out).
        prefix: what kind of object it is, e.g. ``"feedback_definition"``.
    """
    return f"{prefix}_hash_{recursive_hash(obj)}"


def app_id_of(app_name: str, app_version: str) -> str:
    """The id of an app, from its name and version, as TruLens computes it.

    Example:
        >>> app_id_of("default_app", "base")
        'app_hash_baf7b2cb6402e84fa3b0b3a028d4bf65'
    """
    return obj_id_of_obj({"app_name": app_name, "app_version": app_version}, prefix="app")
