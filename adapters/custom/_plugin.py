"""The custom adapter's hookimpls (entry point ``custom``).

Importing this module imports nothing but the ``@instrument`` registry: recorder
classes are imported only when an app is wrapped, and objects of this adapter's
own types are recognised through ``sys.modules`` (an object of a class cannot exist
before its module is imported).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

from spyglass.core.plugins import AdapterInfo, CallKind, InstrumentSpec, hookimpl, walk

from ._instrument import marked_methods
from ._span_marks import span_kind

_BASIC = "spyglass.adapters.custom._basic"
_VIRTUAL = "spyglass.adapters.custom._virtual"
_CUSTOM = "spyglass.adapters.custom._custom"


@hookimpl
def spyglass_adapter_info() -> AdapterInfo:
    return AdapterInfo(
        name="custom",
        description="your own classes (methods marked with @instrument), plain callables, "
        "virtual records",
    )


@hookimpl
def spyglass_instrument_specs() -> list[InstrumentSpec]:
    by_class: dict[tuple[type, CallKind], list[str]] = {}
    for mark in marked_methods():
        # A span_type= given to @instrument names the kind (see _span_marks).
        kind = span_kind(mark.cls, mark.name) or (
            CallKind.RETRIEVER if mark.retriever else CallKind.CUSTOM
        )
        by_class.setdefault((mark.cls, kind), []).append(mark.name)
    # Eager: the user marked these methods, so they are wrapped even when the walk
    # reaches no instance (objects the app creates per call are still recorded, under
    # their caller).
    specs = [
        InstrumentSpec(
            cls,
            tuple(names),
            kind=kind,
            eager=True,
        )
        for (cls, kind), names in by_class.items()
    ]
    basic = sys.modules.get(_BASIC)
    if basic is not None:
        specs.append(InstrumentSpec(basic.TruWrapperApp, ("_call",), kind=CallKind.CUSTOM))
    return specs


def _marked_classes() -> tuple[type, ...]:
    return tuple({mark.cls for mark in marked_methods()})


def _has_marked_component(app: Any, marked: tuple[type, ...]) -> bool:
    """Whether the walk from ``app`` reaches an instance of a class with marked methods."""
    return any(isinstance(obj, marked) for _, obj in walk(app).found.values())


# trylast: framework adapters know their objects better than a generic rule does.
@hookimpl(trylast=True)
def spyglass_recorder_class(app: Any) -> type | None:
    virtual = sys.modules.get(_VIRTUAL)
    if virtual is not None and isinstance(app, virtual.VirtualApp):
        return virtual.TruVirtual  # type: ignore[no-any-return]
    basic = sys.modules.get(_BASIC)
    if basic is not None and isinstance(app, basic.TruWrapperApp):
        return basic.TruBasicApp  # type: ignore[no-any-return]
    marked = _marked_classes()
    if marked and _has_marked_component(app, marked):
        from ._custom import TruApp

        return TruApp
    if inspect.isfunction(app) or inspect.ismethod(app) or inspect.isbuiltin(app):
        from ._basic import TruBasicApp

        return TruBasicApp
    return None


@hookimpl
def spyglass_component_children(obj: Any) -> Any:
    virtual = sys.modules.get(_VIRTUAL)
    if virtual is not None and isinstance(obj, virtual.VirtualApp):
        return []  # a virtual app's dict is a description, not components
    return None


@hookimpl
def spyglass_main_input(app: Any, func: Any, bindings: inspect.BoundArguments) -> Any:
    basic = sys.modules.get(_BASIC)
    if basic is not None and isinstance(app, basic.TruWrapperApp):
        return basic.main_input_of_wrapped(app, bindings)
    return None


@hookimpl
def spyglass_select_context(app: Any) -> Any:
    virtual = sys.modules.get(_VIRTUAL)
    if virtual is not None and isinstance(app, virtual.VirtualApp):
        return app.select_context()
    custom = sys.modules.get(_CUSTOM)
    if custom is not None:
        return custom.select_context_of(app)
    return None
