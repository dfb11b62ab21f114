"""Turning a finished root call's raw calls into `Record`\\ s.

Runs once per root call, with recording suspended: when the root ends, on the thread
that ended it, if feedbacks will run on its records, else when a recording holding it
is first read (`PendingRecords`; see :mod:`spyglass.core.recording._calls`). Everything
deferred from the hot path happens here: arguments are bound to parameter names, values serialised (each
object once per build: one `jsonify` memo serves every call, so a ``Response`` that
three calls return is serialised once and its JSON shared by the three), paths
looked up, call ids drawn, ``RecordAppCall`` objects built, cost asked of the
adapters, main input and output computed.

Paths. A call's frame path is the path the recorder's walk gave its instance
(``app.retriever``). An instance the walk did not reach (an object the framework
created per call) is placed under the component path of its caller plus its class
name: a ``CompactAndRefine`` created inside ``app.chat_engine`` is at
``app.chat_engine.CompactAndRefine``; a method it calls on itself is at that same
path (not ``...CompactAndRefine.CompactAndRefine``). Root calls are always on
reached instances.

Plumbing. Calls on instances of classes an adapter excludes
(``InstrumentSpec.exclude``; LangGraph's ``ChannelWrite``) are left out; calls made
inside them are placed as if made by the nearest recorded caller.

Cost. Each finished call of a method whose spec says ``reports_cost=True`` (a
model's request) is offered to the ``spyglass_call_cost`` hook; the answers are
summed into ``Record.cost``. When no call reports a cost the record's cost is
``Cost()`` (all zero, ``n_requests == 0``): read it as "nothing reported", not
"free".
"""

from __future__ import annotations

import inspect
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._classpath import ClassCache
from .._log_once import LogOnce
from ..instrument._context import _STATE
from ..instrument._wrap import exclusions
from ..lens._lens import Lens
from ..plugins import _main_io
from ..plugins._manager import call_first
from ..schema._measures import Cost, Perf
from ..schema._record import Record, RecordAppCall, RecordAppCallMethod
from ..serial._jsonify import TRUNCATED, Jsonifier, jsonify
from ..serial._pyschema import Class, Method, Obj
from ..serial._types import error_text

if TYPE_CHECKING:
    from ._app import App
    from ._calls import Recording, _Call

__all__ = ["PendingRecords", "build_records", "dry_call"]

logger = logging.getLogger("spyglass.core.recording")

_PID = os.getpid()
# class -> its description, for the frames of calls of its methods
_class_info: ClassCache[Class] = ClassCache(Class.of_class)


def _fast_constructor(cls: type[Any], sample: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
    """A constructor for ``cls`` from a complete, already valid field dict.

    Like ``model_construct`` but several times faster, and every instance shares one
    fields-set (pydantic only ever adds names to it, and all names are in it), which
    saves a set per call held by a record. Checked once, on ``sample`` (every field, in
    declaration order), against ``model_construct``; if pydantic ever builds models
    differently, or ``cls`` has private attributes, a post-init hook or extra fields, the
    constructor returned is ``model_construct`` itself.
    """

    def slow(values: dict[str, Any]) -> Any:
        return cls.model_construct(**values)

    if (
        cls.__private_attributes__
        or cls.__pydantic_post_init__
        or cls.model_config.get("extra") == "allow"
    ):
        return slow
    names = list(cls.model_fields)
    shared = set(names)
    try:
        set_dict, set_fields, set_extra, set_private = _slot_setters(cls)
    except Exception:  # noqa: BLE001 - a pydantic without these slots
        return slow
    new: Any = cls.__new__

    def make(values: dict[str, Any]) -> Any:
        obj = new(cls)
        set_dict(obj, values)
        set_fields(obj, shared)
        set_extra(obj, None)
        set_private(obj, None)
        return obj

    try:
        fast_obj, slow_obj = make(dict(sample)), slow(dict(sample))
        same = (
            list(sample) == names
            and fast_obj.__dict__ == slow_obj.__dict__
            and fast_obj.model_fields_set == slow_obj.model_fields_set
            and fast_obj.__pydantic_extra__ == slow_obj.__pydantic_extra__
            and fast_obj.__pydantic_private__ == slow_obj.__pydantic_private__
            and fast_obj.model_dump() == slow_obj.model_dump()
        )
    except Exception:  # noqa: BLE001 - spyglass never raises into the app
        same = False
    if not same:
        logger.debug("spyglass uses model_construct for %s", cls.__qualname__)
        return slow
    return make


_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")


def _slot_setters(cls: type[Any]) -> list[Callable[[Any, Any], None]]:
    """The setters of a model's ``__dict__`` and pydantic's three slots, as `_SLOTS`.

    What ``object.__setattr__(obj, name, value)`` calls, without looking the name up
    through the class each time. The constructors that use them are checked against
    pydantic's own when made.
    """
    setters = []
    for name in _SLOTS:
        owner = next(klass for klass in cls.__mro__ if name in vars(klass))
        setters.append(vars(owner)[name].__set__)
    return setters


def _default_constructor(cls: type[Any]) -> Callable[[], Any]:
    """``cls()`` for a model whose fields all have immutable defaults, without validation.

    Each instance gets its own dict and an empty fields-set, as ``cls()`` gives. Checked
    once against ``cls()``; for any other model the constructor returned is ``cls``.
    """
    plain = (int, float, str, bool, type(None))
    fields = cls.model_fields
    if (
        cls.__private_attributes__
        or cls.__pydantic_post_init__
        or any(
            f.default_factory is not None or type(f.default) not in plain for f in fields.values()
        )
    ):
        return cls
    defaults = {name: f.default for name, f in fields.items()}
    try:
        set_dict, set_fields, set_extra, set_private = _slot_setters(cls)
    except Exception:  # noqa: BLE001 - a pydantic without these slots
        return cls
    new: Any = cls.__new__

    def make() -> Any:
        obj = new(cls)
        set_dict(obj, dict(defaults))
        set_fields(obj, set())
        set_extra(obj, None)
        set_private(obj, None)
        return obj

    try:
        fast_obj, slow_obj = make(), cls()
        same = (
            fast_obj.__dict__ == slow_obj.__dict__
            and fast_obj.model_fields_set == slow_obj.model_fields_set
            and fast_obj.__pydantic_extra__ == slow_obj.__pydantic_extra__
            and fast_obj.__pydantic_private__ == slow_obj.__pydantic_private__
        )
    except Exception:  # noqa: BLE001 - spyglass never raises into the app
        same = False
    return make if same else cls


_T0 = datetime(2000, 1, 1)
_no_cost = _default_constructor(Cost)  # Cost(): what a record costs when no call reports
_new_perf = _fast_constructor(Perf, {"start_time": _T0, "end_time": _T0})
_new_call = _fast_constructor(
    RecordAppCall,
    {
        "call_id": "",
        "stack": [],
        "args": {},
        "rets": None,
        "error": None,
        "perf": None,
        "pid": 0,
        "tid": 0,
    },
)
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def _call_ids(n: int) -> Iterator[str]:
    """``n`` random version-4 UUID strings, from one read of the OS's random source."""
    raw = os.urandom(16 * n).hex()
    for i in range(0, 32 * n, 32):
        h = raw[i : i + 32]
        yield f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def build_records(
    root: _Call, wanted: Sequence[tuple[Recording, Any]] | None = None
) -> list[tuple[Recording, Record]]:
    """Build one record per recording that accepted ``root``.

    Recordings of the same recorder share the built calls; each gets its own
    `Record`. ``wanted``: the recordings to build for, each with its ``meta``
    (default: every recording of the root, with its ``record_metadata`` now).
    """
    if wanted is None:
        wanted = [(recording, recording.record_metadata) for recording in root.recordings]
    by_app: dict[int, list[tuple[Recording, Any]]] = {}
    for recording, meta in wanted:
        by_app.setdefault(id(recording.app), []).append((recording, meta))
    out: list[tuple[Recording, Record]] = []
    # One id per Python call, shared by every recorder that observed it.
    ids = dict(zip(map(id, root.calls), _call_ids(len(root.calls))))
    # Forms are shared between calls and records from here on: nothing may change them.
    memo: dict[int, Any] = {}
    serialiser = Jsonifier(memo=memo)  # one serialiser, one memo, for every value
    for pairs in by_app.values():
        app = pairs[0][0].app
        parts = _record_parts(app, root, ids, serialiser)
        for recording, meta in pairs:
            # Parts are built objects, calls sorted by end time: no validation needed.
            record = Record._from_parts(
                app_id=app.app_id,
                tags=app.tags,
                meta=None if meta is None else serialiser.value(meta),
                **parts,
            )
            out.append((recording, record))
    return out


class PendingRecords:
    """The records of one finished root call, built when first asked for.

    Made at the root's end (see :func:`spyglass.core.recording._calls._finish_root`) and
    queued on each recording that accepted the root; the first recording read
    builds the records of all of them at once (shared call ids and serialisation),
    with recording suspended. A build that fails is logged once and yields no
    records; it never raises.
    """

    __slots__ = ("_built", "_lock", "_metas", "_recordings", "_root")

    def __init__(self, root: _Call) -> None:
        self._root: _Call | None = root
        # record_metadata as it was when the root ended, not when it is read
        self._metas = tuple(recording.record_metadata for recording in root.recordings)
        # Weakly, and the root lets go of them: a recording holds this (until read), so
        # strong references back would make a cycle, and every recording dropped unread
        # would leave its calls, arguments and results for the cycle collector.
        self._recordings = tuple(weakref.ref(recording) for recording in root.recordings)
        root.recordings = ()
        self._built: dict[int, Record] = {}
        self._lock = threading.Lock()

    def record_for(self, recording: Recording) -> Record | None:
        """The record ``recording`` gets (building all of them the first time)."""
        with self._lock:
            root = self._root
            if root is not None:
                self._root = None
                wanted = [
                    (alive, meta)
                    for ref, meta in zip(self._recordings, self._metas)
                    if (alive := ref()) is not None
                ]
                self._built = _build_suspended(root, wanted)
        return self._built.get(id(recording))

    def __del__(self) -> None:
        # Never built (every recording dropped unread, no sink wanted it): let the raw
        # calls go now rather than at the next cycle collection.
        root = self._root
        if root is not None:
            root.release()


def _build_suspended(root: _Call, wanted: list[tuple[Recording, Any]]) -> dict[int, Record]:
    # Recording suspended (as `recording_suspended`, without a generator per build):
    # hooks and serialisation may call instrumented code.
    token = _STATE.set(None)
    try:
        return {id(recording): record for recording, record in build_records(root, wanted)}
    except Exception as exc:  # noqa: BLE001 - spyglass never raises into the app
        _log_once("building a record", exc)
        return {}
    finally:
        _STATE.reset(token)
        root.release()  # the records hold what they need; let the raw calls go


def _record_parts(
    app: App, root: _Call, ids: dict[int, str], serialiser: Jsonifier
) -> dict[str, Any]:
    calls, cost = _calls(app, root, ids, serialiser)
    encode = serialiser.value
    wall0 = root.wall0
    site = root.site
    bindings = site.bind(root.instance, root.args, root.kwargs)
    main_input = _main_io.main_input(app.app, site.func, bindings)
    error = root.error
    if error is None:
        main_output = _main_io.main_output(
            app.app, site.func, bindings, root.ret, streamed=root.items is not None
        )
        main_error = None
    else:
        main_output = None
        main_error = encode(error)
    end = _datetime(wall0 + (root.end if root.end is not None else time.perf_counter_ns()))
    return {
        "cost": cost,
        "perf": _new_perf({"start_time": _datetime(wall0 + root.start), "end_time": end}),
        "ts": end,
        "main_input": encode(main_input),
        "main_output": encode(main_output),
        "main_error": main_error,
        "calls": calls,
    }


def _calls(
    app: App, root: _Call, ids: dict[int, str], serialiser: Jsonifier
) -> tuple[list[RecordAppCall], Cost]:
    """The root's finished calls as ``RecordAppCall``\\ s, in end order, and their cost."""
    encode = serialiser.value
    encode_args = serialiser.new_dict  # `arguments` makes a new dict per call

    wall0 = root.wall0
    new_call = _new_call
    new_perf = _new_perf
    stamp = datetime.fromtimestamp  # as `_datetime`, inlined: two per call
    pid = _PID
    tids: dict[int, int] = {}  # one int object per thread id, not one per call
    calls: list[RecordAppCall] = []
    ends: list[int] = []
    cost: Cost | None = None
    errors = _ErrorTexts(serialiser.max_str)
    placed = _placed(app, root)
    # Every call's arguments first, then the returns: what one call returns and the next
    # takes (a retriever's documents, a prompt's messages) is met at depth 1 in the
    # arguments and at depth 0 as a return, and the memo serves a form made deeper to a
    # shallower meeting, not the other way. As one dict per call, so that secrets are
    # redacted by parameter name too (`api_key=...`), not only inside the values.
    arguments = [
        encode_args(node.site.arguments(node.instance, node.args, node.kwargs))
        for node, _stack, _end in placed
    ]
    for (node, stack, end), args in zip(placed, arguments):
        site = node.site
        error = node.error
        if node.items is not None:
            ret = node.items
            rets = encode(ret)
            if node.dropped and isinstance(rets, list):
                # A new list: the memo's form may be shared with other calls.
                rets = [*rets, {TRUNCATED: f"{node.dropped} more items were streamed, not kept"}]
        else:
            ret = node.ret
            rets = None if error is not None else encode(ret)
        tid = node.tid
        ends.append(end)
        call_id = ids.get(id(node)) or next(_call_ids(1))
        calls.append(
            new_call(
                {
                    "call_id": call_id,
                    "stack": stack,
                    "args": args,
                    "rets": rets,
                    "error": node.note if error is None else errors.text(error, call_id),
                    "perf": new_perf(
                        {
                            "start_time": stamp((wall0 + node.start) / 1e9),
                            "end_time": stamp((wall0 + end) / 1e9),
                        }
                    ),
                    "pid": pid,
                    "tid": tids.setdefault(tid, tid),
                }
            )
        )
        if site.reports_cost:
            reported = call_first(
                "spyglass_call_cost", obj=node.instance, method_name=site.name, ret=ret
            )
            if reported is not None:
                cost = reported if cost is None else cost + reported
    # End order at nanosecond precision: datetimes keep microseconds, so calls that end
    # within one microsecond would otherwise keep start order (the root first).
    order = sorted(range(len(calls)), key=ends.__getitem__)
    return [calls[i] for i in order], cost if cost is not None else _no_cost()


class _ErrorTexts:
    """The ``error`` text of each call that raised, one exception at a time.

    An exception usually passes through several calls (each caller re-raises it). Its
    message is made into text once (bounded like any string, secrets inside it
    redacted; see `error_text`) and kept whole in the first call that records it (the
    outermost); the others keep its first `_REPEAT` characters and the id of that call.
    """

    __slots__ = ("_max", "_seen")

    def __init__(self, max_chars: int) -> None:
        self._max = max_chars
        self._seen: dict[int, tuple[BaseException, str, str]] = {}

    def text(self, error: BaseException, call_id: str) -> str:
        seen = self._seen.get(id(error))
        if seen is None:
            text = error_text(error, self._max)
            self._seen[id(error)] = (error, text, call_id)
            return text
        _error, text, first = seen
        if len(text) <= _REPEAT:
            return text
        return f"{text[:_REPEAT]}...[{TRUNCATED}: the same error as call {first}]"


# How much of an exception's message the second and later calls it passed through keep.
_REPEAT = 1_000


def _placed(app: App, root: _Call) -> list[tuple[_Call, list[RecordAppCallMethod], int]]:
    """Each finished, recorded call of ``root`` with its stack and end, in start order.

    Works out every call's path (see the module docstring) and stack; plumbing calls
    are left out and calls still open when the root ended (a stream nobody finished)
    are placed but not returned.
    """
    known = app._paths
    # per raw call (by id): its path and its stack
    paths: dict[int, Lens] = {}
    stacks: dict[int, list[RecordAppCallMethod]] = {}
    # Frames of the app's own components are kept on the recorder for the next
    # records (their objects and paths live as long as it); others per record.
    app_frames: dict[tuple[int, Any], RecordAppCallMethod] = app._frames
    frames: dict[tuple[int, int, int], RecordAppCallMethod] = {}
    shared_stacks: dict[tuple[int, int], list[RecordAppCallMethod]] = {}
    # (id of the caller's path, class name) -> path of an instance the walk did not reach
    unreached: dict[tuple[int, str], Lens] = {}
    placed: list[tuple[_Call, list[RecordAppCallMethod], int]] = []
    excluded = exclusions()
    for node in list(root.calls):  # parents are always listed before their children
        instance = node.instance
        parent = node.parent
        site = node.site
        if excluded is not None and parent is not None and excluded[type(instance)]:
            # Plumbing: not recorded; what it calls attaches to its caller.
            paths[id(node)] = paths[id(parent)]
            stacks[id(node)] = stacks[id(parent)]
            continue
        path = known.get(id(instance))
        if path is not None:
            frame = app_frames.get((id(instance), site))  # the site itself: held, never reused
            if frame is None:
                frame = app_frames[(id(instance), site)] = _frame(path, site, instance)
        else:
            if parent is None:
                path = Lens()
            elif parent.instance is instance:  # a method of the caller's own object
                path = paths[id(parent)]
            else:
                path = _unreached_path(unreached, paths[id(parent)], instance)
            key = (id(instance), id(site), id(path))
            frame = frames.get(key)
            if frame is None:
                frame = frames[key] = _frame(path, site, instance)
        paths[id(node)] = path
        # Calls with the same stack share one list (a record is read-only).
        parent_stack = stacks[id(parent)] if parent is not None else None
        skey = (id(parent_stack), id(frame))
        stack = shared_stacks.get(skey)
        if stack is None:
            stack = shared_stacks[skey] = [*(parent_stack or ()), frame]
        stacks[id(node)] = stack
        if node.end is not None:
            placed.append((node, stack, node.end))
    return placed


def _frame(path: Lens, site: Any, instance: Any) -> RecordAppCallMethod:
    # The instance's own class, as TruLens does: `Child.go`, not the `Base.go` it inherits
    # (the wrapper sits on the defining class; `site.cls` is that one).
    cls = site.cls if instance is None else type(instance)
    return RecordAppCallMethod.model_construct(path=path, method=_method(cls, site.name, instance))


def _method(cls: type, name: str, instance: Any) -> Method:
    info = _class_info[cls]
    # Obj has a field named `cls`, which model_construct cannot take by keyword.
    return Method.model_construct(obj=Obj(cls=info, id=id(instance)), name=name)


def dry_call(path: Lens, cls: type, name: str, function: Any, instance: Any) -> RecordAppCall:
    """A stand-in call of ``cls.name`` at ``path`` for ``App.dry_run_layout``.

    Its ``args`` are the parameters (the instance parameter left out) with their
    defaults, ``None`` when there is none; ``rets`` is ``None``.
    """
    args: dict[str, Any] = {}
    try:
        params = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        params = []
    for i, param in enumerate(params):
        if i == 0 and param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            continue  # the instance
        args[param.name] = None if param.default is param.empty else jsonify(param.default)
    owner = cls if instance is None else type(instance)  # as `_frame`
    frame = RecordAppCallMethod.model_construct(path=path, method=_method(owner, name, instance))
    return RecordAppCall.model_construct(
        call_id="dry_run", stack=[frame], args=args, rets=None, error=None, perf=None, pid=0, tid=0
    )


def _unreached_path(cache: dict[tuple[int, str], Lens], caller: Lens, instance: Any) -> Lens:
    name = type(instance).__name__
    key = (id(caller), name)
    path = cache.get(key)
    if path is None:
        path = cache[key] = caller[name]
    return path


def _datetime(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9)


_once = LogOnce(logger)


def _log_once(place: str, exc: BaseException) -> None:
    """Log a failure inside spyglass once per place; the app's call is unaffected.

    Called from ``except`` blocks: the traceback logged is that of ``exc``.
    """
    _once.log(
        place,
        "spyglass failed while %s (%r); the app's call is unaffected but its record may be "
        "missing or incomplete. Please report this at the spyglass issue tracker with the "
        "traceback below (shown once).",
        place,
        exc,
    )
