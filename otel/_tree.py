"""A record's calls as a tree of spans: trace and span ids, times, parents, and kinds.

Everything here reads a record as it is held (built by a recorder, loaded from a store,
or read back from spans by ``to_record``) and knows nothing of the SDK.
"""

from __future__ import annotations

import hashlib
import sys
import weakref
from datetime import datetime
from typing import Any

from spyglass.core import CallKind
from spyglass.core.instrument import wrapped_methods

from . import _conventions as C

__all__ = [
    "Kinds",
    "call_times",
    "ended",
    "ingested_kinds",
    "marked_kind",
    "ns",
    "parents",
    "root_span_id",
    "swap_halves",
    "trace_id_of",
]

_CUSTOM = "spyglass.adapters.custom"


def trace_id_of(record_id: str) -> int:
    """The trace id of a record: its uuid4 bits for ``record_<32 hex>``, else a hash."""
    tail = record_id.rsplit("_", 1)[-1]
    if len(tail) == 32:
        try:
            value = int(tail, 16)
        except ValueError:
            value = 0
        if value:
            return value
    return int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=16).digest(), "big") or 1


def swap_halves(value: int) -> int:
    """A 128-bit id with its two 64-bit halves swapped (its own inverse).

    A uuid4's fixed variant bits sit at the top of its low half, and OpenTelemetry's
    ``traceidratio`` sampler compares the low half of the trace id with the ratio: a
    record's trace id as it is would be kept always or never. The sampler is asked
    about this instead, whose low half (the uuid's high half) is random at the top.
    """
    return ((value & _LOW) << 64) | (value >> 64)


_LOW = (1 << 64) - 1


def root_span_id(record_id: str) -> int:
    """The span id of a record's root span (derived from the record id)."""
    digest = hashlib.blake2b(b"root:" + record_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") or 1


def ns(moment: datetime | None) -> int | None:
    """A recorded (naive, local) datetime as nanoseconds since the epoch, exactly to the µs."""
    if moment is None:
        return None
    # Whole microseconds: a float of epoch seconds holds them exactly enough to round.
    return round(moment.timestamp() * 1_000_000) * 1000


def _kind(value: object) -> CallKind:
    try:
        return CallKind(value)
    except ValueError:
        return CallKind.CUSTOM


class Kinds:
    """What kind each call of a record is: by its component's path, else by its method."""

    def __init__(self) -> None:
        self._apps: weakref.WeakKeyDictionary[Any, dict[str, CallKind]] = (
            weakref.WeakKeyDictionary()
        )
        self._methods: dict[tuple[str, str, str], CallKind] = {}

    def of_app(self, app: Any) -> dict[str, CallKind]:
        try:
            found = self._apps.get(app)
        except TypeError:  # an unhashable or non-weakref-able recorder: no cache
            found = None
        if found is None:
            found = {}
            instrumented = getattr(app, "instrumented", None)
            if callable(instrumented):
                for c in instrumented().get("components", []):
                    if c.get("kind") != "app":
                        found[c["path"]] = _kind(c["kind"])
            try:
                self._apps[app] = found
            except TypeError:
                pass
        return found

    def of_method(self, module: str, qualname: str, name: str) -> CallKind:
        key = (module, qualname, name)
        kind = self._methods.get(key)
        if kind is None:
            for entry in wrapped_methods():
                cls = entry.cls
                if cls is not None:
                    self._methods[(cls.__module__, cls.__qualname__, entry.name)] = _kind(
                        entry.kind
                    )
            kind = self._methods.setdefault(key, CallKind.CUSTOM)
        return kind


def _frame_key(frame: Any) -> tuple[str, str, int]:
    method = frame.method
    return (str(frame.path), method.name, method.obj.id)


def parents(calls: list[Any], times: list[tuple[int, int | None]]) -> list[int | None]:
    """For each call, the index of the call it was made in (``None``: made by the app call).

    A call's parent has the call's stack less its last frame and encloses it in time;
    of several such calls (a component called repeatedly, or from several threads),
    the one that started last.
    """
    # Calls share frame objects: describe each frame once.
    seen: dict[int, tuple[str, str, int]] = {}
    keys = [
        tuple(seen.get(id(f)) or seen.setdefault(id(f), _frame_key(f)) for f in call.stack)
        for call in calls
    ]
    by_stack: dict[tuple[Any, ...], list[int]] = {}
    for i, key in enumerate(keys):
        by_stack.setdefault(key, []).append(i)
    out: list[int | None] = []
    for i, call in enumerate(calls):
        found: int | None = None
        candidates = by_stack.get(keys[i][:-1], ()) if len(keys[i]) > 1 else ()
        start, end = times[i]
        best = None
        for j in candidates:
            s, e = times[j]
            if s <= start and (end is None or e is None or e >= end) and (best is None or s > best):
                found, best = j, s
        if found is None and candidates:
            found = candidates[-1]
        out.append(found)
    return out


def call_times(call: Any) -> tuple[int, int | None]:
    """A call's recorded start and end in epoch ns (0 / ``None`` when not recorded)."""
    perf = call.perf
    if perf is None:
        return 0, None
    return ns(perf.start_time) or 0, ns(perf.end_time)


def ended(end: int | None, now: int) -> int:
    """A span's end: the recorded one, else ``now`` (what a tracer's ``end()`` would take)."""
    return end if end is not None else now


def ingested_kinds(meta: Any) -> dict[str, CallKind]:
    """The kinds `to_record` kept in the meta of a record read from spans (call id -> kind)."""
    found = meta.get(C.META_KINDS) if isinstance(meta, dict) else None
    return {k: _kind(v) for k, v in found.items()} if isinstance(found, dict) else {}


def marked_kind(module: str, qualname: str, method: str) -> CallKind | None:
    """The kind ``@instrument(span_type=...)`` gave this very method, if any."""
    custom = sys.modules.get(_CUSTOM)
    if custom is None:
        return None
    kind: CallKind | None = custom.span_type_kind(module, qualname, method)
    return kind
