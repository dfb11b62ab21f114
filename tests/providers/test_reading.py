"""Reading judge answers never guesses; the sentence splitter needs no downloads; the
names TruLens has and spyglass does not build say what to use instead."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from spyglass.core import Feedback, FeedbackResultStatus
from spyglass.providers import (
    Completion,
    JudgeAnswerError,
    LLMProvider,
    NotBuiltError,
    price_of,
    register_price,
    split_sentences,
)
from spyglass.providers._answers import Ask, Shape, read_score
from spyglass.providers._judges import judge
from spyglass.providers.huggingface.provider import Dummy

ASK = Ask("system", "user", Shape.SCORE_REASON, 0, 3)


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ('{"reason": "ok", "score": 2}', 2.0),
        ('Sure!\n```json\n{"score": 1, "reason": "partly"}\n```', 1.0),
        ("Criteria: relevance 0-3.\nSupporting Evidence: it says Paris.\nScore: 3", 3.0),
        ("The answer is relevant. **Score:** 2", 2.0),
        ("I would rate it 2 out of 3.", 2.0),
        ("Rating: 1/3", 1.0),
        ("2", 2.0),
        ("Score: 1 ... on reflection, Score: 2", 2.0),  # the last label is the verdict
    ],
)
def test_readable_answers(text: str, score: float) -> None:
    assert score == read_score(Completion(text), ASK)[0]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("I cannot tell.", "holds no score"),
        ("Between 1 and 2, maybe 3.", "several numbers"),
        ("Score: 5", "outside the scale"),
        ("Score: -1", "outside the scale"),
        ('{"score": "high"}', "not a number"),
    ],
)
def test_unreadable_answers_raise_with_the_raw_answer(text: str, problem: str) -> None:
    with pytest.raises(JudgeAnswerError, match=problem) as caught:
        read_score(Completion(text), ASK)
    assert text == caught.value.raw and repr(text) in str(caught.value)


def test_reasons_of_free_text_leave_out_the_score_line() -> None:
    assert ("Supporting Evidence: it says Paris.") == read_score(
        Completion("Supporting Evidence: it says Paris.\nScore: 3"), ASK
    )[1]


def test_sentence_splitter() -> None:
    text = (
        "Paris is the capital of France. It has 2.1 million people, e.g. many tourists! "
        "Dr. Smith lives there? Yes.\n\n- item one\n- item two"
    )
    assert [
        "Paris is the capital of France.",
        "It has 2.1 million people, e.g. many tourists!",
        "Dr. Smith lives there?",
        "Yes.",
        "item one",
        "item two",
    ] == split_sentences(text)


def test_invalid_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="Invalid score range"):
        Dummy().relevance("q", "a", min_score_val=3, max_score_val=3)


def test_every_trulens_judge_method_exists_with_its_arguments() -> None:
    """The names and leading arguments of TruLens 1.x's LLMProvider methods."""
    expected = {
        "generate_score": ["system_prompt", "user_prompt"],
        "generate_score_and_reasons": ["system_prompt", "user_prompt"],
        "context_relevance": ["question", "context"],
        "relevance": ["prompt", "response"],
        "sentiment": ["text"],
        "stereotypes": ["prompt", "response"],
        "groundedness_measure_with_cot_reasons": ["source", "statement"],
        "groundedness_measure_with_cot_reasons_consider_answerability": [
            "source",
            "statement",
            "question",
        ],
        "comprehensiveness_with_cot_reasons": ["source", "summary"],
        **{
            name: ["text"]
            for name in (
                "conciseness",
                "correctness",
                "coherence",
                "harmfulness",
                "maliciousness",
                "helpfulness",
                "controversiality",
                "misogyny",
                "criminality",
                "insensitivity",
            )
        },
    }
    for name, args in expected.items():
        for variant in {name, name + "_with_cot_reasons"} if name.islower() else {name}:
            if not hasattr(LLMProvider, variant):
                continue
            params = list(inspect.signature(getattr(Dummy(), variant)).parameters)
            assert args == params[: len(args)], variant
            assert inspect.iscoroutinefunction(getattr(LLMProvider, "a" + variant))
        assert hasattr(LLMProvider, name)
    for name in ("context_relevance", "relevance", "sentiment", "stereotypes", "conciseness"):
        assert hasattr(LLMProvider, name + "_with_cot_reasons")


def test_reasons_are_always_under_reason() -> None:
    provider = Dummy()
    for value in (
        provider.relevance_with_cot_reasons("q", "a"),
        provider.groundedness_measure_with_cot_reasons("src", "A. B."),
        provider.comprehensiveness_with_cot_reasons("A is 1. B is 2.", "A is 1."),
        provider.coherence_with_cot_reasons("text"),
    ):
        score, meta = value
        assert 0.0 <= score <= 1.0 and "reason" in meta and "reasons" not in meta


def test_dummy_is_deterministic_and_async_agrees() -> None:
    a, b = Dummy(), Dummy()
    assert a.relevance("q", "a") == b.relevance("q", "a")
    assert a.relevance("q", "a") == asyncio.run(b.arelevance("q", "a"))


def test_price_table_is_extendable() -> None:
    assert (0.15, 0.60) == price_of("gpt-4o-mini-2024-07-18")
    assert price_of("house-model-7") is None
    register_price("house-model", 1.0, 2.0)
    assert (1.0, 2.0) == price_of("house-model-7")


def test_not_built_names_say_what_to_use() -> None:
    with pytest.raises(NotBuiltError, match="OpenAI\\(base_url"):
        from spyglass.providers import LiteLLM  # noqa: F401
    with pytest.raises(NotBuiltError, match="Dummy"):
        from spyglass.providers.huggingface import Huggingface  # noqa: F401
    with pytest.raises(NotBuiltError, match="harmfulness"):
        from spyglass.providers.openai import OpenAI

        OpenAI(api_key="k").moderation_hate("text")
    result = Feedback(Dummy().summarization_with_cot_reasons).run(source="s", summary="t")
    assert FeedbackResultStatus.FAILED == result.status
    assert "comprehensiveness_with_cot_reasons" in result.error


class Judged(Dummy):
    """Overrides a judge method: its async twin must run the override."""

    @judge
    def relevance(self, prompt: str, response: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return Dummy.relevance._spyglass_plan(self, prompt, "always this")  # type: ignore[attr-defined]


def test_an_overridden_judge_gets_its_own_async_twin() -> None:
    expected = Dummy().relevance("q", "always this")
    assert (expected, expected) == (
        Judged().relevance("q", "a"),
        asyncio.run(Judged().arelevance("q", "a")),
    )


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="max_concurency"):
        Dummy(max_concurency=2)
