"""The LlamaIndex adapter's hookimpls (entry point ``llamaindex``).

Importing this module never imports LlamaIndex: classes are named by path, objects
are recognised by the classes in their MRO, and the recorder class and the
framework module are imported only when a LlamaIndex object is met (which means
LlamaIndex is already imported).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from spyglass.core import Cost, Lens
from spyglass.core.plugins import AdapterInfo, InstrumentSpec, hookimpl

from . import _classes as c, _context, _cost, _main_io, _specs, _walk
from ._jsonify import ENCODERS

ADAPTER_INFO = AdapterInfo(
    name="llamaindex",
    requires=("llama-index-core>=0.14,<0.15",),
    description="LlamaIndex query engines, chat engines, retrievers, workflows and agents",
)


@hookimpl
def spyglass_adapter_info() -> AdapterInfo:
    return ADAPTER_INFO


@hookimpl
def spyglass_instrument_specs() -> Sequence[InstrumentSpec]:
    return _specs.instrument_specs()


@hookimpl
def spyglass_component_children(obj: Any) -> list[tuple[Lens, Any]] | None:
    return _walk.children_of(obj)


@hookimpl
def spyglass_stream_wrapper(ret_type: type) -> Callable[[Any, Callable[..., None]], Any] | None:
    if not _walk.is_llama_type(ret_type):
        return None
    # Asked only while recording: the stream proxies are the recording layer's.
    from ._stream import stream_wrapper_for

    return stream_wrapper_for(ret_type)


@hookimpl
def spyglass_main_input(
    app: Any, func: Callable[..., Any], bindings: inspect.BoundArguments
) -> Any:
    return _main_io.main_input(app, func, bindings)


@hookimpl
def spyglass_main_output(app: Any, ret: Any) -> Any:
    if not _walk.is_llama_type(type(app)):
        return None
    return _main_io.main_output(ret)


@hookimpl
def spyglass_json_encoders() -> Mapping[str, Callable[[Any], Any]]:
    return ENCODERS


@hookimpl
def spyglass_call_cost(obj: Any, method_name: str, ret: Any) -> Cost | None:
    if not _walk.is_llama_type(type(obj)):
        return None
    return _cost.call_cost(obj, method_name, ret)


@hookimpl
def spyglass_select_context(app: Any) -> Lens | None:
    return _context.select_context_of(app)


def is_llama_app(app: Any) -> bool:
    """Whether ``app`` is a LlamaIndex engine, retriever or workflow (agents are workflows)."""
    return c.is_a(type(app), *c.MAIN_METHODS)


@hookimpl
def spyglass_recorder_class(app: Any) -> type | None:
    if not is_llama_app(app):
        return None
    from ._recorder import TruLlama

    return TruLlama
