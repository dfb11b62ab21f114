"""The LangChain judge provider: any LangChain chat model (or LLM) as judge.

Usage::

    from langchain_openai import ChatOpenAI
    from spyglass.providers.langchain import Langchain

    provider = Langchain(chain=ChatOpenAI(model="gpt-4o-mini"))

Configuration:
    Where the model supports it (``with_structured_output``: tool calling or JSON
    mode), the judge answers in a schema; otherwise its text is read tolerantly.
    ``structured_output=False`` always asks for text. Token usage comes from the
    message's ``usage_metadata`` when the model reports it. The model object is not
    stored with a feedback definition: a definition loaded elsewhere cannot rebuild
    it, so use :class:`~spyglass.providers.openai.OpenAI` for deferred evaluation.

API:
    :class:`Langchain` (an :class:`~spyglass.providers.LLMProvider`).
"""

from __future__ import annotations

from typing import Any

from pydantic import PrivateAttr

from spyglass.core import Cost

from . import _optional
from ._answers import Ask, Completion, schema_for
from ._llm import LLMProvider

__all__ = ["Langchain"]


class Langchain(LLMProvider):
    """An LLM judge on a LangChain chat model or LLM.

    Args:
        chain: the model (``BaseChatModel`` or ``BaseLLM``), or any runnable that takes
            a list of messages.
        model_engine: the name used for prices and messages (default: the class name).
        structured_output: ask for a schema answer where the model supports it.
        **kwargs: :class:`~spyglass.providers.LLMProvider` settings.
    """

    model_engine: str = ""
    structured_output: bool = True

    _chain: Any = PrivateAttr(default=None)
    _structured: dict[str, Any] = PrivateAttr(default_factory=dict)

    def __init__(self, chain: Any = None, *, model_engine: str = "", **kwargs: Any) -> None:
        if chain is None:
            raise TypeError("Langchain(chain=...) needs a LangChain chat model or LLM.")
        name = model_engine or getattr(chain, "model_name", None) or getattr(chain, "model", None)
        super().__init__(model_engine=str(name or type(chain).__name__), **kwargs)
        self._chain = chain

    def _model(self) -> Any:
        if self._chain is None:
            raise RuntimeError(
                "This Langchain provider was loaded from stored data, which does not hold "
                "the model; build it with Langchain(chain=...) in the evaluating process."
            )
        return self._chain

    def _structured_runnable(self, ask: Ask) -> Any:
        """The model bound to the ask's schema, or ``None`` where it cannot be."""
        if not self.structured_output:
            return None
        if ask.shape not in self._structured:
            schema = {"title": "judgement", "description": "The judgement.", **schema_for(ask)}
            try:
                runnable = self._model().with_structured_output(schema, include_raw=True)
            except (NotImplementedError, AttributeError, ValueError, TypeError):
                runnable = None  # no tool calling / JSON mode: read its text instead
            self._structured[ask.shape] = runnable
        return self._structured[ask.shape]

    def _messages(self, ask: Ask) -> list[Any]:
        messages = _optional.langchain_core()
        out: list[Any] = [messages.SystemMessage(content=ask.system)]
        if ask.user is not None:
            out.append(messages.HumanMessage(content=ask.user))
        return out

    def _complete(self, ask: Ask) -> Completion:
        runnable = self._structured_runnable(ask)
        if runnable is not None:
            return _from_structured(runnable.invoke(self._messages(ask)))
        return _from_message(self._model().invoke(self._messages(ask)))

    async def _acomplete(self, ask: Ask) -> Completion:
        runnable = self._structured_runnable(ask)
        if runnable is not None:
            return _from_structured(await runnable.ainvoke(self._messages(ask)))
        return _from_message(await self._model().ainvoke(self._messages(ask)))


def _text(message: Any) -> str:
    if isinstance(message, str):  # a BaseLLM answers with a string
        return message
    content = getattr(message, "content", message)
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(
            b if isinstance(b, str) else str(b.get("text", "")) if isinstance(b, dict) else ""
            for b in content
        )
    return str(content)


def _cost(message: Any) -> Cost:
    usage = getattr(message, "usage_metadata", None)
    if not usage:
        return Cost(n_requests=1, n_successful_requests=1, n_completion_requests=1)
    return Cost.one_completion(
        int(usage.get("input_tokens", 0)),
        int(usage.get("output_tokens", 0)),
        int(usage.get("total_tokens", 0)),
    )


def _from_message(message: Any) -> Completion:
    calls = getattr(message, "tool_calls", None) or []
    data = calls[0].get("args") if calls and isinstance(calls[0], dict) else None
    return Completion(_text(message), data if isinstance(data, dict) else None, _cost(message))


def _from_structured(out: Any) -> Completion:
    raw = out.get("raw") if isinstance(out, dict) else out
    parsed = out.get("parsed") if isinstance(out, dict) else None
    answer = _from_message(raw)
    if isinstance(parsed, dict):
        return Completion(answer.text, parsed, answer.cost)
    return answer  # the schema parse failed: read what the model said
