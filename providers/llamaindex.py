"""The LlamaIndex judge provider: any LlamaIndex LLM as judge.

Usage::

    from llama_index.llms.openai import OpenAI as LlamaOpenAI
    from spyglass.providers.llamaindex import LlamaIndex

    provider = LlamaIndex(llm=LlamaOpenAI(model="gpt-4o-mini"))

Configuration:
    The judge is asked through ``llm.chat`` (``achat`` for the ``a…`` methods); its
    answer is read from a tool call in the message's ``additional_kwargs`` when there
    is one, else from its text (JSON or a ``Score:`` line). Token usage is read from
    the raw response's ``usage`` when the LLM passes it on. The LLM is not stored with
    a feedback definition (see :mod:`spyglass.providers.langchain`).

API:
    :class:`LlamaIndex` (an :class:`~spyglass.providers.LLMProvider`).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import PrivateAttr

from spyglass.core import Cost

from . import _optional
from ._answers import Ask, Completion
from ._llm import LLMProvider

__all__ = ["LlamaIndex"]


class LlamaIndex(LLMProvider):
    """An LLM judge on a LlamaIndex LLM.

    Args:
        llm: the LLM (any ``llama_index.core.llms.LLM``).
        model_engine: the name used for prices and messages (default: the LLM's
            ``metadata.model_name``).
        **kwargs: :class:`~spyglass.providers.LLMProvider` settings.
    """

    model_engine: str = ""

    _llm: Any = PrivateAttr(default=None)

    def __init__(self, llm: Any = None, *, model_engine: str = "", **kwargs: Any) -> None:
        if llm is None:
            raise TypeError("LlamaIndex(llm=...) needs a LlamaIndex LLM.")
        name = model_engine or getattr(getattr(llm, "metadata", None), "model_name", "")
        super().__init__(model_engine=str(name or type(llm).__name__), **kwargs)
        self._llm = llm

    def _model(self) -> Any:
        if self._llm is None:
            raise RuntimeError(
                "This LlamaIndex provider was loaded from stored data, which does not hold "
                "the LLM; build it with LlamaIndex(llm=...) in the evaluating process."
            )
        return self._llm

    def _messages(self, ask: Ask) -> list[Any]:
        llms = _optional.llama_index_core()
        out = [llms.ChatMessage(role="system", content=ask.system)]
        if ask.user is not None:
            out.append(llms.ChatMessage(role="user", content=ask.user))
        return out

    def _complete(self, ask: Ask) -> Completion:
        return _from_response(self._model().chat(self._messages(ask)))

    async def _acomplete(self, ask: Ask) -> Completion:
        return _from_response(await self._model().achat(self._messages(ask)))


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _cost(raw: Any) -> Cost:
    usage = _get(raw, "usage") if raw is not None else None
    if usage is None:
        return Cost(n_requests=1, n_successful_requests=1, n_completion_requests=1)
    return Cost.one_completion(
        int(_get(usage, "prompt_tokens") or 0),
        int(_get(usage, "completion_tokens") or 0),
        int(_get(usage, "total_tokens") or 0),
    )


def _from_response(response: Any) -> Completion:
    message = response.message
    text = message.content or ""
    data = None
    calls = (message.additional_kwargs or {}).get("tool_calls") or []
    if calls:
        arguments = _get(_get(calls[0], "function"), "arguments")
        try:
            parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            data = parsed
        else:
            text = text or str(arguments)
    return Completion(text, data, _cost(response.raw))
