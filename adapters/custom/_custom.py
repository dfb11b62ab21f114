"""``TruApp`` (and its deprecated alias ``TruCustomApp``): record an app made of your own classes.

Methods are chosen with :data:`~spyglass.adapters.custom.instrument`; the recorder
walks the app from ``app`` and each object whose class (or a base) has marked
methods is a component at its path. Objects the walk cannot reach (made per call,
held in closures or globals) are either given a path with ``methods_to_instrument``
or, when called inside a root call, recorded under their caller (see
:mod:`spyglass.core.recording._calls`).
"""

from __future__ import annotations

import inspect
import warnings
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from spyglass.core import App, Lens, Select, SelectorError, StepItemOrAttribute
from spyglass.core.plugins import walk

from ._instrument import instrument, marked_methods

__all__ = ["TruApp", "TruCustomApp", "relative_to_app", "select_context_of"]

_APP = "app"

# id(app object) -> the lens `retriever=` gave for it. `select_context` is asked with the
# app object only (TruApp.select_context(app)), so the answer is kept per object;
# the entry goes with the object (weakref.finalize), or stays for the process when the
# object cannot be weakly referenced.
_contexts: dict[int, Lens] = {}


def _remember_context(app: Any, lens: Lens) -> None:
    key = id(app)
    if key not in _contexts:
        try:
            weakref.finalize(app, _contexts.pop, key, None)
        except TypeError:
            pass
    _contexts[key] = lens


def relative_to_app(path: Lens | str, *, example: str, what: str | None = None) -> Lens:
    """``path`` as steps below the app: ``__app__.app.x``, ``app.x`` and ``x`` all give ``x``.

    ``__record__``/``__app__`` and a leading ``app`` step are dropped; the app itself
    gives the empty lens.

    Raises:
        TypeError: ``path`` is neither a `Lens` nor its string form; the message starts
            with ``what`` (when given) and shows ``example``.
    """
    if isinstance(path, str):
        path = Lens.of_string(path)
    if not isinstance(path, Lens):
        prefix = "" if what is None else f"{what}: "
        raise TypeError(
            f"{prefix}expected a Lens such as {example} (or its string form), got {path!r}"
        )
    steps = Select.dequalify(path).path
    if (
        steps
        and isinstance(steps[0], StepItemOrAttribute)
        and steps[0].get_item_or_attribute() == _APP
    ):
        steps = steps[1:]
    return Lens(path=steps)


def _bound_method(method: Any, what: str) -> tuple[Any, str]:
    if not inspect.ismethod(method) or isinstance(method.__self__, type):
        raise TypeError(
            f"{what}: {method!r} is not a bound method; pass it from its object, "
            "e.g. {app.cache.lookup: Select.App.app.cache}"
        )
    return method.__self__, method.__func__.__name__


class TruApp(App):
    """Records an app made of your own classes, whose methods are marked with ``@instrument``.

    Usage::

        rag = RAG()
        recorder = TruApp(rag, app_name="rag", feedbacks=[f_relevance])
        with recorder as recording:
            rag.respond("What is a lens?")
        record = recording.get()

    Args:
        app: the app object. The walk from it finds the components.
        methods_to_instrument: ``{bound_method: path}`` for objects the walk cannot
            reach: each method is marked (as by ``instrument.method``) and its object
            becomes a component at ``path`` — ``Select.App.app.cache``, ``app.cache``
            or ``Lens().cache`` all mean the app's ``cache``.
        main_method: the method ``with_record(app, ...)`` calls (a bound method of
            ``app``, or its name).
        retriever: the method whose return value is the app's context, for
            :meth:`select_context`: a bound method of a component, or a lens. Needed
            only when no single method is marked ``@instrument(retriever=True)``.
        **kwargs: recorder options (``app_name``, ``app_version``, ``feedbacks``,
            ``feedback_mode``, ...; see :class:`spyglass.core.App`).

    Raises:
        TypeError: ``app`` is None.

    Warns:
        UserWarning: a method marked with ``@instrument`` in the modules of the app's
            classes belongs to a class the walk did not reach (TruLens's message). Its
            calls are recorded only under a caller, not at a path of their own.
    """

    def __init__(
        self,
        app: Any,
        methods_to_instrument: Mapping[Callable[..., Any], Lens | str] | None = None,
        main_method: Callable[..., Any] | str | None = None,
        retriever: Callable[..., Any] | Lens | str | None = None,
        **kwargs: Any,
    ) -> None:
        if app is None:
            # TruChain rejects None too; a recorder of nothing would record nothing, silently.
            raise TypeError(
                f"{type(self).__name__} needs the app object whose @instrument methods it "
                "records, got None; e.g. TruApp(rag, app_name='rag')"
            )
        # Read by `_extra_components`, which App.__init__ calls during its walk.
        self._extra: list[tuple[Lens, Any]] = []
        for method, path in (methods_to_instrument or {}).items():
            owner, name = _bound_method(method, "methods_to_instrument")
            what = f"methods_to_instrument[{name}]"
            relative = relative_to_app(path, example="Select.App.app.cache", what=what)
            if not relative.path:
                raise ValueError(
                    f"{what}: the path {path} names the app itself; give a path below it"
                )
            instrument.method(type(owner), name)
            self._extra.append((Lens().app + relative, owner))
        context = _context_lens(app, retriever) if retriever is not None else None
        main = getattr(app, main_method) if isinstance(main_method, str) else main_method
        if context is not None:  # before App.__init__: Feedback.on_context asks for it there
            _remember_context(app, context)
        super().__init__(app, main_method=main, **kwargs)
        self._warn_unreached()

    def _extra_components(self) -> list[tuple[Lens, Any]]:
        return self._extra

    def _warn_unreached(self) -> None:
        # `_keep` holds every object the construction walk reached, extra components included.
        reached = [type(obj) for obj in self._keep]
        modules = {cls.__module__ for cls in reached}
        covered = {base for cls in reached for base in cls.__mro__}
        for mark in marked_methods():
            if mark.decorated and mark.cls.__module__ in modules and mark.cls not in covered:
                warnings.warn(
                    f"Function {mark.cls.__module__}.{mark.cls.__qualname__}.{mark.name} was not "
                    f"found during instrumentation walk. Make sure it is accessible by traversing "
                    f"app {self.app!r} or provide a bound method for it as TruApp "
                    "constructor argument `methods_to_instrument`. (Its calls are still recorded "
                    "when an instrumented method of the app calls it, under the caller's path.)",
                    UserWarning,
                    stacklevel=3,
                )


def _context_lens(app: Any, retriever: Any) -> Lens:
    """The context lens for ``retriever=``: a lens as given, or a bound method's rets."""
    if isinstance(retriever, (Lens, str)):
        return Lens.of_string(retriever) if isinstance(retriever, str) else retriever
    owner, name = _bound_method(retriever, "retriever")
    for path, obj in walk(app).found.values():
        if obj is owner:
            return Select.Record + path + Lens()[name].rets[:]
    raise ValueError(
        f"retriever: the object of {retriever!r} is not reachable from the app; pass a "
        "lens instead, e.g. retriever=Select.RecordCalls.retriever.retrieve.rets[:]"
    )


def select_context_of(app: Any) -> Lens | None:
    """The custom adapter's answer to ``spyglass_select_context`` (see the hook's docs).

    The ``retriever=`` given to a TruApp of ``app``, else the rets of the one
    component method marked ``@instrument(retriever=True)``. ``None`` when ``app`` has
    no marked components (not a custom app).

    Raises:
        SelectorError: a custom app with no retriever-marked method, or with several.
    """
    explicit = _contexts.get(id(app))
    if explicit is not None:
        return explicit
    marks = marked_methods()
    if not marks:
        return None
    retrievers = [m for m in marks if m.retriever]
    candidates: list[str] = []
    lenses: list[Lens] = []
    any_marked = False
    for path, obj in walk(app).found.values():
        mro = type(obj).__mro__
        if any(m.cls in mro for m in marks):
            any_marked = True
        for name in dict.fromkeys(m.name for m in retrievers if m.cls in mro):
            candidates.append(f"{path}.{name}")
            lenses.append(Select.Record + path + Lens()[name].rets[:])
    if not any_marked:
        return None
    if len(lenses) == 1:
        return lenses[0]
    how = (
        "pass TruApp(app, retriever=app.<component>.<method>) to choose one, "
        "or mark only one method with @instrument(retriever=True)"
    )
    if not lenses:
        raise SelectorError(
            f"no method of {type(app).__qualname__}'s components is marked as the retriever; "
            "mark the method that returns the context with @instrument(retriever=True), or "
            "pass TruApp(app, retriever=app.<component>.<method>)"
        )
    raise SelectorError(
        f"{type(app).__qualname__} has {len(lenses)} methods marked as retriever: "
        f"{', '.join(candidates)}; {how}"
    )


class TruCustomApp(TruApp):
    """TruLens's former name of :class:`TruApp`; deprecated, as in TruLens 1.3+.

    Behaves exactly as ``TruApp`` and warns once per construction.

    Warns:
        DeprecationWarning: use ``TruApp`` instead.
    """

    def __init__(self, app: Any, *args: Any, **kwargs: Any) -> None:
        warnings.warn(
            "TruCustomApp is deprecated; use TruApp (from spyglass.adapters.custom import "
            "TruApp), which takes the same arguments.",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(app, *args, **kwargs)
