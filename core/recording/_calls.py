"""Recording state and the per-call logic of instrumented methods.

State lives in one context variable and nowhere else, so it follows asyncio tasks
and every thread pool that copies the context (LangChain, LlamaIndex,
:class:`~spyglass.core.ContextThreadPoolExecutor`), and concurrent threads or tasks
never see each other's calls. Its value is one of:

- ``None``: nothing is recording here (also inside :func:`recording_suspended`).
  An instrumented method calls straight through.
- a scope (``with recorder as recording:``): the open recordings. A call made here
  is a *root* call; each open recording whose app reached the call's instance in
  its walk records it. A call on an object no open recording knows is not recorded.
- a call: the innermost instrumented call in progress. A call made here is nested
  under it and belongs to the same root (and so to the same records).

On the hot path a call stores raw references only (instance, args tuple, kwargs
dict, return value or exception, ``perf_counter_ns`` stamps, its parent) in a small
slotted object. Arguments are bound, values serialised and ``RecordAppCall``\\ s
built once per root (see :mod:`spyglass.core.recording._build`):

- when the root ends, on the app's thread, if some recorder that accepted it runs
  its feedbacks with the app (``FeedbackMode.WITH_APP``: they need the record at once);
- otherwise when a `Recording` holding it is first read, on the reading thread, or
  by the sink dispatcher's thread if sinks or background feedbacks want the record
  (:mod:`spyglass.core.recording._deliver`), whichever comes first.
  At the root's end the lists, dicts and sets among the calls' arguments and return
  values are copied one level deep (`_freeze`), so a chat history the app appends to
  later is recorded as it was; other objects are serialised as they are at the build.

So an argument that the app mutates while the root runs is recorded as it is at the
root's end, and the app's thread pays only for capturing references.

Lazy results keep their call open, through the proxies of :mod:`._streams` (which
adapters' objects that carry a stream get too, through ``StreamTee``):

- a generator or async generator is handed back wrapped; each step runs with the
  call re-installed as the current call, so calls made while producing items nest
  under it. The call's return value is the list of yielded items (at most
  ``MAX_STREAM_ITEMS``, then a truncation marker). It ends when the stream is
  exhausted, fails (recorded as its error; the same exception propagates), is
  closed early (recorded with what was streamed, noted in ``error``) or is
  garbage-collected unfinished (noted the same way).
- a coroutine is handed back wrapped the same way; the call ends when it is done.
- an ``asyncio``/``concurrent.futures`` future is returned unchanged; the call ends
  when the future is done.
- objects that carry a stream: adapters answer the ``spyglass_stream_wrapper``
  hook, asked once per return type.

A root's record is delivered when the root ends, which for a stream is when it is
exhausted or closed. Calls still open when their root ends are left out of its
record.

Anything that goes wrong inside spyglass here is logged once per place and the
app's call goes on unchanged; the app's own exceptions propagate unchanged.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import time
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .._classpath import ClassCache
from ..instrument._context import _STATE, current_state, recording_suspended, set_call_handler
from ..plugins._manager import call_first_named, on_plugins_changed, report_fault
from ..serial._jsonify import DEFAULT_MAX_ITEMS
from . import _build, _deliver
from ._block import Recording, enter, leave
from ._build import PendingRecords, _log_once
from ._streams import (
    end_when_collected,
    proxy_async_generator,
    proxy_awaitable,
    proxy_generator,
    stream_note,
)

if TYPE_CHECKING:
    from ..instrument._wrap import CallSite

__all__ = [
    "MAX_STREAM_ITEMS",
    "Recording",
    "current_state",
    "enter",
    "leave",
    "record_call",
    "recording_suspended",
]

logger = logging.getLogger("spyglass.core.recording")

MAX_STREAM_ITEMS = 10_000
"""How many items of one stream a call keeps; later items are counted, not kept."""

"""The current recording state (``None`` when nothing records); the wrapper's one read."""

_now = time.perf_counter_ns


# ------------------------------------------------------------------ state objects


class _Call:
    """One instrumented call in progress (or finished, until its root's record is built)."""

    __slots__ = (
        "__weakref__",
        "args",
        "calls",
        "dropped",
        "end",
        "error",
        "instance",
        "items",
        "kwargs",
        "note",
        "parent",
        "recordings",
        "ret",
        "root",
        "site",
        "start",
        "tid",
        "wall0",
    )
    # Set right after construction, by _open and record_call (not in __init__: the hot path).
    start: int
    root: _Call
    # Root calls only: the recordings that accepted it, every call of its tree (in
    # start order), and the wall clock at perf_counter_ns() == 0.
    recordings: tuple[Recording, ...]
    calls: list[_Call]
    wall0: int

    def __init__(
        self,
        site: CallSite,
        instance: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        parent: Any,
    ) -> None:
        self.site = site
        self.instance = instance
        self.args = args
        self.kwargs = kwargs
        self.parent = parent
        self.end: int | None = None
        self.ret: Any = None
        self.error: BaseException | None = None
        self.note: str | None = None
        self.items: list[Any] | None = None
        self.dropped = 0
        self.tid = _native_id()

    def release(self) -> None:
        """Let go of what a root holds once its records are built.

        A root refers to itself (``root.root``) and to its recordings, which refer to
        their recorder: without this, the app, its recorder and every argument of the
        call would wait for Python's cycle collector instead of going when the user
        drops them.
        """
        self.calls = []
        self.recordings = ()
        self.args, self.kwargs = (), {}
        self.instance = self.ret = self.items = None
        self.root = None  # type: ignore[assignment]  # itself: the last reference cycle

    @property
    def streamed(self) -> bool:
        """Whether the call's return value is the list of a stream's items."""
        return self.items is not None

    # A call is the sink of the stream it returned (see _streams.StreamSink).

    def add(self, item: Any) -> None:
        """Keep one streamed item: the first ``MAX_STREAM_ITEMS``; later ones are counted."""
        items = self.items
        if items is not None and len(items) < MAX_STREAM_ITEMS:
            items.append(item)
        else:
            self.dropped += 1

    def ended(self, error: BaseException | None, why: str | None) -> None:
        """The stream this call returned ended: the call ends with the items streamed."""
        note = None if why is None else stream_note(why, len(self.items or ()) + self.dropped)
        _finish_lazy(self, self.items, error, note)

    def awaited(self, ret: Any, error: BaseException | None) -> Any:
        """The awaitable this call returned is done: what its awaiter gets.

        An awaited object that carries a stream (LlamaIndex's ``aquery(...)`` with
        streaming) keeps the call open like a returned one.
        """
        if error is None:
            kind = _KINDS[type(ret)]
            if callable(kind):
                try:
                    return _wrap_stream(self, kind, ret)
                except Exception as exc:  # noqa: BLE001 - spyglass never raises into the app
                    _log_once("wrapping a lazy result", exc)
        _finish_lazy(self, ret, error)
        return ret


_native_id = threading.get_native_id


# ------------------------------------------------------------------ the hot path


def record_call(
    site: CallSite, state: Any, wrapped: Any, instance: Any, args: Any, kwargs: Any
) -> Any:
    """Run one call of an instrumented method while a recording state is active.

    Called by the wrapper only when :data:`current_state` is not ``None``. Returns
    exactly what the method returns (lazy results wrapped, see the module doc) and
    raises exactly what it raises.
    """
    call = None
    if site.enabled:
        try:
            call = _open(site, state, instance, args, kwargs)
        except Exception as exc:  # noqa: BLE001 - spyglass never raises into the app
            _log_once("opening a call", exc)
    if call is None:
        return wrapped(*args, **kwargs)
    token = _STATE.set(call)
    call.start = _now()
    try:
        ret = wrapped(*args, **kwargs)
    except BaseException as exc:
        call.end = _now()
        _STATE.reset(token)
        call.error = exc
        if call.root is call:
            _finish_root(call)
        raise
    call.end = _now()
    _STATE.reset(token)
    kind = _kind_ids.get(id(type(ret)))  # one C lookup for any type seen before
    if kind is None:
        kind = _KINDS[type(ret)]
    if kind:
        try:
            return _lazy(call, ret, kind)
        except Exception as exc:  # noqa: BLE001 - spyglass never raises into the app
            _log_once("wrapping a lazy result", exc)
    call.ret = ret
    if call.root is call:
        _finish_root(call)
    return ret


def _open(site: CallSite, state: Any, instance: Any, args: Any, kwargs: Any) -> _Call | None:
    root = state.root
    if root is None:  # a scope: this is a root call, if some recording knows the instance
        key = id(instance)
        # A block closed out of order may still be in a state restored later: skip it.
        recordings = tuple(r for r in state.recordings if r.open and r.app._knows(key))
        if not recordings:
            return None
        call = _Call(site, instance, args, kwargs, None)
        call.root = call
        call.recordings = recordings
        call.calls = [call]
        call.wall0 = time.time_ns() - _now()  # wall clock = wall0 + perf_counter_ns()
        return call
    call = _Call(site, instance, args, kwargs, state)
    call.root = root
    root.calls.append(call)  # list.append is atomic: threads of one root may share it
    return call


# ------------------------------------------------------------------ lazy results

_GEN, _AGEN, _CORO, _FUTURE = 1, 2, 3, 4


def _kind_of(tp: type) -> int | Callable[..., Any]:
    """What a call returning a ``tp`` is: 0 (a plain value), a lazy kind above, or the
    ``wrap(ret, finish)`` an adapter gives for objects that carry a stream."""
    try:
        if issubclass(tp, types.GeneratorType):
            return _GEN
        if issubclass(tp, types.AsyncGeneratorType):
            return _AGEN
        if issubclass(tp, types.CoroutineType):
            return _CORO
        if issubclass(tp, _future_types()):
            return _FUTURE
        if tp.__module__ != "builtins":
            plugin, wrap = call_first_named("spyglass_stream_wrapper", ret_type=tp)
            if wrap is not None:
                return _guarded(plugin, wrap)
    except Exception as exc:  # noqa: BLE001 - spyglass never raises into the app
        _log_once("asking adapters for a stream wrapper", exc)
    return 0


def _guarded(plugin: str | None, wrap: Callable[..., Any]) -> Callable[..., Any]:
    """``wrap`` as the hot path calls it: if it raises, the fault is logged once naming
    the plugin, the call ends with the object as returned, and the app gets that object."""

    def guarded(ret: Any, finish: Callable[..., None]) -> Any:
        try:
            return wrap(ret, finish)
        except Exception as exc:  # noqa: BLE001 - a plugin's fault never reaches the app
            report_fault(plugin, "spyglass_stream_wrapper", exc)
            finish(ret)
            return ret

    return guarded


# return type -> what its calls are (see _kind_of), decided on first sight of the type.
_KINDS: ClassCache[int | Callable[..., Any]] = ClassCache(_kind_of)
_kind_ids = _KINDS.by_id
on_plugins_changed(_KINDS.clear)  # a new or removed adapter may wrap other types


def _future_types() -> tuple[type, ...]:
    import concurrent.futures

    found: list[type] = [concurrent.futures.Future]
    aio = sys.modules.get("asyncio")
    if aio is not None:
        found.append(aio.Future)
    return tuple(found)


def _lazy(call: _Call, ret: Any, kind: int | Callable[..., Any]) -> Any:
    """Wrap a lazy result (``kind`` from :func:`_kind_of`, not 0) so its call stays open."""
    call.end = None  # still open
    if kind == _GEN:
        call.items = []
        proxy: Any = proxy_generator(ret, call, call)
        end_when_collected(proxy, call)
        return proxy
    if kind == _AGEN:
        call.items = []
        proxy = proxy_async_generator(ret, call, call)
        end_when_collected(proxy, call)
        return proxy
    if kind == _CORO:
        return proxy_awaitable(ret, call, call.awaited)
    if kind == _FUTURE:
        ret.add_done_callback(lambda fut: _future_done(call, fut))
        return ret
    return _wrap_stream(call, cast("Callable[..., Any]", kind), ret)


def _wrap_stream(call: _Call, wrap: Callable[..., Any], ret: Any) -> Any:
    """Hand ``ret`` to an adapter's stream wrapper, with ``call`` as the current call.

    So a wrapper that captures the context (``contextvars.copy_context()``) to run
    the stream's steps in gets this call as the parent of calls made while the
    stream is read.
    """

    def finish(value: Any, error: BaseException | None = None, note: str | None = None) -> None:
        _finish_lazy(call, value, error, note)

    token = _STATE.set(call)
    try:
        return wrap(ret, finish)
    finally:
        _STATE.reset(token)


def _finish_lazy(
    call: _Call, value: Any, error: BaseException | None, note: str | None = None
) -> None:
    """End a lazy call once: its return value, error, end time; deliver if root."""
    if call.end is not None:
        return
    call.end = _now()
    call.ret = value
    call.error = error
    call.note = note
    if call.root is call:
        _finish_root(call)


def _future_done(call: _Call, fut: Any) -> None:
    try:
        if fut.cancelled():
            _finish_lazy(call, None, None, "the future was cancelled")
            return
        error = fut.exception()
        _finish_lazy(call, None if error is not None else fut.result(), error)
    except Exception as exc:  # noqa: BLE001 - spyglass never raises into the app
        _log_once("reading a finished future", exc)


# ------------------------------------------------------------------ finishing roots


def _finish_root(root: _Call) -> None:
    """Deliver the root's records, one per recording that accepted it; never raises.

    If some recorder runs its feedbacks with the app (``FeedbackMode.WITH_APP``), the
    records are built now, on this thread, and evaluated before the root returns (with
    recording suspended, so calls made by adapters' hooks or by the feedbacks are not
    recorded). Otherwise the containers among the calls' values are copied (`_freeze`)
    and the build waits (`PendingRecords`) until a recording is read, or until the sink
    dispatcher builds it off this thread when sinks or background feedbacks want it
    (:mod:`spyglass.core.recording._deliver`).
    """
    token = _STATE.set(None)
    try:
        recordings = root.recordings
        plan = _deliver.plan(recordings)
        if plan != _deliver.BUILD_NOW:
            _freeze(root.calls)
            pending = PendingRecords(root)
            for recording in recordings:
                recording._defer(pending)
            if plan == _deliver.HAND_OFF:
                _deliver.submit_pending(pending, recordings)
        else:
            try:
                built = _build.build_records(root)
            finally:
                root.release()  # the record holds what it needs; let the raw calls go
            _deliver.deliver_built(built)
        for recording in recordings:  # record_ingest_mode="immediate": wait for the commit
            wait = recording.app._commit_wait
            if wait is not None:
                wait()
    except Exception as exc:  # noqa: BLE001 - spyglass never raises into the app
        _log_once("building a record", exc)
    finally:
        _STATE.reset(token)


# The most items a record keeps of a list, dict or set (jsonify's default `max_items`),
# plus one, so that the serialiser still sees there were more.
_KEEP = DEFAULT_MAX_ITEMS + 1


class _ListHead(list):  # type: ignore[type-arg]
    """The first `_KEEP` items of a longer list, and its true length (``len``)."""

    __slots__ = ("total",)
    total: int

    def __len__(self) -> int:
        return self.total


class _DictHead(dict):  # type: ignore[type-arg]
    """The first `_KEEP` items of a longer dict, and its true length (``len``)."""

    __slots__ = ("total",)
    total: int

    def __len__(self) -> int:
        return self.total


class _SetHead(set):  # type: ignore[type-arg]
    """`_KEEP` items of a larger set, and its true size (``len``)."""

    __slots__ = ("total",)
    total: int

    def __len__(self) -> int:
        return self.total


def _head(kind: type, items: Any, total: int) -> Any:
    head = kind(itertools.islice(items, _KEEP))
    head.total = total
    return head


def _copy_list(value: list[Any]) -> list[Any]:
    n = len(value)
    return value.copy() if n <= _KEEP else _head(_ListHead, value, n)


def _copy_dict(value: dict[Any, Any]) -> dict[Any, Any]:
    n = len(value)
    return value.copy() if n <= _KEEP else _head(_DictHead, value.items(), n)


def _copy_set(value: set[Any]) -> set[Any]:
    n = len(value)
    return value.copy() if n <= _KEEP else _head(_SetHead, value, n)


# type -> its copy, for the containers `_freeze` copies: whole, or (when longer than a
# record keeps) the part a record keeps, so the app's thread pays for what is kept.
_COPIES: dict[type, Callable[[Any], Any]] = {list: _copy_list, dict: _copy_dict, set: _copy_set}


def _freeze(calls: list[_Call]) -> None:
    """Copy the lists, dicts and sets the calls took or returned, one level deep.

    A deferred record is serialised when it is read, perhaps long after its root
    ended; the copy keeps what the app does next to such a container (append to a
    chat history it passed in, sort a list it got back) out of this record. Objects
    of other types, and containers nested inside these, are read when the record is
    built (documented in docs/records.md, "When records are built").

    A container that several calls share (a retriever's list of documents, returned
    by one call and passed to the next) is copied once and the copy shared, so the
    build still meets one object and serialises it once.
    """
    copies = _COPIES
    made: dict[int, Any] = {}  # id(container) -> its copy; the calls hold the originals
    for call in calls:
        args = call.args
        if args:
            for value in args:
                if type(value) in copies:
                    call.args = tuple(
                        _copy(made, copies, v) if type(v) in copies else v for v in args
                    )
                    break
        kwargs = call.kwargs
        if kwargs:
            for key, value in kwargs.items():
                if type(value) in copies:
                    kwargs[key] = _copy(made, copies, value)
        ret = call.ret
        copy = copies.get(type(ret))
        if copy is not None:  # `_copy`, inlined: most calls that return one return a list
            frozen = made.get(id(ret))
            if frozen is None:
                frozen = made[id(ret)] = copy(ret)
            call.ret = frozen


def _copy(made: dict[int, Any], copies: dict[type, Callable[[Any], Any]], value: Any) -> Any:
    """The copy of ``value`` for `_freeze`, made on first meeting it."""
    frozen = made.get(id(value))
    if frozen is None:
        frozen = made[id(value)] = copies[type(value)](value)
    return frozen


set_call_handler(record_call)
