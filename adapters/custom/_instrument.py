"""``instrument``: mark methods of your own classes for recording.

One registry, keyed by ``(class, method name)``, records what was marked. Marking
changes nothing at all until a recorder is built: recorders read the registry
through the custom adapter's ``spyglass_instrument_specs`` hook and the engine
wraps each method once, on the class that defines it. Marking is idempotent, and
nothing else is mutated (TruLens grew process-wide default filters on every use).

A method marked on a class is recorded for instances of its subclasses too (the
engine walks the MRO). On a plain function (not in a class body) the decorator
returns the very function it was given: nothing to register, and ``inspect``,
``typing.get_type_hints`` and LangGraph (which reads a node's ``Command[Literal[...]]``
return annotation for its edges) see it unchanged. Such a function is recorded when a
framework adapter records it (a LangGraph node) or through ``TruBasicApp``.
"""

from __future__ import annotations

import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar, overload

from spyglass.core import CallKind
from spyglass.core.plugins import invalidate_instrument_specs

from . import _span_marks

__all__ = ["Instrument", "MethodMark", "instrument", "marked_methods"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class MethodMark:
    """One registry entry: ``cls.name`` is recorded.

    Attributes:
        cls: the class the mark was made on.
        name: the method's name.
        retriever: the method returns the app's retrieved context (used by
            ``TruCustomApp.select_context``).
        decorated: marked with ``@instrument`` in the class body (rather than by
            ``instrument.method``); ``TruCustomApp`` warns when such a method's class
            is not reachable from the app.
    """

    cls: type
    name: str
    retriever: bool = False
    decorated: bool = False


# class -> {method name: (retriever, decorated)}. Weak keys: a class defined in a test or
# a notebook cell may go away, and its marks with it (values must not refer to the class).
_registry: weakref.WeakKeyDictionary[type, dict[str, tuple[bool, bool]]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def _register(cls: type, name: str, retriever: bool, decorated: bool = False) -> None:
    if not isinstance(cls, type):
        raise TypeError(
            f"instrument.method expects a class and a method name, got {cls!r}; "
            "pass the class itself, e.g. instrument.method(MyRetriever, 'retrieve')"
        )
    if not isinstance(name, str) or not name:
        raise TypeError(f"instrument.method expects a method name as a str, got {name!r}")
    if not callable(getattr(cls, name, None)):
        # A misspelt name is the usual cause: raise what `getattr` would.
        raise AttributeError(  # noqa: TRY004 - a missing method, not a wrong type
            f"{cls.__qualname__} has no method {name!r} to instrument; "
            f"check the spelling (methods: {', '.join(_public_methods(cls)) or 'none'})"
        )
    with _lock:
        marks = _registry.setdefault(cls, {})
        old = marks.get(name, (False, False))
        new = (old[0] or retriever, old[1] or decorated)  # marks only ever add up
        if new == marks.get(name):
            return  # idempotent
        marks[name] = new
    _changed()


def _public_methods(cls: type) -> list[str]:
    return sorted(n for n in dir(cls) if not n.startswith("_") and callable(getattr(cls, n, None)))


def _changed() -> None:
    # The core's registry caches the adapters' specs.
    invalidate_instrument_specs()


def marked_methods() -> list[MethodMark]:
    """Return every live mark, classes in registration order."""
    with _lock:
        return [
            MethodMark(cls, name, retriever, decorated)
            for cls, marks in list(_registry.items())
            for name, (retriever, decorated) in marks.items()
        ]


class _Marked:
    """What ``@instrument`` puts in a class body until the class exists.

    At class creation ``__set_name__`` puts the original function back on the class
    and registers it, so the class holds exactly the function the user wrote. (Outside
    a class body ``@instrument`` returns the function itself, see `_mark`.)
    """

    def __init__(self, func: Callable[..., Any], retriever: bool, span: Any = None) -> None:
        self.func = func
        self.retriever = retriever
        self.span = span  # (kind, attributes) from span_type=/attributes=, see _span_marks
        self.__wrapped__ = func
        self.__doc__ = getattr(func, "__doc__", None)
        self.__name__ = getattr(func, "__name__", type(func).__name__)

    def __set_name__(self, owner: type, name: str) -> None:
        setattr(owner, name, self.func)
        if self.span is not None:
            _span_marks.mark_span(owner, name, *self.span)
        _register(owner, name, self.retriever, decorated=True)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        get = getattr(self.func, "__get__", None)
        return get(instance, owner) if get is not None else self.func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<instrumented {self.func!r}>"


def _in_class_body(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs a class body (whose namespace Python seeds with these names)."""
    if frame is None:
        return False
    names = frame.f_locals
    return names is not frame.f_globals and "__module__" in names and "__qualname__" in names


def _mark(func: Any, retriever: bool, caller: FrameType | None, span: Any = None) -> Any:
    """``@instrument`` applied to ``func`` where ``caller`` runs.

    In a class body: a :class:`_Marked`, which registers the method and puts ``func``
    itself back when the class is created. Anywhere else (a plain function, e.g. a
    LangGraph node): ``func`` itself, unchanged, so ``inspect``, ``typing.get_type_hints``
    and ``functools`` see exactly the function written, return annotation included.
    """
    if not callable(func):
        raise TypeError(
            f"@instrument decorates methods, got {func!r}; use @instrument or "
            "@instrument(retriever=True) directly above a def in a class body"
        )
    if _in_class_body(caller):
        return _Marked(func, retriever, span)
    return func


class Instrument:
    """The ``instrument`` decorator and its registry functions (one instance: :data:`instrument`).

    Usage::

        from spyglass.adapters.custom import instrument

        class Retriever:
            @instrument(retriever=True)      # its rets are the app's context
            def retrieve(self, query): ...

        class App:
            @instrument
            def respond(self, query): ...

        instrument.method(ThirdPartyLLM, "generate")     # a class you do not own
        instrument.methods(ThirdPartyTool, ["run", "arun"])
    """

    @overload
    def __call__(self, func: F, /) -> F: ...

    @overload
    def __call__(
        self,
        func: None = None,
        /,
        *,
        retriever: bool = ...,
        span_type: Any = ...,
        attributes: Any = ...,
    ) -> Callable[[F], F]: ...

    def __call__(
        self,
        func: Any = None,
        /,
        *,
        retriever: bool = False,
        span_type: Any = None,
        attributes: Any = None,
    ) -> Any:
        """Mark a method for recording: ``@instrument`` or ``@instrument(retriever=True)``.

        ``span_type=`` and ``attributes=`` are TruLens's OTEL-mode arguments (see
        :mod:`spyglass.adapters.custom._span_marks`).
        """
        if func is None:
            span = _span_marks.span_of(span_type, attributes)
            retriever = retriever or (span is not None and span[0] is CallKind.RETRIEVER)
            return lambda f: _mark(f, retriever, sys._getframe(1), span)
        return _mark(func, retriever, sys._getframe(1))

    def method(self, cls: type, name: str, *, retriever: bool = False) -> None:
        """Mark ``cls.name`` for recording, for a class you cannot decorate.

        Args:
            cls: the class (its subclasses' instances are recorded too).
            name: the method's name.
            retriever: the method returns the app's retrieved context.

        Raises:
            TypeError: ``cls`` is not a class or ``name`` not a str.
            AttributeError: ``cls`` has no such method.
        """
        _register(cls, name, retriever)

    def methods(self, cls: type, names: Iterable[str]) -> None:
        """Mark several methods of ``cls`` for recording (see :meth:`method`)."""
        if isinstance(names, str):
            raise TypeError(
                f"instrument.methods expects a list of names, got the string {names!r}; "
                f"use instrument.method({cls.__qualname__}, {names!r})"
            )
        for name in names:
            _register(cls, name, False)

    def __repr__(self) -> str:
        return "spyglass.adapters.custom.instrument"


instrument = Instrument()
"""Mark methods for recording; see :class:`Instrument`."""
