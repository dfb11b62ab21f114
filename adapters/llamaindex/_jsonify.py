"""JSON encoders for LlamaIndex objects that appear in records.

Each encoder turns an object into a small, readable dict; the serialiser then
continues into that dict with its usual depth and size bounds (so a node's long
text is truncated there, with a marker). What is left out, on purpose:

- embedding vectors (of nodes and of ``QueryBundle``; TruLens stored a query's whole
  vector as the main input) — their length is kept as ``embedding_dim``;
- a node's relationships, templates and excluded-metadata lists (bookkeeping);
- a prompt template's parser and mappings (its text and variables are kept); a
  response's metadata when it only repeats its source nodes' metadata;
- streams, queues, threads and events of streaming responses;
- the contents of indexes, document stores and vector stores (an app definition
  names them, it does not copy the data).

Encoders read attributes only (no LlamaIndex import) and never raise: a field that
fails to read is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _classes as c

__all__ = ["ENCODERS"]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    try:
        return getattr(obj, name, default)
    except Exception:  # noqa: BLE001 - a third-party property may fail; leave it out
        return default


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def _pick(obj: Any, names: tuple[str, ...], unless_empty: tuple[str, ...] = ()) -> dict[str, Any]:
    """``{name: obj.name}`` for the attributes that are set: not ``None`` (and, for the
    ``unless_empty`` ones, read after the others, not empty either)."""
    picked = {}
    for name in names + unless_empty:
        value = _get(obj, name)
        if value is not None and (name not in unless_empty or value):
            picked[name] = value
    return picked


def _embedding_dim(obj: Any) -> int | None:
    vector = _get(obj, "embedding")
    try:
        return len(vector) if vector is not None else None
    except TypeError:
        return None


def encode_node(node: Any) -> dict[str, Any]:
    """A node or document: id, text, metadata (and the embedding's size, not its values)."""
    text = _get(node, "text")
    if text is None:
        try:
            text = node.get_content()
        except Exception:  # noqa: BLE001 - a node we cannot read is recorded without text
            text = None
    return _drop_none(
        {
            "id_": _get(node, "id_") or _get(node, "node_id"),
            "text": text,
            "metadata": _get(node, "metadata") or None,
            "embedding_dim": _embedding_dim(node),
        }
    )


def encode_node_with_score(item: Any) -> dict[str, Any]:
    """``NodeWithScore``: the node and its score (``node.text`` is what context lenses read)."""
    node = _get(item, "node")
    # Encoded here rather than left to the serialiser: one dispatch less per node, and
    # nodes are most of what a LlamaIndex record holds.
    return {"node": encode_node(node) if node is not None else None, "score": _get(item, "score")}


def encode_query_bundle(bundle: Any) -> dict[str, Any]:
    """``QueryBundle``: the query text, never the embedding vector."""
    picked = _pick(bundle, ("query_str", "image_path", "custom_embedding_strs"))
    return _drop_none({**picked, "embedding_dim": _embedding_dim(bundle)})


def _response_metadata(response: Any, source_nodes: list[Any]) -> Any:
    """A response's metadata, unless it only repeats its source nodes' metadata."""
    metadata = _get(response, "metadata")
    if isinstance(metadata, dict) and metadata:
        node_ids = {_get(_get(item, "node"), "node_id") for item in source_nodes}
        if set(metadata) <= node_ids:
            return None  # LlamaIndex's {node_id: node.metadata}: already under source_nodes
    return metadata


def _response_encoder(text: str, what: str) -> Callable[[Any], dict[str, Any]]:
    """The encoder of a query response whose text is its attribute ``text``."""

    def encode(response: Any) -> dict[str, Any]:
        source_nodes = list(_get(response, "source_nodes") or ())
        return _drop_none(
            {
                text: _get(response, text),
                "source_nodes": source_nodes,
                "metadata": _response_metadata(response, source_nodes),
            }
        )

    encode.__doc__ = f"{what}: its text, source nodes and (own) metadata."
    return encode


encode_response = _response_encoder("response", "``Response`` / ``PydanticResponse``")
encode_streaming_response = _response_encoder(
    "response_txt",
    "``StreamingResponse`` / ``AsyncStreamingResponse`` (no stream: the text so far)",
)


def encode_chat_response(response: Any) -> dict[str, Any]:
    """``AgentChatResponse`` / ``StreamingAgentChatResponse``: text, tool outputs, sources."""
    return {
        "response": _get(response, "response"),
        "sources": list(_get(response, "sources") or ()),
        "source_nodes": list(_get(response, "source_nodes") or ()),
    }


def encode_chat_message(message: Any) -> dict[str, Any]:
    """``ChatMessage``: role and text content (and extra kwargs such as tool calls)."""
    role = _get(message, "role")
    picked = _pick(message, ("content",), unless_empty=("additional_kwargs",))
    return _drop_none({"role": _get(role, "value", role), **picked})


def encode_llm_chat_response(response: Any) -> dict[str, Any]:
    """An LLM's ``ChatResponse``: the message, the delta and the provider's raw data."""
    return _pick(response, ("message", "delta", "raw"), unless_empty=("additional_kwargs",))


def encode_completion_response(response: Any) -> dict[str, Any]:
    """An LLM's ``CompletionResponse``: text, delta and the provider's raw data."""
    return _pick(response, ("text", "delta", "raw"), unless_empty=("additional_kwargs",))


def encode_tool_output(output: Any) -> dict[str, Any]:
    """A tool's ``ToolOutput``: which tool, with what input, what it gave."""
    return _pick(output, ("tool_name", "raw_input", "raw_output", "content", "is_error"))


def encode_prompt(prompt: Any) -> dict[str, Any]:
    """A prompt template: its template text (or messages) and variables, not its machinery.

    A ``SelectorPromptTemplate`` is shown as its default template.
    """
    default = _get(prompt, "default_template")
    if default is not None and default is not prompt:
        return encode_prompt(default)
    return _pick(
        prompt, ("template", "message_templates", "template_vars"), unless_empty=("kwargs",)
    )


def encode_index(index: Any) -> dict[str, Any]:
    """An index: its id, never its contents."""
    struct = _get(index, "_index_struct")
    return _drop_none({"index_id": _get(struct, "index_id"), "class": type(index).__name__})


def encode_store(store: Any) -> dict[str, Any]:
    """A document / index / vector / chat store or storage context: its class, not its data."""
    return {"class": type(store).__name__}


def encode_workflow_handler(handler: Any) -> dict[str, Any]:
    """A ``WorkflowHandler``: its run id (the result is recorded when it resolves)."""
    return _pick(handler, ("run_id",))


ENCODERS: dict[str, Callable[[Any], Any]] = {
    c.BASE_NODE: encode_node,
    c.NODE_WITH_SCORE: encode_node_with_score,
    c.QUERY_BUNDLE: encode_query_bundle,
    c.RESPONSE: encode_response,
    c.PYDANTIC_RESPONSE: encode_response,
    c.STREAMING_RESPONSE: encode_streaming_response,
    c.ASYNC_STREAMING_RESPONSE: encode_streaming_response,
    c.AGENT_CHAT_RESPONSE: encode_chat_response,
    c.STREAMING_AGENT_CHAT_RESPONSE: encode_chat_response,
    c.CHAT_MESSAGE: encode_chat_message,
    c.CHAT_RESPONSE: encode_llm_chat_response,
    c.COMPLETION_RESPONSE: encode_completion_response,
    c.TOOL_OUTPUT: encode_tool_output,
    c.PROMPT: encode_prompt,
    c.INDEX: encode_index,
    c.DOCUMENT_STORE: encode_store,
    c.INDEX_STORE: encode_store,
    c.STORAGE_CONTEXT: encode_store,
    c.CHAT_STORE: encode_store,
    c.SIMPLE_VECTOR_STORE_DATA: encode_store,
    c.CALLBACK_MANAGER: encode_store,
    c.WORKFLOW_HANDLER: encode_workflow_handler,
}
