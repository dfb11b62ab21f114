"""spyglass core: schemas, lenses, serialisation, instrumentation, recording, feedback.

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
    "Recording": "spyglass.core.recording",
    "RecordingError": "spyglass.core.errors",
    "Select": "spyglass.core.lens",
    "SelectorError": "spyglass.core.errors",
    "SkipEval": "spyglass.core.feedback",
    "SpyglassError": "spyglass.core.errors",
    "SpyglassPluginWarning": "spyglass.core.plugins",
    "Step": "spyglass.core.lens",
    "StepItemOrAttribute": "spyglass.core.lens",
    "UnsafeLoadError": "spyglass.core.errors",
    "active_adapters": "spyglass.core.plugins",
    "default_children": "spyglass.core.plugins",
    "get_plugin_manager": "spyglass.core.plugins",
    "hookimpl": "spyglass.core.plugins",
    "hookspec": "spyglass.core.plugins",
    "jsonify": "spyglass.core.serial",
    "recording_suspended": "spyglass.core.instrument",
    "register_encoder": "spyglass.core.serial",
    "register_plugin": "spyglass.core.plugins",
    "register_secret": "spyglass.core.serial",
    "uninstrument": "spyglass.core.instrument",
    "unregister_plugin": "spyglass.core.plugins",
    "wrap_app": "spyglass.core.plugins",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .errors import (
        LensError as LensError,
    )
    from .errors import (
        LensIndexError as LensIndexError,
    )
    from .errors import (
        LensKeyError as LensKeyError,
    )
    from .errors import (
        LensParseError as LensParseError,
    )
    from .errors import (
        LensValueError as LensValueError,
    )
    from .errors import (
        MissingDependencyError as MissingDependencyError,
    )
    from .errors import (
        PluginError as PluginError,
    )
    from .errors import (
        RecordingError as RecordingError,
    )
    from .errors import (
        SelectorError as SelectorError,
    )
    from .errors import (
        SpyglassError as SpyglassError,
    )
    from .errors import (
        UnsafeLoadError as UnsafeLoadError,
    )
    from .executor import (
        ContextThreadPoolExecutor as ContextThreadPoolExecutor,
    )
    from .feedback import (
        Feedback as Feedback,
    )
    from .feedback import (
        SkipEval as SkipEval,
    )
    from .instrument import (
        recording_suspended as recording_suspended,
    )
    from .instrument import (
        uninstrument as uninstrument,
    )
    from .lens import (
        Collect as Collect,
    )
    from .lens import (
        GetAttribute as GetAttribute,
    )
    from .lens import (
        GetIndex as GetIndex,
    )
    from .lens import (
        GetIndices as GetIndices,
    )
    from .lens import (
        GetItem as GetItem,
    )
    from .lens import (
        GetItemOrAttribute as GetItemOrAttribute,
    )
    from .lens import (
        GetItems as GetItems,
    )
    from .lens import (
        GetSlice as GetSlice,
    )
    from .lens import (
        Lens as Lens,
    )
    from .lens import (
        Select as Select,
    )
    from .lens import (
        Step as Step,
    )
    from .lens import (
        StepItemOrAttribute as StepItemOrAttribute,
    )
    from .plugins import (
        AdapterInfo as AdapterInfo,
    )
    from .plugins import (
        CallKind as CallKind,
    )
    from .plugins import (
        InstrumentSpec as InstrumentSpec,
    )
    from .plugins import (
        SpyglassPluginWarning as SpyglassPluginWarning,
    )
    from .plugins import (
        active_adapters as active_adapters,
    )
    from .plugins import (
        default_children as default_children,
    )
    from .plugins import (
        get_plugin_manager as get_plugin_manager,
    )
    from .plugins import (
        hookimpl as hookimpl,
    )
    from .plugins import (
        hookspec as hookspec,
    )
    from .plugins import (
        register_plugin as register_plugin,
    )
    from .plugins import (
        unregister_plugin as unregister_plugin,
    )
    from .plugins import (
        wrap_app as wrap_app,
    )
    from .recording import (
        App as App,
    )
    from .recording import (
        HybridMethod as HybridMethod,
    )
    from .recording import (
        Recording as Recording,
    )
    from .schema import (
        AppDefinition as AppDefinition,
    )
    from .schema import (
        Cost as Cost,
    )
    from .schema import (
        FeedbackCall as FeedbackCall,
    )
    from .schema import (
        FeedbackCombinations as FeedbackCombinations,
    )
    from .schema import (
        FeedbackDefinition as FeedbackDefinition,
    )
    from .schema import (
        FeedbackMode as FeedbackMode,
    )
    from .schema import (
        FeedbackOnMissingParameters as FeedbackOnMissingParameters,
    )
    from .schema import (
        FeedbackResult as FeedbackResult,
    )
    from .schema import (
        FeedbackResultStatus as FeedbackResultStatus,
    )
    from .schema import (
        FeedbackRunLocation as FeedbackRunLocation,
    )
    from .schema import (
        Perf as Perf,
    )
    from .schema import (
        Record as Record,
    )
    from .schema import (
        RecordAppCall as RecordAppCall,
    )
    from .schema import (
        RecordAppCallMethod as RecordAppCallMethod,
    )
    from .schema import (
        RecordIngestMode as RecordIngestMode,
    )
    from .serial import (
        Class as Class,
    )
    from .serial import (
        Function as Function,
    )
    from .serial import (
        Method as Method,
    )
    from .serial import (
        Obj as Obj,
    )
    from .serial import (
        jsonify as jsonify,
    )
    from .serial import (
        register_encoder as register_encoder,
    )
    from .serial import (
        register_secret as register_secret,
    )
