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

import base64
import dataclasses
import itertools
import logging
import math
from collections.abc import Callable
from enum import Enum
from typing import Any

from pydantic import BaseModel

from . import _encoders
from ._classes import CLASS_INFO
from ._encoders import register_encoder, unregister_encoder
from ._secrets import (
    is_secret_key,
    register_secret,
    secret_values,
    unregister_secret,
)
from ._types import (
    _JSON,
    _LAZY_FUNCTIONS,
    _PLAIN,
    BYTES,
    CIRCULAR,
    EXCEPTION,
    NON_SERIALIZED,
    PROPERTY_ERROR,
    REDACTED,
    TRUNCATED,
    _attribute_names,
    _class_info,
    _classify,
    _exception_form,
    _float,
    _kind_of,
    _lazy_text,
    _len,
    _safe_text,
    _utf8,
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
    "is_secret_key",
    "jsonify",
    "register_encoder",
    "register_secret",
    "unregister_encoder",
    "unregister_secret",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_ITEMS = 10_000
DEFAULT_MAX_STR = 1_000_000
DEFAULT_MAX_NODES = 1_000_000

# ---------------------------------------------------------------------- encoder


class _Encoder:
    """The state of one `jsonify` call: settings, the ancestor ids and the node budget."""

    __slots__ = (
        "ancestors",
        "is_component",
        "marks",
        "max_depth",
        "max_items",
        "max_str",
        "memo",
        "nodes_left",
        "redact",
        "skip_specials",
    )

    def __init__(
        self,
        redact: bool,
        max_depth: int,
        max_items: int,
        max_str: int,
        max_nodes: int,
        skip_specials: bool,
        is_component: Callable[[Any], bool] | None,
        memo: dict[int, tuple[Any, int, int, Any]] | None = None,
    ) -> None:
        self.redact = redact
        self.max_depth = max_depth
        self.max_items = max(0, max_items)
        self.max_str = max(0, max_str)
        self.nodes_left = max_nodes
        self.skip_specials = skip_specials
        self.is_component = is_component
        self.ancestors: set[int] = set()
        # id -> (the object, held; depth met at; containers it took; its form)
        self.memo = memo
        self.marks = 0  # circular / truncation markers written so far

    # -- every value goes through `encode` ----------------------------------------

    def encode(self, o: Any, depth: int) -> _JSON:
        t = type(o)
        if t is str:
            if len(o) > self.max_str or (secret_values and self.redact and o in secret_values):
                return self.string(o)
            return o
        if t is int or t is bool or o is None:
            return o
        if t is float:
            return o if math.isfinite(o) else _float(o)
        result = self.container(o, t, depth)
        return self.plain(o, t) if result is _PLAIN else result

    def string(self, s: str) -> str:
        if self.redact and s in secret_values:
            return REDACTED
        if len(s) > self.max_str:
            return f"{s[: self.max_str]}...[{TRUNCATED}: {len(s)} chars]"
        return s

    def plain(self, o: Any, t: type) -> _JSON:
        """The non-serialised-object form."""
        if self.skip_specials:
            return None
        try:
            cls = _class_info(t)
        except Exception:  # noqa: BLE001 - a class that cannot even be described
            cls = None
        return {NON_SERIALIZED: {"cls": cls, "id": id(o), "init_bindings": None}}

    def container(self, o: Any, t: type, depth: int) -> _JSON:
        """Serialise a non-scalar; `_PLAIN` if it has no form but the non-serialised one."""
        oid = id(o)
        if oid in self.ancestors:
            self.marks += 1
            return None if self.skip_specials else {CIRCULAR: oid}
        if depth > self.max_depth:
            self.marks += 1
            return {TRUNCATED: {"max_depth": self.max_depth}}
        if self.nodes_left <= 0:
            self.marks += 1
            return {TRUNCATED: {"max_nodes": "exceeded"}}
        memo = self.memo
        if memo is None:
            return self.fresh(o, t, oid, depth)
        # A form made at this depth or deeper, without markers, is the same here; it
        # still spends its containers from the budget, as if made again.
        known = memo.get(oid)
        if known is not None and depth <= known[1] and known[2] <= self.nodes_left:
            self.nodes_left -= known[2]
            return known[3]
        marks, nodes = self.marks, self.nodes_left
        result = self.fresh(o, t, oid, depth)
        if self.marks == marks:
            memo[oid] = (o, depth, nodes - self.nodes_left, result)
        return result

    def fresh(self, o: Any, t: type, oid: int, depth: int) -> _JSON:
        self.nodes_left -= 1
        self.ancestors.add(oid)
        try:
            if t is dict:
                return self.mapping(o.items(), len(o), depth)
            if t is list or t is tuple:
                return self.sequence(o, len(o), depth)
            kind, detail = _kind_of(t)
            return self.by_kind(o, t, kind, detail, depth)
        except Exception as exc:  # noqa: BLE001 - serialisation is total
            logger.debug("jsonify: a %s failed (%r); written as non-serialised", t, exc)
            return _PLAIN
        finally:
            self.ancestors.discard(oid)

    # -- by kind --------------------------------------------------------------------

    def by_kind(self, o: Any, t: type, kind: str, detail: Any, depth: int) -> _JSON:
        if kind == "pydantic":
            return self.finish(o, t, self.pydantic(o, t, depth))
        if kind == "iso":
            return o.isoformat()
        if kind == "enum":
            member: Enum = o
            return (
                self.encode(member.value, depth) if isinstance(o, str) else _safe_text(member.name)
            )
        if kind == "str":
            return self.string(str.__str__(o))
        if kind == "int":
            return int.__int__(o)
        if kind == "float":
            return _float(float.__float__(o))
        if kind in ("dict", "mapping"):
            items = dict.items(o) if kind == "dict" else o.items()
            return self.mapping(items, _len(o), depth)
        if kind == "sequence":
            return self.sequence(o, _len(o), depth)
        if kind == "set":
            out = self.sequence(o, _len(o), depth)
            if all(type(item) is str for item in out):
                out.sort()
            return out
        if kind == "text":
            return str(o)
        if kind == "lazy":
            return detail
        if kind == "exception":
            return _exception_form(o)
        if kind == "encoder":
            return self.encoded(o, t, detail, depth)
        if kind == "secret":
            return REDACTED if self.redact else "**********"
        if kind == "bytes":
            return self.binary(o)
        if kind == "seconds":
            return o.total_seconds()
        if kind == "decimal":
            return _float(float(o))
        if kind == "ndarray":
            return self.array(o, depth)
        if kind == "npscalar":
            item = o.item()
            return _safe_text(o) if type(item) is t else self.encode(item, depth)
        if kind == "dataclass":
            names = [f.name for f in dataclasses.fields(o)]
            return self.finish(o, t, self.fields(o, names, depth))
        if kind == "function":
            for check, what in _LAZY_FUNCTIONS:
                if check(o):
                    return _lazy_text(what)
        if self.component(o):
            return self.finish(o, t, self.attributes(o, t, depth))
        return _PLAIN

    def encoded(self, o: Any, t: type, encoder: Callable[[Any], Any], depth: int) -> _JSON:
        try:
            result = encoder(o)
        except Exception as exc:  # noqa: BLE001 - fall back to the default form
            self.encoder_failed(t, repr(exc))
        else:
            if result is not o and type(result) is not t:
                return self.encode(result, depth)
            self.encoder_failed(t, "it returned an object of the same type")
        kind, detail = _classify(t, use_encoders=False)
        return self.by_kind(o, t, kind, detail, depth)

    @staticmethod
    def encoder_failed(t: type, why: str) -> None:
        if t not in _encoders.failed_types:
            _encoders.failed_types.add(t)
            logger.warning(
                "The JSON encoder registered for %s.%s failed (%s); using the default form "
                "for this type.",
                t.__module__,
                t.__qualname__,
                why,
            )

    # -- containers -------------------------------------------------------------------

    def key(self, k: Any) -> str:
        if isinstance(k, str):
            return _safe_text(k.value) if isinstance(k, Enum) else str.__str__(k)
        if isinstance(k, Enum):
            return _safe_text(k.name)
        return _safe_text(k)

    def mapping(self, items: Any, total: int | None, depth: int) -> _JSON:
        out: dict[str, Any] = {}
        redact = self.redact
        limit = self.max_items
        child = depth + 1
        for count, (k, v) in enumerate(items):
            if count >= limit:
                out[TRUNCATED] = {"len": total, "kept": limit}
                break
            key = k if type(k) is str else self.key(k)
            if key in out:
                key = f"{key} ({type(k).__name__})"
            if redact and v is not None and is_secret_key(key):
                out[key] = REDACTED
            else:
                out[key] = self.encode(v, child)
        return out

    def sequence(self, items: Any, total: int | None, depth: int) -> list[Any]:
        limit = self.max_items
        child = depth + 1
        iterator = iter(items)
        out = [self.encode(v, child) for v in itertools.islice(iterator, limit)]
        if total is None:  # unknown length: look one further to learn whether there is more
            if len(out) < limit or next(iterator, _PLAIN) is _PLAIN:
                return out
        elif total <= limit:
            return out
        out.append({TRUNCATED: {"len": total, "kept": limit}})
        return out

    def binary(self, o: bytes | bytearray | memoryview) -> _JSON:
        if isinstance(o, memoryview):
            o = o.tobytes()
        total = len(o)
        cut = total > self.max_str
        raw = bytes(o[: self.max_str]) if cut else bytes(o)
        text = _utf8(raw, cut)
        if text is None:
            form: dict[str, Any] = {BYTES: base64.b64encode(raw).decode("ascii")}
            if cut:
                form[TRUNCATED] = {"len": total, "kept": len(raw)}
            return form
        if self.redact and text in secret_values:
            return REDACTED
        return f"{text}...[{TRUNCATED}: {total} bytes]" if cut else text

    def array(self, o: Any, depth: int) -> _JSON:
        if o.ndim == 0:
            return self.encode(o.item(), depth)
        head = o[: self.max_items]
        items = head.tolist() if o.ndim == 1 else list(head)
        return self.sequence(items, len(o), depth)

    # -- objects with named fields --------------------------------------------------

    def fields(self, o: Any, names: Any, depth: int) -> dict[str, Any]:
        """Named fields of a model or dataclass, each read safely and redacted by name."""
        return {name: self.attribute(o, name, depth) for name in names}

    def attribute(self, o: Any, name: str, depth: int) -> _JSON:
        """Read attribute `name` of `o`; a raising read is recorded, not raised."""
        try:
            value = getattr(o, name)
        except Exception as exc:  # noqa: BLE001 - a raising property is data, not a failure
            return None if self.skip_specials else {PROPERTY_ERROR: _exception_form(exc)}
        if self.redact and value is not None and is_secret_key(name):
            return REDACTED
        return self.encode(value, depth + 1)

    def pydantic(self, o: BaseModel, t: type[BaseModel], depth: int) -> dict[str, Any]:
        names = [
            name
            for name, field in t.model_fields.items()
            if not field.exclude and not (self.skip_specials and name == CLASS_INFO)
        ]
        out = self.fields(o, names, depth)
        extra = o.__pydantic_extra__
        if extra:
            out.update(self.mapping(list(extra.items()), len(extra), depth))
        for name in t.model_computed_fields:
            out[name] = self.attribute(o, name, depth)
        return out

    def component(self, o: Any) -> bool:
        if self.is_component is None:
            return False
        try:
            return bool(self.is_component(o))
        except Exception:  # noqa: BLE001 - a failing predicate means "not a component"
            return False

    def attributes(self, o: Any, t: type, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            instance_dict = object.__getattribute__(o, "__dict__")
        except Exception:  # noqa: BLE001 - no instance dict
            instance_dict = {}
        for name, is_property in _attribute_names(o, t):
            if is_property:
                out[name] = self.attribute(o, name, depth)
                continue
            if isinstance(instance_dict, dict) and name in instance_dict:
                value = instance_dict[name]
            else:
                try:
                    value = object.__getattribute__(o, name)
                except Exception:  # noqa: BLE001, S112 - an empty slot
                    continue
            if self.redact and value is not None and is_secret_key(name):
                out[name] = REDACTED
                continue
            vt = type(value)
            if vt is str or vt is int or vt is bool or vt is float or value is None:
                out[name] = self.encode(value, depth + 1)
                continue
            encoded = self.container(value, vt, depth + 1)
            if encoded is not _PLAIN:  # a lock, a client, ...: left out, as TruLens does
                out[name] = encoded
        return out

    def finish(self, o: Any, t: type, content: dict[str, Any]) -> _JSON:
        """Add class info to components and apply a ``jsonify_extra(content)`` hook."""
        if not self.skip_specials and CLASS_INFO not in content and self.component(o):
            content[CLASS_INFO] = _class_info(t, with_bases=True)
        extra = getattr(t, "jsonify_extra", None)
        if callable(extra):
            try:
                changed = extra(o, content)
            except Exception as exc:  # noqa: BLE001 - keep the content as it was
                logger.debug("jsonify_extra of %s failed: %r", t, exc)
            else:
                if isinstance(changed, dict):
                    content = changed
        return content


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
    if t is int or t is bool or obj is None:
        return obj
    if t is str and len(obj) <= max_str and not (redact and secret_values and obj in secret_values):
        return obj
    try:
        encoder = _Encoder(
            redact, max_depth, max_items, max_str, max_nodes, skip_specials, is_component, memo
        )
        return encoder.encode(obj, 0)
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError when called very deep
        logger.debug("jsonify failed on a %s: %r", t, exc)
        if skip_specials:
            return None
        return {NON_SERIALIZED: {"cls": None, "id": id(obj), "init_bindings": None}}
