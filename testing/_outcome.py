"""What one call of an app did (its value, its exception, its chunks), and comparing two.

The contract suite calls each entry point twice: on a fresh app with no recorder built
yet (the baseline), and on a fresh app inside ``with recorder``. An `Outcome` captures
either run without letting the app's exception escape, so that the two can be compared
in the terms an adapter author needs ("with recording, the call returned X instead of
Y").
"""

from __future__ import annotations

import reprlib
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Outcome",
    "acall_outcome",
    "astream_outcome",
    "call_outcome",
    "outcome_problems",
    "short",
    "stream_outcome",
]

_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80
_repr.maxlist = 8


def short(value: Any) -> str:
    """A bounded ``repr`` of ``value`` for failure messages (never raises)."""
    try:
        return _repr.repr(value)
    except Exception:  # noqa: BLE001 - a message must never fail
        return f"<{type(value).__name__} object>"


@dataclass(frozen=True)
class Outcome:
    """What one call did.

    Attributes:
        value: what the call returned (``None`` for a stream, or when it raised).
        error: the exception it raised (for a stream: raised while it was read).
        chunks: for a stream, the chunks read before it ended, failed or was closed;
            ``None`` for a plain call.
        closed: for a stream, whether the reader closed it early.
    """

    value: Any = None
    error: BaseException | None = None
    chunks: tuple[Any, ...] | None = None
    closed: bool = False

    def describe(self) -> str:
        """``returned 'x'``, ``raised ValueError('x')`` or ``yielded [...]``, for messages."""
        if self.chunks is not None:
            text = f"yielded {short(list(self.chunks))}"
            if self.error is not None:
                text += f" then raised {error_text(self.error)}"
            elif self.closed:
                text += " and was closed"
            return text
        if self.error is not None:
            return f"raised {error_text(self.error)}"
        return f"returned {short(self.value)}"


def error_text(error: BaseException) -> str:
    """``ValueError('message')``: the exception's type and message, bounded."""
    return f"{type(error).__name__}({short(str(error))})"


def call_outcome(call: Callable[[], Any]) -> Outcome:
    """Run ``call()``; return what it returned or raised.

    ``BaseException`` s that are not ``Exception`` (pytest's skip, ``KeyboardInterrupt``)
    propagate.
    """
    try:
        return Outcome(value=call())
    except Exception as exc:  # noqa: BLE001 - the app's exception is the outcome
        return Outcome(error=exc)


async def acall_outcome(call: Callable[[], Awaitable[Any]]) -> Outcome:
    """Await ``call()``; return what it returned or raised."""
    try:
        return Outcome(value=await call())
    except Exception as exc:  # noqa: BLE001 - the app's exception is the outcome
        return Outcome(error=exc)


def stream_outcome(make: Callable[[], Iterable[Any]], *, close_after: int | None = None) -> Outcome:
    """Read the stream ``make()`` returns; return its chunks and how it ended.

    Args:
        make: starts the stream (the test's ``stream(app, input)``).
        close_after: close the stream after this many chunks (``close()`` on the
            iterator); ``None`` reads it to the end.
    """
    chunks: list[Any] = []
    try:
        stream = make()
        iterator = iter(stream)
        for chunk in iterator:
            chunks.append(chunk)
            if close_after is not None and len(chunks) >= close_after:
                close = getattr(iterator, "close", None) or getattr(stream, "close", None)
                if close is None:
                    return Outcome(chunks=tuple(chunks))
                close()
                return Outcome(chunks=tuple(chunks), closed=True)
    except Exception as exc:  # noqa: BLE001 - the app's exception is the outcome
        return Outcome(chunks=tuple(chunks), error=exc)
    return Outcome(chunks=tuple(chunks))


async def astream_outcome(
    make: Callable[[], AsyncIterable[Any]], *, close_after: int | None = None
) -> Outcome:
    """The async twin of `stream_outcome` (``aclose()`` closes the stream early)."""
    chunks: list[Any] = []
    try:
        stream = make()
        iterator = aiter(stream)
        async for chunk in iterator:
            chunks.append(chunk)
            if close_after is not None and len(chunks) >= close_after:
                aclose = getattr(iterator, "aclose", None) or getattr(stream, "aclose", None)
                if aclose is None:
                    return Outcome(chunks=tuple(chunks))
                await aclose()
                return Outcome(chunks=tuple(chunks), closed=True)
    except Exception as exc:  # noqa: BLE001 - the app's exception is the outcome
        return Outcome(chunks=tuple(chunks), error=exc)
    return Outcome(chunks=tuple(chunks))


def _safe_apply(function: Callable[[Any], Any], value: Any, what: str) -> tuple[Any, str | None]:
    try:
        return function(value), None
    except Exception as exc:  # noqa: BLE001 - reported as a problem of the test's hook
        return None, f"{what} raised {error_text(exc)} on {short(value)}"


def outcome_problems(
    what: str,
    plain: Outcome,
    recorded: Outcome,
    normalise: Callable[[Any], Any],
    normalise_chunk: Callable[[Any], Any],
) -> list[str]:
    """How the recorded call differs from the same call without recording.

    Args:
        what: the call, for messages (``"call(app, 'hi')"``).
        plain: the outcome without recording.
        recorded: the outcome inside ``with recorder``.
        normalise: the test's hook that makes two results comparable with ``==``.
        normalise_chunk: the same for stream chunks.

    Returns:
        One message per difference; empty when the app behaved the same.
    """
    unchanged = "spyglass must never change what the app returns or raises"
    if plain.error is None and recorded.error is not None:
        return [
            (
                f"with recording, {what} {recorded.describe()}, but without recording it "
                f"{plain.describe()}: the adapter broke the call ({unchanged})"
            )
        ]
    if plain.error is not None and recorded.error is None:
        return [
            (
                f"with recording, {what} {recorded.describe()}, but without recording it "
                f"{plain.describe()}: the exception must reach the app unchanged"
            )
        ]
    problems: list[str] = []
    if plain.error is not None and recorded.error is not None:
        same_type = type(plain.error) is type(recorded.error)
        if not same_type or str(plain.error) != str(recorded.error):
            problems.append(
                f"with recording, {what} raised {error_text(recorded.error)} instead of "
                f"{error_text(plain.error)}: the exception must reach the app unchanged "
                "(same type, same message)"
            )
    if plain.chunks is not None and recorded.chunks is not None:
        problems.extend(_chunk_problems(what, plain, recorded, normalise_chunk))
    elif plain.error is None:
        want, bad_want = _safe_apply(normalise, plain.value, "normalise()")
        got, bad_got = _safe_apply(normalise, recorded.value, "normalise()")
        problems.extend(p for p in (bad_want, bad_got) if p)
        if not (bad_want or bad_got) and want != got:
            problems.append(
                f"with recording, {what} returned {short(got)} instead of {short(want)} "
                f"(what it returns without recording, after normalise()): {unchanged}"
            )
    return problems


def _chunk_problems(
    what: str, plain: Outcome, recorded: Outcome, normalise_chunk: Callable[[Any], Any]
) -> list[str]:
    assert plain.chunks is not None and recorded.chunks is not None
    want: list[Any] = []
    got: list[Any] = []
    for source, target in ((plain.chunks, want), (recorded.chunks, got)):
        for chunk in source:
            value, bad = _safe_apply(normalise_chunk, chunk, "normalise_chunk()")
            if bad:
                return [bad]
            target.append(value)
    if want == got:
        return []
    detail = f"{len(got)} chunks instead of {len(want)}"
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            detail = f"chunk {i} is {short(b)} instead of {short(a)}"
            break
    return [
        (
            f"with recording, the stream of {what} yielded {short(got)} instead of {short(want)} "
            f"({detail}): the adapter must hand every chunk to the app unchanged"
        )
    ]
