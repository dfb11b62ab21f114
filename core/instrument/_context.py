"""What records in the current context: the one context variable every wrapper reads.

`_STATE` is ``None`` when nothing records (the wrapper's fast path: one read, one
branch), or an object of the recording layer (:mod:`spyglass.core.recording`): a
``with recorder:`` scope or the call in progress. Recording state lives in a context
variable only, so it follows asyncio tasks and threads that copy the context.

Instrumentation sits below recording: a wrapper hands an active call to the handler
that the recording layer installs with `set_call_handler` when it is imported. Nothing
can be recording before that, so a wrapper never finds the handler missing.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any, Protocol

__all__ = [
    "CallHandler",
    "RecordingState",
    "current_state",
    "recording_suspended",
    "set_call_handler",
]


class RecordingState(Protocol):
    """What `_STATE` holds while something records: a scope or the call in progress.

    Both are the recording layer's (``_Scope`` and ``_Call`` in
    :mod:`spyglass.core.recording`); this layer only tells "recording" from ``None``.

    Attributes:
        root: the root call in progress, or ``None`` in a scope outside any call.
        recordings: the recordings a new root call would go to (of the scope), or went to.
    """

    @property
    def root(self) -> Any: ...

    @property
    def recordings(self) -> tuple[Any, ...]: ...


_STATE: contextvars.ContextVar[RecordingState | None] = contextvars.ContextVar(
    "spyglass_recording", default=None
)

current_state = _STATE.get

#: ``handler(site, state, wrapped, instance, args, kwargs)``: runs one recorded call.
CallHandler = Callable[[Any, RecordingState, Any, Any, Any, Any], Any]


def _no_handler(
    site: Any, state: RecordingState, wrapped: Any, instance: Any, args: Any, kwargs: Any
) -> Any:
    return wrapped(*args, **kwargs)  # unreachable in practice: see the module docstring


handle_call: CallHandler = _no_handler


def set_call_handler(handler: CallHandler) -> None:
    """Install the recording layer's per-call handler (called once, at its import)."""
    global handle_call
    handle_call = handler


@contextlib.contextmanager
def recording_suspended() -> Iterator[None]:
    """Record nothing inside this block, in this context (and contexts copied from it).

    Used by feedback evaluation and by spyglass itself, so that calls they make to
    instrumented components do not become part of the app's records.
    """
    token = _STATE.set(None)
    try:
        yield
    finally:
        _STATE.reset(token)
