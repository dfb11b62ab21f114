"""Each backend, with each answer style, gives the right score or a failed result naming
the raw answer (schema, tool call, free text with a score, no score)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _fake_models import ScriptedLLM, ToolCallingFakeChat, text_message, tool_message
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from spyglass.core import Feedback, FeedbackResultStatus
from spyglass.providers.langchain import Langchain
from spyglass.providers.llamaindex import LlamaIndex

NO_SCORE = "I cannot judge this without more context."
JUDGEMENT = {"reason": "It answers the question.", "score": 2}


def judged(provider: Any) -> Any:
    """A relevance-with-reasons feedback, run directly on one prompt and response."""
    return Feedback(provider.relevance_with_cot_reasons).run(
        prompt="What is the capital of France?", response="Paris."
    )


def assert_scored(result: Any) -> None:
    assert (FeedbackResultStatus.DONE, 2 / 3) == (result.status, result.result), result.error
    assert result.calls[0].meta["reason"]
    assert result.cost.n_requests == 1


def assert_failed_naming(result: Any, raw: str) -> None:
    assert FeedbackResultStatus.FAILED == result.status
    assert result.result is None
    assert "JudgeAnswerError" in result.error
    assert raw in result.error


# ----------------------------------------------------------------- OpenAI


@pytest.mark.parametrize("asked", ["json_schema", "tools", "text"])
@pytest.mark.parametrize("answered", ["schema", "tool", "text"])
@pytest.mark.parametrize("stream", [False, True])
def test_openai_reads_every_answer_style(
    judge_server: Any, make_judge: Any, asked: str, answered: str, stream: bool
) -> None:
    """Whatever form was asked for, an answer in any readable form gives its score."""
    judge_server.style = answered
    provider = make_judge(structured_output=asked, stream=stream)
    result = judged(provider)
    assert_scored(result)
    assert result.cost.n_tokens > 0 and result.cost.n_prompt_tokens > 0
    assert 1 == judge_server.requests


def test_openai_sends_the_requested_form(judge_server: Any, make_judge: Any) -> None:
    """json_schema sends a strict response_format; tools forces the judgement tool."""
    for asked in ("json_schema", "tools", "text"):
        make_judge(structured_output=asked).relevance("q", "a")
    schema_body, tool_body, text_body = judge_server.bodies
    assert "json_schema" == schema_body["response_format"]["type"]
    assert schema_body["response_format"]["json_schema"]["strict"] is True
    assert "submit_judgement" == tool_body["tool_choice"]["function"]["name"]
    assert "response_format" not in text_body and "tools" not in text_body


def test_openai_answer_without_score_fails_naming_it(judge_server: Any, make_judge: Any) -> None:
    """An answer with no score is a failed result holding the raw answer; one call only."""
    judge_server.style = "none"
    result = judged(make_judge())
    assert_failed_naming(result, NO_SCORE)
    assert 1 == judge_server.requests  # no hidden second call


def test_openai_out_of_scale_score_fails(judge_server: Any, make_judge: Any) -> None:
    """A score outside the scale is never clipped into it."""
    judge_server.score = 7
    result = judged(make_judge())
    assert_failed_naming(result, '"score": 7')
    assert "outside the scale 0..3" in result.error


def test_openai_prices_known_models(judge_server: Any, make_judge: Any) -> None:
    """USD comes from the price table; an unknown model costs 0.0 but its tokens count."""
    known = judged(make_judge(model_engine="gpt-4o-mini")).cost
    expected = (known.n_prompt_tokens * 0.15 + known.n_completion_tokens * 0.60) / 1e6
    assert expected == pytest.approx(known.cost)
    unknown = judged(make_judge(model_engine="my-local-model")).cost
    assert (0.0, True) == (unknown.cost, unknown.n_tokens > 0)


# -------------------------------------------------------------- LangChain


@pytest.mark.parametrize(
    ("model", "outcome"),
    [
        (ToolCallingFakeChat(messages=iter([tool_message(JUDGEMENT)])), "scored"),
        (FakeListChatModel(responses=[json.dumps(JUDGEMENT)]), "scored"),
        (FakeListChatModel(responses=["Relevant and correct.\nScore: 2"]), "scored"),
        (FakeListChatModel(responses=[NO_SCORE]), "failed"),
    ],
    ids=["schema", "json-text", "free-text", "no-score"],
)
def test_langchain_answer_styles(model: Any, outcome: str) -> None:
    """with_structured_output where the model supports it, tolerant text otherwise."""
    result = judged(Langchain(chain=model))
    if outcome == "scored":
        assert_scored(result)
    else:
        assert_failed_naming(result, NO_SCORE)


def test_langchain_tool_call_without_structured_output() -> None:
    """A plain tool call in the model's message is read as the judgement."""
    model = ToolCallingFakeChat(messages=iter([tool_message(JUDGEMENT)]))
    result = judged(Langchain(chain=model, structured_output=False))
    assert_scored(result)
    assert (30, 12, 42) == (
        result.cost.n_prompt_tokens,
        result.cost.n_completion_tokens,
        result.cost.n_tokens,
    )


def test_langchain_structured_answer_reports_usage() -> None:
    """Tokens of a schema answer come from the raw message's usage_metadata."""
    model = ToolCallingFakeChat(messages=iter([tool_message(JUDGEMENT)]))
    assert 42 == judged(Langchain(chain=model)).cost.n_tokens


def test_langchain_free_text_with_usage() -> None:
    model = ToolCallingFakeChat(messages=iter([text_message("Good answer. Score: 3")]))
    result = judged(Langchain(chain=model, structured_output=False))
    assert (1.0, 42) == (result.result, result.cost.n_tokens)


# ------------------------------------------------------------- LlamaIndex


@pytest.mark.parametrize(
    ("llm", "outcome"),
    [
        (ScriptedLLM(answer=json.dumps(JUDGEMENT)), "scored"),
        (ScriptedLLM(answer="", tool_args=JUDGEMENT), "scored"),
        (ScriptedLLM(answer="It answers it.\n**Score:** 2"), "scored"),
        (ScriptedLLM(answer=NO_SCORE), "failed"),
    ],
    ids=["schema", "tool-call", "free-text", "no-score"],
)
def test_llamaindex_answer_styles(llm: Any, outcome: str) -> None:
    result = judged(LlamaIndex(llm=llm))
    if outcome == "scored":
        assert_scored(result)
        assert 25 == result.cost.n_tokens
    else:
        assert_failed_naming(result, NO_SCORE)
