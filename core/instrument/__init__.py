"""Instrumentation: wrapping framework methods so their calls can be recorded.

Each ``(class, method)`` is wrapped once, on the class that defines it, with wrapt; a
table keeps every original so that `uninstrument` restores it exactly. A wrapper's fast
path, when nothing records in the current context, is one context-variable read and a
branch; otherwise it hands the call to the recording layer (:mod:`spyglass.core.recording`).
"""

from __future__ import annotations

from . import _wrap
from ._context import current_state as current_state, recording_suspended as recording_suspended
from ._wrap import *  # the wrap table, and matching specs to walked objects

__all__ = sorted([*_wrap.__all__, "current_state", "recording_suspended"])
