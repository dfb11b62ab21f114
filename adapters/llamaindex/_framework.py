"""The one module that imports LlamaIndex.

Everything else in this adapter reaches LlamaIndex through here, and only when it
is needed (the plugin module must stay importable without LlamaIndex). Importing
this module without ``llama-index-core`` installed raises
:class:`~spyglass.core.MissingDependencyError` with the ``pip install`` line.

Only modules that ``import llama_index.core`` loads anyway are imported here, so
this costs nothing once the user's app has imported LlamaIndex.
"""

from __future__ import annotations

from spyglass.core import MissingDependencyError

INSTALL = "pip install 'spyglass[llamaindex]'"

try:
    from llama_index.core.base.response.schema import Response
    from llama_index.core.chat_engine.types import AgentChatResponse, StreamingAgentChatResponse
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.schema import QueryBundle
except ImportError as exc:  # pragma: no cover - exercised only without LlamaIndex
    raise MissingDependencyError(
        f"spyglass's LlamaIndex adapter (TruLlama) needs llama-index-core 0.14: {INSTALL}"
    ) from exc

# Only the classes the adapter constructs or subclasses (_stream.py, _guardrails.py); every other
# LlamaIndex class is recognised by its class path, without importing it.
__all__ = [
    "INSTALL",
    "AgentChatResponse",
    "QueryBundle",
    "Response",
    "RetrieverQueryEngine",
    "StreamingAgentChatResponse",
]
