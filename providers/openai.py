"""The OpenAI judge provider, on the official ``openai`` SDK.

Usage::

    from spyglass.providers.openai import OpenAI

    provider = OpenAI()                                   # gpt-4o-mini, OPENAI_API_KEY
    provider = OpenAI(model_engine="llama3.1", base_url="http://localhost:11434/v1")

Configuration:
    It talks to the chat completions endpoint, which every OpenAI-compatible server
    has (vLLM, Ollama, LiteLLM's proxy, Azure's ``/openai/v1``), so any of them works
    through ``base_url``. ``structured_output`` picks how the judge is asked to answer:
    ``"json_schema"`` (default: ``response_format`` with a strict JSON schema),
    ``"tools"`` (a forced tool call, for servers without JSON-schema output) or
    ``"text"`` (free text, read tolerantly). Whatever was asked, the answer is read
    in whichever of these forms it came. ``stream=True`` streams the answer (with
    usage). The API key comes from ``api_key=`` or the environment
    (``OPENAI_API_KEY``, and ``OPENAI_BASE_URL`` when ``base_url`` is not given)
    and is never stored: a feedback definition holds the model and settings only.

API:
    :class:`OpenAI` (an :class:`~spyglass.providers.LLMProvider`). The SDK's own
    retries are off: the provider retries 429/5xx/timeouts itself (``max_retries``),
    so every attempt is counted in the feedback's cost (``n_requests``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, ClassVar, Literal

from pydantic import PrivateAttr

from spyglass.core import Cost

from . import _optional
from ._answers import Ask, Completion, schema_for
from ._errors import not_built
from ._llm import LLMProvider

__all__ = ["OpenAI"]

logger = logging.getLogger(__name__)

_TOOL = "submit_judgement"


class OpenAI(LLMProvider):
    """An LLM judge on the OpenAI chat completions API (or any compatible server).

    Args:
        model_engine: the model (default ``"gpt-4o-mini"``).
        base_url: the server, e.g. ``"http://localhost:8000/v1"`` (default: the SDK's).
        api_key: the key (default: ``OPENAI_API_KEY``); never stored.
        client: an ``openai.OpenAI`` (or ``AzureOpenAI``) client to use instead of
            making one; ``async_client`` likewise for the ``a…`` methods. Not stored.
        structured_output: ``"json_schema"``, ``"tools"`` or ``"text"`` (see module docs).
        stream: stream answers.
        **kwargs: :class:`~spyglass.providers.LLMProvider` settings
            (``max_concurrency``, ``timeout``, ``max_retries``, ...).
    """

    DEFAULT_MODEL_ENGINE: ClassVar[str] = "gpt-4o-mini"

    model_engine: str = DEFAULT_MODEL_ENGINE
    base_url: str | None = None
    structured_output: Literal["json_schema", "tools", "text"] = "json_schema"
    stream: bool = False

    _api_key: str | None = PrivateAttr(default=None)
    _client: Any = PrivateAttr(default=None)
    _async_client: Any = PrivateAttr(default=None)
    _async_loop: Any = PrivateAttr(default=None)

    def __init__(
        self,
        model_engine: str | None = None,
        *,
        api_key: str | None = None,
        client: Any = None,
        async_client: Any = None,
        **kwargs: Any,
    ) -> None:
        if model_engine is not None:
            kwargs["model_engine"] = model_engine
        for name in ("endpoint", "pace", "rpm"):  # TruLens's pacing arguments
            if kwargs.pop(name, None) is not None:
                logger.warning(
                    "OpenAI(%s=...) is TruLens's pacing and is not used by spyglass; limit "
                    "requests with max_concurrency= (retries honour the server's Retry-After).",
                    name,
                )
        super().__init__(**kwargs)
        self._api_key = api_key
        self._client = client
        self._async_client = async_client

    # ------------------------------------------------------------- clients

    def _client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"max_retries": 0, "timeout": self.timeout}
        if self._api_key is not None:
            kwargs["api_key"] = self._api_key
        if self.base_url is not None:
            kwargs["base_url"] = self.base_url
        return kwargs

    def client(self) -> Any:
        """The ``openai.OpenAI`` client (made on first use)."""
        if self._client is None:
            self._client = _optional.openai().OpenAI(**self._client_kwargs())
        return self._client

    def async_client(self) -> Any:
        """The ``openai.AsyncOpenAI`` client of the running event loop."""
        loop = asyncio.get_running_loop()
        if self._async_client is None or (
            self._async_loop is not None and self._async_loop is not loop
        ):
            # An async HTTP client belongs to one loop: make one per loop.
            self._async_client = _optional.openai().AsyncOpenAI(**self._client_kwargs())
            self._async_loop = loop
        return self._async_client

    def close(self) -> None:
        """Close the sync client's connections (a new client is made if used again)."""
        if self._client is not None:
            self._client.close()
            self._client = None

    async def aclose(self) -> None:
        """Close the async client's connections; call it before the event loop ends
        (an HTTP connection pool belongs to one loop and cannot be closed after it)."""
        if self._async_client is not None:
            await self._async_client.close()
            self._async_client = self._async_loop = None

    # ------------------------------------------------------------ requests

    def _request(self, ask: Ask) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model_engine,
            "messages": ask.messages(),
            "temperature": ask.temperature,
            "timeout": self.timeout,
        }
        schema = schema_for(ask)
        if self.structured_output == "json_schema":
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": f"judgement_{ask.shape}", "schema": schema, "strict": True},
            }
        elif self.structured_output == "tools":
            request["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": _TOOL,
                        "description": "Submit the judgement.",
                        "parameters": schema,
                        "strict": True,
                    },
                }
            ]
            request["tool_choice"] = {"type": "function", "function": {"name": _TOOL}}
        if self.stream:
            request["stream"] = True
            request["stream_options"] = {"include_usage": True}
        return request

    def _complete(self, ask: Ask) -> Completion:
        response = self.client().chat.completions.create(**self._request(ask))
        if self.stream:
            return _from_chunks(response)
        return _from_response(response)

    async def _acomplete(self, ask: Ask) -> Completion:
        response = await self.async_client().chat.completions.create(**self._request(ask))
        if self.stream:
            return _from_chunks([chunk async for chunk in response])
        return _from_response(response)

    def _transient_errors(self) -> tuple[type, ...]:
        sdk = _optional.openai()
        return (*super()._transient_errors(), sdk.APIConnectionError, sdk.APITimeoutError)


def _moderation(self: OpenAI, text: str) -> float:
    """Not built: TruLens's OpenAI moderation scores."""
    raise not_built(
        "OpenAI.moderation_*",
        "`provider.harmfulness`, `maliciousness` or `insensitivity` (higher_is_better="
        "False), or call the moderation API in your own feedback function",
    )


# TruLens's moderation-API methods: present, so that a TruLens feedback fails saying why.
for _name in (
    "moderation_hate",
    "moderation_hatethreatening",
    "moderation_selfharm",
    "moderation_sexual",
    "moderation_sexualminors",
    "moderation_violence",
    "moderation_violencegraphic",
    "moderation_harassment",
    "moderation_harassment_threatening",
):
    setattr(OpenAI, _name, _moderation)
del _name


def _usage_cost(usage: Any, chunks: int = 0) -> Cost:
    if usage is None:
        return Cost(
            n_requests=1, n_successful_requests=1, n_completion_requests=1, n_stream_chunks=chunks
        )
    return Cost.one_completion(
        int(getattr(usage, "prompt_tokens", 0) or 0),
        int(getattr(usage, "completion_tokens", 0) or 0),
        int(getattr(usage, "total_tokens", 0) or 0),
        stream_chunks=chunks,
    )


def _tool_data(arguments: str | None) -> dict[str, Any] | None:
    try:
        data = json.loads(arguments or "")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _from_response(response: Any) -> Completion:
    message = response.choices[0].message if response.choices else None
    text = (getattr(message, "content", None) or "") if message is not None else ""
    data = None
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        arguments = calls[0].function.arguments
        data = _tool_data(arguments)
        if data is None:  # unreadable arguments: keep them as the raw answer
            text = text or (arguments or "")
    return Completion(text, data, _usage_cost(getattr(response, "usage", None)))


def _from_chunks(chunks: Any) -> Completion:
    text: list[str] = []
    arguments: list[str] = []
    usage = None
    count = 0
    for chunk in chunks:
        count += 1
        if getattr(chunk, "usage", None) is not None:
            usage = chunk.usage
        for choice in chunk.choices or ():
            delta = choice.delta
            if delta is None:
                continue
            if delta.content:
                text.append(delta.content)
            for call in delta.tool_calls or ():
                if call.function is not None and call.function.arguments:
                    arguments.append(call.function.arguments)
    data = _tool_data("".join(arguments)) if arguments else None
    body = "".join(text) or ("".join(arguments) if data is None else "")
    return Completion(body, data, _usage_cost(usage, count))
