"""The serialiser behind `jsonify`: one `_Encoder` per call (or per `jsonifier`).

Each non-scalar value is dispatched once, through a per-type handler table made from
the type's kind (:mod:`spyglass.core.serial._types`); dicts, lists and tuples have their
own paths, and the loops over their items handle scalars inline. The forms, bounds,
markers, memo and redaction rules are those of :mod:`spyglass.core.serial._jsonify`;
objects with named fields are serialised by `ObjectForms`
(:mod:`spyglass.core.serial._objects`).
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import logging
from collections.abc import Callable
from enum import Enum
from math import isfinite
from typing import Any

from .._classpath import ClassCache
from . import _encoders
from ._objects import ObjectForms
from ._secrets import is_secret_key, redact_urls, secret_values
from ._types import (
    _HUGE_INT,
    _JSON,
    _LAZY_FUNCTIONS,
    _PLAIN,
    BYTES,
    CIRCULAR,
    NON_SERIALIZED,
    REDACTED,
    TRUNCATED,
    _class_info,
    _classify,
    _exception_form,
    _float,
    _kind_of,
    _lazy_text,
    _len,
    _safe_text,
    _utf8,
    huge_int_text,
)

__all__ = ["_Encoder"]

# The serialiser's logger: what it logs reads as coming from `jsonify`.
logger = logging.getLogger("spyglass.core.serial._jsonify")

# How the encoder serialises an instance of a type that is not a scalar, a dict, a list
# or a tuple: (the `_Encoder` method for its kind, the kind's detail, whether the form
# is a leaf). Made from the type's kind (`_kind_of`) once per type, so a value costs one
# dict read to dispatch.
_Handler = Callable[["_Encoder", Any, type, Any, int], _JSON]
# type -> its handler; never keeps a class alive (see ClassCache).
_handlers: ClassCache[tuple[_Handler, Any, bool]] = ClassCache(lambda t: _handler_entry(t))
_handler_ids = _handlers.by_id  # id(type) -> its handler, without a Python call
_handlers_version = -1

# Kinds whose form is made from the value alone (no children, no user encoder, never a
# marker), the same wherever and however often the value is met: the encoder spends
# their node but keeps them out of the ancestors and the memo.
_LEAF_KINDS = frozenset(
    {"iso", "str", "int", "float", "text", "lazy", "secret", "seconds", "decimal"}
)


def _handlers_current() -> None:
    """Start the handler table over if the encoder registry changed since it was made."""
    global _handlers_version
    if _handlers_version != _encoders.version:
        _handlers.clear()
        _handlers_version = _encoders.version


def _handler_entry(t: type) -> tuple[_Handler, Any, bool]:
    kind, detail = _kind_of(t)
    return (_BY_KIND.get(kind, _Encoder.by_object), detail, kind in _LEAF_KINDS)


class _Encoder(ObjectForms):
    """The state of `jsonify` calls: settings, the ancestor ids and the node budget.

    One per `jsonify` call, or one per `jsonifier` (whose calls each start with the
    full node budget and no ancestors, as separate `jsonify` calls would).
    """

    __slots__ = (
        "ancestors",
        "is_component",
        "marks",
        "max_depth",
        "max_items",
        "max_nodes",
        "max_str",
        "memo",
        "nodes_left",
        "redact",
        "secrets",
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
        # the registered secret values when redacting (the set itself: it may grow)
        self.secrets = secret_values if redact else None
        self.max_nodes = max_nodes
        self.nodes_left = max_nodes
        self.skip_specials = skip_specials
        self.is_component = is_component
        self.ancestors: set[int] = set()
        # id -> (the object, held; depth met at; containers it took; its form)
        self.memo = memo
        self.marks = 0  # circular / truncation markers written so far

    def top(self, obj: Any) -> _JSON:
        """Serialise one value given to `jsonify`: a full node budget, never raises."""
        if _handlers_version != _encoders.version:
            _handlers_current()
        self.nodes_left = self.max_nodes
        try:
            t = type(obj)
            if t is str or t is int or t is float or t is bool or obj is None:
                return self.encode(obj, 0)
            result = self.container(obj, t, 0)  # `encode`'s other case, without its checks
            return self.plain(obj, t) if result is _PLAIN else result
        except Exception as exc:  # noqa: BLE001 - e.g. RecursionError when called very deep
            logger.debug("jsonify failed on a %s: %r", type(obj), exc)
            self.ancestors.clear()
            if self.skip_specials:
                return None
            return {NON_SERIALIZED: {"cls": None, "id": id(obj), "init_bindings": None}}

    def top_new_dict(self, d: dict[str, Any]) -> _JSON:
        """`top` for a plain dict made for this value alone, which nothing else holds
        (not even its own values: a call's arguments by name).

        Its form is the one `top` gives; it is not kept in the memo (no other value can
        meet the dict), which saves the memo's work for it.
        """
        if type(d) is not dict or self.max_depth < 0 or self.max_nodes <= 0:
            return self.top(d)
        if _handlers_version != _encoders.version:
            _handlers_current()
        self.nodes_left = self.max_nodes - 1
        # Not an ancestor of its values, as `top` would make it: made after them, the
        # dict is in none of them, so no path leads back to it.
        try:
            return self.mapping(d.items(), len(d), 0, True)
        except Exception as exc:  # noqa: BLE001 - serialisation is total
            logger.debug("jsonify: a %s failed (%r); written as non-serialised", dict, exc)
            return self.plain(d, dict)

    # -- every value goes through `encode` ----------------------------------------
    # The loops of `mapping` and `sequence` repeat its scalar cases inline: most values
    # are scalars, and a call per value is most of the cost of serialising them.

    def encode(self, o: Any, depth: int) -> _JSON:
        t = type(o)
        if t is str:
            if len(o) > self.max_str or (
                self.redact and ((secret_values and o in secret_values) or "@" in o)
            ):
                return self.string(o)
            return o
        if t is bool or o is None:
            return o
        if t is int:
            return o if -_HUGE_INT < o < _HUGE_INT else huge_int_text(o)
        if t is float:
            return o if isfinite(o) else _float(o)
        result = self.container(o, t, depth)
        return self.plain(o, t) if result is _PLAIN else result

    def string(self, s: str) -> str:
        if self.redact:
            if s in secret_values:
                return REDACTED
            s = redact_urls(s)
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
        if t is dict or t is list or t is tuple:
            entry = None
        else:
            entry = _handler_ids.get(id(t)) or _handlers[t]
            if entry[2]:
                return self.leaf(o, t, entry, depth)
        oid = id(o)
        nodes = self.nodes_left
        memo = self.memo
        if memo is not None:
            # A form made at this depth or deeper, without markers, is the same here; it
            # still spends its containers from the budget, as if made again. (Looked up
            # first: an object with a form holds no path back to itself, or its form
            # would hold a marker, so it is never an ancestor here; and the depth and
            # budget it needs pass the checks below.)
            known = memo.get(oid)
            if known is not None and depth <= known[1] and known[2] <= nodes:
                self.nodes_left = nodes - known[2]
                return known[3]
            marks = self.marks
        ancestors = self.ancestors
        if oid in ancestors:
            self.marks += 1
            return None if self.skip_specials else {CIRCULAR: oid}
        if depth > self.max_depth:
            self.marks += 1
            return {TRUNCATED: {"max_depth": self.max_depth}}
        if nodes <= 0:
            self.marks += 1
            return {TRUNCATED: {"max_nodes": "exceeded"}}
        self.nodes_left = nodes - 1
        ancestors.add(oid)
        try:
            if t is dict:
                result = self.mapping(o.items(), len(o), depth, True)
            elif entry is None:
                result = self.sequence(o, len(o), depth, True)
            else:
                result = entry[0](self, o, t, entry[1], depth)
        except Exception as exc:  # noqa: BLE001 - serialisation is total
            logger.debug("jsonify: a %s failed (%r); written as non-serialised", t, exc)
            result = _PLAIN
        finally:
            ancestors.discard(oid)
        if memo is not None and self.marks == marks:
            memo[oid] = (o, depth, nodes - self.nodes_left, result)
        return result

    def leaf(self, o: Any, t: type, entry: tuple[_Handler, Any, bool], depth: int) -> _JSON:
        """`container` for a value of a leaf kind: never an ancestor, the same from memo."""
        if depth > self.max_depth:
            self.marks += 1
            return {TRUNCATED: {"max_depth": self.max_depth}}
        if self.nodes_left <= 0:
            self.marks += 1
            return {TRUNCATED: {"max_nodes": "exceeded"}}
        self.nodes_left -= 1
        try:
            return entry[0](self, o, t, entry[1], depth)
        except Exception as exc:  # noqa: BLE001 - serialisation is total
            logger.debug("jsonify: a %s failed (%r); written as non-serialised", t, exc)
            return _PLAIN

    def new_dict(self, d: dict[Any, Any], depth: int) -> _JSON:
        """`container` for a plain dict that an encoder has just made for one value.

        Its form is the one `container` gives, but it is not looked up in or kept in
        the memo: nothing else can meet the dict (an encoder answers anew each time),
        so an entry would only hold it alive. `_PLAIN` if it has no form.
        """
        oid = id(d)
        ancestors = self.ancestors
        if oid in ancestors:  # an encoder that hands back a dict it is serialising
            self.marks += 1
            return None if self.skip_specials else {CIRCULAR: oid}
        if depth > self.max_depth:
            self.marks += 1
            return {TRUNCATED: {"max_depth": self.max_depth}}
        if self.nodes_left <= 0:
            self.marks += 1
            return {TRUNCATED: {"max_nodes": "exceeded"}}
        self.nodes_left -= 1
        ancestors.add(oid)
        try:
            return self.mapping(d.items(), len(d), depth, True)
        except Exception as exc:  # noqa: BLE001 - serialisation is total
            logger.debug("jsonify: a %s failed (%r); written as non-serialised", dict, exc)
            return _PLAIN
        finally:
            ancestors.discard(oid)

    # -- by kind (see `_BY_KIND`): (o, its type, the kind's detail, depth) --------------

    def by_kind(self, o: Any, t: type, kind: str, detail: Any, depth: int) -> _JSON:
        return _BY_KIND.get(kind, _Encoder.by_object)(self, o, t, detail, depth)

    def by_object(self, o: Any, t: type, detail: Any, depth: int) -> _JSON:
        if self.component(o):
            return self.finish(o, t, self.attributes(o, t, depth))
        return _PLAIN

    def by_pydantic(self, o: Any, t: type, detail: Any, depth: int) -> _JSON:
        return self.finish(o, t, self.pydantic(o, t, depth))

    def by_enum(self, o: Any, t: type, detail: Any, depth: int) -> _JSON:
        member: Enum = o
        return self.encode(member.value, depth) if isinstance(o, str) else _safe_text(member.name)

    def by_set(self, o: Any, t: type, detail: Any, depth: int) -> _JSON:
        out = self.sequence(o, _len(o), depth)
        if all(type(item) is str for item in out):
            out.sort()
        return out

    def by_npscalar(self, o: Any, t: type, detail: Any, depth: int) -> _JSON:
        item = o.item()
        return _safe_text(o) if type(item) is t else self.encode(item, depth)

    def by_dataclass(self, o: Any, t: type, detail: Any, depth: int) -> _JSON:
        names = [f.name for f in dataclasses.fields(o)]
        return self.finish(o, t, self.fields(o, names, depth))

    def by_function(self, o: Any, t: type, detail: Any, depth: int) -> _JSON:
        for check, what in _LAZY_FUNCTIONS:
            if check(o):
                return _lazy_text(what)
        return self.by_object(o, t, detail, depth)

    def encoded(self, o: Any, t: type, encoder: Callable[[Any], Any], depth: int) -> _JSON:
        try:
            result = encoder(o)
        except Exception as exc:  # noqa: BLE001 - fall back to the default form
            self.encoder_failed(t, repr(exc))
        else:
            rt = type(result)
            if rt is dict:  # the usual answer: `encode`, without its scalar checks
                form = self.new_dict(result, depth)
                return self.plain(result, rt) if form is _PLAIN else form
            if result is not o and rt is not t:
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

    def mapping(self, items: Any, total: int | None, depth: int, exact: bool = False) -> _JSON:
        """``(key, value)`` pairs as a dict; ``exact``: ``total`` is their true count."""
        out: dict[str, Any] = {}
        redact = self.redact
        secrets = self.secrets
        max_str = self.max_str
        limit = self.max_items
        child = depth + 1
        rest = iter(items)
        whole = exact and total is not None and total <= limit
        # A dict cannot grow while its items are read (that raises), so all of them is
        # at most `limit`; other mappings may say one length and yield more.
        for k, v in rest if whole else itertools.islice(rest, limit):
            kt = type(k)
            key = (
                k
                if kt is str
                else str(k)
                if kt is int and -_HUGE_INT < k < _HUGE_INT
                else self.key(k)
            )
            if key in out:
                key = f"{key} ({kt.__name__})"
            if v is None:
                out[key] = None
                continue
            if redact and kt is not int:  # a number is never a secret's name
                secret = is_secret_key(key)
                if secret:
                    out[key] = REDACTED
                    continue
            t = type(v)
            if t is str:
                out[key] = (
                    v
                    if len(v) <= max_str
                    and not (redact and ((secrets and v in secrets) or "@" in v))
                    else self.string(v)
                )
            elif t is int or t is bool:
                out[key] = v if -_HUGE_INT < v < _HUGE_INT else huge_int_text(v)
            elif t is float:
                out[key] = v if isfinite(v) else _float(v)
            else:
                result = self.container(v, t, child)
                out[key] = self.plain(v, t) if result is _PLAIN else result
        if not whole:
            more = next(rest, _PLAIN)
            if more is not _PLAIN:
                _key, _value = more  # unpacked as the pairs before it (a non-pair fails)
                out[TRUNCATED] = {"len": total, "kept": limit}
        return out

    def sequence(self, items: Any, total: int | None, depth: int, exact: bool = False) -> list[Any]:
        """Elements as a list; ``exact``: ``total`` is their true count."""
        limit = self.max_items
        secrets = self.secrets
        redact = self.redact
        max_str = self.max_str
        child = depth + 1
        iterator = iter(items)
        whole = exact and total is not None and total <= limit
        out: list[Any] = []
        append = out.append
        handlers = _handler_ids
        leaves = child <= self.max_depth  # else a leaf's form is the depth marker
        for v in itertools.islice(iterator, limit):
            t = type(v)
            if t is str:
                append(
                    v
                    if len(v) <= max_str
                    and not (redact and ((secrets and v in secrets) or "@" in v))
                    else self.string(v)
                )
            elif v is None or t is bool:
                append(v)
            elif t is int:
                append(v if -_HUGE_INT < v < _HUGE_INT else huge_int_text(v))
            elif t is float:
                append(v if isfinite(v) else _float(v))
            else:
                # `container`, inlined for a known leaf kind (numpy floats of an embedding)
                entry = handlers.get(id(t))
                if entry is not None and entry[2] and leaves and self.nodes_left > 0:
                    self.nodes_left -= 1
                    if entry[0] is _float_kind:  # never raises: the float's own value
                        value = float.__float__(v)
                        append(value if isfinite(value) else _float(value))
                        continue
                    try:
                        result = entry[0](self, v, t, entry[1], child)
                    except Exception as exc:  # noqa: BLE001 - serialisation is total
                        logger.debug("jsonify: a %s failed (%r); written as non-serialised", t, exc)
                        result = _PLAIN
                else:
                    result = self.container(v, t, child)
                append(self.plain(v, t) if result is _PLAIN else result)
        if whole:
            return out
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


def _float_kind(e: _Encoder, o: Any, t: type, detail: Any, depth: int) -> _JSON:
    value = float.__float__(o)
    return value if isfinite(value) else _float(value)


# kind (`_kind_of`) -> how the encoder serialises a value of that kind; a kind not
# listed ("object") is serialised as a component if it is one, else has no form.
_BY_KIND: dict[str, _Handler] = {
    "pydantic": _Encoder.by_pydantic,
    "iso": lambda e, o, t, d, depth: o.isoformat(),
    "enum": _Encoder.by_enum,
    "str": lambda e, o, t, d, depth: e.string(str.__str__(o)),
    "int": lambda e, o, t, d, depth: int.__int__(o),
    "float": _float_kind,
    "dict": lambda e, o, t, d, depth: e.mapping(dict.items(o), _len(o), depth),
    "mapping": lambda e, o, t, d, depth: e.mapping(o.items(), _len(o), depth),
    "sequence": lambda e, o, t, d, depth: e.sequence(o, _len(o), depth),
    "set": _Encoder.by_set,
    "text": lambda e, o, t, d, depth: str(o),
    "lazy": lambda e, o, t, detail, depth: detail,
    "exception": lambda e, o, t, d, depth: _exception_form(o, e.max_str, e.redact),
    "encoder": _Encoder.encoded,
    "secret": lambda e, o, t, d, depth: REDACTED if e.redact else "**********",
    "bytes": lambda e, o, t, d, depth: e.binary(o),
    "seconds": lambda e, o, t, d, depth: o.total_seconds(),
    "decimal": lambda e, o, t, d, depth: _float(float(o)),
    "ndarray": lambda e, o, t, d, depth: e.array(o, depth),
    "npscalar": _Encoder.by_npscalar,
    "dataclass": _Encoder.by_dataclass,
    "function": _Encoder.by_function,
}
