"""`App`: the recorder base class that every adapter's recorder extends.

Building a recorder walks the wrapped app (:mod:`spyglass.core.plugins._walk`), asks the
adapters which classes and methods to instrument (``spyglass_instrument_specs``),
and wraps each such method once on its defining class (:mod:`spyglass.core.instrument._wrap`).
Recording itself is :mod:`spyglass.core.recording._calls`; building the records is
:mod:`spyglass.core.recording._build`.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .. import sinks as _sinks
from .._log_once import LogOnce
from ..errors import RecordingError, SelectorError
from ..feedback._feedback import resolve_context
from ..feedback._runner import DEFERRED_UNAVAILABLE, FeedbackRunner
from ..feedback._selector_check import check_selectors
from ..instrument import _wrap as instrument
from ..lens._lens import Lens
from ..plugins import _walk
from ..plugins._manager import call_first, instrument_specs
from ..schema._app_definition import AppDefinition
from ..schema._enums import FeedbackMode, RecordIngestMode
from ..schema._record import Record
from ..serial._jsonify import jsonify
from ..serial._pyschema import Class
from ..sinks import _queues
from . import _calls as recording
from ._build import dry_call
from ._deliver import BUILD_NOW, DEFER, HAND_OFF, add_record, wait_committed
from ._methods import MOVED, HybridMethod, name_of, qualname, through_class

if TYPE_CHECKING:
    import munch


__all__ = ["App", "HybridMethod"]

logger = logging.getLogger(__name__)
_failures = LogOnce(logger)  # a failure that repeats on every record shows its traceback once


_T = TypeVar("_T")


class _OfDefinition(Generic[_T]):
    """A read-only attribute of a recorder: its ``definition``'s field of the same name."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc  # per attribute, for help() and IDEs
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _OfDefinition[_T]: ...
    @overload
    def __get__(self, obj: App, owner: type | None = None) -> _T: ...
    def __get__(self, obj: App | None, owner: type | None = None) -> _T | _OfDefinition[_T]:
        if obj is None:
            return self
        return getattr(obj.definition, self._name)  # type: ignore[no-any-return]

    def __set__(self, obj: App, value: _T) -> None:
        raise AttributeError(
            f"{self._name!r} is read-only on a recorder: it comes from the app's definition; "
            "pass it to the recorder's constructor instead"
        )


class App:
    """Records the calls of an app; the base of ``TruCustomApp``, ``TruChain``, ``TruLlama``.

    Usage::

        recorder = TruCustomApp(my_app, app_name="rag", app_version="v1")
        with recorder as recording:
            my_app.respond("What is spyglass?")
        record = recording.get()

        answer, record = recorder.with_record(my_app.respond, "What is spyglass?")

    **Paths.** The wrapped app is at ``app``; each object the walk reaches is at the
    lens from there (``app.retriever``, ``app.steps[1]``, ``app.tools.search``). A call on
    an instance of an instrumented class that the walk did not reach (frameworks
    create objects per call) is recorded under its caller, at the caller's component
    path plus the class name: ``app.chat_engine.CompactAndRefine``. A top-level call
    on an object that is not part of the app is not recorded by this recorder.

    **What is recorded.** Each top-level call of an instrumented component made inside
    ``with recorder`` (or ``async with``), including in tasks and context-copying
    threads started there, becomes one ``Record``; nested blocks each get the calls
    made inside them. The record exists when the root call ends (for a stream: when
    it is exhausted or closed); it is serialised then if feedbacks run on it, else
    when the recording is first read. A root that
    raises still gives a record, with ``main_error``; the exception propagates
    unchanged. ``Record.cost`` sums what the adapters report per call (``Cost()``,
    all zero, when none reports). See :mod:`spyglass.core.recording._calls` for streams.

    **Sinks.** Each finished record, and each feedback result, goes to the recorder's
    sinks (``sinks=[...]``, and its feedback runner) and to the process-wide ones
    (:func:`spyglass.core.add_sink`), on their own threads: see :mod:`spyglass.core.sinks`.

    The recorder is a plain object: its definition (what is serialised) is
    :attr:`definition`, an ``AppDefinition``, and ``app_id``, ``app_name``,
    ``app_version``, ``tags``, ``metadata``, ``feedback_mode``, ... read from it.

    Args:
        app: the object to record.
        app_name: the app's name.
        app_version: the app's version; ``app_id`` is computed from name and version.
        feedbacks: feedback functions evaluated on each record.
        feedback_mode: when feedbacks run (``FeedbackMode.DEFERRED`` needs a session:
            the record is stored with its feedbacks pending, for an evaluator).
        sinks: record sinks (:class:`~spyglass.core.RecordSink`) that receive this
            recorder's records and feedback results, besides the process-wide ones.
        session: the store (``spyglass.store.TruSession``) this recorder's definition,
            records and feedback results go to; default: the session created last in
            the process; with none, nothing is stored.
        record_ingest_mode: with a session, ``"buffered"`` (default: the app's call
            returns at once, a background writer stores the record) or
            ``"immediate"`` (the app's call returns once its record is committed).
        tags: tags of the app.
        metadata: metadata of the app.
        app_extra_json: extra JSON merged into the app's serialised form.
        selector_check_warning: warn, instead of raising, when a feedback selector
            cannot match the app.
        selector_nocheck: do not check feedback selectors.
        main_method: the method ``with_record(recorder.app, ...)`` calls; a bound
            method of the app or a function taking it first.
        app_id: deprecated; computed from ``app_name`` and ``app_version``.

    Raises:
        TypeError: an unknown keyword argument (the message lists the valid ones), or a
            sink that is not a ``RecordSink``.
        ValueError: ``feedback_mode=FeedbackMode.DEFERRED`` with no session.
        SelectorError: a feedback's selector cannot match the app.
    """

    _commit_wait: Callable[[], object] | None = None  # set when ingest is "immediate"

    def __init__(
        self,
        app: Any,
        *,
        app_name: str = "default_app",
        app_version: str = "base",
        feedbacks: Iterable[Any] = (),
        feedback_mode: FeedbackMode | str = FeedbackMode.WITH_APP_THREAD,
        sinks: Iterable[_sinks.RecordSink] = (),
        session: _sinks.RecordStore | None = None,
        record_ingest_mode: RecordIngestMode | str = RecordIngestMode.BUFFERED,
        tags: str = "-",
        metadata: dict[str, Any] | None = None,
        app_extra_json: dict[str, Any] | None = None,
        selector_check_warning: bool = False,
        selector_nocheck: bool = False,
        main_method: Callable[..., Any] | None = None,
        app_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            valid = sorted(
                p
                for p in inspect.signature(App.__init__).parameters
                if p not in ("self", "app", "kwargs")
            )
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s) "
                f"{', '.join(map(repr, sorted(kwargs)))}; valid options: {', '.join(valid)}"
                " (TruLens's connector= is session= here)"
            )
        mode = FeedbackMode(feedback_mode)
        store = session if session is not None else _sinks.current_store()
        if mode is FeedbackMode.DEFERRED and store is None:
            raise ValueError(DEFERRED_UNAVAILABLE)
        self.app = app
        self.feedbacks: list[Any] = list(feedbacks)
        self._sinks = tuple(_sinks.check_sink(sink) for sink in sinks)
        self._sink_channels = _queues.channels_for(self._sinks)
        self._main_method = main_method
        self._components: list[instrument.Component] = []
        self._paths: dict[int, Lens] = {}  # id(walked object) -> its path
        self._methods: list[instrument.InstrumentedMethod] = []
        self._skipped: list[instrument.SkippedMethod] = []
        self._keep: list[Any] = []  # the walked objects, so that their ids stay theirs
        self._frames: dict[tuple[int, Any], Any] = {}  # record stack frames, reused
        self._instrument()
        # Feedback.on_context selects "the context": this recorder says where it is.
        self.feedbacks = [resolve_context(fb, self) for fb in self.feedbacks]
        self.definition: AppDefinition = self._make_definition(
            app_name=app_name,
            app_version=app_version,
            feedback_mode=mode,
            record_ingest_mode=RecordIngestMode(record_ingest_mode),
            tags=tags,
            metadata=metadata,
            app_extra_json=app_extra_json,
            selector_check_warning=selector_check_warning,
            selector_nocheck=selector_nocheck,
            app_id=app_id,
        )
        self._feedback_runner = FeedbackRunner(self)
        check_selectors(self)
        self._store = store
        if store is not None:
            self._use_store(store)

    def _use_store(self, store: _sinks.RecordStore) -> None:
        """Store the definition now; hand records and results to the store's sink."""
        sink = _sinks.check_sink(store.sink_for(self))
        self._sinks = (*self._sinks, sink)
        self._sink_channels = _queues.channels_for(self._sinks)
        if self.definition.record_ingest_mode is RecordIngestMode.IMMEDIATE:
            self._commit_wait = functools.partial(wait_committed, sink)

    # ------------------------------------------------------------ construction

    def _make_definition(self, **fields: Any) -> AppDefinition:

        if fields.get("app_id") is None:
            fields.pop("app_id", None)
        expanded = self._expanded()
        return AppDefinition(
            root_class=Class.of_class(type(self.app)),
            # Plain objects are written attribute by attribute only where users select
            # (`Select.App.app.<component>`): see `_expanded`.
            app=jsonify(self.app, is_component=lambda obj: id(obj) in expanded),
            feedback_definitions=[
                str(getattr(fb, "feedback_definition_id", fb)) for fb in self.feedbacks
            ],
            metadata=fields.pop("metadata") or {},
            app_extra_json=fields.pop("app_extra_json") or {},
            **fields,
        )

    def _expanded(self) -> set[int]:
        """Ids of the plain objects the app definition writes attribute by attribute.

        The app, its instrumented components and the objects on the way from the app
        to one. Other objects the walk reached (a ``random.Random``, a client, an
        opaque wrapper) are left out of the definition, as are objects the walk did not
        reach; plain values, dataclasses and pydantic models are written wherever they
        are.
        """
        on_the_way = {
            steps[:n]
            for steps in (c.path.path for c in self._components)
            for n in range(len(steps) + 1)
        }
        return {key for key, path in self._paths.items() if path.path in on_the_way}

    def _extra_components(self) -> Iterable[tuple[Lens, Any]]:
        """Components to add besides those the walk finds, as ``(path, obj)``.

        For subclasses (``TruCustomApp(methods_to_instrument=...)``); called during
        construction, before the walk's results are instrumented. Default: none.
        """
        return ()

    def _instrument(self) -> None:
        """Walk the app, match the adapters' specs, wrap their methods."""

        objects: list[tuple[Lens, Any]] = list(_walk.walk(self.app, Lens().app).found.values())
        try:
            objects.extend(self._extra_components())
        except Exception:
            logger.exception(
                "%s._extra_components failed; extra components ignored", type(self).__name__
            )
        done = instrument.instrument_objects(self.app, objects, instrument_specs())
        self._components = done.components
        self._paths = done.paths
        self._methods = done.methods
        self._skipped = done.skipped
        self._keep = done.objects

    # ------------------------------------------------------------ definition

    # Read-only views of `self.definition`'s fields of the same name.
    app_id = _OfDefinition[str]("The app's id, computed from its name and version.")
    app_name = _OfDefinition[str]("The app's name.")
    app_version = _OfDefinition[str]("The app's version.")
    tags = _OfDefinition[str]("The app's tags.")
    metadata = _OfDefinition[dict[str, Any]]("The app's metadata.")
    feedback_mode = _OfDefinition[FeedbackMode]("When feedbacks are evaluated.")
    record_ingest_mode = _OfDefinition[RecordIngestMode]("How records are stored.")
    feedback_definitions = _OfDefinition[list[str]](
        "The ids of the feedbacks evaluated on each record."
    )
    root_class = _OfDefinition[Any]("The class of the wrapped app, as a ``pyschema.Class``.")
    selector_check_warning = _OfDefinition[bool](
        "Whether selector-check failures warn instead of raising."
    )
    selector_nocheck = _OfDefinition[bool]("Whether feedback selectors are left unchecked.")

    @property
    def sinks(self) -> list[_sinks.RecordSink]:
        """The recorder's own sinks: its feedback runner when feedbacks run, then the
        sinks it was given (the process-wide ones are :func:`spyglass.core.process_sinks`)."""
        runs = self.feedbacks and self.definition.feedback_mode is not FeedbackMode.NONE
        return [*((self._feedback_runner,) if runs else ()), *self._sinks]

    @property
    def _delivery(self) -> int:
        """What the end of a root does for this recorder (read once per root):
        ``BUILD_NOW`` (feedback runs with the app), ``HAND_OFF`` (sinks, or feedback in
        the background: the dispatcher builds the record), else ``DEFER`` (built on read)."""
        if self.feedbacks:
            mode = self.definition.feedback_mode
            if mode is FeedbackMode.WITH_APP:
                return BUILD_NOW
            if mode is FeedbackMode.WITH_APP_THREAD:
                return HAND_OFF
        return HAND_OFF if self._sink_channels else DEFER

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        """The definition as JSON-ready data (``AppDefinition.model_dump``)."""
        return self.definition.model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        """The definition as a JSON string."""
        return self.definition.model_dump_json(**kwargs)

    @classmethod
    def select_inputs(cls) -> Lens:
        """The lens to the root call's arguments: ``Select.RecordCall.args``."""

        return AppDefinition.select_inputs()

    @classmethod
    def select_outputs(cls) -> Lens:
        """The lens to the root call's return value: ``Select.RecordCall.rets``."""

        return AppDefinition.select_outputs()

    # ------------------------------------------------------------ recording

    def _knows(self, key: int) -> bool:
        """Whether the object with this ``id()`` is part of the app (the walk reached it)."""
        return key in self._paths

    def __enter__(self) -> recording.Recording:
        return recording.enter(self)

    def __exit__(self, *exc_info: object) -> None:
        recording.leave(self)

    async def __aenter__(self) -> recording.Recording:
        return recording.enter(self)

    async def __aexit__(self, *exc_info: object) -> None:
        recording.leave(self)

    def _on_record(self, record: Record) -> None:
        """Hand a record, just built, to the feedback runner (the sink called where the
        record is built). Idempotent; never raises."""
        self._feedback_runner.on_record(record)

    def _attach_feedback(self, record: Record) -> None:
        """Give a record its feedback futures without starting them. Never raises."""
        try:
            self._feedback_runner.attach(record)
        except Exception:  # noqa: BLE001 - logged (traceback once); never raised into the app
            _failures.log(
                "scheduling feedback",
                "spyglass could not schedule feedback on record %s",
                record.record_id,
            )

    def _add_record(self, record: Record, feedback_mode: FeedbackMode | str | None) -> None:
        """A record made elsewhere (``TruVirtual``): evaluate its feedback and hand it to
        the sinks, as for a recorded one. Never raises."""
        try:
            add_record(self, record, feedback_mode)
        except Exception:  # noqa: BLE001 - logged (traceback once); never raised into the app
            _failures.log(
                "scheduling feedback",
                "spyglass could not schedule feedback on record %s",
                record.record_id,
            )

    def main_method(self) -> Callable[..., Any]:
        """The bound method ``with_record(recorder.app, ...)`` calls.

        ``main_method=`` if given (bound, or a function taking the app first),
        else :meth:`default_main_method`.
        """
        given = self._main_method
        if given is None:
            return self.default_main_method()
        found: Callable[..., Any]
        if inspect.ismethod(given) or getattr(given, "__self__", None) is self.app:
            found = through_class(given)
            return found
        name = getattr(given, "__name__", None)
        if isinstance(name, str) and getattr(type(self.app), name, None) is not None:
            found = through_class(getattr(self.app, name))  # the instrumented attribute
            return found
        get = getattr(given, "__get__", None)
        found = get(self.app, type(self.app)) if get is not None else given
        return found

    def default_main_method(self) -> Callable[..., Any]:
        """The main method when the recorder was given no ``main_method=``.

        An adapter's recorder overrides it to name its framework's entry point
        (``TruChain``: ``self.app.invoke``); it returns a bound method of ``self.app``.
        The default is the app's ``__call__``.

        Raises:
            TypeError: the app is not callable (nor is a main method named).
        """
        legacy = type(self)._default_main_method
        if legacy is not App._default_main_method:
            return legacy(self)  # a recorder that overrides the old, private name
        return self._default_main_method()

    def _default_main_method(self) -> Callable[..., Any]:
        """Deprecated: override :meth:`default_main_method`; still honoured if overridden."""
        if not callable(self.app) or isinstance(self.app, type):
            raise TypeError(
                f"{type(self).__name__} does not know which method of {type(self.app).__name__} "
                "to call: pass main_method=<bound method> to the recorder, or call "
                "with_record(app.some_method, ...)"
            )
        return self.app.__call__  # type: ignore[no-any-return]

    def with_record(
        self, func: Callable[..., Any], *args: Any, record_metadata: Any = None, **kwargs: Any
    ) -> tuple[Any, Record]:
        """Call ``func(*args, **kwargs)`` in a recording; return its result and its record.

        Args:
            func: an instrumented method of the app, or the app itself (then its main
                method is called, see :meth:`main_method`).
            *args: its positional arguments.
            record_metadata: set as the record's ``meta``.
            **kwargs: its keyword arguments.

        Raises:
            RecordingError: the call made no record (no instrumented method ran, or it
                returned a stream that has not been consumed yet), or several.
        """
        func = self.main_method() if func is self.app else through_class(func)
        with self as rec:
            rec.record_metadata = record_metadata
            ret = func(*args, **kwargs)
        return ret, self._sole_record(rec, func, ret)

    async def awith_record(
        self, func: Callable[..., Any], *args: Any, record_metadata: Any = None, **kwargs: Any
    ) -> tuple[Any, Record]:
        """The async twin of :meth:`with_record`: awaits ``func``'s result if awaitable."""
        func = self.main_method() if func is self.app else through_class(func)
        async with self as rec:
            rec.record_metadata = record_metadata
            ret = func(*args, **kwargs)
            if inspect.isawaitable(ret):
                ret = await ret
        return ret, self._sole_record(rec, func, ret)

    def _sole_record(self, rec: recording.Recording, func: Any, ret: Any) -> Record:
        if not rec.records:
            if inspect.isgenerator(ret) or inspect.isasyncgen(ret):
                raise RecordingError(
                    f"Calling {name_of(func)} returned a stream; its record is made when the "
                    "stream is consumed. Use `with recorder as recording:` around the call "
                    "and the loop that consumes it, then recording.get()."
                )
            raise RecordingError(
                "Did not create any records. This means that no instrumented methods were "
                f"invoked in the process of calling {name_of(func)}."
            )
        return rec.get()

    def wait_for_feedback_results(self, feedback_timeout: float | None = None) -> list[Record]:
        """Wait for the feedback of every record made so far; return those records.

        Args:
            feedback_timeout: the most seconds to wait in all (``None``: until done).
        """
        deadline = None if feedback_timeout is None else time.monotonic() + feedback_timeout
        _queues.wait_dispatched(feedback_timeout)  # records still to be built get their futures
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        return list(self._feedback_runner.wait(remaining))

    # ------------------------------------------------------------ context

    @HybridMethod
    def select_context(cls, app: Any = None) -> Lens:
        """The lens to the app's retrieved context, from the adapter that knows the app.

        Works on the class (``TruChain.select_context(chain)``) and on a recorder
        (``recorder.select_context()``).

        Raises:
            SelectorError: no app was given, or no adapter knows where this app's
                context is (or the answer is ambiguous; the adapter lists candidates).
        """
        if app is None:
            raise SelectorError(
                f"{cls.__name__}.select_context needs the app: call it on the recorder "
                f"(recorder.select_context()) or pass the app ({cls.__name__}.select_context(app))"
            )

        lens = call_first("spyglass_select_context", app=app)
        if lens is None:
            raise SelectorError(
                f"No adapter knows where the retrieved context of a {type(app).__module__}."
                f"{type(app).__qualname__} is. Select it yourself, e.g. "
                "Select.RecordCalls.<retriever path>.<method>.rets, or for a custom app mark "
                "the retriever method with @instrument(retriever=True)."
            )
        return lens  # type: ignore[no-any-return]

    # ------------------------------------------------------------ inspection

    def instrumented(self) -> dict[str, list[dict[str, Any]]]:
        """What this recorder instruments, as data.

        Returns:
            ``{"components": [{"path", "class", "kind", "adapter"}], "methods":
            [{"class", "name", "path"}], "skipped": [{"class", "name", "reason"}]}``;
            paths are strings (``"app.retriever"``), classes qualified names.
        """
        return {
            "components": [
                {
                    "path": str(c.path),
                    "class": qualname(type(c.obj)),
                    "kind": str(c.kind),
                    "adapter": c.adapter,
                }
                for c in self._components
            ],
            "methods": [
                {"class": qualname(m.cls), "name": m.name, "path": str(m.path)}
                for m in self._methods
            ],
            "skipped": [
                {"class": qualname(s.cls), "name": s.name, "reason": s.reason}
                for s in self._skipped
            ],
        }

    def print_instrumented(self) -> None:
        """Print the instrumented components and methods (to stdout)."""
        print("Components:")
        self.print_instrumented_components()
        print("\nMethods:")
        self.print_instrumented_methods()

    def print_instrumented_components(self) -> None:
        """Print one line per component: class, kind, address and path."""
        print(f"\t{type(self).__name__} (recorder) at 0x{id(self):x} with path __app__")
        for c in self._components:
            print(
                f"\t{type(c.obj).__name__} ({c.kind}) at 0x{id(c.obj):x} with path __app__.{c.path}"
            )

    def print_instrumented_methods(self) -> None:
        """Print, per component object, its instrumented methods with their path."""
        by_object: dict[int, list[instrument.InstrumentedMethod]] = {}
        for m in self._methods:
            by_object.setdefault(m.obj_id, []).append(m)
        for obj_id, methods in by_object.items():
            print(f"Object at 0x{obj_id:x}:")
            for m in methods:
                # A function the framework already wrapped (LlamaIndex's spans use wrapt)
                # is shown as the function underneath, as TruLens prints plain functions.
                print(f"\t{inspect.unwrap(m.function)!r} with path __app__.{m.path}")

    def dry_run_layout(self) -> munch.Munch:
        """The layout a record of this app would have, before any call is made.

        Like ``Record.layout_calls_as_app()``: every instrumented ``(path, method)``
        holds one ``RecordAppCall`` whose ``args`` are ``{parameter: default or None}``
        (``self`` left out) and whose ``rets`` is ``None``; the record fields
        (``main_input``, ``main_output``, ...) are present with ``None`` values.
        Used to check feedback selectors before the app runs.
        """

        calls = [
            dry_call(m.path, m.cls, m.name, m.function, self._object(m.obj_id))
            for m in self._methods
        ]
        return Record(app_id=self.app_id, tags=self.tags, calls=calls).layout_calls_as_app()

    def _object(self, key: int) -> Any:
        for c in self._components:
            if id(c.obj) == key:
                return c.obj
        return None

    # ------------------------------------------------------------ TruLens migration

    def __getattr__(self, name: str) -> Any:
        if name in MOVED:
            raise AttributeError(f"{type(self).__name__}.{name} no longer exists: {MOVED[name]}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        try:
            return f"{type(self).__name__}(app_name={self.app_name!r}, app_version={self.app_version!r})"
        except Exception:  # noqa: BLE001 - spyglass never raises into the app
            return f"<{type(self).__name__} (not fully built)>"
