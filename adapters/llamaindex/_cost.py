"""Token usage that LlamaIndex LLM calls report (``spyglass_call_cost``).

LlamaIndex has no standard usage field. Providers put it in the response's
``raw`` (``raw["usage"]``, ``raw["usage_metadata"]``, as a dict or an object) or in
``additional_kwargs``; the key names are those LlamaIndex's own
``TokenCountingHandler`` reads: ``prompt_tokens`` / ``input_tokens`` /
``prompt_token_count`` and ``completion_tokens`` / ``output_tokens`` /
``candidates_token_count``.

Only the calls that make the request answer: an LLM's ``complete`` / ``chat`` and
their async and streaming forms, and not when the method is ``CustomLLM``'s generic
one (which delegates ``chat`` to ``complete`` and the async forms to the sync ones:
counting both would count one request twice). A streamed call's usage is read
from the last chunk that carries it, and its chunks are counted.

A call whose response carries no usage answers ``None``: unknown is not zero
(``MockLLM`` reports none).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spyglass.core import Cost
from spyglass.core.plugins import class_path

from . import _classes as c

__all__ = ["call_cost"]

_REQUEST_METHODS = frozenset(
    {
        "complete",
        "acomplete",
        "chat",
        "achat",
        "stream_complete",
        "astream_complete",
        "stream_chat",
        "astream_chat",
    }
)
# Classes whose own definitions of the request methods delegate to another request.
_DELEGATING = frozenset({c.CUSTOM_LLM})
_PROMPT_KEYS = ("prompt_tokens", "input_tokens", "prompt_token_count")
_COMPLETION_KEYS = ("completion_tokens", "output_tokens", "candidates_token_count")
_TOTAL_KEYS = ("total_tokens", "total_token_count")


def _read(container: Any, key: str) -> Any:
    if isinstance(container, Mapping):
        return container.get(key)
    return getattr(container, key, None)


def _first_int(container: Any, keys: tuple[str, ...]) -> int | None:
    for key in keys:
        value = _read(container, key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _usage_of(response: Any) -> tuple[int, int, int] | None:
    """``(prompt, completion, total)`` tokens a response reports, or ``None``."""
    raw = getattr(response, "raw", None)
    candidates = [_read(raw, "usage"), _read(raw, "usage_metadata"), raw]
    candidates.append(getattr(response, "additional_kwargs", None))
    for usage in candidates:
        if usage is None:
            continue
        prompt = _first_int(usage, _PROMPT_KEYS)
        completion = _first_int(usage, _COMPLETION_KEYS)
        if prompt is None and completion is None:
            continue
        prompt, completion = prompt or 0, completion or 0
        total = _first_int(usage, _TOTAL_KEYS)
        return prompt, completion, total if total is not None else prompt + completion
    return None


def _defined_on(obj: Any, name: str) -> str | None:
    """The path of the class that defines ``obj``'s method ``name``."""
    for klass in type(obj).__mro__:
        if name in vars(klass):
            return class_path(klass)
    return None


def call_cost(obj: Any, method_name: str, ret: Any) -> Cost | None:
    """The cost one recorded LLM call reports, or ``None`` when it reports none."""
    if method_name not in _REQUEST_METHODS or _defined_on(obj, method_name) in _DELEGATING:
        return None
    if not c.is_a(type(obj), c.BASE_LLM):
        return None  # a chat engine's `chat` is not a request
    streamed = method_name.startswith(("stream_", "astream_")) and isinstance(ret, list)
    chunks = list(reversed(ret)) if streamed else [ret]
    for chunk in chunks:
        usage = _usage_of(chunk)
        if usage is not None:
            return Cost.one_completion(*usage, stream_chunks=len(ret) if streamed else 0)
    return None
