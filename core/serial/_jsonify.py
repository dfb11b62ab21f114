"""`jsonify`: turn any Python value into plain JSON, totally and safely.

`jsonify` runs on every recorded call's arguments and return value, so it must never
raise, never hang and never leak secrets. Its output is made only of ``dict`` (with
``str`` keys), ``list``, ``str``, ``int``, ``float`` (finite), ``bool`` and ``None``:
``json.dumps(jsonify(x), allow_nan=False)`` always succeeds.

Forms, checked in this order:

===============================================  ==============================================
value                                            JSON form
===============================================  ==============================================
``str``, ``int``, ``bool``, ``None``             itself (``str`` subclasses: the plain string)
``float``                                        itself; NaN / ±inf become the strings
                                                 ``"NaN"``, ``"Infinity"``, ``"-Infinity"``
a string longer than ``max_str``                 its first ``max_str`` characters +
                                                 ``"...[__tru_truncated: <length> chars]"``
a string equal to a registered secret            ``REDACTED`` (``"__tru_redacted"``)
an instance of a registered type                 the encoder's result, serialised in turn
                                                 (`register_encoder`; most specific class wins)
pydantic ``SecretStr`` / ``SecretBytes``         ``REDACTED`` (``"**********"`` if not redacting)
``str``-valued ``Enum`` member                   its value; other ``Enum`` members: their name
``bytes``, ``bytearray``, ``memoryview``         the text if valid UTF-8, else
                                                 ``{"__tru_bytes_base64": "<base64>"}``
awaitable, iterator, generator, async            a fixed string, e.g. ``"spyglass: Cannot
generator / iterator, coroutine function,        jsonify an iterator object."`` -- never
generator function                               consumed, awaited or iterated
``dict`` and other mappings                      ``dict``; non-``str`` keys become ``str(key)``
                                                 (``str``-Enum keys their value, other Enum
                                                 keys their name); a key that then collides
                                                 gets `` (<type name>)`` appended
``list``, ``tuple``, ``set``, ``frozenset``,     ``list`` (sets of strings are sorted, so the
``deque``, ``range``, dict views, sequences      output does not depend on hash order)
``datetime``, ``date``, ``time``                 ``isoformat()``
``timedelta``                                    total seconds (``float``)
``pathlib`` paths, ``UUID``                      ``str``
``Decimal``                                      ``float``
``complex``                                      ``str`` (``"(1+2j)"``)
exceptions                                       ``{"__tru_exception": {"type", "module",
                                                 "message"}}``
numpy scalars / arrays (only if numpy is         Python numbers / (nested) lists
already imported)
`spyglass.core.lens._lens.Lens`                        ``str(lens)``
pydantic v2 models                               their fields (not those declared
                                                 ``exclude=True``), extra fields and computed
                                                 fields; a raising computed field gives
                                                 ``{"__tru_property_error": <exception form>}``
dataclass instances                              their fields
app components (``is_component(obj)`` true)      their attributes and properties (a raising
                                                 property: ``{"__tru_property_error": ...}``;
                                                 ``_x`` left out when ``x`` exists; values that
                                                 would be non-serialised objects left out), plus
                                                 ``"tru_class_info"`` (class with bases)
anything else                                    ``{"__tru_non_serialized_object": {"cls":
                                                 <Class>, "id": id(obj), "init_bindings": None}}``
===============================================  ==============================================

Bounds, each with an explicit marker (never silent truncation):

- An object that is its own ancestor: ``{"__tru_circular_reference": id(obj)}``. Shared
  sub-objects that are not ancestors are serialised in each place.
- Past ``max_depth`` nested containers: ``{"__tru_truncated": {"max_depth": N}}``.
- A collection longer than ``max_items``: the first ``max_items`` entries, then (list)
  an element or (dict) a key ``"__tru_truncated"`` holding ``{"len": total, "kept": N}``.
- After ``max_nodes`` containers in one call, every further container becomes
  ``{"__tru_truncated": {"max_nodes": "exceeded"}}``.
- Anything that fails while being serialised becomes the non-serialised form.

Memo. ``jsonify(..., memo={})`` serialises each container or object once across several
calls that share the memo (one record build: the same ``Response`` is an argument and
a return value of several calls). The memo holds every object it has a form for, so
ids stay unique while it lives; a form that holds a circular-reference or truncation
marker is not kept (it depends on where the object was met). The forms it hands out
are shared: treat them as read-only. Share a memo only between calls with the same
settings.

Redaction (on by default) works in every branch -- dicts, pydantic models,
dataclasses and components: the value of a secret-looking key becomes
``"__tru_redacted"`` (``None`` stays ``None``), and so does any string equal to a value
given to `register_secret`. The key rules are in :mod:`spyglass.core.serial._secrets`
(``api_key``, ``*_api_key``, ``*_token``, ``*_secret``, ``*password*``, ``authorization``,
any case; not ``key`` or ``token`` alone).

``skip_specials=True`` (for display) turns circular references, non-serialised objects
and property errors into ``None`` and leaves out ``tru_class_info``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, TypedDict, Unpack, cast

from .._redact import guard
from ._classes import CLASS_INFO
from ._encoder import _Encoder
from ._encoders import register_encoder, unregister_encoder
from ._secrets import (
    is_secret_key,
    register_secret,
    secret_values,
    unregister_secret,
)
from ._types import (
    _HUGE_INT,
    _JSON,
    BYTES,
    CIRCULAR,
    EXCEPTION,
    NON_SERIALIZED,
    PROPERTY_ERROR,
    REDACTED,
    TRUNCATED,
)

__all__ = [
    "BYTES",
    "CIRCULAR",
    "CLASS_INFO",
    "EXCEPTION",
    "NON_SERIALIZED",
    "PROPERTY_ERROR",
    "REDACTED",
    "TRUNCATED",
    "Jsonifier",
    "JsonifySettings",
    "is_secret_key",
    "jsonify",
    "register_encoder",
    "register_secret",
    "unregister_encoder",
    "unregister_secret",
]

logger = guard(logging.getLogger(__name__))  # secrets redacted in its lines

DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_ITEMS = 10_000
DEFAULT_MAX_STR = 1_000_000
DEFAULT_MAX_NODES = 1_000_000

# ---------------------------------------------------------------------- jsonify


def jsonify(
    obj: Any,
    *,
    redact: bool = True,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_items: int = DEFAULT_MAX_ITEMS,
    max_str: int = DEFAULT_MAX_STR,
    max_nodes: int = DEFAULT_MAX_NODES,
    skip_specials: bool = False,
    is_component: Callable[[Any], bool] | None = None,
    memo: dict[int, Any] | None = None,
) -> _JSON:
    """Serialise `obj` to plain JSON data; never raises (forms in the module docstring).

    Args:
        obj: anything.
        redact: replace the values of secret-looking keys, pydantic secrets and
            registered secret strings by ``"__tru_redacted"``.
        max_depth: containers nested deeper than this become a truncation marker.
        max_items: entries kept per list, dict, set or array; the rest is counted in
            a marker.
        max_str: characters kept per string (bytes per bytes value).
        max_nodes: containers serialised in this call before the rest is truncated.
        skip_specials: write circular references, non-serialised objects and property
            errors as ``None`` and leave out ``tru_class_info`` (for display).
        is_component: tells which objects are app components: those are serialised
            by their attributes and carry ``tru_class_info``. Default: none are.
        memo: a dict (empty at first) shared by calls that should serialise each
            object once, e.g. all values of one record build; it keeps the objects
            alive while it lives. Calls sharing it must use the same other settings,
            and must not change the forms they get (they are shared).

    Returns:
        ``dict`` / ``list`` / ``str`` / ``int`` / ``float`` / ``bool`` / ``None`` data
        that ``json.dumps(..., allow_nan=False)`` accepts.
    """
    t = type(obj)
    if t is bool or obj is None or (t is int and -_HUGE_INT < obj < _HUGE_INT):
        return obj
    if (
        t is str
        and len(obj) <= max_str
        and not (redact and ((secret_values and obj in secret_values) or "@" in obj))
    ):
        return obj
    try:
        encoder = _Encoder(
            redact, max_depth, max_items, max_str, max_nodes, skip_specials, is_component, memo
        )
    except Exception as exc:  # noqa: BLE001 - settings that are not numbers
        logger.debug("jsonify failed on a %s: %r", t, exc)
        return (
            None
            if skip_specials
            else {NON_SERIALIZED: {"cls": None, "id": id(obj), "init_bindings": None}}
        )
    return encoder.top(obj)


class JsonifySettings(TypedDict, total=False):
    """The keyword arguments of `jsonify` (all optional), for `Jsonifier`."""

    redact: bool
    max_depth: int
    max_items: int
    max_str: int
    max_nodes: int
    skip_specials: bool
    is_component: Callable[[Any], bool] | None
    memo: dict[int, Any] | None


# `jsonify`'s keyword defaults, read from its signature.
_DEFAULTS = cast(
    JsonifySettings,
    {
        name: p.default
        for name, p in inspect.signature(jsonify).parameters.items()
        if p.kind is p.KEYWORD_ONLY
    },
)


class Jsonifier:
    """`jsonify` with fixed settings, for many values in a row (one record build).

    ``j = Jsonifier(memo=memo)``, then ``j.value(x)`` is ``jsonify(x, memo=memo)`` (each
    value with its own ``max_nodes`` budget) without setting up a serialiser per value,
    and ``j.new_dict(d)`` is ``j.value(d)`` for a plain dict made for this value alone
    (a call's arguments by name), which nothing else holds, not even its own values,
    and whose form the memo need not keep. The arguments are
    those of `jsonify`. Not for use by two threads at once.

    Attributes:
        new_dict: ``new_dict(d)``, as above (the serialiser's own method: a record
            build calls it once per recorded call).
    """

    __slots__ = ("_encoder", "_max_str", "_redact", "new_dict")

    def __init__(self, **settings: Unpack[JsonifySettings]) -> None:
        # The defaults are `jsonify`'s: one signature holds them.
        every: JsonifySettings = {**_DEFAULTS, **settings}
        redact = every["redact"]
        self._encoder = _Encoder(
            redact,
            every["max_depth"],
            every["max_items"],
            every["max_str"],
            every["max_nodes"],
            every["skip_specials"],
            every["is_component"],
            every["memo"],
        )
        self._max_str = self._encoder.max_str
        self._redact = redact
        self.new_dict: Callable[[dict[str, Any]], _JSON] = self._encoder.top_new_dict

    @property
    def max_str(self) -> int:
        """The most characters a string keeps."""
        return self._max_str

    def value(self, obj: Any) -> _JSON:
        """``jsonify(obj, ...)`` with this serialiser's settings and memo."""
        t = type(obj)
        if t is bool or obj is None or (t is int and -_HUGE_INT < obj < _HUGE_INT):
            return obj
        if (
            t is str
            and len(obj) <= self._max_str
            and not (self._redact and ((secret_values and obj in secret_values) or "@" in obj))
        ):
            return obj
        return self._encoder.top(obj)
