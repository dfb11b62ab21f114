"""Instrumentation: wrapping framework methods so their calls can be recorded.

Each ``(class, method)`` is wrapped once, on the class that defines it, with wrapt; a
table keeps every original so that `uninstrument` restores it exactly. A wrapper's fast
path, when nothing records in the current context, is one context-variable read and a
branch; otherwise it hands the call to the recording layer (:mod:`spyglass.core.recording`).
"""

from __future__ import annotations

from ._call_site import CallSite
from ._context import current_state, recording_suspended
from ._wrap import (
    Component,
    Instrumented,
    InstrumentedMethod,
    SkippedMethod,
    WrappedMethod,
    defining_class,
    instrument_objects,
    is_excluded,
    is_wrapped,
    uninstrument,
    unwrap,
    unwrap_all,
    why_not_wrappable,
    wrap_method,
    wrapped_methods,
)

__all__ = [
    "CallSite",
    "Component",
    "Instrumented",
    "InstrumentedMethod",
    "SkippedMethod",
    "WrappedMethod",
    "current_state",
    "defining_class",
    "instrument_objects",
    "is_excluded",
    "is_wrapped",
    "recording_suspended",
    "uninstrument",
    "unwrap",
    "unwrap_all",
    "why_not_wrappable",
    "wrap_method",
    "wrapped_methods",
]
