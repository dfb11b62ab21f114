"""The enumerations of spyglass's schemas, with TruLens's names and values.

Every enum is a ``str`` subclass whose JSON form is its value (``"with_app_thread"``,
``"done"``), as in TruLens. Unlike TruLens (as TruLens 1.x), ``str(member)`` and
``f"{member}"`` also give the value, so messages read ``status done``, never
``FeedbackResultStatus.DONE``.
"""

from __future__ import annotations

from enum import Enum

__all__ = [
    "FeedbackCombinations",
    "FeedbackMode",
    "FeedbackOnMissingParameters",
    "FeedbackResultStatus",
    "FeedbackRunLocation",
    "RecordIngestMode",
]


class _StrEnum(str, Enum):
    """A ``str`` enum that prints as its value and names the valid values of a wrong one."""

    @classmethod
    def _missing_(cls, value: object) -> None:
        # Called by `cls(value)` when no member matches: say what would have
        # (pydantic validates enum fields itself and does not come here).
        valid = ", ".join(repr(member.value) for member in cls)
        raise ValueError(f"{value!r} is not a valid {cls.__name__}; valid values: {valid}")

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, format_spec: str) -> str:
        return format(str(self.value), format_spec)


class FeedbackMode(_StrEnum):
    """When feedback functions are evaluated on a new record."""

    NONE = "none"
    """Not evaluated (the caller runs them)."""

    WITH_APP = "with_app"
    """Evaluated on the app's thread before the call returns to the user."""

    WITH_APP_THREAD = "with_app_thread"
    """Evaluated on a worker thread while the app goes on (the default)."""

    DEFERRED = "deferred"
    """Evaluated later by a separate evaluator."""


class RecordIngestMode(_StrEnum):
    """How records are handed to storage."""

    IMMEDIATE = "immediate"
    """Each record as soon as it is finished (the default)."""

    BUFFERED = "buffered"
    """In batches."""


class FeedbackRunLocation(_StrEnum):
    """Where a feedback function runs."""

    IN_APP = "in_app"
    """In the app's process."""

    SNOWFLAKE = "snowflake"
    """In Snowflake (kept for compatibility with stored TruLens data)."""


class FeedbackResultStatus(_StrEnum):
    """The state of one feedback evaluation."""

    NONE = "none"
    """Not started."""

    RUNNING = "running"
    """Running."""

    FAILED = "failed"
    """Failed; the result says why."""

    DONE = "done"
    """Finished with a result."""

    SKIPPED = "skipped"
    """Not evaluated, e.g. because its ``if_exists`` lens selected nothing."""


class FeedbackOnMissingParameters(_StrEnum):
    """What to do when a feedback's selector selects nothing in a record."""

    ERROR = "error"
    """Fail the feedback with an error naming the selector."""

    WARN = "warn"
    """Skip the feedback and log a warning."""

    IGNORE = "ignore"
    """Skip the feedback silently."""


class FeedbackCombinations(_StrEnum):
    """How the values selected for several parameters are combined into calls."""

    ZIP = "zip"
    """Pair the i-th values of every parameter."""

    PRODUCT = "product"
    """Every combination of the values (the default)."""
