"""spyglass core: schemas, lenses, serialisation, instrumentation, recording, feedback.

The core knows no framework; adapters (``spyglass.adapters.*``) teach it LangChain,
LlamaIndex and custom apps through the hooks in :mod:`spyglass.core.hookspecs`.

Public names are imported lazily, on first use, so ``import spyglass.core`` stays cheap
and never imports a framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spyglass.core._lazy import lazy_exports

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AdapterInfo": "spyglass.core.adapter",
    "App": "spyglass.core.app",
    "AppDefinition": "spyglass.core.app_definition",
    "ContextThreadPoolExecutor": "spyglass.core.executor",
    "Cost": "spyglass.core.measures",
    "Feedback": "spyglass.core.feedback",
    "FeedbackCall": "spyglass.core.feedback_definition",
    "FeedbackCombinations": "spyglass.core.enums",
    "FeedbackDefinition": "spyglass.core.feedback_definition",
    "FeedbackMode": "spyglass.core.enums",
    "FeedbackOnMissingParameters": "spyglass.core.enums",
    "FeedbackResult": "spyglass.core.feedback_definition",
    "FeedbackResultStatus": "spyglass.core.enums",
    "FeedbackRunLocation": "spyglass.core.enums",
    "InstrumentSpec": "spyglass.core.adapter",
    "Lens": "spyglass.core.lens",
    "LensError": "spyglass.core.errors",
    "LensIndexError": "spyglass.core.errors",
    "LensKeyError": "spyglass.core.errors",
    "LensParseError": "spyglass.core.errors",
    "LensValueError": "spyglass.core.errors",
    "MissingDependencyError": "spyglass.core.errors",
    "Perf": "spyglass.core.measures",
    "PluginError": "spyglass.core.errors",
    "Record": "spyglass.core.record",
    "RecordAppCall": "spyglass.core.record",
    "RecordAppCallMethod": "spyglass.core.record",
    "RecordIngestMode": "spyglass.core.enums",
    "Recording": "spyglass.core.recording",
    "RecordingError": "spyglass.core.errors",
    "Select": "spyglass.core.select",
    "SkipEval": "spyglass.core.feedback",
    "SelectorError": "spyglass.core.errors",
    "SpyglassError": "spyglass.core.errors",
    "SpyglassPluginWarning": "spyglass.core.plugins",
    "UnsafeLoadError": "spyglass.core.errors",
    "active_adapters": "spyglass.core.plugins",
    "default_children": "spyglass.core._walk",
    "get_plugin_manager": "spyglass.core.plugins",
    "hookimpl": "spyglass.core.hookspecs",
    "hookspec": "spyglass.core.hookspecs",
    "jsonify": "spyglass.core._jsonify",
    "register_encoder": "spyglass.core._jsonify",
    "register_plugin": "spyglass.core.plugins",
    "recording_suspended": "spyglass.core.recording",
    "register_secret": "spyglass.core._jsonify",
    "uninstrument": "spyglass.core.instrument",
    "unregister_plugin": "spyglass.core.plugins",
    "wrap_app": "spyglass.core.plugins",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from spyglass.core._jsonify import jsonify, register_encoder, register_secret
    from spyglass.core._walk import default_children
    from spyglass.core.adapter import AdapterInfo, InstrumentSpec
    from spyglass.core.app import App
    from spyglass.core.app_definition import AppDefinition
    from spyglass.core.enums import (
        FeedbackCombinations,
        FeedbackMode,
        FeedbackOnMissingParameters,
        FeedbackResultStatus,
        FeedbackRunLocation,
        RecordIngestMode,
    )
    from spyglass.core.errors import (
        LensError,
        LensIndexError,
        LensKeyError,
        LensParseError,
        LensValueError,
        MissingDependencyError,
        PluginError,
        RecordingError,
        SelectorError,
        SpyglassError,
        UnsafeLoadError,
    )
    from spyglass.core.executor import ContextThreadPoolExecutor
    from spyglass.core.feedback import Feedback, SkipEval
    from spyglass.core.feedback_definition import FeedbackCall, FeedbackDefinition, FeedbackResult
    from spyglass.core.hookspecs import hookimpl, hookspec
    from spyglass.core.instrument import uninstrument
    from spyglass.core.lens import Lens
    from spyglass.core.measures import Cost, Perf
    from spyglass.core.plugins import (
        SpyglassPluginWarning,
        active_adapters,
        get_plugin_manager,
        register_plugin,
        unregister_plugin,
        wrap_app,
    )
    from spyglass.core.record import Record, RecordAppCall, RecordAppCallMethod
    from spyglass.core.recording import Recording, recording_suspended
    from spyglass.core.select import Select
