"""The LangChain adapter's hookimpls (entry point ``langchain``).

Importing this module imports neither LangChain nor LangGraph: every hook first
checks ``sys.modules`` (an object of a LangChain class cannot exist before
``langchain_core`` is imported) and only then loads the adapter's modules.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from spyglass.core.plugins import AdapterInfo, ClassCache, InstrumentSpec, hookimpl

from ._paths import RUNNABLE_MODULE

_MODEL_METHODS = frozenset({"_generate", "_agenerate", "_stream", "_astream"})


def _active() -> bool:
    return RUNNABLE_MODULE in sys.modules


def _derives_from_runnable(cls: type) -> bool:
    runnable = getattr(sys.modules.get(RUNNABLE_MODULE), "Runnable", None)
    return runnable is not None and issubclass(cls, runnable)


# class -> whether it is a Runnable, asked only once LangChain is imported. Runnable is
# an ABC, whose isinstance runs Python code each time: the hooks ask on every record.
_runnable_classes = ClassCache(_derives_from_runnable)


def _is_runnable(obj: Any) -> bool:
    if RUNNABLE_MODULE not in sys.modules:
        return False  # no Runnable can exist yet
    cls = type(obj)
    if cls is not obj.__class__:  # a proxy that reports another class
        runnable = getattr(sys.modules[RUNNABLE_MODULE], "Runnable", None)
        return runnable is not None and isinstance(obj, runnable)
    known = _runnable_classes.by_id.get(id(cls))
    return known if known is not None else _runnable_classes[cls]


@hookimpl
def spyglass_adapter_info() -> AdapterInfo:
    return AdapterInfo(
        name="langchain",
        requires=("langchain-core>=1.0,<2",),
        optional=("langgraph>=1.0,<2",),
        description="LangChain runnables and LangGraph graphs (TruChain)",
    )


@hookimpl
def spyglass_instrument_specs() -> Sequence[InstrumentSpec]:
    from ._specs import SPECS

    return SPECS


@hookimpl
def spyglass_component_children(obj: Any) -> Any:
    if not _active():
        return None
    from ._walk import children

    return children(obj)


@hookimpl
def spyglass_main_input(app: Any, func: Any, bindings: inspect.BoundArguments) -> Any:
    if not _is_runnable(app):
        return None
    from ._main_io import main_input

    return main_input(app, func, bindings)


@hookimpl
def spyglass_main_output(
    app: Any, func: Any, bindings: inspect.BoundArguments, ret: Any, streamed: bool
) -> Any:
    if not _is_runnable(app):
        return None
    from ._main_io import main_output

    return main_output(app, func, bindings, ret, streamed)


@hookimpl
def spyglass_json_encoders() -> Mapping[str, Callable[[Any], Any]]:
    from ._jsonify import ENCODERS

    return ENCODERS


@hookimpl
def spyglass_call_cost(obj: Any, method_name: str, ret: Any) -> Any:
    if method_name not in _MODEL_METHODS or not _active():
        return None
    from ._cost import call_cost

    return call_cost(obj, method_name, ret)


@hookimpl
def spyglass_select_context(app: Any) -> Any:
    if not _is_runnable(app):
        return None
    from ._recorder import select_context_of

    return select_context_of(app)


@hookimpl
def spyglass_recorder_class(app: Any) -> type | None:
    if not _is_runnable(app):
        return None
    from ._recorder import TruChain

    return TruChain
