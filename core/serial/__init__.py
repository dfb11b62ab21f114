"""Serialisation: turning any Python value into bounded, redacted JSON, and loading it back.

`jsonify` is total: it never raises, is cycle-safe, bounds depth and size with explicit
markers, and redacts secrets (key names such as ``api_key``, pydantic ``SecretStr``,
values given to `register_secret`). The models of Python entities (`Class`, `Obj`,
`Method`, `Function`) describe the code a record ran; loading them back imports only
modules on an allow-list (`module_allowed`).
"""

from __future__ import annotations

from ._encoders import register_encoder, unregister_encoder
from ._jsonify import (
    BYTES,
    CIRCULAR,
    CLASS_INFO,
    EXCEPTION,
    NON_SERIALIZED,
    PROPERTY_ERROR,
    REDACTED,
    TRUNCATED,
    jsonify,
)
from ._pyschema import (
    Bindings,
    Class,
    Function,
    FunctionOrMethod,
    Method,
    Module,
    Obj,
    WithClassInfo,
)
from ._safe_load import SerialBytes, load_pickled, module_allowed
from ._secrets import is_secret_key, register_secret, unregister_secret

__all__ = [
    "BYTES",
    "CIRCULAR",
    "CLASS_INFO",
    "EXCEPTION",
    "NON_SERIALIZED",
    "PROPERTY_ERROR",
    "REDACTED",
    "TRUNCATED",
    "Bindings",
    "Class",
    "Function",
    "FunctionOrMethod",
    "Method",
    "Module",
    "Obj",
    "SerialBytes",
    "WithClassInfo",
    "is_secret_key",
    "jsonify",
    "load_pickled",
    "module_allowed",
    "register_encoder",
    "register_secret",
    "unregister_encoder",
    "unregister_secret",
]
