"""The class paths (``"module:QualName"``) of the LangChain and LangGraph classes the adapter knows.

One vocabulary, read by the specs (:mod:`._specs`), the plugin's hooks (:mod:`._plugin`)
and the framework look-ups (:mod:`._framework`). Importing it imports nothing from
LangChain: a path is only resolved, by :func:`spyglass.core.plugins.resolve_class`, once its
module is imported.
"""

from __future__ import annotations

__all__ = [
    "AI_MESSAGE",
    "BASE_MESSAGE",
    "CHANNEL_WRITE",
    "CHAT_MODEL",
    "COMPONENT_BASES",
    "DOCUMENT",
    "EMBEDDINGS",
    "LLM",
    "OUTPUT_PARSER",
    "PREGEL",
    "PREGEL_NODE",
    "PROMPT_TEMPLATE",
    "PROMPT_VALUE",
    "RETRIEVER",
    "RUNNABLE",
    "RUNNABLE_CALLABLE",
    "RUNNABLE_MODULE",
    "SIMPLE_CHAT_MODEL",
    "TOOL",
    "VECTOR_STORE",
]

# The module that defines Runnable: once it is imported, LangChain objects can exist.
RUNNABLE_MODULE = "langchain_core.runnables.base"

RUNNABLE = f"{RUNNABLE_MODULE}:Runnable"
RETRIEVER = "langchain_core.retrievers:BaseRetriever"
CHAT_MODEL = "langchain_core.language_models.chat_models:BaseChatModel"
SIMPLE_CHAT_MODEL = "langchain_core.language_models.chat_models:SimpleChatModel"
LLM = "langchain_core.language_models.llms:BaseLLM"
TOOL = "langchain_core.tools.base:BaseTool"
PROMPT_TEMPLATE = "langchain_core.prompts.base:BasePromptTemplate"
OUTPUT_PARSER = "langchain_core.output_parsers.base:BaseOutputParser"
VECTOR_STORE = "langchain_core.vectorstores.base:VectorStore"
EMBEDDINGS = "langchain_core.embeddings.embeddings:Embeddings"
DOCUMENT = "langchain_core.documents.base:Document"
BASE_MESSAGE = "langchain_core.messages.base:BaseMessage"
AI_MESSAGE = "langchain_core.messages.ai:AIMessage"
PROMPT_VALUE = "langchain_core.prompt_values:PromptValue"
PREGEL = "langgraph.pregel.main:Pregel"
PREGEL_NODE = "langgraph.pregel._read:PregelNode"
RUNNABLE_CALLABLE = "langgraph._internal._runnable:RunnableCallable"
CHANNEL_WRITE = "langgraph.pregel._write:ChannelWrite"

# What the walk treats as a component: everything the adapter's specs instrument.
COMPONENT_BASES = (RUNNABLE, VECTOR_STORE, EMBEDDINGS)
