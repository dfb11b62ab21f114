"""The ``with recorder as recording:`` block: its `Recording`, entering and leaving it.

The recording state lives in one context variable (:mod:`spyglass.core.instrument._context`): ``None`` when nothing
records, a `_Scope` inside a ``with`` block (outside any call), or the current call
(:mod:`spyglass.core.recording._calls`'s hot path sets it around each instrumented call).
`enter` and `leave` (``App.__enter__`` / ``__exit__``) push and pop scopes;

"""

from __future__ import annotations

import collections
import contextvars
import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._log_once import LogOnce
from .._redact import guard
from ..errors import RecordingError
from ..instrument._context import _STATE
from ._build import PendingRecords

if TYPE_CHECKING:
    from ..schema._record import Record
    from ._app import App

__all__ = ["Recording", "enter", "leave"]

# The one recording logger: what this module logs reads as coming from `recording`.
logger = guard(logging.getLogger("spyglass.core.recording"))  # secrets redacted in its lines


class _Scope:
    """The state inside ``with recorder as recording:`` (outside any call)."""

    __slots__ = ("owner", "recordings", "root", "token")

    def __init__(self, recordings: tuple[Recording, ...], owner: App) -> None:
        self.recordings = recordings
        self.root = None  # marks "not inside a call"
        self.token: contextvars.Token[Any] | None = None
        self.owner = owner


# ------------------------------------------------------------------ Recording


class Recording:
    """The records of one ``with recorder as recording:`` block.

    Each top-level call of an instrumented component made in the block (or in tasks
    and threads that copied its context) adds one record, when that call ends (for
    a stream: when it is exhausted or closed).

    A record is built (its values serialised, see :mod:`spyglass.core.recording._build`)
    when its root call ends if the recorder runs its feedbacks with the app
    (``FeedbackMode.WITH_APP``); in the background, by the sink dispatcher, if it goes
    to sinks or to feedbacks that run in the background (:mod:`spyglass.core.sinks`);
    and otherwise the first time this recording is read (`records`, `get`, indexing,
    iteration, ``len``), on the reading thread, unless the dispatcher got there first.
    So a recorded call costs the app's thread only the capture of references, and
    records nobody reads and no sink wants are never serialised.

    Attributes:
        app: the recorder.
        record_metadata: JSON-able metadata attached as ``meta`` to the records
            whose root calls end after it is set.
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self.record_metadata: Any = None
        # False once its block is left: no root call starts in it after that (a stream
        # started in the block still ends in it).
        self.open = True
        self._records: list[Record] = []
        # Roots that ended but are not in `_records` yet, in the order they ended:
        # pending builds, and built records queued behind them (to keep the order).
        self._queue: collections.deque[Record | PendingRecords] = collections.deque()
        self._lock = threading.Lock()

    # -- filled by root calls as they end (any thread) ---------------------------------

    def _add(self, record: Record) -> None:
        """A record built when its root ended (it already has its feedback futures)."""
        if self._queue:
            self._queue.append(record)
        else:
            self._records.append(record)

    def _defer(self, pending: PendingRecords) -> None:
        """A root whose record is built when this recording is first read."""
        self._queue.append(pending)

    def _drain(self) -> None:
        """Build the queued records, in order; failures are logged by the builder."""
        with self._lock:
            queue = self._queue
            while queue:
                entry = queue[0]
                if isinstance(entry, PendingRecords):
                    record = entry.record_for(self)
                    if record is not None:
                        self.app._on_record(record)  # feedback futures before it is readable
                        self._records.append(record)
                else:
                    self._records.append(entry)
                queue.popleft()

    # -- reading ---------------------------------------------------------------------

    @property
    def records(self) -> list[Record]:
        """The records, in the order their root calls ended (built on first read)."""
        if self._queue:
            self._drain()
        return self._records

    def get(self) -> Record:
        """The only record of the block.

        Raises:
            RecordingError: the block recorded no record, or more than one.
        """
        records = self.records
        if not records:
            raise RecordingError("Recording context did not record any records.")
        if len(records) > 1:
            raise RecordingError(
                "Recording context recorded more than 1 record. "
                "You can get them with ctx.records, ctx[i], or `for r in ctx: ...`."
            )
        return records[0]

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> Record:
        return self.records[index]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __repr__(self) -> str:
        # Does not build pending records: a repr must stay cheap and side-effect free.
        count = len(self._records) + len(self._queue)
        return f"<Recording of {type(self.app).__name__} with {count} records>"


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
    """Close the innermost recording ``app`` opened in this context (``App.__exit__``).

    In order (the usual case) the state before the block comes back. Out of order (an
    outer block left while an inner one is open, by an ``ExitStack`` or by hand), only
    ``app``'s recording is closed: the blocks still open keep recording, and the closed
    one gets no new root call, whichever state a later exit restores.
    """
    state = _STATE.get()
    if isinstance(state, _Scope) and state.owner is app:
        state.recordings[-1].open = False
        _restore(state)
        return
    recordings: tuple[Recording, ...] = ()
    if isinstance(state, _Scope):
        recordings = state.recordings
    elif state is not None:  # inside an instrumented call
        recordings = state.root.recordings
    closing = next((r for r in reversed(recordings) if r.app is app and r.open), None)
    _out_of_order.log(
        "leaving a recording block",
        "spyglass: %s's recording block was left out of order (nested `with` blocks of "
        "several recorders must close innermost first); it is closed and the blocks "
        "still open go on recording",
        type(app).__name__,
        level=logging.WARNING,
        exc_info=False,
    )
    if closing is None:
        return
    closing.open = False
    if isinstance(state, _Scope):
        still_open = tuple(r for r in state.recordings if r.open)
        scope = _Scope(still_open, state.owner)
        scope.token = state.token  # leaving the block that owns it restores as before
        _STATE.set(scope if still_open else None)


def _restore(state: _Scope) -> None:
    """Put back the state from before ``state``'s block."""
    token = state.token
    try:
        if token is not None:
            _STATE.reset(token)
    except ValueError:  # left in another context than entered (e.g. another task)
        _STATE.set(
            token.old_value if token is not None and token.old_value is not token.MISSING else None
        )


_out_of_order = LogOnce(logger)
