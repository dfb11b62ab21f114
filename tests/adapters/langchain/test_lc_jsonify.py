"""LangChain values serialise as readable JSON, not repr strings."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")

from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.prompt_values import ChatPromptValue, StringPromptValue
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder, PromptTemplate

from spyglass.core.serial._jsonify import jsonify

TOOL_CALL = {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            Document(page_content="Paris is in France.", metadata={"src": "a"}),
            {"page_content": "Paris is in France.", "metadata": {"src": "a"}},
        ),
        (HumanMessage("hi"), {"type": "human", "content": "hi"}),
        (
            AIMessage(
                "",
                tool_calls=[TOOL_CALL],
                usage_metadata={"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
            ),
            {
                "type": "ai",
                "content": "",
                "tool_calls": [TOOL_CALL],
                "usage_metadata": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
            },
        ),
        (
            ToolMessage("sunny", tool_call_id="call_1", name="get_weather"),
            {
                "type": "tool",
                "content": "sunny",
                "name": "get_weather",
                "tool_call_id": "call_1",
                "status": "success",
            },
        ),
        (
            ChatPromptValue(messages=[HumanMessage("q")]),
            {"messages": [{"type": "human", "content": "q"}]},
        ),
        (StringPromptValue(text="Q: x"), {"text": "Q: x"}),
        (PromptTemplate.from_template("Q: {q}"), {"template": "Q: {q}", "input_variables": ["q"]}),
    ],
)
def test_values_serialise_readably(value, expected):
    """Documents, messages (with tool calls and usage) and prompt values give plain dicts."""
    assert expected == jsonify(value)


def test_chat_prompt_template_lists_its_message_templates():
    """A ChatPromptTemplate shows each message's role and template, and placeholders."""
    prompt = ChatPromptTemplate.from_messages(
        [("system", "Context: {context}"), MessagesPlaceholder("history"), ("human", "{question}")]
    )
    assert {
        "messages": [
            {"type": "system", "template": "Context: {context}"},
            {"type": "placeholder", "variable_name": "history"},
            {"type": "human", "template": "{question}"},
        ],
        "input_variables": ["context", "history", "question"],
    } == jsonify(prompt)
