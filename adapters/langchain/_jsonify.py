"""Readable JSON for LangChain values: documents, messages, prompts, generations.

Answers the ``spyglass_json_encoders`` hook. Each encoder turns an instance into
plain data that the core serialiser continues into (with its usual bounds and
redaction), so a record shows what a person would want to read rather than a
``repr`` or every internal field:

=================================  ==================================================
value                              JSON
=================================  ==================================================
``Document``                       ``{"page_content", "metadata"}`` (+ ``"id"`` if set)
``BaseMessage`` and chunks         ``{"type", "content"}`` + the non-empty of ``name``,
                                   ``tool_calls``, ``tool_call_id``, ``usage_metadata``,
                                   ``response_metadata``, ``status``
``ChatPromptValue``                ``{"messages": [...]}``
``StringPromptValue``              ``{"text": ...}``
``PromptTemplate``                 ``{"template", "input_variables"}``
``ChatPromptTemplate``             ``{"messages": [...], "input_variables"}``
message prompt templates           ``{"type", "template"}`` (``"placeholder"`` for
                                   ``MessagesPlaceholder``)
``Generation`` / ``ChatGeneration``  ``{"text"}`` + ``"message"``, ``"generation_info"``
``ChatResult`` / ``LLMResult``     ``{"generations", "llm_output"}``
``VectorStore``                    ``{"type", "embedding"}`` (never its contents)
``Pregel`` (a compiled graph)      ``{"type", "name", "nodes": [names]}``
callback managers                  ``{"type", "handlers": [class names]}``
run managers (``run_manager``)     ``{"type", "run_id"}``
=================================  ==================================================

Tool calls are plain dicts (``{"name", "args", "id", "type"}``) already.
Encoders read attributes only and never raise into the serialiser (it guards them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ENCODERS"]

_MESSAGE_EXTRAS = (
    "name",
    "tool_calls",
    "invalid_tool_calls",
    "tool_call_id",
    "usage_metadata",
    "response_metadata",
    "status",
)


def _document(doc: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"page_content": doc.page_content, "metadata": doc.metadata}
    if getattr(doc, "id", None) is not None:
        out["id"] = doc.id
    return out


def _message(msg: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": msg.type, "content": msg.content}
    fields = vars(msg)
    if any(map(fields.get, _MESSAGE_EXTRAS)):  # most messages have none: one C loop
        for key in _MESSAGE_EXTRAS:
            value = fields.get(key)
            if value:
                out[key] = value
    return out


def _chat_prompt_value(value: Any) -> dict[str, Any]:
    return {"messages": list(value.messages)}


def _string_prompt_value(value: Any) -> dict[str, Any]:
    return {"text": value.text}


def _prompt_template(prompt: Any) -> dict[str, Any]:
    return {"template": prompt.template, "input_variables": list(prompt.input_variables)}


def _chat_prompt_template(prompt: Any) -> dict[str, Any]:
    return {"messages": list(prompt.messages), "input_variables": list(prompt.input_variables)}


def _message_prompt_template(template: Any) -> dict[str, Any]:
    inner = vars(template).get("prompt")
    text = getattr(inner, "template", None) if inner is not None else None
    role = type(template).__name__.removesuffix("MessagePromptTemplate").lower() or "message"
    return {"type": role, "template": text}


def _placeholder(template: Any) -> dict[str, Any]:
    return {"type": "placeholder", "variable_name": template.variable_name}


def _generation(gen: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"text": gen.text}
    message = vars(gen).get("message")
    if message is not None:
        out["message"] = message
    if gen.generation_info:
        out["generation_info"] = gen.generation_info
    return out


def _result(result: Any) -> dict[str, Any]:
    return {"generations": result.generations, "llm_output": result.llm_output}


def _vector_store(store: Any) -> dict[str, Any]:
    embedding = vars(store).get("embedding")
    return {
        "type": type(store).__name__,
        "embedding": type(embedding).__name__ if embedding is not None else None,
    }


def _graph(graph: Any) -> dict[str, Any]:
    nodes = vars(graph).get("nodes") or {}
    return {
        "type": type(graph).__name__,
        "name": vars(graph).get("name"),
        "nodes": [name for name in nodes if name != "__start__"],
    }


def _callback_manager(manager: Any) -> dict[str, Any]:
    handlers = vars(manager).get("handlers") or ()
    return {"type": type(manager).__name__, "handlers": [type(h).__name__ for h in handlers]}


def _run_manager(manager: Any) -> dict[str, Any]:
    return {"type": type(manager).__name__, "run_id": str(vars(manager).get("run_id"))}


ENCODERS: dict[str, Callable[[Any], Any]] = {
    "langchain_core.documents.base:Document": _document,
    "langchain_core.messages.base:BaseMessage": _message,
    "langchain_core.prompt_values:ChatPromptValue": _chat_prompt_value,
    "langchain_core.prompt_values:StringPromptValue": _string_prompt_value,
    "langchain_core.prompts.prompt:PromptTemplate": _prompt_template,
    "langchain_core.prompts.chat:ChatPromptTemplate": _chat_prompt_template,
    "langchain_core.prompts.message:BaseMessagePromptTemplate": _message_prompt_template,
    "langchain_core.prompts.chat:MessagesPlaceholder": _placeholder,
    "langchain_core.outputs.generation:Generation": _generation,
    "langchain_core.outputs.chat_result:ChatResult": _result,
    "langchain_core.outputs.llm_result:LLMResult": _result,
    "langchain_core.vectorstores.base:VectorStore": _vector_store,
    "langgraph.pregel.main:Pregel": _graph,
    # Passed to nearly every call (``config["callbacks"]``, ``run_manager``): keep them short.
    "langchain_core.callbacks.base:BaseCallbackManager": _callback_manager,
    "langchain_core.callbacks.manager:BaseRunManager": _run_manager,
}
