"""Framework fakes the backend tests judge with: LangChain chat models, a LlamaIndex LLM."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    LLMMetadata,
)
from llama_index.core.llms.custom import CustomLLM
from pydantic import Field

USAGE = {"input_tokens": 30, "output_tokens": 12, "total_tokens": 42}


class ToolCallingFakeChat(GenericFakeChatModel):
    """GenericFakeChatModel that supports tool binding, so ``with_structured_output``
    works on it as on a real tool-calling model (the tools are ignored)."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        return self


def tool_message(args: dict[str, Any], name: str = "judgement") -> AIMessage:
    """An AI message that calls the judgement tool with `args`, reporting usage."""
    return AIMessage(
        content="",
        tool_calls=[{"name": name, "args": args, "id": "call_1", "type": "tool_call"}],
        usage_metadata=USAGE,
    )


def text_message(text: str) -> AIMessage:
    """An AI message with `text`, reporting usage."""
    return AIMessage(content=text, usage_metadata=USAGE)


class ScriptedLLM(CustomLLM):
    """A LlamaIndex LLM that answers every request with `answer` (text), or with a tool
    call carrying `tool_args`, and reports usage in its raw response."""

    answer: str = ""
    tool_args: dict[str, Any] | None = None
    prompts: list[str] = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted-llm")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        return CompletionResponse(text=self.answer)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        yield self.complete(prompt)

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        self.prompts.append("\n".join(str(m.content) for m in messages))
        extra: dict[str, Any] = {}
        if self.tool_args is not None:
            extra["tool_calls"] = [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "judgement", "arguments": json.dumps(self.tool_args)},
                }
            ]
        usage = {"prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25}
        return ChatResponse(
            message=ChatMessage(role="assistant", content=self.answer, additional_kwargs=extra),
            raw={"usage": usage},
        )

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self.chat(messages, **kwargs)
