"""Main input and main output of a LangChain or LangGraph root call.

Answers the ``spyglass_main_input`` / ``spyglass_main_output`` hooks for apps that are
``Runnable``s. TruLens's TruChain rules (as TruLens 1.x), plus LangGraph state and
streams:

main input (from the ``input`` argument; ``inputs`` for ``batch``)
    a string as is; a message its text; a list of messages (a chat history, a
    ``ChatPromptValue``) the text of the last human message; a dict its first value
    reduced the same way (so a ``{"question": ...}`` state gives the question and a
    ``{"messages": [...]}`` state the last human message); a list its first element;
    a ToolCall dict its ``args``; a ``batch`` the list of each input's main input.

main output
    a string as is; a message (``AIMessage``, ``AIMessageChunk``, ``ToolMessage``) its
    text; a list of documents their ``page_content`` joined by blank lines; a dict
    (a graph's state, an assigned mapping): its ``messages`` key gives the last AI
    message's text, otherwise the first of ``answer``/``output``/``response``/
    ``result``/``generation``/``text`` that is not an input key, otherwise the last
    key that is not an input key, otherwise the first value; a ``batch`` the list
    of each output's main output.

streamed roots (``stream``, ``astream``, ``transform``: the list of chunks)
    strings and message chunks are joined; mapping chunks are added up the way
    LangChain does (``chunk + chunk``); a graph's ``values`` stream gives its last
    state, an ``updates`` stream the merged updates, a ``messages`` stream the
    joined text; then the rules above.

The rules never raise: anything unexpected gives ``None``, and the core falls back
to its default rules.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from . import _framework as fw

__all__ = ["content_text", "main_input", "main_output"]

logger = logging.getLogger(__name__)

_ANSWER_KEYS = ("answer", "output", "response", "result", "generation", "text")
_BATCH = frozenset({"batch", "abatch"})
_NOTHING = object()


def main_input(app: Any, func: Any, bindings: inspect.BoundArguments) -> Any:
    """The main input of a root call on a LangChain app; ``None`` when not ours."""
    try:
        if not fw.is_instance(app, fw.RUNNABLE):
            return None
        arguments = bindings.arguments
        if getattr(func, "__name__", "") in _BATCH and "inputs" in arguments:
            return [_input_of(item) for item in list(arguments["inputs"])]
        if "input" not in arguments:
            return None
        value = arguments["input"]
        if inspect.isgenerator(value) or hasattr(value, "__next__") or hasattr(value, "__anext__"):
            return "(a stream of inputs)"  # reading it would consume the app's input
        return _input_of(value)
    except Exception:
        logger.debug("spyglass could not read the main input of %r", func, exc_info=True)
        return None


def main_output(
    app: Any, func: Any, bindings: inspect.BoundArguments, ret: Any, streamed: bool
) -> Any:
    """The main output of a root call on a LangChain app; ``None`` when not ours."""
    try:
        if not fw.is_instance(app, fw.RUNNABLE):
            return None
        arguments = bindings.arguments
        value = arguments.get("input", _NOTHING)
        if streamed:
            ret = _accumulate(app, bindings, list(ret))
        if getattr(func, "__name__", "") in _BATCH and isinstance(ret, list):
            inputs = list(arguments.get("inputs") or ())
            return [
                _output_of(item, inputs[i] if i < len(inputs) else _NOTHING)
                for i, item in enumerate(ret)
            ]
        return _output_of(ret, value)
    except Exception:
        logger.debug("spyglass could not read the main output of %r", func, exc_info=True)
        return None


# ---------------------------------------------------------------------------- input


def _input_of(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if fw.is_instance(value, fw.BASE_MESSAGE):
        return content_text(value.content)
    if fw.is_instance(value, fw.PROMPT_VALUE):
        messages = _messages_of(value)
        return _last_text(messages, "human") if messages else str(value.to_string())
    if isinstance(value, Mapping):
        if value.get("type") == "tool_call" and "args" in value:
            return value["args"]
        if not value:
            return None
        return _input_of(next(iter(value.values())))
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        if not value:
            return None
        if any(_is_message_like(item) for item in value):
            return _last_text(list(value), "human")
        return _input_of(value[0])
    return value


def _is_message_like(item: Any) -> bool:
    if fw.is_instance(item, fw.BASE_MESSAGE):
        return True
    # ("user", "text") tuples and {"role": ..., "content": ...} dicts are messages too
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return True
    return isinstance(item, Mapping) and "content" in item and "role" in item


def _role_and_text(item: Any) -> tuple[str, str]:
    if fw.is_instance(item, fw.BASE_MESSAGE):
        return str(getattr(item, "type", "")), content_text(item.content)
    if isinstance(item, tuple):
        return str(item[0]), content_text(item[1])
    if isinstance(item, Mapping):
        return str(item.get("role", item.get("type", ""))), content_text(item.get("content"))
    return "", content_text(item)


_ROLES = {"human": ("human", "user"), "ai": ("ai", "assistant")}


def _last_text(messages: list[Any], role: str) -> str:
    """The text of the last message in ``role``, else of the last message."""
    wanted = _ROLES[role]
    pairs = [_role_and_text(m) for m in messages]
    for kind, text in reversed(pairs):
        if kind in wanted:
            return text
    return pairs[-1][1] if pairs else ""


def _messages_of(prompt_value: Any) -> list[Any]:
    messages = vars(prompt_value).get("messages")
    return list(messages) if isinstance(messages, list) else []


def content_text(content: Any) -> str:
    """A message's content as text: a string, or its text blocks joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, Mapping) and isinstance(block.get("text"), str):
                parts.append(block["text"])
        return "".join(parts)
    return str(content)


# ---------------------------------------------------------------------------- output


def _output_of(ret: Any, input_value: Any) -> Any:
    if ret is None or isinstance(ret, (str, int, float, bool)):
        return ret
    if fw.is_instance(ret, fw.BASE_MESSAGE):
        return content_text(ret.content)
    if fw.is_instance(ret, fw.PROMPT_VALUE):
        return str(ret.to_string())
    if isinstance(ret, Mapping):
        return _state_output(ret, input_value)
    if isinstance(ret, Sequence) and not isinstance(ret, (bytes, bytearray)):
        items = list(ret)
        if not items:
            return ""
        if all(isinstance(item, str) for item in items):
            return "".join(items)
        if all(fw.is_instance(item, fw.DOCUMENT) for item in items):
            return "\n\n".join(str(item.page_content) for item in items)
        if any(_is_message_like(item) for item in items):
            return _last_text(items, "ai")
        return _output_of(items[0], _NOTHING)
    # a graph invoked with version="v2" returns a GraphOutput carrying the state in `value`
    if type(ret).__name__ == "GraphOutput" and isinstance(getattr(ret, "value", None), Mapping):
        return _state_output(ret.value, input_value)
    return None


def _state_output(state: Mapping[Any, Any], input_value: Any) -> Any:
    if not state:
        return ""
    messages = state.get("messages")
    if isinstance(messages, list) and messages and any(_is_message_like(m) for m in messages):
        return _last_text(messages, "ai")
    input_keys = set(input_value) if isinstance(input_value, Mapping) else set()
    fresh = [key for key in state if key not in input_keys]
    for key in _ANSWER_KEYS:
        if key in fresh:
            return _output_of(state[key], _NOTHING)
    if fresh:
        return _output_of(state[fresh[-1]], _NOTHING)
    return _output_of(next(iter(state.values())), _NOTHING)


# ---------------------------------------------------------------------------- streams


def _accumulate(app: Any, bindings: inspect.BoundArguments, chunks: list[Any]) -> Any:
    """What a stream of chunks adds up to (see the module docstring)."""
    if not chunks:
        return ""
    if fw.is_instance(app, fw.PREGEL):
        return _graph_stream(app, bindings, chunks)
    if all(isinstance(chunk, str) for chunk in chunks):
        return "".join(chunks)
    if all(fw.is_instance(chunk, fw.BASE_MESSAGE) for chunk in chunks):
        return "".join(content_text(chunk.content) for chunk in chunks)
    total = chunks[0]
    try:
        for chunk in chunks[1:]:
            total = total + chunk
    except TypeError:
        return chunks[-1]
    return total


def _graph_stream(app: Any, bindings: inspect.BoundArguments, chunks: list[Any]) -> Any:
    arguments = bindings.arguments
    mode = arguments.get("stream_mode") or getattr(app, "stream_mode", "values")
    pairs = []
    for chunk in chunks:
        if isinstance(chunk, Mapping) and {"type", "data"} <= chunk.keys():  # version="v2"
            pairs.append((chunk["type"], chunk["data"]))
        elif isinstance(mode, str):
            if arguments.get("subgraphs") and isinstance(chunk, tuple):
                chunk = chunk[-1]  # (namespace, chunk)
            pairs.append((mode, chunk))
        elif isinstance(chunk, tuple) and len(chunk) >= 2:
            pairs.append((chunk[-2], chunk[-1]))  # several modes: ([namespace,] mode, chunk)
    values = [data for kind, data in pairs if kind == "values"]
    if values:
        return values[-1]
    updates = [data for kind, data in pairs if kind == "updates"]
    if updates:
        merged: dict[Any, Any] = {}
        for update in updates:
            if isinstance(update, Mapping):
                for node_update in update.values():
                    if isinstance(node_update, Mapping):
                        merged.update(node_update)
        return merged
    texts = [
        content_text(data[0].content)
        for kind, data in pairs
        if kind == "messages"
        and isinstance(data, tuple)
        and data
        and fw.is_instance(data[0], fw.AI_MESSAGE)
    ]
    if texts:
        return "".join(texts)
    return chunks[-1]
