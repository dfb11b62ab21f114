"""The one module that imports LlamaIndex.

Everything else in this adapter reaches LlamaIndex through here, and only when it
is needed (the plugin module must stay importable without LlamaIndex). Importing
this module without ``llama-index-core`` installed raises
:class:`~spyglass.core.MissingDependencyError` with the ``pip install`` line.

Only modules that ``import llama_index.core`` loads anyway are imported here, so
this costs nothing once the user's app has imported LlamaIndex.
"""

from __future__ import annotations

from spyglass.core.errors import MissingDependencyError

INSTALL = "pip install 'spyglass[llamaindex]'"

try:
    from llama_index.core.base.base_query_engine import BaseQueryEngine
    from llama_index.core.base.base_retriever import BaseRetriever
    from llama_index.core.base.llms.base import BaseLLM
    from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse
    from llama_index.core.base.response.schema import (
        AsyncStreamingResponse,
        PydanticResponse,
        Response,
        StreamingResponse,
    )
    from llama_index.core.chat_engine.types import (
        AgentChatResponse,
        BaseChatEngine,
        StreamingAgentChatResponse,
    )
    from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle
    from llama_index.core.workflow import Workflow
except ImportError as exc:  # pragma: no cover - exercised only without LlamaIndex
    raise MissingDependencyError(
        f"spyglass's LlamaIndex adapter (TruLlama) needs llama-index-core 0.14: {INSTALL}"
    ) from exc

__all__ = [
    "INSTALL",
    "AgentChatResponse",
    "AsyncStreamingResponse",
    "BaseChatEngine",
    "BaseLLM",
    "BaseNode",
    "BaseQueryEngine",
    "BaseRetriever",
    "ChatMessage",
    "ChatResponse",
    "CompletionResponse",
    "NodeWithScore",
    "PydanticResponse",
    "QueryBundle",
    "Response",
    "StreamingAgentChatResponse",
    "StreamingResponse",
    "Workflow",
]
