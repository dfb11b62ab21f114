"""Token usage from usage_metadata, on invoke and on stream (issue 5, must-show 4)."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")

from _lc_apps import PROMPT, UsageFakeChatModel
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import Generation, LLMResult

from spyglass.adapters.langchain import TruChain
from spyglass.adapters.langchain._cost import call_cost
from spyglass.core import Cost

QUESTION = {"context": "Paris is the capital of France.", "question": "capital of France?"}
# the prompt's two messages hold 14 words; the reply "Paris is the capital." 4
USAGE = {"n_prompt_tokens": 14, "n_completion_tokens": 4, "n_tokens": 18}


def usage_of(cost: Cost) -> dict[str, int]:
    return {
        "n_requests": cost.n_requests,
        "n_prompt_tokens": cost.n_prompt_tokens,
        "n_completion_tokens": cost.n_completion_tokens,
        "n_tokens": cost.n_tokens,
        "n_stream_chunks": cost.n_stream_chunks,
    }


def test_invoke_usage_goes_into_the_record_cost_once():
    """invoke: one request, the model's usage_metadata, not counted again by the entry points."""
    chain = PROMPT | UsageFakeChatModel() | StrOutputParser()
    _, record = TruChain(chain).with_record(chain.invoke, QUESTION)
    assert {"n_requests": 1, **USAGE, "n_stream_chunks": 0} == usage_of(record.cost)


def test_stream_usage_is_summed_over_chunks_and_chunks_are_counted():
    """stream: usage from the streamed chunks, and n_stream_chunks = chunks the model yielded."""
    chain = PROMPT | UsageFakeChatModel() | StrOutputParser()
    recorder = TruChain(chain)
    with recorder as recording:
        text = "".join(chain.stream(QUESTION))
    record = recording.get()
    assert "Paris is the capital. " == text
    assert {"n_requests": 1, **USAGE, "n_stream_chunks": 5} == usage_of(record.cost)


def test_batch_usage_is_summed_over_requests():
    """batch of two: two requests, twice the tokens."""
    chain = PROMPT | UsageFakeChatModel() | StrOutputParser()
    recorder = TruChain(chain)
    with recorder as recording:
        chain.batch([QUESTION, QUESTION])
    record = recording.get()
    assert {
        "n_requests": 2,
        "n_prompt_tokens": 28,
        "n_completion_tokens": 8,
        "n_tokens": 36,
        "n_stream_chunks": 0,
    } == usage_of(record.cost)


def test_usage_passed_through_a_generic_fake_model_is_counted():
    """GenericFakeChatModel passes its AIMessage's usage_metadata through invoke."""
    model = GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(
                    "hi", usage_metadata={"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}
                )
            ]
        )
    )
    _, record = TruChain(model).with_record(model.invoke, "hello")
    assert (1, 3, 1, 4) == (
        record.cost.n_requests,
        record.cost.n_prompt_tokens,
        record.cost.n_completion_tokens,
        record.cost.n_tokens,
    )


def test_a_model_reporting_no_usage_leaves_the_cost_unknown():
    """No usage_metadata: nothing is reported, so the record's cost is Cost() (n_requests 0)."""
    model = FakeListChatModel(responses=["Paris."])
    _, record = TruChain(model).with_record(model.invoke, "q")
    assert Cost() == record.cost


def test_string_llm_usage_is_read_from_llm_output():
    """A string LLM's LLMResult carries usage in llm_output['token_usage']."""
    result = LLMResult(
        generations=[[Generation(text="A")]],
        llm_output={"token_usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}},
    )
    cost = call_cost(FakeListLLM(responses=["A"]), "_generate", result)
    assert {
        "n_requests": 1,
        "n_prompt_tokens": 5,
        "n_completion_tokens": 2,
        "n_tokens": 7,
        "n_stream_chunks": 0,
    } == usage_of(cost)


def test_calls_that_make_no_request_report_no_cost():
    """Only a model's _generate/_stream report cost; its invoke and other objects do not."""
    model = UsageFakeChatModel()
    message = model.invoke("hello")
    assert (None, None) == (
        call_cost(model, "invoke", message),
        call_cost(object(), "_generate", message),
    )
