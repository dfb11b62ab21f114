"""The errors of judge providers.

::

    SpyglassError (spyglass.core)
    ├── JudgeAnswerError(ValueError)         the judge answered, but not with a readable score
    ├── JudgeRequestError(RuntimeError)      the judge could not be reached (after retries)
    └── NotBuiltError(NotImplementedError)   a TruLens name spyglass does not build

A feedback whose implementation raises one of these gets status ``failed`` with the
message; other feedbacks are not affected.
"""

from __future__ import annotations

from spyglass.core import SpyglassError

__all__ = ["JudgeAnswerError", "JudgeRequestError", "NotBuiltError", "not_built"]

# Raw answers longer than this are cut in error messages (the start says what went wrong).
_MAX_RAW = 2000


class JudgeAnswerError(SpyglassError, ValueError):
    """The judge's answer has no readable score; the message holds the raw answer.

    Attributes:
        raw: the judge's answer, as received.
    """

    def __init__(self, problem: str, raw: str) -> None:
        shown = raw if len(raw) <= _MAX_RAW else raw[:_MAX_RAW] + f"… ({len(raw)} characters)"
        super().__init__(f"{problem} Raw answer: {shown!r}")
        self.raw = raw


class JudgeRequestError(SpyglassError, RuntimeError):
    """The judge model could not answer: the request failed and retrying did not help."""


class NotBuiltError(SpyglassError, NotImplementedError):
    """A TruLens name that spyglass does not build; the message says what to use instead."""


def not_built(name: str, instead: str) -> NotBuiltError:
    """The error for TruLens's `name`, pointing to `instead`."""
    return NotBuiltError(f"spyglass does not build TruLens's `{name}`. Use {instead} instead.")
