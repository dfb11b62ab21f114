"""The spyglass adapter for the toy framework: hookimpls only.

It imports nothing from the framework at import time (classes are named by path),
exactly as a real adapter must not import a framework that may be absent.
"""

from __future__ import annotations

import sys
from typing import Any

from spyglass.core.plugins import AdapterInfo, CallKind, InstrumentSpec, hookimpl

_FRAMEWORK = "spyglass_toyframework.framework"


@hookimpl
def spyglass_adapter_info() -> AdapterInfo:
    return AdapterInfo(
        name="toy",
        requires=("spyglass-toyframework>=0.1,<1",),
        description="the toy framework of spyglass's plugin tests",
    )


@hookimpl
def spyglass_instrument_specs() -> list[InstrumentSpec]:
    return [
        InstrumentSpec(f"{_FRAMEWORK}:ToyPipeline", ("run",), kind=CallKind.CHAIN),
        InstrumentSpec(f"{_FRAMEWORK}:ToyRetriever", ("retrieve",), kind=CallKind.RETRIEVER),
        InstrumentSpec(f"{_FRAMEWORK}:ToyLLM", ("generate",), kind=CallKind.LLM),
    ]


def _framework() -> Any:
    # Only answer for objects of the framework once the user has imported it.
    return sys.modules.get(_FRAMEWORK)


@hookimpl
def spyglass_component_children(obj: Any) -> Any:
    framework = _framework()
    if framework is not None and isinstance(obj, framework.ToyRetriever):
        return []  # documents are data, not components
    return None


@hookimpl
def spyglass_recorder_class(app: Any) -> type | None:
    framework = _framework()
    if framework is not None and isinstance(app, framework.ToyPipeline):
        from spyglass_toyframework.recorder import ToyRecorder

        return ToyRecorder
    return None


@hookimpl
def spyglass_main_input(app: Any, bindings: Any) -> Any:
    framework = _framework()
    if framework is not None and isinstance(app, framework.ToyPipeline):
        return bindings.arguments.get("question")
    return None


@hookimpl
def spyglass_main_output(app: Any, ret: Any) -> Any:
    framework = _framework()
    if framework is not None and isinstance(ret, framework.ToyAnswer):
        return ret.answer
    return None


def _encode_document(doc: Any) -> dict[str, Any]:
    return {"text": doc.text, "score": doc.score}


@hookimpl
def spyglass_json_encoders() -> dict[str, Any]:
    return {f"{_FRAMEWORK}:ToyDocument": _encode_document}
