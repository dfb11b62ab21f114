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
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, field_serializer, field_validator

from ..errors import UnsafeLoadError

__all__ = ["SerialBytes", "load_pickled", "module_allowed"]

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


def _lookup(module: Any, qualname: str, what: str) -> Any:
    if "<locals>" in qualname:
        raise ImportError(
            f"Cannot load {what}: it was defined inside a function ({qualname}); "
            "define it at module level to make it loadable."
        )
    value = module
    for part in qualname.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise ImportError(
                f"Cannot load {what}: module {module.__name__!r} has no attribute {qualname!r}."
            ) from None
    return value


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
