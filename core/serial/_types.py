"""How `jsonify` treats each type, decided once per type, and the small forms it writes.

`jsonify`'s serialiser (:mod:`spyglass.core.serial._jsonify`) asks `_kind_of` what a value's
type is (its *kind*: ``"str"``, ``"pydantic"``, ``"lazy"``, ``"object"``, ...), cached
per type until the encoder registry changes, and builds the leaf forms (floats,
exceptions, text, class info) with the functions here. The markers (``"__tru_..."``
keys and values) are defined here and exported by :mod:`spyglass.core.serial._jsonify`.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import inspect
import math
import sys
import types
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    MappingView,
    Sequence,
    Set as AbstractSet,
)
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from .._classpath import ClassCache
from . import _encoders
from ._classes import Class
from ._secrets import redact_text, secret_values

CIRCULAR = "__tru_circular_reference"
NON_SERIALIZED = "__tru_non_serialized_object"
PROPERTY_ERROR = "__tru_property_error"
TRUNCATED = "__tru_truncated"
REDACTED = "__tru_redacted"
EXCEPTION = "__tru_exception"
BYTES = "__tru_bytes_base64"

_JSON = Any

# ---------------------------------------------------------------- type kinds

_LAZY_TYPES: tuple[tuple[type, str], ...] = (
    (types.GeneratorType, "a generator object"),
    (types.AsyncGeneratorType, "an async generator object"),
    (Awaitable, "an awaitable object"),
    (Iterator, "an iterator object"),
    (AsyncIterator, "an async iterator object"),
)
_LAZY_FUNCTIONS: tuple[tuple[Callable[[Any], bool], str], ...] = (
    (inspect.isasyncgenfunction, "an async generator function"),
    (inspect.iscoroutinefunction, "a coroutine function"),
    (inspect.isgeneratorfunction, "a generator function"),
)
_FUNCTION_TYPES = (
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    functools.partial,
)
_SEQUENCE_TYPES = (list, tuple, collections.deque, range)


def _lazy_text(what: str) -> str:
    return f"spyglass: Cannot jsonify {what}."


def _is_pydantic_secret(t: type) -> bool:
    return any(
        getattr(klass, "__name__", "") in ("SecretStr", "SecretBytes", "Secret")
        and getattr(klass, "__module__", "").startswith("pydantic")
        for klass in getattr(t, "__mro__", ())
    )


def _classify(t: type, use_encoders: bool = True) -> tuple[str, Any]:
    """Decide how instances of `t` are serialised (see the table in the module doc)."""
    if use_encoders:
        encoder = _encoders.encoder_for(t)
        if encoder is not None:
            return ("encoder", encoder)
    if _is_pydantic_secret(t):
        return ("secret", None)
    if issubclass(t, Enum):
        return ("enum", None)
    for base, kind in ((str, "str"), (int, "int"), (float, "float")):
        if issubclass(t, base):
            return (kind, None)
    if issubclass(t, (bytes, bytearray, memoryview)):
        return ("bytes", None)
    if issubclass(t, (dt.datetime, dt.date, dt.time)):
        return ("iso", None)
    if issubclass(t, dt.timedelta):
        return ("seconds", None)
    if issubclass(t, (PurePath, uuid.UUID, complex)):
        return ("text", None)
    if issubclass(t, Decimal):
        return ("decimal", None)
    if issubclass(t, BaseException):
        return ("exception", None)
    lens_class = getattr(sys.modules.get("spyglass.core.lens._lens"), "Lens", None)
    if lens_class is not None and issubclass(t, lens_class):
        return ("text", None)
    if issubclass(t, BaseModel):
        return ("pydantic", None)
    if issubclass(t, _FUNCTION_TYPES):
        return ("function", None)
    # Lazy values are never consumed: checked before anything that iterates.
    for lazy_type, what in _LAZY_TYPES:
        if issubclass(t, lazy_type):
            return ("lazy", _lazy_text(what))
    if issubclass(t, dict):
        return ("dict", None)
    if issubclass(t, Mapping):
        return ("mapping", None)
    if issubclass(t, _SEQUENCE_TYPES) or issubclass(t, Sequence):
        return ("sequence", None)
    if issubclass(t, (AbstractSet, MappingView)):
        return ("set", None)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        if issubclass(t, numpy.ndarray):
            return ("ndarray", None)
        if issubclass(t, numpy.generic):
            return ("npscalar", None)
    if dataclasses.is_dataclass(t):
        return ("dataclass", None)
    return ("object", None)


# How values of a type are serialised, decided once per type: (kind, detail); decided
# again when the encoder registry changes.
_kinds: ClassCache[tuple[str, Any]] = ClassCache(_classify)
_kinds_version = -1


def _kind_of(t: type) -> tuple[str, Any]:
    global _kinds_version
    if _kinds_version != _encoders.version:
        _kinds.clear()
        _kinds_version = _encoders.version
    return _kinds[t]


# ------------------------------------------------------------------ small forms

_NOT_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}

# Returned internally for "has no form but the non-serialised one"; never in output.
_PLAIN: Any = object()


def _float(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return _NOT_FINITE.get(value, "NaN")


def _safe_text(value: object) -> str:
    """``str(value)``, else ``repr(value)``, else a description that cannot fail."""
    if type(value) is int and not -_HUGE_INT < value < _HUGE_INT:
        return huge_int_text(value)
    for render in (str, repr):
        try:
            text = render(value)
            if isinstance(text, str):
                return str.__str__(text)
        except Exception:  # noqa: BLE001, S112 - try the next rendering
            continue
    return f"<unprintable {type(value).__qualname__} at {id(value):#x}>"


# Integers at least this large are written as a description: Python refuses to turn
# integers of more than 4300 digits into text, and JSON readers lose precision far earlier.
_HUGE_INT = 10**4000


def huge_int_text(value: int) -> str:
    """The text a record keeps for an integer too large to write: its size, approximately."""
    digits = int(value.bit_length() * math.log10(2)) + 1
    sign = "-" if value < 0 else ""
    return f"{sign}...[{TRUNCATED}: an integer of about {digits} digits]"


def _class_info(t: type, with_bases: bool = False) -> _JSON:
    return Class.of_class(t, with_bases=with_bases).model_dump()


def _exception_form(exc: BaseException, max_chars: int = 1_000_000, redact: bool = True) -> _JSON:
    t = type(exc)
    return {
        EXCEPTION: {
            "type": getattr(t, "__qualname__", "?"),
            "module": getattr(t, "__module__", "?"),
            "message": error_text(exc, max_chars, redact),
        }
    }


def error_text(exc: BaseException, max_chars: int, redact: bool = True) -> str:
    """``str(exc)`` as a record keeps it: at most ``max_chars`` characters (then a
    truncation marker), registered secrets and URL passwords inside it redacted.

    Redacts only what is kept (plus the longest secret's length, so that a secret cut
    at the end is not half-kept), so a huge message costs what is kept.
    """
    text = _safe_text(exc)
    total = len(text)
    if total > max_chars:
        longest = max(map(len, secret_values), default=0) if redact else 0
        text = text[: max_chars + longest]
    if redact:
        text = redact_text(text)
    if total > max_chars:
        text = f"{text[:max_chars]}...[{TRUNCATED}: {total} chars]"
    return text


def _utf8(raw: bytes, cut: bool) -> str | None:
    """`raw` as UTF-8 text, else None; a cut may have split one character at the end."""
    for drop in range(4 if cut else 1):
        try:
            return raw[: len(raw) - drop].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def _len(o: Any) -> int | None:
    try:
        return len(o)
    except Exception:  # noqa: BLE001 - unknown length
        return None


def _attribute_names(o: object, t: type) -> list[tuple[str, bool]]:
    """(name, is_property) of a component's instance attributes, slots and properties."""
    names: dict[str, bool] = {}
    try:
        instance_dict = object.__getattribute__(o, "__dict__")
    except Exception:  # noqa: BLE001 - no instance dict
        instance_dict = {}
    if isinstance(instance_dict, dict):
        for name in list(instance_dict):
            if isinstance(name, str):
                names[name] = False
    for klass in getattr(t, "__mro__", ()):
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if isinstance(name, str) and name not in ("__dict__", "__weakref__"):
                names.setdefault(name, False)
        for name, attr in klass.__dict__.items():
            if isinstance(attr, property):
                names.setdefault(name, True)
    return [
        (name, is_prop)
        for name, is_prop in names.items()
        if not name.startswith("__") and not (name.startswith("_") and name[1:] in names)
    ]
