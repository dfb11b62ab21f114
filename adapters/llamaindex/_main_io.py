"""Main input and main output of a root call of a LlamaIndex app (TruLlama's rules).

Main input, by the root method's parameter (LlamaIndex's own names):

- ``str_or_query_bundle`` (``query``, ``aquery``, ``retrieve``, ``aretrieve``) and
  ``query`` / ``query_bundle`` (``synthesize``): the query text; for a
  ``QueryBundle`` its ``query_str`` — never its embedding vector;
- ``message`` (chat engines) and ``user_msg`` (agents): the text, or a
  ``ChatMessage``'s content;
- ``messages`` (an LLM's ``chat``): the content of the last message (TruLens gave
  ``str(messages)`` and failed on an empty list; an empty list falls back to the
  core's rules here);
- ``prompt`` (an LLM's ``complete``): the prompt; LlamaIndex's LLM decorators hide
  the names (``(_self, *args, **kwargs)``), so the first positional argument counts
  as the prompt or the messages;
- a workflow's ``run(**kwargs)``: the only keyword's value, else the keywords.

Main output, by the return value:

- ``Response``, ``AgentChatResponse``, ``StreamingAgentChatResponse``: ``.response``
  (for streams, the streamed text: see :mod:`._stream`);
- ``StreamingResponse`` / ``AsyncStreamingResponse``: ``.response_txt`` when
  available;
- a retriever's list of ``NodeWithScore``: the nodes' texts joined by a blank line;
- an LLM's ``CompletionResponse`` / ``ChatResponse``: its text / message content;
- an agent's ``AgentOutput``: its response message's content.

Anything else, and anything these rules cannot read, falls back to the core's
default rules (the hooks answer ``None``). Nothing here raises.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from spyglass.core.plugins import mro_match

from . import _classes as c
from ._walk import is_llama_type

__all__ = ["main_input", "main_output"]

logger = logging.getLogger(__name__)

_QUERY_ARGS = ("str_or_query_bundle", "query", "query_bundle", "query_str")
_MESSAGE_ARGS = ("message", "user_msg")
# The attribute that holds the text of a response, by the response's class.
_TEXT_ATTRIBUTES = {
    c.RESPONSE: "response",
    c.AGENT_CHAT_RESPONSE: "response",
    c.STREAMING_AGENT_CHAT_RESPONSE: "response",
    c.STREAMING_RESPONSE: "response_txt",
    c.ASYNC_STREAMING_RESPONSE: "response_txt",
    c.COMPLETION_RESPONSE: "text",
}
# Responses whose text is their message's.
_MESSAGE_RESPONSES = (c.CHAT_RESPONSE, c.AGENT_OUTPUT)


def _text_of(value: Any) -> Any:
    """The text of a query, a message or a plain value (``None`` if it has none)."""
    if value is None or isinstance(value, str):
        return value
    query_str = getattr(value, "query_str", None)  # QueryBundle
    if isinstance(query_str, str):
        return query_str
    content = getattr(value, "content", None)  # ChatMessage
    if isinstance(content, str):
        return content
    return None


def main_input(app: Any, func: Callable[..., Any], bindings: inspect.BoundArguments) -> Any:
    """The main input of a root call on a LlamaIndex app, or ``None`` for the default rules."""
    if not is_llama_type(type(app)):
        return None
    try:
        arguments = bindings.arguments
        for name in (*_QUERY_ARGS, *_MESSAGE_ARGS, "prompt"):
            if name in arguments:
                text = _text_of(arguments[name])
                if text is not None:
                    return text
        messages = arguments.get("messages")
        if isinstance(messages, (list, tuple)) and messages:
            return _text_of(messages[-1])
        # LlamaIndex's LLM callback decorators hide the signature: `(_self, *args, **kwargs)`.
        positional = arguments.get("args")
        if isinstance(positional, tuple) and positional:
            first = positional[0]
            if isinstance(first, (list, tuple)) and first:
                first = first[-1]
            text = _text_of(first)
            if text is not None:
                return text
        if getattr(func, "__name__", "") == "run":
            kwargs = {k: v for k, v in arguments.get("kwargs", {}).items() if v is not None}
            if len(kwargs) == 1:
                (only,) = kwargs.values()
                text = _text_of(only)
                return text if text is not None else only
            if kwargs:
                return kwargs
    except Exception:
        logger.debug("spyglass: no LlamaIndex main input for %r", func, exc_info=True)
    return None


def _nodes_text(nodes: list[Any]) -> str | None:
    texts = []
    for item in nodes:
        node = getattr(item, "node", None)
        text = getattr(node, "text", None)
        if not isinstance(text, str):
            return None
        texts.append(text)
    return "\n\n".join(texts)


def main_output(ret: Any) -> Any:
    """The main output of a root call's return value, or ``None`` for the default rules."""
    try:
        cls = type(ret)
        if isinstance(ret, list):
            if ret and cls is list and all(hasattr(item, "node") for item in ret):
                return _nodes_text(ret)
            return None
        if not is_llama_type(cls):
            return None
        base = mro_match(cls, _TEXT_ATTRIBUTES)
        if base is not None:
            return getattr(ret, _TEXT_ATTRIBUTES[base], None)
        if c.is_a(cls, *_MESSAGE_RESPONSES):
            message = getattr(ret, "message", None) or getattr(ret, "response", None)
            return _text_of(message)
    except Exception:
        logger.debug("spyglass: no LlamaIndex main output for %r", type(ret), exc_info=True)
    return None
