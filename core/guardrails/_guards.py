"""The guardrail decorators: ``context_filter``, ``block_input``, ``block_output``.

Each is a class (TruLens's names and arguments) instantiated with a feedback function
and a threshold, then applied to a function or method::

    class RAG:
        @instrument
        @context_filter(f_relevance, 0.5, keyword_for_prompt="query")
        def retrieve(self, query: str) -> list[str]: ...

The decorated function is a plain function (``functools.wraps`` of the original), so a
recorder wraps it like any other method and ``inspect`` sees the original's signature.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from .._log_once import LogOnce
from ._judge import (
    OnBlockError,
    OnFilterError,
    as_score,
    higher_is_better,
    name_of,
    new_log,
    record_evaluations,
    score_all,
)

__all__ = ["block_input", "block_output", "context_filter"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class _Guard:
    """What the three guardrails share: the feedback, its threshold and the failure rule."""

    _ON_ERROR: tuple[str, ...] = ()

    def __init__(
        self, feedback: Callable[..., Any], threshold: float, on_error: str, timeout: float | None
    ) -> None:
        kind = type(self).__name__
        if not callable(feedback):
            raise TypeError(
                f"{kind}: feedback must be a Feedback or a function returning a score, "
                f"got {feedback!r}; e.g. {kind}(Feedback(relevance), 0.5, ...)"
            )
        if not isinstance(threshold, numbers.Real) or isinstance(threshold, bool):
            raise TypeError(f"{kind}: threshold must be a number, got {threshold!r}")
        if on_error not in self._ON_ERROR:
            raise ValueError(
                f"{kind}: on_error must be one of {', '.join(map(repr, self._ON_ERROR))}, "
                f"got {on_error!r}"
            )
        if timeout is not None and (not isinstance(timeout, numbers.Real) or timeout <= 0):
            raise ValueError(f"{kind}: timeout must be a positive number of seconds or None")
        self.feedback: Callable[..., Any] = feedback
        self.threshold: float = float(threshold)
        self.higher_is_better: bool = higher_is_better(feedback)
        self.on_error: str = on_error
        self.timeout: float | None = None if timeout is None else float(timeout)
        self._log: LogOnce = new_log()

    @property
    def _label(self) -> str:
        return f"{type(self).__name__}({name_of(self.feedback)}, {self.threshold:g})"

    def _ready(self) -> None:
        record_evaluations(type(self))

    def _score(self, value: Any) -> float:
        return as_score(value, self.feedback)

    def _scores(
        self, evaluate: Callable[..., float], arguments: Sequence[tuple[Any, ...]]
    ) -> list[float | None]:
        # `evaluate` is the guard's own recorded method (its parameters differ per guard),
        # looked up after `_ready()` so that it is the wrapped one.
        return score_all(
            evaluate, arguments, timeout=self.timeout, guard=self._label, log=self._log
        )

    def __repr__(self) -> str:
        return f"{self._label[:-1]}, on_error={self.on_error!r})"


class _ClassBodyGuard:
    """A guard put over another decorator that must learn its class (``@instrument``).

    ``@context_filter(...)`` above ``@instrument`` receives instrument's class-body
    marker, not a function. This object stands in the class body; when the class is
    created it lets the marker register its method, then puts the guarded function in
    its place, so both orders of the two decorators record the guarded method.
    """

    def __init__(self, inner: Any, guarded: Callable[..., Any]) -> None:
        self.inner = inner
        self.guarded = guarded
        self.__wrapped__ = guarded

    def __set_name__(self, owner: type, name: str) -> None:
        self.inner.__set_name__(owner, name)
        setattr(owner, name, self.guarded)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        return self.guarded.__get__(instance, owner)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.guarded(*args, **kwargs)


def _decorated(func: Any, guarded: Callable[..., Any]) -> Any:
    if hasattr(type(func), "__set_name__"):
        return _ClassBodyGuard(func, guarded)
    return guarded


def _check_function(func: Any, kind: str) -> inspect.Signature:
    if not callable(func):
        raise TypeError(f"@{kind}(...) decorates a function or method, got {func!r}")
    if inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func):
        raise TypeError(
            f"@{kind}(...) decorates synchronous functions; {func.__qualname__} is async. "
            "Guard a synchronous helper it calls instead."
        )
    return inspect.signature(func)


def _prompt_parameter(
    signature: inspect.Signature, keyword: str | None, func: Any, kind: str
) -> str:
    """The parameter the prompt is read from: ``keyword``, or the first one after ``self``."""
    names = [
        p.name
        for p in signature.parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if keyword is None:
        # TruLens picks the same parameter, with a warning; the rule is documented instead.
        candidates = [n for n in names if n != "self"]
        if not candidates:
            raise TypeError(
                f"@{kind}(...): {func.__qualname__}{signature} has no parameter to read the "
                "prompt from; give keyword_for_prompt= naming one"
            )
        return candidates[0]
    if keyword not in names:
        raise TypeError(
            f"@{kind}(..., keyword_for_prompt={keyword!r}): {func.__qualname__}{signature} has "
            f"no parameter {keyword!r}; its parameters are {', '.join(names) or '(none)'}"
        )
    return keyword


def _prompt(signature: inspect.Signature, name: str, args: Any, kwargs: Any) -> tuple[bool, Any]:
    """``(True, value of parameter name)`` for this call, or ``(False, None)`` if it does not bind."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return False, None  # the call itself raises the right TypeError
    bound.apply_defaults()
    return True, bound.arguments.get(name)


class context_filter(_Guard):
    """Keep only the contexts a feedback scores past a threshold.

    Decorates a function that returns a list of contexts (a retriever). Each context is
    scored as ``feedback(prompt, context)``, concurrently, where ``prompt`` is the
    argument ``keyword_for_prompt`` names. A context is kept when its score is
    **strictly** better than ``threshold``: ``score > threshold``, or ``score <
    threshold`` for a feedback with ``higher_is_better=False``. The kept contexts are
    returned in their original order, as a list.

    Args:
        feedback: a :class:`~spyglass.core.Feedback` or a plain function of
            ``(prompt, context)`` returning a number (or a ``(number, dict)`` pair).
            Its selectors are not used; its ``higher_is_better`` gives the direction
            (a plain function: higher is better).
        threshold: the score to beat.
        keyword_for_prompt: the decorated function's parameter holding the prompt;
            default: its first parameter other than ``self``.
        on_error: what happens to a context whose evaluation raised, returned no
            number or timed out: ``"drop"`` it (the default: only contexts judged
            relevant reach the app) or ``"keep"`` it. Logged once per guardrail.
        timeout: seconds to wait for each evaluation (default: no limit).

    Raises:
        TypeError: at decoration, a ``keyword_for_prompt`` that is not a parameter, an
            async function, or a feedback that is not callable.
    """

    _ON_ERROR = ("drop", "keep")

    def __init__(
        self,
        feedback: Callable[..., Any],
        threshold: float,
        keyword_for_prompt: str | None = None,
        *,
        on_error: OnFilterError = "drop",
        timeout: float | None = None,
    ) -> None:
        super().__init__(feedback, threshold, on_error, timeout)
        self.keyword_for_prompt = keyword_for_prompt

    def __call__(self, func: F) -> F:
        """Guard ``func``: its result is filtered by :meth:`filter`."""
        signature = _check_function(func, "context_filter")
        name = _prompt_parameter(signature, self.keyword_for_prompt, func, "context_filter")

        @functools.wraps(func)
        def filtered(*args: Any, **kwargs: Any) -> Any:
            bound, prompt = _prompt(signature, name, args, kwargs)
            contexts = func(*args, **kwargs)
            if not bound:
                return contexts
            return self.filter(prompt, contexts)

        return _decorated(func, filtered)  # type: ignore[no-any-return]

    def evaluate(self, prompt: Any, context: Any) -> float:
        """Score one context: ``feedback(prompt, context)`` as a number (recorded)."""
        return self._score(self.feedback(prompt, context))

    def keeps(self, score: float | None) -> bool:
        """Whether a context with this score (``None``: its evaluation failed) is kept."""
        if score is None:
            return self.on_error == "keep"
        return score > self.threshold if self.higher_is_better else score < self.threshold

    def filter(
        self, prompt: Any, contexts: Iterable[T], text: Callable[[T], Any] | None = None
    ) -> list[T]:
        """The contexts this guardrail keeps for ``prompt``, in their original order.

        Args:
            prompt: the first argument of each evaluation.
            contexts: the values to filter.
            text: what of each context the feedback is given (default: the context
                itself), e.g. ``lambda doc: doc.page_content``.
        """
        items = list(contexts)
        given = [(prompt, c if text is None else text(c)) for c in items]
        self._ready()
        scores = self._scores(self.evaluate, given)
        return [item for item, score in zip(items, scores) if self.keeps(score)]


class _Block(_Guard):
    _ON_ERROR = ("block", "pass")

    def __init__(
        self,
        feedback: Callable[..., Any],
        threshold: float,
        return_value: Any,
        on_error: str,
        timeout: float | None,
    ) -> None:
        super().__init__(feedback, threshold, on_error, timeout)
        self.return_value = return_value

    def blocks(self, score: float | None) -> bool:
        """Whether this score (``None``: the evaluation failed) blocks.

        Only a score **strictly** worse than the threshold blocks: ``score <
        threshold``, or ``score > threshold`` when lower is better.
        """
        if score is None:
            return self.on_error == "block"
        return score < self.threshold if self.higher_is_better else score > self.threshold

    def _blocks(self, evaluate: Callable[[Any], float], value: Any) -> bool:
        return self.blocks(self._scores(evaluate, [(value,)])[0])


class block_input(_Block):
    """Answer ``return_value`` without calling the function when its input scores badly.

    Before each call, ``feedback(prompt)`` scores the argument ``keyword_for_prompt``
    names. A score **strictly** worse than ``threshold`` (``score < threshold``, or
    ``score > threshold`` for ``higher_is_better=False``) blocks: the function is not
    called and ``return_value`` is returned. Otherwise the function runs as usual.

    Args:
        feedback: a :class:`~spyglass.core.Feedback` or a function of one value
            returning a number (or a ``(number, dict)`` pair).
        threshold: the score below which (above, when lower is better) input is blocked.
        keyword_for_prompt: the decorated function's parameter holding the input;
            default: its first parameter other than ``self``.
        return_value: what a blocked call returns (default ``None``).
        on_error: when the evaluation raised, returned no number or timed out:
            ``"block"`` (the default: unjudged input is not let through) or
            ``"pass"``. Logged once per guardrail.
        timeout: seconds to wait for the evaluation (default: no limit).
    """

    def __init__(
        self,
        feedback: Callable[..., Any],
        threshold: float,
        keyword_for_prompt: str | None = None,
        return_value: Any = None,
        *,
        on_error: OnBlockError = "block",
        timeout: float | None = None,
    ) -> None:
        super().__init__(feedback, threshold, return_value, on_error, timeout)
        self.keyword_for_prompt = keyword_for_prompt

    def __call__(self, func: F) -> F:
        """Guard ``func``'s input."""
        signature = _check_function(func, "block_input")
        name = _prompt_parameter(signature, self.keyword_for_prompt, func, "block_input")

        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            bound, prompt = _prompt(signature, name, args, kwargs)
            if bound:
                self._ready()
                if self._blocks(self.evaluate, prompt):
                    return self.return_value
            return func(*args, **kwargs)

        return _decorated(func, guarded)  # type: ignore[no-any-return]

    def evaluate(self, prompt: Any) -> float:
        """Score the input: ``feedback(prompt)`` as a number (recorded)."""
        return self._score(self.feedback(prompt))


class block_output(_Block):
    """Replace the function's result by ``return_value`` when the result scores badly.

    After each call, ``feedback(output)`` scores what the function returned. A score
    **strictly** worse than ``threshold`` blocks: ``return_value`` is returned instead.

    Args:
        feedback: a :class:`~spyglass.core.Feedback` or a function of one value
            returning a number (or a ``(number, dict)`` pair).
        threshold: the score below which (above, when lower is better) output is blocked.
        return_value: what a blocked call returns (default ``None``).
        on_error: when the evaluation raised, returned no number or timed out:
            ``"block"`` (the default) or ``"pass"``. Logged once per guardrail.
        timeout: seconds to wait for the evaluation (default: no limit).
    """

    def __init__(
        self,
        feedback: Callable[..., Any],
        threshold: float,
        return_value: Any = None,
        *,
        on_error: OnBlockError = "block",
        timeout: float | None = None,
    ) -> None:
        super().__init__(feedback, threshold, return_value, on_error, timeout)

    def __call__(self, func: F) -> F:
        """Guard ``func``'s output."""
        _check_function(func, "block_output")

        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            output = func(*args, **kwargs)
            self._ready()
            return self.return_value if self._blocks(self.evaluate, output) else output

        return _decorated(func, guarded)  # type: ignore[no-any-return]

    def evaluate(self, output: Any) -> float:
        """Score the output: ``feedback(output)`` as a number (recorded)."""
        return self._score(self.feedback(output))
