"""Records: what one top-level call of an app did, laid out in the app's structure.

A `Record` holds the main input, output and error of a root call, its cost and timing,
and every instrumented call made while it ran (`RecordAppCall`), each with its call
stack (`RecordAppCallMethod` frames: a component path in the app and a method).

`Record.layout_calls_as_app` arranges the calls by component path, so that lenses such
as ``Select.RecordCalls.retriever.retrieve.rets`` address them (as TruLens 1.x); the
layout is cached on the record, which makes `Record.get` cheap after the first use.

Differences from TruLens, on purpose:

- ``record_id`` defaults to ``"record_" + uuid4().hex`` instead of a hash of the whole
  record (which cost a full serialisation per record, TruLens 1.x); records
  carry a timestamp and unique call ids, so the hash never deduplicated anything.
  `Record.content_hash_id` still computes the TruLens-style id on request.
- In the layout, ``calls`` (like the leaves) holds `RecordAppCall` objects, not their
  JSON dumps; lenses read attributes and keys alike, so selectors are unaffected.
- `Record.wait_for_feedback_results` never raises and never drops a feedback: one that
  fails or times out is reported as a ``failed`` `FeedbackResult` that says why.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import logging
import math
import os
import reprlib
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime
from typing import Any

import munch
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_serializer, model_validator

from .._classpath import ClassCache
from ..lens._lens import APP_KEY, RECORD_KEY, Lens
from ..lens._steps import GetAttribute, GetIndex, GetItem, GetItemOrAttribute, StepItemOrAttribute
from ..serial._pyschema import Method
from ._enums import FeedbackResultStatus
from ._feedback import FeedbackDefinition, FeedbackResult
from ._ids import recursive_hash
from ._measures import Cost, Perf, _naive_iso

__all__ = ["Record", "RecordAppCall", "RecordAppCallMethod"]

logger = logging.getLogger(__name__)


class _ItemAccess:
    """Fields read as items too: ``call["stack"]``, ``step["path"]``, ``"rets" in call``.

    TruLens's layout holds the calls as JSON dicts and its quickstarts index them;
    ours holds the model objects, which answer both ways. Only field names are keys.
    """

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        if isinstance(key, str) and key in type(self).model_fields:  # type: ignore[attr-defined]
            return getattr(self, key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in type(self).model_fields  # type: ignore[attr-defined]

    def keys(self) -> list[str]:
        """The field names, as a dict's keys."""
        return list(type(self).model_fields)  # type: ignore[attr-defined]

    def get(self, key: str, default: Any = None) -> Any:
        """The field ``key``, or ``default`` when there is no such field."""
        try:
            return self[key]
        except KeyError:
            return default


# How long `wait_for_feedback_results` waits when no timeout is given (TruLens:
# `TP.DEBUG_TIMEOUT`).
DEFAULT_FEEDBACK_TIMEOUT = 600.0


class RecordAppCallMethod(_ItemAccess, BaseModel):
    """One frame of a recorded call stack: a component path in the app and a method.

    Attributes:
        path: where the component sits in the app, e.g. ``app.retriever``.
        method: the method called on it.
    """

    path: Lens
    method: Method

    def __str__(self) -> str:
        name: str = self.method.name
        return f"{self.path}.{name}"


def _new_call_id() -> str:
    return str(uuid.uuid4())


class RecordAppCall(_ItemAccess, BaseModel):
    """One recorded call of an instrumented method.

    Attributes:
        call_id: unique id of the Python call (shared by every recorder observing it).
        stack: the call stack, root call first, this call last.
        args: parameter name -> JSON value (``self`` left out). Virtual records may
            hold a list here.
        rets: the JSON return value, ``None`` if the call raised.
        error: ``str(exception)`` if the call raised.
        perf: start and end time.
        pid: process id.
        tid: native thread id.
    """

    call_id: str = Field(default_factory=_new_call_id)
    stack: list[RecordAppCallMethod]
    args: dict[str, Any] | list[Any] = Field(default_factory=dict)
    rets: Any = None
    error: str | None = None
    perf: Perf | None = None
    pid: int = Field(default_factory=os.getpid)
    tid: int = Field(default_factory=threading.get_native_id)

    @property
    def top(self) -> RecordAppCallMethod:
        """The frame of this call (the last of the stack)."""
        return self.stack[-1]

    @property
    def method(self) -> Method:
        """The method this call called."""
        return self.stack[-1].method

    def __str__(self) -> str:
        return "RecordAppCall: " + " -> ".join(map(str, self.stack))


# hex digit -> the variant nibble ``uuid.uuid4`` puts in its place (``10xx``).
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def _new_record_id() -> str:
    # ``"record_" + uuid.uuid4().hex``, without building a UUID object: the same random
    # bits with the version (4) and variant nibbles set as uuid4 sets them.
    h = os.urandom(16).hex()
    return f"record_{h[:12]}4{h[13:16]}{_VARIANT[h[16]]}{h[17:]}"


def _field_defaults(cls: type) -> list[tuple[str, Any, Any]]:
    """``(name, default factory or None, default)`` per field of a model class, read once:
    pydantic's own ``get_default`` inspects the factory's signature on every call."""
    fields: dict[str, Any] = getattr(cls, "model_fields", {})
    return [(name, info.default_factory, info.default) for name, info in fields.items()]


# Record class -> its field defaults, for Record._from_parts.
_part_defaults = ClassCache(_field_defaults)

# Defaults pydantic hands out as they are (it copies any other default per instance).
_IMMUTABLE = (type(None), str, int, float, bool)


def _immutable_privates(cls: type[BaseModel]) -> dict[str, Any] | None:
    """The private attributes' defaults, if none has a factory and all are immutable."""
    defaults = {}
    for name, attr in cls.__private_attributes__.items():
        if attr.default_factory is not None:
            return None
        default = attr.get_default()
        if type(default) not in _IMMUTABLE:
            return None
        defaults[name] = default
    return defaults


# Record class -> its private attributes' defaults, when all are immutable (a copy per record).
_private_defaults = ClassCache(_immutable_privates)


def _end_time_key(call: RecordAppCall) -> float:
    # Calls without an end time sort last (TruLens: datetime.max). A float key never
    # fails on a mix of naive and aware datetimes.
    end = call.perf.end_time if call.perf is not None else None
    return math.inf if end is None else end.timestamp()


class Record(BaseModel):
    """The record of one top-level call of an app.

    Attributes:
        record_id: unique id; ``"record_" + uuid4().hex`` unless given (see module doc).
        app_id: the app that produced this record.
        cost: cost of the calls (tokens, requests, money).
        perf: start and end time of the root call.
        ts: when the record was last updated.
        tags: tags of the record.
        meta: metadata attached by the user (``recording.record_metadata``).
        main_input: the app's main input.
        main_output: the app's main output, if there was no error.
        main_error: the app's error, if there was one.
        calls: every recorded call, ordered by end time (calls without one last). The
            root call ends last, so ``calls[-1]`` is normally the root.
        experimental_otel_spans: kept for compatibility with TruLens 1.2 data; unused.
        feedback_and_future_results: (definition, future result) for each feedback
            scheduled on this record; not serialised.
        feedback_results: the futures alone (TruLens compatibility); not serialised.

    Unknown fields in stored data (e.g. TruLens's ``conversation_id``) are ignored.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    record_id: str = Field(default_factory=_new_record_id)
    app_id: str
    cost: Cost | None = None
    perf: Perf | None = None
    ts: datetime = Field(default_factory=datetime.now)
    tags: str | None = ""
    meta: Any = None
    main_input: Any = None
    main_output: Any = None
    main_error: Any = None
    calls: list[RecordAppCall] = Field(default_factory=list)
    experimental_otel_spans: list[Any] = Field(default_factory=list)
    feedback_and_future_results: list[tuple[FeedbackDefinition, Future[FeedbackResult]]] | None = (
        Field(None, exclude=True)
    )
    feedback_results: list[Future[FeedbackResult]] | None = Field(None, exclude=True)

    # The layout and what it was built from: (id of the calls list, its length).
    _layout: munch.Munch | None = PrivateAttr(None)
    _layout_key: tuple[int, int] | None = PrivateAttr(None)

    @field_serializer("ts")
    def _ts_iso(self, value: datetime) -> str:
        return _naive_iso(value)  # as Perf: ISO text without timezone, in every dump mode

    @classmethod
    def _from_parts(cls, **fields: Any) -> Record:
        """A record from parts that are already valid, without validating them.

        For the record build, whose cost, perf and calls are built model objects and
        whose calls are already in end-time order: the result equals
        ``Record(**fields)`` (missing fields get their defaults, ``record_id`` a new
        id), at a fraction of the cost. Anything else must use ``Record(...)``.
        """
        defaults = _part_defaults[cls]
        values = {
            name: fields[name] if name in fields else factory() if factory else default
            for name, factory, default in defaults
        }
        record = cls.__new__(cls)
        setattr_ = object.__setattr__
        setattr_(record, "__dict__", values)
        setattr_(record, "__pydantic_fields_set__", set(fields))
        setattr_(record, "__pydantic_extra__", None)
        privates = _private_defaults[cls]
        setattr_(
            record,
            "__pydantic_private__",
            {name: attr.get_default() for name, attr in cls.__private_attributes__.items()}
            if privates is None
            else dict(privates),
        )
        return record

    @model_validator(mode="after")
    def _sort_calls(self) -> Record:
        calls = self.__dict__["calls"]
        if any(_end_time_key(a) > _end_time_key(b) for a, b in itertools.pairwise(calls)):
            self.__dict__["calls"] = sorted(calls, key=_end_time_key)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in _LAYOUT_FIELDS:
            # The layout holds the record's fields; rebuild it on next use.
            self._layout = None

    def __hash__(self) -> int:
        return hash(self.record_id)

    def __eq__(self, other: object) -> bool:
        # Fields only: the cached layout is not part of a record's value.
        if not isinstance(other, Record):
            return NotImplemented
        return self.__dict__ == other.__dict__

    @reprlib.recursive_repr(fillvalue="Record(...)")
    def __repr__(self) -> str:
        # Records that refer to each other (one in the other's `meta`) print as
        # `Record(...)` the second time round instead of recursing without end.
        return super().__repr__()

    def __str__(self) -> str:
        lines = [f"Record({self.record_id}) with {len(self.calls)} calls:\n"]
        lines.extend(f"  {call}\n" for call in self.calls)
        return "".join(lines)

    def content_hash_id(self) -> str:
        """The TruLens-style id: ``"record_hash_"`` + a hash of the serialised record.

        Slow on big records (a full serialisation and a recursive md5); the default
        ``record_id`` does not use it.
        """

        dump = self.model_dump(mode="json")
        dump["record_id"] = "temporary"
        digest: str = recursive_hash(dump)
        return "record_hash_" + digest

    # ------------------------------------------------------------------ layout

    def layout_calls_as_app(self) -> munch.Munch:
        """Lay the calls out in the structure of the app that made them.

        The result is a `munch.Munch` over the serialised record (``main_input``,
        ``cost``, ...; nested values are plain dicts) plus, for each call, a list at
        ``<call path>.<method name>`` holding the `RecordAppCall` objects of every
        invocation in end-time order: ``layout["app"]["retriever"]["retrieve"]``.
        Containers along a path are created as `Lens.set` does: dicts for names,
        lists padded with ``None`` for indexes. A call with an empty path (a virtual
        app's root, method ``root``) lands at the top level: ``layout["root"]``.

        The layout is cached on the record and rebuilt when a field is assigned or
        ``calls`` changes length. Treat it as read-only.
        """
        calls = self.calls
        key = (id(calls), len(calls))
        if self._layout is None or self._layout_key != key:
            self._layout = self._build_layout(calls)
            self._layout_key = key
        return self._layout

    def _build_layout(self, calls: list[RecordAppCall]) -> munch.Munch:
        # Serialise everything except the calls; the call objects are placed as they are
        # (serialising every call would dominate the cost of the first `get`).
        layout = munch.Munch(self.model_dump(mode="json", exclude={"calls"}))
        layout["calls"] = list(calls)
        layout["spans"] = {}  # TruLens 1.2's `Select.RecordSpans` target; always empty here
        for call in calls:
            top = call.stack[-1] if call.stack else None
            if top is None:
                logger.debug("Call %s has an empty stack; left out of the layout.", call.call_id)
                continue
            path = top.path.path
            if not _append_call(layout, path, top.method.name, call):
                layout = _append_call_by_lens(layout, path, top.method.name, call)
        return layout

    def get(self, path: Lens) -> Any:
        """Get the single value `path` selects from this record's layout.

        Args:
            path: a lens, normally starting at ``Select.Record`` (``__record__``); a
                lens without that prefix is read from the layout directly.

        Returns:
            The layout itself for the empty lens, else the one selected value.

        Raises:
            ValueError: `path` starts at ``__app__`` (the app, not the record), or it
                selects other than exactly one value (use ``.collect()`` to gather
                several values into one list).
        """
        layout = self.layout_calls_as_app()
        steps = path.path
        if not steps:
            return layout
        first = steps[0]
        name = first.get_item_or_attribute() if isinstance(first, StepItemOrAttribute) else None
        if name == APP_KEY:
            raise ValueError(
                f"This path references an app, not a record: `{path}`. Record.get reads "
                "record data; use a lens starting at Select.Record (`__record__`), or read "
                "app data from the app's JSON (`app.model_dump()`)."
            )
        if name == RECORD_KEY:
            path = Lens(path=steps[1:])
        return path.get_sole_item(layout)

    # --------------------------------------------------------------- feedback

    def wait_for_feedback_results(
        self, feedback_timeout: float | None = None
    ) -> dict[FeedbackDefinition, FeedbackResult]:
        """Wait for the feedback results of this record.

        Args:
            feedback_timeout: seconds to wait for each feedback, counted from this call
                (they run concurrently); default 600.

        Returns:
            Each feedback definition mapped to its result; ``{}`` if no feedback was
            scheduled on this record. Never raises: a feedback whose evaluation raised
            or did not finish in time is reported as a ``failed`` result whose
            ``error`` says so (the evaluation itself may still complete later).
        """
        pairs = self.feedback_and_future_results or []
        timeout = DEFAULT_FEEDBACK_TIMEOUT if feedback_timeout is None else feedback_timeout
        deadline = time.monotonic() + timeout
        results: dict[FeedbackDefinition, FeedbackResult] = {}
        for definition, future in pairs:
            remaining = max(0.0, deadline - time.monotonic())
            results[definition] = self._result_of(definition, future, remaining, timeout)
        return results

    @property
    def feedback_results_as_completed(self) -> Iterator[FeedbackResult]:
        """Feedback results of this record in the order they complete.

        A future that raised yields a ``failed`` result instead of raising.
        """
        pairs = self.feedback_and_future_results or []
        definitions = {id(f): d for d, f in pairs}
        # `feedback_results` is TruLens's field; fall back to the pairs if only they are set.
        futures = list(
            self.feedback_results if self.feedback_results is not None else (f for _, f in pairs)
        )

        def generate() -> Iterator[FeedbackResult]:
            for future in concurrent.futures.as_completed(futures):
                yield self._result_of(definitions.get(id(future)), future, None, None)

        return generate()

    def _result_of(
        self,
        definition: FeedbackDefinition | None,
        future: Future[FeedbackResult],
        wait: float | None,
        timeout: float | None,
    ) -> FeedbackResult:
        try:
            return future.result(timeout=wait)
        except concurrent.futures.TimeoutError:
            error = f"Feedback did not finish within {timeout:g} s; it may still be running."
            logger.error("Feedback %s on record %s: %s", _name(definition), self.record_id, error)
        except concurrent.futures.CancelledError:
            error = "Feedback evaluation was cancelled."
        except Exception as exc:  # noqa: BLE001 - a feedback's failure is data, not ours to raise
            error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return FeedbackResult(
            record_id=self.record_id,
            feedback_definition_id=None
            if definition is None
            else definition.feedback_definition_id,
            name=_name(definition),
            status=FeedbackResultStatus.FAILED,
            error=error,
        )


# Fields that appear in the layout. The feedback fields are excluded from it: they are
# assigned while feedback threads read the layout and must not make them rebuild it.
_LAYOUT_FIELDS = frozenset(Record.model_fields) - {
    "feedback_and_future_results",
    "feedback_results",
}


def _name(definition: FeedbackDefinition | None) -> str:
    return "unknown feedback" if definition is None else definition.name


def _step_key(step: object) -> str | int | None:
    """The dict key or list index a simple step addresses; None for any other step."""
    # Exact types: a subclass of a step may select differently.
    kind = type(step)
    if kind is GetItemOrAttribute or kind is GetItem or kind is GetAttribute:
        name: str = step.get_item_or_attribute()  # type: ignore[attr-defined]
        return name
    if kind is GetIndex:
        index: int = step.index  # type: ignore[attr-defined]
        return index if index >= 0 else None
    return None


def _append_call(
    layout: dict[str, Any], path: tuple[Any, ...], method: str, call: RecordAppCall
) -> bool:
    """Append `call` to the list at `path.method`, creating containers in place.

    Every container under the layout's top level was created by the layout itself
    (a fresh dump, or a container made here), so it is mutated in place. Returns False,
    having changed nothing, when the path has a step other than a name or a
    non-negative index. A path that runs into something that is not a container (e.g.
    another call's list) cannot be laid out: that call is left out, with a warning.
    """
    keys = [_step_key(step) for step in path]
    if None in keys:
        return False
    node: Any = layout
    for key in keys:  # check first, so a conflict changes nothing
        node = _child(node, key)  # type: ignore[arg-type]
        if node is _INVALID:
            break
    if node is _INVALID or (node is not None and not isinstance(node, dict)):
        logger.warning(
            "Could not place call %s in the record layout: `%s` is already taken by "
            "something that is not a component. The call stays in `Record.calls`.",
            call,
            Lens(path=path),
        )
        return True
    node = layout
    for key, following in zip(keys, [*keys[1:], method]):
        node = _ensure_child(node, key, isinstance(following, int))  # type: ignore[arg-type]
    existing = node.get(method)
    if isinstance(existing, list):
        existing.append(call)
    else:
        node[method] = [call]
    return True


_INVALID = object()


def _child(node: Any, key: str | int) -> Any:
    """The child at `key`, None if missing, `_INVALID` if `node` cannot hold `key`."""
    if node is None:
        return None
    if isinstance(key, int):
        if not isinstance(node, list):
            return _INVALID
        return node[key] if key < len(node) else None
    if not isinstance(node, dict):
        return _INVALID
    return node.get(key)


def _ensure_child(node: Any, key: str | int, want_list: bool) -> Any:
    child = _child(node, key)
    if child is None:
        child = [] if want_list else {}
        if isinstance(key, int):
            node.extend([None] * (key + 1 - len(node)))
        node[key] = child
    return child


def _append_call_by_lens(
    layout: munch.Munch, path: tuple[Any, ...], method: str, call: RecordAppCall
) -> munch.Munch:
    """The general (slow) placement TruLens 1.x has, through `Lens.set`."""
    lens = Lens(path=(*path, GetItemOrAttribute(item_or_attribute=method)))
    try:
        existing = lens.get_sole_item(layout) if lens.exists(layout) else None
    except (KeyError, IndexError, ValueError):
        existing = None
    value = [*existing, call] if isinstance(existing, list) else [call]
    try:
        return lens.set(layout, value)
    except Exception:  # noqa: BLE001 - the layout is best effort; a bad path loses one call
        logger.warning(
            "Could not place call %s in the record layout at `%s`. The call stays in "
            "`Record.calls`.",
            call,
            lens,
        )
        return layout
