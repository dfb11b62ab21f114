"""Every LlamaIndex class the adapter knows, by path (``"module:QualName"``), declared once.

One vocabulary, read by the specs (:mod:`._specs`), the walk (:mod:`._walk`), the
encoders (:mod:`._jsonify`), the streams (:mod:`._stream`), main input and output,
cost, context and the recorder. Importing it imports nothing from LlamaIndex: a path
is only matched against the classes of an object's MRO (:func:`is_a`, or
``spyglass.core.plugins.mro_match`` where the most specific of several decides) or
resolved once its module is imported (``spyglass.core.plugins.resolve_class``).
"""

from __future__ import annotations

from spyglass.core.plugins import mro_match

__all__ = [
    "AGENT",
    "AGENT_CHAT_RESPONSE",
    "AGENT_OUTPUT",
    "ASYNC_STREAMING_RESPONSE",
    "BASE_LLM",
    "BASE_NODE",
    "CALLBACK_MANAGER",
    "CHAT_ENGINE",
    "CHAT_MESSAGE",
    "CHAT_RESPONSE",
    "CHAT_STORE",
    "COMPLETION_RESPONSE",
    "CUSTOM_LLM",
    "DOCUMENT_STORE",
    "EMBEDDING",
    "EVENT",
    "GRAPH_STORE",
    "INDEX",
    "INDEX_STORE",
    "INDEX_STRUCT",
    "KV_STORE",
    "LLM",
    "LLM_METADATA",
    "MAIN_METHODS",
    "MEDIA_RESOURCE",
    "MEMORY",
    "MODULE_PREFIXES",
    "NODE_WITH_SCORE",
    "POSTPROCESSOR",
    "PROMPT",
    "PROMPT_HELPER",
    "PROPERTY_GRAPH_STORE",
    "PYDANTIC_RESPONSE",
    "PYDANTIC_VECTOR_STORE",
    "QUERY_BUNDLE",
    "QUERY_ENGINE",
    "RELATED_NODE_INFO",
    "RESPONSE",
    "RETRIEVER",
    "SIMPLE_VECTOR_STORE_DATA",
    "STOP_EVENT",
    "STORAGE_CONTEXT",
    "STREAMING_AGENT_CHAT_RESPONSE",
    "STREAMING_RESPONSE",
    "SYNTHESIZER",
    "TOOL",
    "TOOL_METADATA",
    "TOOL_OUTPUT",
    "TRANSFORM_COMPONENT",
    "VECTOR_STORE",
    "WORKFLOW",
    "WORKFLOW_CONTEXT",
    "WORKFLOW_HANDLER",
    "is_a",
]

#: The modules whose classes are LlamaIndex's (its workflows and instrumentation too).
MODULE_PREFIXES = ("llama_index.", "llama_index_instrumentation", "workflows.")


# ------------------------------------------------------------- apps and components

QUERY_ENGINE = "llama_index.core.base.base_query_engine:BaseQueryEngine"
CHAT_ENGINE = "llama_index.core.chat_engine.types:BaseChatEngine"
RETRIEVER = "llama_index.core.base.base_retriever:BaseRetriever"
WORKFLOW = "workflows.workflow:Workflow"
AGENT = "llama_index.core.agent.workflow.base_agent:BaseWorkflowAgent"
BASE_LLM = "llama_index.core.base.llms.base:BaseLLM"
LLM = "llama_index.core.llms.llm:LLM"
CUSTOM_LLM = "llama_index.core.llms.custom:CustomLLM"
EMBEDDING = "llama_index.core.base.embeddings.base:BaseEmbedding"
POSTPROCESSOR = "llama_index.core.postprocessor.types:BaseNodePostprocessor"
SYNTHESIZER = "llama_index.core.response_synthesizers.base:BaseSynthesizer"
TOOL = "llama_index.core.tools.types:BaseTool"
INDEX = "llama_index.core.indices.base:BaseIndex"
PROMPT = "llama_index.core.prompts.base:BasePromptTemplate"
MEMORY = "llama_index.core.memory.types:BaseMemory"
PYDANTIC_VECTOR_STORE = "llama_index.core.vector_stores.types:BasePydanticVectorStore"
VECTOR_STORE = "llama_index.core.vector_stores.types:VectorStore"
TRANSFORM_COMPONENT = "llama_index.core.schema:TransformComponent"

#: The apps TruLlama records as a whole, and the method ``with_record(app, ...)`` calls
#: on each; the first of an app's MRO wins (agents are workflows).
MAIN_METHODS = {QUERY_ENGINE: "query", CHAT_ENGINE: "chat", RETRIEVER: "retrieve", WORKFLOW: "run"}

# ----------------------------------------------------------------- what calls return

RESPONSE = "llama_index.core.base.response.schema:Response"
PYDANTIC_RESPONSE = "llama_index.core.base.response.schema:PydanticResponse"
STREAMING_RESPONSE = "llama_index.core.base.response.schema:StreamingResponse"
ASYNC_STREAMING_RESPONSE = "llama_index.core.base.response.schema:AsyncStreamingResponse"
AGENT_CHAT_RESPONSE = "llama_index.core.chat_engine.types:AgentChatResponse"
STREAMING_AGENT_CHAT_RESPONSE = "llama_index.core.chat_engine.types:StreamingAgentChatResponse"
CHAT_MESSAGE = "llama_index.core.base.llms.types:ChatMessage"
CHAT_RESPONSE = "llama_index.core.base.llms.types:ChatResponse"
COMPLETION_RESPONSE = "llama_index.core.base.llms.types:CompletionResponse"
LLM_METADATA = "llama_index.core.base.llms.types:LLMMetadata"
AGENT_OUTPUT = "llama_index.core.agent.workflow.workflow_events:AgentOutput"
TOOL_OUTPUT = "llama_index.core.tools.types:ToolOutput"
TOOL_METADATA = "llama_index.core.tools.types:ToolMetadata"

# ------------------------------------------------------------------------------ data

BASE_NODE = "llama_index.core.schema:BaseNode"
NODE_WITH_SCORE = "llama_index.core.schema:NodeWithScore"
QUERY_BUNDLE = "llama_index.core.schema:QueryBundle"
RELATED_NODE_INFO = "llama_index.core.schema:RelatedNodeInfo"
MEDIA_RESOURCE = "llama_index.core.schema:MediaResource"
DOCUMENT_STORE = "llama_index.core.storage.docstore.types:BaseDocumentStore"
INDEX_STORE = "llama_index.core.storage.index_store.types:BaseIndexStore"
KV_STORE = "llama_index.core.storage.kvstore.types:BaseKVStore"
STORAGE_CONTEXT = "llama_index.core.storage.storage_context:StorageContext"
CHAT_STORE = "llama_index.core.storage.chat_store.base:BaseChatStore"
INDEX_STRUCT = "llama_index.core.data_structs.data_structs:IndexStruct"
GRAPH_STORE = "llama_index.core.graph_stores.types:GraphStore"
PROPERTY_GRAPH_STORE = "llama_index.core.graph_stores.types:PropertyGraphStore"
SIMPLE_VECTOR_STORE_DATA = "llama_index.core.vector_stores.simple:SimpleVectorStoreData"
CALLBACK_MANAGER = "llama_index.core.callbacks.base:CallbackManager"
PROMPT_HELPER = "llama_index.core.indices.prompt_helper:PromptHelper"

# ------------------------------------------------------------------------- workflows

EVENT = "workflows.events:Event"
STOP_EVENT = "workflows.events:StopEvent"
WORKFLOW_CONTEXT = "workflows.context.context:Context"
WORKFLOW_HANDLER = "workflows.handler:WorkflowHandler"


def is_a(cls: type, *paths: str) -> bool:
    """Whether a class of ``cls``'s MRO is one of ``paths`` (``isinstance`` by path)."""
    return mro_match(cls, paths) is not None
