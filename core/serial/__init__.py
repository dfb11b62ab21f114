"""Serialisation: turning any Python value into bounded, redacted JSON, and loading it back.

`jsonify` is total: it never raises, is cycle-safe, bounds depth and size with explicit
markers, and redacts secrets (key names such as ``api_key``, pydantic ``SecretStr``,
values given to `register_secret`). The models of Python entities (`Class`, `Obj`,
`Method`, `Function`) describe the code a record ran; loading them back imports only
modules on an allow-list (`module_allowed`).
"""

from __future__ import annotations

from . import _jsonify, _pyschema
from ._jsonify import *  # jsonify, its markers, encoders and secret rules
from ._pyschema import *  # the models of Python entities, and loading them back

__all__ = sorted({*_jsonify.__all__, *_pyschema.__all__})
