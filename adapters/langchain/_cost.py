"""Token usage of LangChain model calls, as a :class:`~spyglass.core.Cost`.

Answers the ``spyglass_call_cost`` hook, only for the calls that really make a
request, so that the entry points around them (``invoke``, ``stream``, a chain's
``invoke``) are not counted again:

- a chat model's or LLM's ``_generate`` / ``_agenerate``: the ``usage_metadata`` of
  each generation's message, summed; for string LLMs, which carry none, the
  ``token_usage`` of ``llm_output`` (``prompt_tokens``, ``completion_tokens``,
  ``total_tokens``);
- ``_stream`` / ``_astream``: the usage of every streamed chunk, summed (providers put it
  on one, usually the last), and ``n_stream_chunks``.

Each such call counts as one request. A call that reports no usage gives ``None``:
unknown usage is not zero usage, so a record of an app whose models report nothing
has ``Cost()`` with ``n_requests == 0`` (see the core's rule), not zero tokens.
Money (``cost``) is left at 0: prices are not LangChain's to give.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spyglass.core import Cost

from . import _framework as fw

__all__ = ["GENERATE_METHODS", "STREAM_METHODS", "call_cost"]

GENERATE_METHODS = frozenset({"_generate", "_agenerate"})
STREAM_METHODS = frozenset({"_stream", "_astream"})


def call_cost(obj: Any, method_name: str, ret: Any) -> Any:
    """The cost one model call reports, or ``None`` (see the module docstring)."""
    if not fw.is_instance(obj, fw.CHAT_MODEL, fw.LLM):
        return None
    if method_name in GENERATE_METHODS:
        usage = _generations_usage(ret)
        if usage is None:
            usage = _llm_output_usage(getattr(ret, "llm_output", None))
        return None if usage is None else _cost(usage, chunks=0)
    if method_name in STREAM_METHODS and isinstance(ret, Sequence):
        usage = _sum(_message_usage(getattr(chunk, "message", None)) for chunk in ret)
        return None if usage is None else _cost(usage, chunks=len(ret))
    return None


def _cost(usage: tuple[int, int, int], chunks: int) -> Any:
    return Cost.one_completion(*usage, stream_chunks=chunks)


def _sum(usages: Any) -> tuple[int, int, int] | None:
    found = [u for u in usages if u is not None]
    if not found:
        return None
    return (
        sum(u[0] for u in found),
        sum(u[1] for u in found),
        sum(u[2] for u in found),
    )


def _message_usage(message: Any) -> tuple[int, int, int] | None:
    usage = getattr(message, "usage_metadata", None) if message is not None else None
    if not isinstance(usage, Mapping):
        return None
    prompt = _int(usage.get("input_tokens"))
    completion = _int(usage.get("output_tokens"))
    total = _int(usage.get("total_tokens")) or prompt + completion
    return prompt, completion, total


def _generations_usage(ret: Any) -> tuple[int, int, int] | None:
    generations = getattr(ret, "generations", None)
    if not isinstance(generations, list):
        return None
    # ChatResult: a list of generations; LLMResult: a list (per prompt) of lists.
    flat = [g for item in generations for g in (item if isinstance(item, list) else [item])]
    return _sum(_message_usage(getattr(g, "message", None)) for g in flat)


def _llm_output_usage(llm_output: Any) -> tuple[int, int, int] | None:
    if not isinstance(llm_output, Mapping):
        return None
    usage = llm_output.get("token_usage") or llm_output.get("usage")
    if not isinstance(usage, Mapping):
        return None
    prompt = _int(usage.get("prompt_tokens", usage.get("input_tokens")))
    completion = _int(usage.get("completion_tokens", usage.get("output_tokens")))
    total = _int(usage.get("total_tokens")) or prompt + completion
    if not (prompt or completion or total):
        return None
    return prompt, completion, total


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
