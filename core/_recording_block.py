"""The ``with recorder as recording:`` block: its `Recording`, entering and leaving it.

The recording state lives in one context variable, `_STATE`: ``None`` when nothing
records, a `_Scope` inside a ``with`` block (outside any call), or the current call
(:mod:`spyglass.core.recording`'s hot path sets it around each instrumented call).
`enter` and `leave` (``App.__enter__`` / ``__exit__``) push and pop scopes;
`recording_suspended` clears the state for a block. Exported by
:mod:`spyglass.core.recording`.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from spyglass.core.errors import RecordingError

if TYPE_CHECKING:
    from spyglass.core.app import App
    from spyglass.core.record import Record

__all__ = ["Recording", "enter", "leave", "recording_suspended"]

# The one recording logger: what this module logs reads as coming from `recording`.
logger = logging.getLogger("spyglass.core.recording")

_STATE: contextvars.ContextVar[Any] = contextvars.ContextVar("spyglass_recording", default=None)


class _Scope:
    """The state inside ``with recorder as recording:`` (outside any call)."""

    __slots__ = ("owner", "recordings", "root", "token")

    def __init__(self, recordings: tuple[Recording, ...], owner: App) -> None:
        self.recordings = recordings
        self.root = None  # marks "not inside a call"
        self.token: contextvars.Token[Any] | None = None
        self.owner = owner


# ------------------------------------------------------------------ suspension


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


# ------------------------------------------------------------------ Recording


class Recording:
    """The records of one ``with recorder as recording:`` block.

    Each top-level call of an instrumented component made in the block (or in tasks
    and threads that copied its context) adds one record, when that call ends (for
    a stream: when it is exhausted or closed).

    Attributes:
        app: the recorder.
        records: the records, in the order their root calls ended.
        record_metadata: JSON-able metadata attached as ``meta`` to the records
            that end after it is set.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.records: list[Record] = []
        self.record_metadata: Any = None

    def _add(self, record: Record) -> None:
        self.records.append(record)
        self.app._on_record(record)

    def get(self) -> Record:
        """The only record of the block.

        Raises:
            RecordingError: the block recorded no record, or more than one.
        """
        if not self.records:
            raise RecordingError("Recording context did not record any records.")
        if len(self.records) > 1:
            raise RecordingError(
                "Recording context recorded more than 1 record. "
                "You can get them with ctx.records, ctx[i], or `for r in ctx: ...`."
            )
        return self.records[0]

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> Record:
        return self.records[index]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __repr__(self) -> str:
        return f"<Recording of {type(self.app).__name__} with {len(self.records)} records>"


def enter(app: App) -> Recording:
    """Open a recording for ``app`` in the current context (``App.__enter__``)."""
    recording = Recording(app)
    state = _STATE.get()
    if state is None:
        outer: tuple[Recording, ...] = ()
    elif state.root is None:
        outer = state.recordings
    else:  # a `with` inside an instrumented call: its calls become roots of this scope
        outer = state.root.recordings
    scope = _Scope((*outer, recording), app)
    scope.token = _STATE.set(scope)
    return recording


def leave(app: App) -> None:
    """Close the innermost recording ``app`` opened in this context (``App.__exit__``)."""
    state = _STATE.get()
    if not isinstance(state, _Scope) or state.owner is not app:
        logger.warning(
            "spyglass: %s's recording block was left out of order (nested `with` blocks "
            "of several recorders must close innermost first); its state was reset",
            type(app).__name__,
        )
        if not isinstance(state, _Scope):
            return
    token = state.token
    try:
        if token is not None:
            _STATE.reset(token)
    except ValueError:  # left in another context than entered (e.g. another task)
        _STATE.set(
            token.old_value if token is not None and token.old_value is not token.MISSING else None
        )
