"""The wrap table: which class methods spyglass has wrapped, and how to undo it.

A method is wrapped **on the class that defines it** (``cls.__dict__[name]``), once
per ``(class, name)``, with one :class:`wrapt.FunctionWrapper` whose wrapper has the
usual ``(wrapped, instance, args, kwargs)`` signature. The wrapper reads one context
variable; when no recording is active in the current context it calls straight
through, so an instrumented class costs next to nothing outside recordings. The
patch is shared by every recorder (and idempotent): nothing else is mutated per
recorder.

wrapt keeps what the framework checks at run time: ``inspect.signature``,
``inspect.iscoroutinefunction``, ``isgeneratorfunction`` and ``isasyncgenfunction``
answer as for the original. Identity does not survive a patch (``cls.m is f``
becomes false), which is why adapters list base-class stubs compared by identity in
``InstrumentSpec.skip_defined_on``.

Supported: plain functions defined in a class body, sync or async, generators and
async generators, on plain and pydantic classes. Not wrapped (reported as skipped,
with the reason): ``staticmethod``/``classmethod`` objects, properties and any other
descriptor, and builtins.

:func:`unwrap` / :func:`uninstrument` put the identical original object back
(``cls.__dict__[name] is original``).
"""

from __future__ import annotations

import logging
import threading
import types
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import wrapt

from .._classpath import ClassCache, resolve_class
from ..plugins._specs import InstrumentSpec
from . import _context
from ._call_site import CallSite

if TYPE_CHECKING:
    from ..lens._lens import Lens

__all__ = [
    "CallSite",
    "Component",
    "Instrumented",
    "InstrumentedMethod",
    "SkippedMethod",
    "WrappedMethod",
    "defining_class",
    "exclusions",
    "instrument_objects",
    "is_excluded",
    "is_wrapped",
    "uninstrument",
    "unwrap",
    "unwrap_all",
    "why_not_wrappable",
    "wrap_method",
    "wrapped_methods",
]

logger = logging.getLogger(__name__)


class WrappedMethod:
    """One entry of the wrap table: a method spyglass wrapped on its defining class.

    An entry never keeps its class alive. It holds the class, the wrapper and the call
    site through weak references (the class's ``__dict__`` holds the wrapper, which
    holds the original and the site), so a class the app drops goes away with its
    entries; each of those reads ``None`` once it is gone.

    Attributes:
        cls: the class whose ``__dict__`` holds the wrapper.
        name: the method's name.
        original: the object that was in ``cls.__dict__[name]`` (restored on unwrap).
        wrapper: the ``wrapt.FunctionWrapper`` installed in its place.
        kind: what the component is (from the ``InstrumentSpec``), e.g. ``"retriever"``.
        adapter: the adapter that asked for it.
        site: the per-method data the recording logic reads (signature cache, ...).
    """

    __slots__ = ("_cls", "_site", "_wrapper", "adapter", "kind", "name")

    def __init__(
        self, cls: type, name: str, wrapper: Any, kind: str, adapter: str, site: CallSite
    ) -> None:
        self._cls = weakref.ref(cls)
        self._wrapper = weakref.ref(wrapper)
        self._site = weakref.ref(site)
        self.name = name
        self.kind = kind
        self.adapter = adapter

    @property
    def cls(self) -> type | None:
        return self._cls()

    @property
    def wrapper(self) -> Any:
        return self._wrapper()

    @property
    def original(self) -> Any:
        wrapper = self._wrapper()
        return None if wrapper is None else wrapper.__wrapped__

    @property
    def site(self) -> CallSite | None:
        return self._site()

    def in_place(self) -> bool:
        """Whether the class still holds this entry's wrapper (nothing replaced it)."""
        cls, wrapper = self._cls(), self._wrapper()
        return wrapper is not None and cls is not None and cls.__dict__.get(self.name) is wrapper

    def disable(self) -> None:
        """Make the wrapper call straight through, recording nothing."""
        site = self._site()
        if site is not None:
            site.enabled = False

    def __repr__(self) -> str:
        return f"WrappedMethod({_qualname(self.cls)}.{self.name}, kind={self.kind!r})"


# ------------------------------------------------------------------ the wrap table

_lock = threading.RLock()
# class -> {method name: entry}; weak, see WrappedMethod.
_table: weakref.WeakKeyDictionary[type, dict[str, WrappedMethod]] = weakref.WeakKeyDictionary()


def _entry(cls: type, name: str) -> WrappedMethod | None:
    methods = _table.get(cls)
    return None if methods is None else methods.get(name)


def _make_wrapper(site: CallSite) -> Callable[..., Any]:
    """The wrapt wrapper for one method: one context-variable read, one branch."""
    current = _context.current_state

    def spyglass_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        state = current()
        if state is None:
            return wrapped(*args, **kwargs)
        return _context.handle_call(site, state, wrapped, instance, args, kwargs)

    return spyglass_wrapper


def why_not_wrappable(cls: type, name: str) -> str | None:
    """Say why ``cls.__dict__[name]`` cannot be wrapped, or ``None`` if it can.

    Args:
        cls: the class that defines the method.
        name: the method's name.
    """
    try:
        value = cls.__dict__[name]
    except (KeyError, AttributeError, TypeError):
        return f"{_qualname(cls)} does not define {name!r} itself"
    if isinstance(value, wrapt.FunctionWrapper):
        return None  # ours (idempotent) or someone else's wrapt wrapper: wrap_method decides
    if isinstance(value, staticmethod):
        return "staticmethods are not instrumented (no instance to place the call at)"
    if isinstance(value, classmethod):
        return "classmethods are not instrumented (no instance to place the call at)"
    if isinstance(value, property):
        return "properties are not instrumented"
    if not isinstance(value, types.FunctionType):
        return f"{type(value).__name__} objects are not instrumented (only plain functions)"
    return None


def wrap_method(
    cls: type,
    name: str,
    kind: str = "custom",
    adapter: str = "",
    *,
    omit_args: Iterable[str] = (),
    arg_forms: Iterable[tuple[str, Callable[[Any], Any]]] = (),
    reports_cost: bool = False,
) -> bool:
    """Wrap ``cls.__dict__[name]`` for recording, once.

    Args:
        cls: the class that defines the method (first in the MRO with the name in
            its ``__dict__``). Wrap on the defining class, never on a subclass that
            merely inherits the method.
        name: the method's name.
        kind: what such a component is, shown by ``print_instrumented``.
        adapter: the adapter that asked for it.
        omit_args: parameter names left out of the recorded arguments; added to
            those of earlier requests for the same method.
        arg_forms: ``(parameter, function)`` pairs giving recorded values
            (``InstrumentSpec.arg_forms``); a parameter an earlier request gave a
            form keeps that one.
        reports_cost: ask ``spyglass_call_cost`` about its calls (once any request
            for the method says so, it stays so).

    Returns:
        ``True`` if the method is wrapped now (also when it already was), ``False``
        when it cannot be wrapped (see :func:`why_not_wrappable`; logged at DEBUG).
    """
    with _lock:
        entry = _entry(cls, name)
        if entry is not None:
            site, wrapper = entry._site(), entry._wrapper()  # the fast path: no properties
            if site is not None and wrapper is not None and cls.__dict__.get(name) is wrapper:
                if omit_args:
                    site.omit |= frozenset(omit_args)
                _add_forms(site, arg_forms)
                site.reports_cost |= reports_cost
                return True
            # Someone replaced our wrapper (a reload, another tool): forget the old entry.
            entry.disable()
            del _table[cls][name]
        reason = why_not_wrappable(cls, name)
        if reason is not None:
            logger.debug("spyglass does not wrap %s.%s: %s", _qualname(cls), name, reason)
            return False
        original = cls.__dict__[name]
        site = CallSite(cls, name, original)
        site.omit = frozenset(omit_args)
        _add_forms(site, arg_forms)
        site.reports_cost = reports_cost
        wrapper = wrapt.FunctionWrapper(original, _make_wrapper(site))
        try:
            setattr(cls, name, wrapper)
        except (TypeError, AttributeError) as exc:  # builtin or frozen classes
            logger.debug("spyglass cannot patch %s.%s: %s", _qualname(cls), name, exc)
            return False
        _table.setdefault(cls, {})[name] = WrappedMethod(cls, name, wrapper, kind, adapter, site)
        return True


def is_wrapped(cls: type, name: str) -> bool:
    """Whether spyglass's wrapper is in ``cls.__dict__[name]`` now."""
    entry = _entry(cls, name)
    return entry is not None and entry.in_place()


def wrapped_methods() -> list[WrappedMethod]:
    """Every entry of the wrap table: class by class, each in the order it was wrapped."""
    with _lock:
        return [entry for methods in list(_table.values()) for entry in methods.values()]


def unwrap(cls: type, name: str) -> bool:
    """Put the original ``cls.__dict__[name]`` back, identical to what it was.

    If another tool has since replaced spyglass's wrapper, that tool's object is left
    in place (restoring ours would remove theirs) and our wrapper is disabled.

    Returns:
        ``True`` if an original was restored.
    """
    with _lock:
        entry = _table.get(cls, {}).pop(name, None)
        if entry is None:
            return False
        entry.disable()
        if not entry.in_place():
            logger.warning(
                "spyglass did not restore %s.%s: something else replaced its wrapper since; "
                "spyglass's wrapper is disabled instead",
                _qualname(cls),
                name,
            )
            return False
        setattr(cls, name, entry.original)
        return True


def unwrap_all() -> int:
    """Un-instrument everything: restore every wrapped method to its original.

    Recorders built before keep working as plain objects but record nothing until
    a new recorder wraps the methods again.

    Returns:
        How many methods were restored.
    """
    with _lock:
        keys = [(cls, name) for cls, methods in list(_table.items()) for name in methods]
    return sum(unwrap(cls, name) for cls, name in keys)


def uninstrument() -> int:
    """Un-instrument everything spyglass wrapped, in every recorder (see :func:`unwrap_all`).

    The counterpart of building a recorder, named as OpenTelemetry instrumentors name
    it. Recorders built before keep working as plain objects but record nothing until
    a new recorder wraps the methods again.

    Returns:
        How many methods were restored.
    """
    return unwrap_all()


# ------------------------------------------------------------------ excluded classes

# Classes named by some spec's ``exclude`` (resolved once their module is imported),
# shared by every recorder like the wrap table; and the answer per concrete type.
_excluded: weakref.WeakSet[type] = weakref.WeakSet()
_excluding = False  # whether some spec has excluded a class yet (the common case: none)


def _is_excluded(tp: type) -> bool:
    try:
        return bool(_excluded) and issubclass(tp, tuple(_excluded))
    except TypeError:
        return False


_excluded_types = ClassCache(_is_excluded)


def is_excluded(tp: type) -> bool:
    """Whether instances of ``tp`` are plumbing, never recorded (``InstrumentSpec.exclude``)."""
    return _excluding and _excluded_types[tp]


def exclusions() -> ClassCache[bool] | None:
    """``None`` while no spec excludes a class; else ``cache``, where ``cache[tp]`` is
    `is_excluded` of ``tp`` (for a loop over many calls: one call, not one per call)."""
    return _excluded_types if _excluding else None


def _exclude(specs: Sequence[InstrumentSpec]) -> None:
    global _excluding
    found = {cls for spec in specs for cls in map(resolve_class, spec.exclude) if cls is not None}
    if not found <= _excluded:
        with _lock:
            _excluded.update(found)
            _excluded_types.clear()
            _excluding = True


# ------------------------------------------------------------------ specs -> wraps


@dataclass(frozen=True)
class Component:
    """An object of the app that an ``InstrumentSpec`` matched (or the app itself)."""

    path: Lens
    obj: Any
    kind: str
    adapter: str


@dataclass(frozen=True)
class InstrumentedMethod:
    """A method wrapped for a component: on ``cls`` (its defining class), at ``path``."""

    obj_id: int
    cls: type
    name: str
    path: Lens
    function: Any


@dataclass(frozen=True)
class SkippedMethod:
    """A method a spec asked for that was not wrapped, and why."""

    cls: type
    name: str
    reason: str


@dataclass
class Instrumented:
    """What :func:`instrument_objects` did for one recorder.

    Attributes:
        components: matched objects (and the root), in walk order.
        paths: ``id(obj) -> path`` for every object given.
        methods: the wrapped methods, per component.
        skipped: methods that were asked for but not wrapped, with the reason.
        objects: every object given (held, so that their ids stay theirs).
    """

    components: list[Component] = field(default_factory=list)
    paths: dict[int, Lens] = field(default_factory=dict)
    methods: list[InstrumentedMethod] = field(default_factory=list)
    skipped: list[SkippedMethod] = field(default_factory=list)
    objects: list[Any] = field(default_factory=list)


def instrument_objects(
    root: Any, objects: Iterable[tuple[Lens, Any]], specs: Sequence[InstrumentSpec]
) -> Instrumented:
    """Wrap what ``specs`` ask for on the classes of ``objects``, and describe it.

    For each object whose class has a spec's ``class_path`` in its MRO, each of the
    spec's methods is wrapped on the class that defines it for that object, unless
    that class is in the spec's ``skip_defined_on``. Objects of a class some spec
    ``exclude`` lists are not components. Specs with ``eager=True`` also
    wrap their class and its already imported subclasses. Classes named by path
    strings are resolved only if their module is already imported.

    Args:
        root: the wrapped app (always listed as a component).
        objects: ``(path, obj)`` pairs, first path first (the walk's order).
        specs: the adapters' instrument specs.
    """
    resolved = _resolve_specs(specs)
    _exclude(specs)
    done = Instrumented()
    matches: dict[type, list[tuple[type, InstrumentSpec, frozenset[type]]]] = {}
    skipped: dict[tuple[type, str], str] = {}
    for path, obj in objects:
        key = id(obj)
        if key in done.paths:
            continue
        done.paths[key] = path
        done.objects.append(obj)
        tp = type(obj)
        mine = matches.get(tp)
        if mine is None:
            mine = [m for m in resolved if _isinstance(obj, m[0])]
            matches[tp] = mine = [] if mine and is_excluded(tp) else mine
        if not mine:
            if obj is root:
                done.components.append(Component(path, obj, "app", ""))
            continue
        first = mine[0][1]
        done.components.append(Component(path, obj, first.kind, first.adapter))
        seen: set[str] = set()
        for _, spec, skip_on in mine:
            for name in spec.methods:
                if name in seen:
                    continue
                seen.add(name)
                owner = defining_class(tp, name)
                if owner is None:
                    skipped.setdefault((tp, name), f"{tp.__qualname__} has no method {name!r}")
                elif owner in skip_on:
                    skipped.setdefault((owner, name), spec.reason or _IDENTITY)
                elif _wrap(owner, name, spec):
                    entry = _entry(owner, name)
                    original = entry.original if entry is not None else None
                    done.methods.append(InstrumentedMethod(key, owner, name, path, original))
                else:
                    reason = why_not_wrappable(owner, name) or "could not be patched"
                    skipped.setdefault((owner, name), reason)
    for cls, spec, skip_on in resolved:
        if spec.eager:
            _wrap_eagerly(cls, spec, skip_on, skipped)
    done.skipped = [SkippedMethod(cls, name, why) for (cls, name), why in skipped.items()]
    return done


def _wrap(cls: type, name: str, spec: InstrumentSpec) -> bool:
    return wrap_method(
        cls,
        name,
        spec.kind,
        spec.adapter,
        omit_args=spec.omit_args,
        arg_forms=spec.arg_forms,
        reports_cost=spec.reports_cost,
    )


def _add_forms(site: CallSite, forms: Iterable[tuple[str, Callable[[Any], Any]]]) -> None:
    for name, form in forms:
        site.forms.setdefault(name, form)


_IDENTITY = "the framework compares this definition by identity, so it must not be wrapped"


def _resolve_specs(
    specs: Sequence[InstrumentSpec],
) -> list[tuple[type, InstrumentSpec, frozenset[type]]]:
    out = []
    for spec in specs:
        cls = resolve_class(spec.class_path)
        if cls is None:
            continue
        skip_on = frozenset(c for c in map(resolve_class, spec.skip_defined_on) if c is not None)
        out.append((cls, spec, skip_on))
    return out


def _isinstance(obj: Any, cls: type) -> bool:
    try:
        return isinstance(obj, cls)
    except Exception:  # noqa: BLE001 - spyglass never raises into the app
        return False


def defining_class(tp: type, name: str) -> type | None:
    """The first class in ``tp``'s MRO whose ``__dict__`` has ``name``."""
    for klass in tp.__mro__:
        if name in klass.__dict__:
            return klass
    return None


def _wrap_eagerly(
    base: type, spec: InstrumentSpec, skip_on: frozenset[type], skipped: dict[tuple[type, str], str]
) -> None:
    """Wrap ``spec.methods`` on ``base`` and its imported subclasses that define them."""
    seen: set[type] = set()
    todo = [base]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        try:
            todo.extend(cls.__subclasses__())
        except TypeError:
            pass
        for name in spec.methods:
            if name not in cls.__dict__:
                continue
            if cls in skip_on:
                skipped.setdefault((cls, name), spec.reason or _IDENTITY)
                continue
            if not _wrap(cls, name, spec):
                reason = why_not_wrappable(cls, name) or "could not be patched"
                skipped.setdefault((cls, name), reason)


def _qualname(cls: Any) -> str:
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', cls)}"
