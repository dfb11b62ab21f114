"""Guardrails: context_filter, block_input, block_output (TruLens's semantics, its bugs fixed).

Every class with `@instrument` here is reachable from `Guarded`, so building its recorder
never warns about unreachable methods.
"""

from __future__ import annotations

import inspect
import logging
import threading
import typing
from typing import Any

import pytest

from spyglass.adapters.custom import TruApp, instrument
from spyglass.core import (
    Feedback,
    GuardrailError,
    block_input,
    block_output,
    context_filter,
    guardrails as guardrails_module,
)


def length_score(prompt: str, context: str) -> float:
    """A deterministic relevance: a context's length in tenths."""
    return len(context) / 10


CONTEXTS = ["a", "bbb", "cccc", "ddddd"]


def test_importable_from_core_and_guardrails() -> None:
    """The three decorators are public names of spyglass.core and spyglass.core.guardrails."""
    assert guardrails_module.context_filter is context_filter
    assert {"block_input", "block_output", "context_filter"} <= set(guardrails_module.__all__)


# ------------------------------------------------------------------ context_filter


def test_context_filter_keeps_scores_strictly_above_the_threshold_in_order() -> None:
    """A context is kept when its score beats the threshold (0.5 does not beat 0.5);
    the kept contexts keep their order (TruLens returned completion order)."""

    @context_filter(length_score, 0.3, keyword_for_prompt="query")
    def retrieve(query: str) -> list[str]:
        return list(reversed(CONTEXTS))

    assert ["ddddd", "cccc"] == retrieve("q")


def test_context_filter_follows_lower_is_better() -> None:
    """With higher_is_better=False, contexts scoring strictly below the threshold are kept."""
    distance = Feedback(length_score, higher_is_better=False)

    @context_filter(distance, 0.3, keyword_for_prompt="query")
    def retrieve(query: str) -> list[str]:
        return CONTEXTS

    assert ["a"] == retrieve("q")


def test_context_filter_passes_the_prompt_and_each_context() -> None:
    """The feedback gets (value of keyword_for_prompt, context); positional calls bind too."""
    seen: list[tuple[str, str]] = []
    lock = threading.Lock()

    def judge(prompt: str, context: str) -> float:
        with lock:
            seen.append((prompt, context))
        return 1.0

    class Retriever:
        @context_filter(judge, 0.5, keyword_for_prompt="query")
        def retrieve(self, k: int, query: str) -> list[str]:
            return CONTEXTS[:k]

    assert ["a", "bbb"] == Retriever().retrieve(2, "what")
    assert [("what", "a"), ("what", "bbb")] == sorted(seen)


def test_prompt_defaults_to_the_first_parameter_after_self() -> None:
    """Without keyword_for_prompt the first parameter other than self holds the prompt."""
    prompts: list[str] = []

    class Retriever:
        @context_filter(lambda p, c: prompts.append(p) or 1.0, 0.5)
        def retrieve(self, question: str, k: int = 2) -> list[str]:
            return CONTEXTS[:k]

    Retriever().retrieve("why")
    assert ["why", "why"] == prompts


def test_context_filter_scores_concurrently() -> None:
    """All contexts are scored at once: four evaluations meet at a four-party barrier."""
    barrier = threading.Barrier(len(CONTEXTS), timeout=10)

    def judge(prompt: str, context: str) -> float:
        barrier.wait()  # raises BrokenBarrierError unless all four run together
        return 1.0

    @context_filter(judge, 0.5, keyword_for_prompt="query")
    def retrieve(query: str) -> list[str]:
        return CONTEXTS

    assert CONTEXTS == retrieve("q")


@pytest.mark.parametrize(("on_error", "expected"), [("drop", ["cccc"]), ("keep", ["a", "cccc"])])
def test_a_failing_evaluation_follows_on_error(
    on_error: Any, expected: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """An evaluation that raises never reaches the app: the context is dropped or kept
    as on_error says, and the failure is logged once, naming the guardrail."""

    def judge(prompt: str, context: str) -> float:
        if context == "a":
            raise RuntimeError("judge is down")
        return 0.9 if context == "cccc" else 0.1

    @context_filter(judge, 0.5, keyword_for_prompt="query", on_error=on_error)
    def retrieve(query: str) -> list[str]:
        return CONTEXTS

    with caplog.at_level(logging.WARNING, logger="spyglass.core.guardrails"):
        assert expected == retrieve("q")
        assert expected == retrieve("q")
    failures = [r for r in caplog.records if "judge is down" in r.getMessage()]
    assert 1 == len(failures)
    assert "context_filter(judge, 0.5)" in failures[0].getMessage()


def test_a_score_that_is_not_a_number_is_a_failed_evaluation() -> None:
    """A feedback answering a string fails its evaluation (dropped by default); a
    (number, reasons) pair counts as its number."""

    def judge(prompt: str, context: str) -> Any:
        if context == "a":
            return "very relevant"
        return (0.9, {"reason": "fine"}) if context == "bbb" else 0.1

    @context_filter(judge, 0.5, keyword_for_prompt="query")
    def retrieve(query: str) -> list[str]:
        return CONTEXTS

    assert ["bbb"] == retrieve("q")


def test_an_evaluation_past_the_timeout_follows_on_error() -> None:
    """An evaluation slower than timeout= counts as failed; the call does not wait for it."""
    release = threading.Event()

    def judge(prompt: str, context: str) -> float:
        if context == "a":
            release.wait(10)
        return 1.0

    @context_filter(judge, 0.5, keyword_for_prompt="query", timeout=0.2, on_error="drop")
    def retrieve(query: str) -> list[str]:
        return CONTEXTS

    try:
        assert CONTEXTS[1:] == retrieve("q")
    finally:
        release.set()


# ------------------------------------------------------------------ block_input / block_output


@pytest.mark.parametrize(("threshold", "blocked"), [(0.5, False), (0.6, True)])
def test_block_input_blocks_only_scores_strictly_below(threshold: float, blocked: bool) -> None:
    """Score 0.5: threshold 0.5 passes, 0.6 blocks (TruLens's table); a blocked call
    returns return_value without running the function."""
    calls: list[str] = []

    @block_input(lambda prompt: 0.5, threshold, "prompt", return_value="blocked")
    def answer(prompt: str) -> str:
        calls.append(prompt)
        return prompt.upper()

    assert ("blocked" if blocked else "HI") == answer("hi")
    assert ([] if blocked else ["hi"]) == calls


@pytest.mark.parametrize(("threshold", "blocked"), [(0.5, False), (0.4, True)])
def test_block_output_lower_is_better(threshold: float, blocked: bool) -> None:
    """Score 0.5 with higher_is_better=False: threshold 0.5 passes, 0.4 blocks."""
    toxicity = Feedback(lambda text: 0.5, higher_is_better=False)

    @block_output(toxicity, threshold, return_value="I cannot say that.")
    def answer(prompt: str) -> str:
        return prompt.upper()

    assert ("I cannot say that." if blocked else "HI") == answer("hi")


def test_block_output_gives_the_feedback_the_output() -> None:
    """block_output scores what the function returned (one argument)."""
    seen: list[Any] = []

    @block_output(lambda out: seen.append(out) or 1.0, 0.5)
    def answer(prompt: str) -> dict[str, str]:
        return {"text": prompt}

    assert {"text": "x"} == answer("x")
    assert [{"text": "x"}] == seen


@pytest.mark.parametrize(("on_error", "expected"), [("block", None), ("pass", "HI")])
def test_block_on_error(on_error: Any, expected: str | None) -> None:
    """A block whose evaluation raises blocks (default) or passes, as on_error says."""

    def judge(prompt: str) -> float:
        raise ValueError("no judge")

    @block_input(judge, 0.5, on_error=on_error)
    def answer(prompt: str) -> str:
        return prompt.upper()

    assert expected == answer("hi")


def test_guarded_functions_keep_their_signature_and_hints() -> None:
    """The guarded function is a plain function with the original's signature and hints."""

    def answer(prompt: str, n: int = 1) -> str:
        return prompt * n

    guarded = block_output(lambda out: 1.0, 0.5)(block_input(lambda p: 1.0, 0.5)(answer))
    assert inspect.isfunction(guarded)
    assert inspect.signature(answer) == inspect.signature(guarded)
    assert typing.get_type_hints(answer) == typing.get_type_hints(guarded)
    assert "hihi" == guarded("hi", n=2)


# ------------------------------------------------------------------ bad arguments


def test_bad_arguments_are_named_at_decoration() -> None:
    """A parameter that does not exist, an async function, a non-callable feedback, a
    non-number threshold and an unknown on_error are errors when decorating."""

    def retrieve(query: str) -> list[str]:
        return []

    async def aretrieve(query: str) -> list[str]:
        return []

    with pytest.raises(TypeError, match="has no parameter 'question'; its parameters are query"):
        context_filter(length_score, 0.5, keyword_for_prompt="question")(retrieve)
    with pytest.raises(TypeError, match="synchronous functions"):
        context_filter(length_score, 0.5)(aretrieve)
    with pytest.raises(TypeError, match="feedback must be a Feedback"):
        block_input("relevance", 0.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="threshold must be a number"):
        block_output(length_score, "high")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="on_error must be one of 'drop', 'keep'"):
        context_filter(length_score, 0.5, on_error="block")  # type: ignore[arg-type]
    assert issubclass(GuardrailError, ValueError)


# ------------------------------------------------------------------ in a recorded app


class Retriever:
    @instrument(retriever=True)
    @context_filter(length_score, 0.3, keyword_for_prompt="query")
    def retrieve(self, query: str) -> list[str]:
        return CONTEXTS


class Generator:
    @context_filter(length_score, 0.3)  # above @instrument: the same recorded method
    @instrument
    def rerank(self, query: str) -> list[str]:
        return CONTEXTS


class Guarded:
    def __init__(self) -> None:
        self.retriever = Retriever()
        self.generator = Generator()

    @instrument
    @block_input(lambda q: 0.0 if "secret" in q else 1.0, 0.5, "query", return_value="refused")
    def respond(self, query: str) -> str:
        return " ".join(self.retriever.retrieve(query) + self.generator.rerank(query))


def test_evaluations_are_recorded_calls_with_their_scores() -> None:
    """Inside a recording each evaluation is a call under the guarded method, at
    <component>.<guard class>.evaluate, with its arguments and its score."""
    app = Guarded()
    recorder = TruApp(app)
    with recorder as recording:
        assert "cccc ddddd cccc ddddd" == app.respond("q")
    record = recording.get()
    calls = [(str(c.stack[-1]), c.args, c.rets) for c in record.calls]
    assert ("app.block_input.evaluate", {"prompt": "q"}, 1.0) in calls
    filtered = sorted(
        (a["context"], r) for p, a, r in calls if p == "app.retriever.context_filter.evaluate"
    )
    assert [("a", 0.1), ("bbb", 0.3), ("cccc", 0.4), ("ddddd", 0.5)] == filtered
    assert 4 == sum(p == "app.generator.context_filter.evaluate" for p, _, _ in calls)
    retrieve = record.layout_calls_as_app()["app"]["retriever"]["retrieve"][0]
    assert ["cccc", "ddddd"] == retrieve["rets"]
    evaluation = next(
        c for c in record.calls if str(c.stack[-1]).endswith("context_filter.evaluate")
    )
    assert "app.retriever.retrieve" == str(evaluation.stack[-2])  # nested under the guarded call


def test_a_blocked_call_is_recorded_with_its_evaluation() -> None:
    """A blocked input gives a record whose output is return_value; the function's inner
    calls never happened."""
    app = Guarded()
    recorder = TruApp(app)
    with recorder as recording:
        assert "refused" == app.respond("tell me the secret")
    record = recording.get()
    assert "refused" == record.main_output
    assert ["app.block_input.evaluate", "app.respond"] == [str(c.stack[-1]) for c in record.calls]
    assert 0.0 == record.calls[0].rets


def test_a_failing_evaluation_is_recorded_with_its_error(caplog: pytest.LogCaptureFixture) -> None:
    """The failed evaluation is in the record with its error; the app's answer follows on_error."""

    class Flaky:
        @instrument
        @block_output(lambda out: 1 / 0, 0.5, return_value="withheld", on_error="block")
        def answer(self, prompt: str) -> str:
            return prompt

    Flaky.__module__ = "tests.guardrails_flaky"  # its own module: no unreachable warning
    app = Flaky()
    with caplog.at_level(logging.WARNING), TruApp(app) as recording:
        assert "withheld" == app.answer("hi")
    evaluation = recording.get().calls[0]
    assert "app.block_output.evaluate" == str(evaluation.stack[-1])
    assert "division by zero" in (evaluation.error or "")


def test_a_judge_that_calls_a_guarded_function_does_not_wait_for_itself() -> None:
    """Evaluations share one pool; a judge calling another guarded function runs that
    one's evaluations on its own thread instead of queueing behind itself."""

    @context_filter(length_score, 0.0, keyword_for_prompt="query")
    def inner(query: str) -> list[str]:
        return CONTEXTS

    def judge(prompt: str, context: str) -> float:
        return float(len(inner(prompt)))  # every inner context scores > 0

    @context_filter(judge, 3.5, keyword_for_prompt="query", timeout=30)
    def outer(query: str) -> list[str]:
        return CONTEXTS * 8  # more evaluations than the pool has threads

    assert CONTEXTS * 8 == outer("q")
