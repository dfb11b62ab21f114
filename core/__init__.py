"""spyglass core: schemas, lenses, serialisation, instrumentation, recording, sinks, feedback.

The core knows no framework; adapters (``spyglass.adapters.*``) teach it LangChain,
LlamaIndex and custom apps through the hooks in :mod:`spyglass.core.plugins.hookspecs`.

Public names are imported lazily, on first use, so ``import spyglass.core`` stays cheap
and never imports a framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AdapterInfo": "spyglass.core.plugins",
    "App": "spyglass.core.recording",
    "AppDefinition": "spyglass.core.schema",
    "CallKind": "spyglass.core.plugins",
    "Class": "spyglass.core.serial",
    "Collect": "spyglass.core.lens",
    "ContextThreadPoolExecutor": "spyglass.core.executor",
    "Cost": "spyglass.core.schema",
    "Feedback": "spyglass.core.feedback",
    "FeedbackCall": "spyglass.core.schema",
    "FeedbackCombinations": "spyglass.core.schema",
    "FeedbackDefinition": "spyglass.core.schema",
    "FeedbackMode": "spyglass.core.schema",
    "FeedbackOnMissingParameters": "spyglass.core.schema",
    "FeedbackResult": "spyglass.core.schema",
    "FeedbackResultStatus": "spyglass.core.schema",
    "FeedbackRunLocation": "spyglass.core.schema",
    "Function": "spyglass.core.serial",
    "GetAttribute": "spyglass.core.lens",
    "GetIndex": "spyglass.core.lens",
    "GetIndices": "spyglass.core.lens",
    "GetItem": "spyglass.core.lens",
    "GetItemOrAttribute": "spyglass.core.lens",
    "GetItems": "spyglass.core.lens",
    "GetSlice": "spyglass.core.lens",
    "HybridMethod": "spyglass.core.recording",
    "InstrumentSpec": "spyglass.core.plugins",
    "Lens": "spyglass.core.lens",
    "LensError": "spyglass.core.errors",
    "LensIndexError": "spyglass.core.errors",
    "LensKeyError": "spyglass.core.errors",
    "LensParseError": "spyglass.core.errors",
    "LensValueError": "spyglass.core.errors",
    "Method": "spyglass.core.serial",
    "MissingDependencyError": "spyglass.core.errors",
    "Obj": "spyglass.core.serial",
    "Perf": "spyglass.core.schema",
    "PluginError": "spyglass.core.errors",
    "Record": "spyglass.core.schema",
    "RecordAppCall": "spyglass.core.schema",
    "RecordAppCallMethod": "spyglass.core.schema",
    "RecordIngestMode": "spyglass.core.schema",
    "RecordSink": "spyglass.core.sinks",
    "Recording": "spyglass.core.recording",
    "RecordingError": "spyglass.core.errors",
    "Select": "spyglass.core.lens",
    "SelectorError": "spyglass.core.errors",
    "SkipEval": "spyglass.core.feedback",
    "SpyglassError": "spyglass.core.errors",
    "SpyglassPluginWarning": "spyglass.core.plugins",
    "Step": "spyglass.core.lens",
    "StepItemOrAttribute": "spyglass.core.lens",
    "StreamTee": "spyglass.core.recording",
    "UnsafeLoadError": "spyglass.core.errors",
    "active_adapters": "spyglass.core.plugins",
    "add_sink": "spyglass.core.sinks",
    "default_children": "spyglass.core.plugins",
    "get_plugin_manager": "spyglass.core.plugins",
    "hookimpl": "spyglass.core.plugins",
    "hookspec": "spyglass.core.plugins",
    "jsonify": "spyglass.core.serial",
    "recording_suspended": "spyglass.core.instrument",
    "register_encoder": "spyglass.core.serial",
    "register_plugin": "spyglass.core.plugins",
    "register_secret": "spyglass.core.serial",
    "remove_sink": "spyglass.core.sinks",
    "report_cost": "spyglass.core.feedback",
    "uninstrument": "spyglass.core.instrument",
    "unregister_plugin": "spyglass.core.plugins",
    "wrap_app": "spyglass.core.plugins",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .errors import (
        LensError as LensError,
        LensIndexError as LensIndexError,
        LensKeyError as LensKeyError,
        LensParseError as LensParseError,
        LensValueError as LensValueError,
        MissingDependencyError as MissingDependencyError,
        PluginError as PluginError,
        RecordingError as RecordingError,
        SelectorError as SelectorError,
        SpyglassError as SpyglassError,
        UnsafeLoadError as UnsafeLoadError,
    )
    from .executor import (
        ContextThreadPoolExecutor as ContextThreadPoolExecutor,
    )
    from .feedback import (
        Feedback as Feedback,
        SkipEval as SkipEval,
        report_cost as report_cost,
    )
    from .instrument import (
        recording_suspended as recording_suspended,
        uninstrument as uninstrument,
    )
    from .lens import (
        Collect as Collect,
        GetAttribute as GetAttribute,
        GetIndex as GetIndex,
        GetIndices as GetIndices,
        GetItem as GetItem,
        GetItemOrAttribute as GetItemOrAttribute,
        GetItems as GetItems,
        GetSlice as GetSlice,
        Lens as Lens,
        Select as Select,
        Step as Step,
        StepItemOrAttribute as StepItemOrAttribute,
    )
    from .plugins import (
        AdapterInfo as AdapterInfo,
        CallKind as CallKind,
        InstrumentSpec as InstrumentSpec,
        SpyglassPluginWarning as SpyglassPluginWarning,
        active_adapters as active_adapters,
        default_children as default_children,
        get_plugin_manager as get_plugin_manager,
        hookimpl as hookimpl,
        hookspec as hookspec,
        register_plugin as register_plugin,
        unregister_plugin as unregister_plugin,
        wrap_app as wrap_app,
    )
    from .recording import (
        App as App,
        HybridMethod as HybridMethod,
        Recording as Recording,
        StreamTee as StreamTee,
    )
    from .schema import (
        AppDefinition as AppDefinition,
        Cost as Cost,
        FeedbackCall as FeedbackCall,
        FeedbackCombinations as FeedbackCombinations,
        FeedbackDefinition as FeedbackDefinition,
        FeedbackMode as FeedbackMode,
        FeedbackOnMissingParameters as FeedbackOnMissingParameters,
        FeedbackResult as FeedbackResult,
        FeedbackResultStatus as FeedbackResultStatus,
        FeedbackRunLocation as FeedbackRunLocation,
        Perf as Perf,
        Record as Record,
        RecordAppCall as RecordAppCall,
        RecordAppCallMethod as RecordAppCallMethod,
        RecordIngestMode as RecordIngestMode,
    )
    from .serial import (
        Class as Class,
        Function as Function,
        Method as Method,
        Obj as Obj,
        jsonify as jsonify,
        register_encoder as register_encoder,
        register_secret as register_secret,
    )
    from .sinks import (
        RecordSink as RecordSink,
        add_sink as add_sink,
        remove_sink as remove_sink,
    )
