"""The sink seam's two protocols: :class:`RecordSink` (what consumes records) and
:class:`RecordStore` (what keeps them past the process), and the current store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..recording._app import App
    from ..schema._feedback import FeedbackResult
    from ..schema._record import Record

__all__ = [
    "RecordSink",
    "RecordStore",
    "check_sink",
    "current_store",
    "set_current_store",
    "sink_name",
]


@runtime_checkable
class RecordSink(Protocol):
    """What consumes records and feedback results: implement these four methods.

    Subclass it to inherit do-nothing defaults for the methods you do not need, or
    write any class with the same four methods (``isinstance(obj, RecordSink)``
    checks that they are there).

    The contract: spyglass calls these methods on the sink's own worker thread, never
    on the app's thread, one call at a time, each record before the feedback results
    on it. A method may take its time or block: the app's calls and the other sinks go
    on (what arrives while the sink's queue is full is dropped and counted). Whatever
    a method raises is logged once and otherwise ignored. A record handed to a sink is
    shared with the app and the other sinks: read it, do not change it.

    Usage (a recorder's records: ``TruCustomApp(rag, sinks=[PrintSink()])``; every
    recorder's: ``spyglass.core.add_sink(PrintSink())``)::

        class PrintSink(RecordSink):
            def on_record(self, record, app):
                print(app.app_name, record.main_input, "->", record.main_output)
    """

    def on_record(self, record: Record, app: App) -> None:
        """A recorder finished a record.

        Args:
            record: the record, built (values serialised). Its ``feedback_results``
                futures are set when the recorder runs feedbacks; their results also
                arrive through :meth:`on_feedback_result`.
            app: the recorder that made it (``app.app_name``, ``app.app_id``, ...).
        """
        return

    def on_feedback_result(self, result: FeedbackResult) -> None:
        """A feedback finished on a record (``result.record_id`` names the record).

        Args:
            result: its result, whatever its status (``done``, ``failed``,
                ``skipped``).
        """
        return

    def flush(self, timeout: float | None = None) -> bool:
        """Push out whatever the sink buffers; called by :func:`flush` and at exit.

        Args:
            timeout: the most seconds to take (``None``: no limit).

        Returns:
            Whether everything was pushed out in time.
        """
        return True

    def shutdown(self) -> None:
        """Release what the sink holds; called once, at interpreter exit (or by
        :func:`shutdown`), after its queue was delivered."""
        return


def sink_name(sink: object) -> str:
    """The name a sink is logged by: its ``name`` attribute if a string, else its class."""
    name = getattr(sink, "name", None)
    return name if isinstance(name, str) and name else type(sink).__qualname__


def check_sink(sink: object) -> RecordSink:
    """``sink`` itself if it has the four methods of :class:`RecordSink`.

    Raises:
        TypeError: a method is missing; the message names it.
    """
    if isinstance(sink, RecordSink):
        return sink
    missing = [
        name
        for name in ("on_record", "on_feedback_result", "flush", "shutdown")
        if not callable(getattr(sink, name, None))
    ]
    raise TypeError(
        f"{sink!r} is not a record sink: it has no {', '.join(missing)} method(s). "
        "Subclass spyglass.core.RecordSink to inherit the ones you do not need."
    )


@runtime_checkable
class RecordStore(Protocol):
    """What keeps records past the process (``spyglass.store.TruSession``), seen from core.

    A recorder given ``session=`` uses that store; otherwise the one set last with
    :func:`set_current_store` (each ``TruSession`` sets itself when made); with none,
    nothing is stored. Core imports no store: this protocol is the whole seam.
    """

    def sink_for(self, app: App) -> RecordSink:
        """Called once when a recorder is made: store its definition (and its feedback
        definitions) and return the sink its records and feedback results go to."""
        ...

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until what was handed over so far is stored; ``False`` on timeout."""
        ...


_store: RecordStore | None = None


def set_current_store(store: RecordStore | None) -> None:
    """Make ``store`` the one recorders made from now on use (``None``: none)."""
    global _store
    _store = store


def current_store() -> RecordStore | None:
    """The store recorders made now use when given no ``session=``, or ``None``."""
    return _store
