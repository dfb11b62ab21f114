"""Loading stored data safely: which modules it may import, and unpickling.

Stored data (records, app and feedback definitions) names modules; loading imports
them, which runs their code. The models of :mod:`spyglass.core.serial._pyschema` import only
modules allowed by `module_allowed` (``spyglass`` and the caller's
``allowed_modules``), through `_import_allowed`; pickled data (`SerialBytes`) is
unpickled only by `load_pickled` with ``trust=True``. Exported by
:mod:`spyglass.core.serial._pyschema`.
"""

from __future__ import annotations

import base64
import importlib
import pickle
import types
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, field_serializer, field_validator

from ..errors import UnsafeLoadError

__all__ = ["SerialBytes", "defined_attribute", "load_pickled", "module_allowed"]

# Modules always allowed to be imported when loading stored data.
_ALWAYS_ALLOWED = ("spyglass",)


# ------------------------------------------------------------------- safe import


def _prefixes(allowed_modules: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(allowed_modules, str):  # a single prefix, not its characters
        allowed_modules = (allowed_modules,)
    cleaned = (p.strip().rstrip(".") for p in allowed_modules)
    return _ALWAYS_ALLOWED + tuple(p for p in cleaned if p)


def module_allowed(module_name: str, allowed_modules: Iterable[str] | str = ()) -> bool:
    """Whether stored data may make spyglass import `module_name`.

    Args:
        module_name: a dotted module name.
        allowed_modules: dotted prefixes allowed besides ``spyglass``; ``"myapp"``
            allows ``myapp`` and ``myapp.sub`` but not ``myapplication``.
    """
    return any(
        module_name == prefix or module_name.startswith(prefix + ".")
        for prefix in _prefixes(allowed_modules)
    )


def _import_allowed(module_name: str, allowed_modules: Iterable[str] | str, what: str) -> Any:
    if not module_allowed(module_name, allowed_modules):
        top = module_name.split(".")[0]
        raise UnsafeLoadError(
            f"Refusing to import module {module_name!r} to load {what}: stored data may only "
            f"name modules under 'spyglass' or those passed in `allowed_modules`. If you trust "
            f"this data, pass allowed_modules=[{module_name!r}] (or a parent prefix such as "
            f"{top!r})."
        )
    return importlib.import_module(module_name)


def _lookup(
    module: Any, qualname: str, what: str, allowed_modules: Iterable[str] | str = ()
) -> Any:
    """The function or class ``qualname`` DEFINED in ``module`` (an allowed module).

    Stored data chooses ``qualname``, so it is resolved step by step through the
    module's and its classes' own namespaces (``vars``: no ``__getattr__`` hook or
    property runs), and only through classes: never through another module the
    allowed one imported (``myapp.os.system``), an instance or a builtin. What it
    finds must be a function or class whose ``__module__`` is an allowed module, and
    each class it steps through too.

    Raises:
        UnsafeLoadError: the path leaves what the allowed modules define.
        ImportError: nothing is defined under that name.
    """
    if "<locals>" in qualname:
        raise ImportError(
            f"Cannot load {what}: it was defined inside a function ({qualname}); "
            "define it at module level to make it loadable."
        )
    value = module
    for part in qualname.split("."):
        try:
            namespace = vars(value)
        except TypeError:
            namespace = {}
        if part not in namespace:
            raise ImportError(
                f"Cannot load {what}: module {module.__name__!r} defines no {qualname!r}."
            )
        value = namespace[part]
        if isinstance(value, (classmethod, staticmethod)):
            value = value.__func__
        _check_defined(value, allowed_modules, what)
    return value


# What stored data may name: functions and classes written in Python or C, by their
# defining module (never a module object, an instance, a descriptor of another kind).
_DEFINABLE = (
    types.FunctionType,
    types.BuiltinFunctionType,
    type,
)


def _check_defined(value: Any, allowed_modules: Iterable[str] | str, what: str) -> None:
    """Refuse ``value`` unless it is a function or class defined in an allowed module."""
    owner = getattr(value, "__module__", None) if isinstance(value, _DEFINABLE) else None
    if not isinstance(owner, str) or not module_allowed(owner, allowed_modules):
        kind = type(value).__name__
        defined = f" defined in {owner!r}" if isinstance(owner, str) else ""
        raise UnsafeLoadError(
            f"Refusing to load {what}: it leads to a {kind}{defined}, not a function or "
            "class defined in an allowed module. Stored data may only name functions and "
            "classes that the allowed modules define themselves, not what they import."
        )


def defined_attribute(
    owner: Any, name: str, allowed_modules: Iterable[str] | str, what: str
) -> Any:
    """``getattr(owner, name)`` for a method ``name`` DEFINED by an allowed class.

    ``owner`` is a loaded class or an object built from one; ``name`` comes from stored
    data, so it must name a function (plain, class or static method) in the namespace
    of a class of ``owner``'s MRO that an allowed module defines, and not a protocol
    method (``__init__``, ``__reduce__``, ...; ``__call__`` is allowed): never
    ``__class__``, ``__subclasses__`` or anything ``object`` provides.

    Raises:
        UnsafeLoadError: ``name`` is not such a method.
    """
    cls = owner if isinstance(owner, type) else type(owner)
    # Protocol methods are never feedbacks (`__call__` is: a callable object's feedback).
    dunder = name.startswith("__") and name.endswith("__") and name != "__call__"
    for klass in () if dunder else cls.__mro__:
        found = vars(klass).get(name)
        if found is None:
            continue
        function = found.__func__ if isinstance(found, (classmethod, staticmethod)) else found
        if isinstance(function, types.FunctionType):
            _check_defined(klass, allowed_modules, what)
            _check_defined(function, allowed_modules, what)
            return getattr(owner, name)
        break
    raise UnsafeLoadError(
        f"Refusing to load {what}: {name!r} is not a method that a class of an allowed "
        f"module defines on {cls.__qualname__}."
    )


# ---------------------------------------------------------------------- pickles


class SerialBytes(BaseModel):
    """Bytes stored as base64 text in JSON (``{"data": "<base64>"}``).

    Built from ``bytes`` (kept as they are) or from a base64 ``str`` (decoded).
    """

    model_config = ConfigDict(frozen=True)

    data: bytes

    @field_validator("data", mode="before")
    @classmethod
    def _from_base64(cls, value: Any) -> Any:
        if isinstance(value, str):
            return base64.b64decode(value.encode("ascii"), validate=True)
        if isinstance(value, (bytearray, memoryview)):
            return bytes(value)
        return value

    @field_serializer("data")
    def _to_base64(self, value: bytes) -> str:
        return base64.b64encode(value).decode("ascii")


def load_pickled(data: bytes | SerialBytes, *, trust: bool = False) -> Any:
    """Unpickle `data`, only if the caller trusts it.

    Unpickling runs arbitrary code chosen by whoever wrote the data, so it is refused
    unless ``trust=True``.

    Raises:
        UnsafeLoadError: `trust` is not set.
    """
    if not trust:
        raise UnsafeLoadError(
            "Refusing to unpickle stored data: unpickling runs arbitrary code. Pass "
            "`trust=True` only for data you produced yourself."
        )
    raw = data.data if isinstance(data, SerialBytes) else data
    return pickle.loads(raw)
